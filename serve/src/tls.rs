//! TLS on both ports (`--tls-cert`, `--tls-key`): rustls with the ring provider, a PEM
//! certificate chain and its private key; HTTP/1.1 on the REST port and HTTP/2 on
//! gRPC's, said by ALPN. Each handshake runs in its connection's own task, bounded by
//! [`HEADER_TIMEOUT`](crate::HEADER_TIMEOUT), so a slow or silent client holds only its
//! own connection (and its place under `--max-connections`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsAcceptor;

use crate::connections::Conn;

/// Largest PEM file read (a chain of a few certificates is a few KiB).
const MAX_PEM_BYTES: u64 = 1 << 20;

/// Why `--tls-cert`/`--tls-key` cannot be used: the caller's files, each named.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file holds no usable PEM item of the kind asked for.
    #[error("{path}: {why}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is missing or malformed.
        why: String,
    },
    /// rustls refused the pair (a key of another certificate, an unsupported key type).
    #[error("--tls-cert and --tls-key cannot be used together: {0}")]
    Rejected(#[source] rustls::Error),
}

/// The two acceptors, one per port.
#[derive(Clone)]
pub struct Tls {
    pub(crate) rest: TlsAcceptor,
    pub(crate) grpc: TlsAcceptor,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls { http/1.1, h2 }")
    }
}

impl Tls {
    /// Read a PEM certificate chain (leaf first) and the PEM private key of its leaf
    /// (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let pem = |why: &str, path: &Path| TlsError::Pem { path: path.into(), why: why.into() };
        let cert_pem = read_bounded(cert)?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem(&format!("not a PEM certificate chain ({e})"), cert))?;
        if chain.is_empty() {
            return Err(pem("holds no certificate (-----BEGIN CERTIFICATE-----)", cert));
        }
        let key_der = PrivateKeyDer::from_pem_slice(&read_bounded(key)?)
            .map_err(|e| pem(&format!("holds no PEM private key ({e})"), key))?;
        let acceptor = |alpn: &[u8]| -> Result<TlsAcceptor, TlsError> {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(TlsError::Rejected)?
                .with_no_client_auth()
                .with_single_cert(chain.clone(), key_der.clone_key())
                .map_err(TlsError::Rejected)?;
            config.alpn_protocols = vec![alpn.to_vec()];
            Ok(TlsAcceptor::from(Arc::new(config)))
        };
        Ok(Self { rest: acceptor(b"http/1.1")?, grpc: acceptor(b"h2")? })
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, TlsError> {
    let read = |source| TlsError::Read { path: path.into(), source };
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(MAX_PEM_BYTES + 1).read_to_end(&mut bytes)).map_err(read)?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(TlsError::Pem { path: path.into(), why: format!("is over {MAX_PEM_BYTES} bytes") });
    }
    Ok(bytes)
}

/// A connection as the protocol sees it: plain, or after a TLS handshake.
pub(crate) enum Stream {
    Plain(Conn),
    Tls(Box<tokio_rustls::server::TlsStream<Conn>>),
}

/// `conn` as a [`Stream`]: as it is without `acceptor`, else after the handshake; `None`
/// when the handshake fails or outlasts [`HEADER_TIMEOUT`](crate::HEADER_TIMEOUT).
pub(crate) async fn secure(conn: Conn, acceptor: Option<&TlsAcceptor>) -> Option<Stream> {
    let Some(acceptor) = acceptor else { return Some(Stream::Plain(conn)) };
    match tokio::time::timeout(crate::HEADER_TIMEOUT, acceptor.accept(conn)).await {
        Ok(Ok(tls)) => Some(Stream::Tls(Box::new(tls))),
        Ok(Err(e)) => {
            tracing::debug!("TLS handshake failed: {e}");
            None
        }
        Err(_) => None,
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(c) => Pin::new(c).poll_read(cx, buf),
            Stream::Tls(t) => Pin::new(t.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(c) => Pin::new(c).poll_write(cx, buf),
            Stream::Tls(t) => Pin::new(t.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(c) => Pin::new(c).poll_flush(cx),
            Stream::Tls(t) => Pin::new(t.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(c) => Pin::new(c).poll_shutdown(cx),
            Stream::Tls(t) => Pin::new(t.as_mut()).poll_shutdown(cx),
        }
    }
}

impl tonic::transport::server::Connected for Stream {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}
