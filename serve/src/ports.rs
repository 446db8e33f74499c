//! The accept loops of the two ports: REST over HTTP/1 (hyper, with a header-read
//! timeout) and gRPC over HTTP/2 (tonic), both through the one connection [`Gate`] and,
//! with `--tls-cert`, a TLS handshake in the connection's own task; both stopping when
//! [`Stop`] says so: no new connections, the requests in flight finished for at most its
//! `drain` (`--drain-timeout-s`).

use std::io;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::HEADER_TIMEOUT;
use crate::connections::{Conn, Gate};
use crate::tls::{Stream, Tls, secure};

/// When the ports stop, and how long they then wait for the requests in flight.
#[derive(Clone)]
pub(crate) struct Stop {
    /// Turns true on the shutdown signal.
    pub stopped: watch::Receiver<bool>,
    /// The longest the requests in flight then get.
    pub drain: std::time::Duration,
}

/// Resolves once `stopped` is true (or its sender is gone).
async fn signalled(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

/// The next connection, or `None` once stopped. Accept errors (out of file descriptors,
/// a connection reset before it was taken) are logged and retried after a pause.
async fn next(listener: &TcpListener, gate: &Gate, stopped: &watch::Receiver<bool>) -> Option<Conn> {
    loop {
        tokio::select! {
            conn = gate.accept(listener) => match conn {
                Ok(conn) => return Some(conn),
                Err(e) => {
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            () = signalled(stopped.clone()) => return None,
        }
    }
}

/// Serve `app` on `listener` over HTTP/1 until stopped.
pub(crate) async fn rest(
    listener: TcpListener,
    gate: Gate,
    app: Router,
    tls: Option<Tls>,
    Stop { stopped, drain }: Stop,
) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    while let Some(conn) = next(&listener, &gate, &stopped).await {
        let service = TowerToHyperService::new(app.clone());
        let Some(acceptor) = tls.as_ref().map(|t| t.rest.clone()) else {
            // Watched from the moment it is accepted, so that a shutdown waits for it.
            let connection = graceful.watch(http.serve_connection(TokioIo::new(conn), service));
            tokio::spawn(async move {
                let _ = connection.await;
            });
            continue;
        };
        // Watched once its handshake is done: until then it holds no request.
        let (http, watcher) = (http.clone(), graceful.watcher());
        tokio::spawn(async move {
            if let Some(stream) = secure(conn, Some(&acceptor)).await {
                let _ = watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await;
            }
        });
    }
    drop(listener);
    finish("REST", graceful.shutdown(), drain).await;
    Ok(())
}

/// Serve the gRPC service on `listener` until stopped.
pub(crate) async fn grpc(
    listener: TcpListener,
    gate: Gate,
    service: crate::grpc::Service,
    tls: Option<Tls>,
    Stop { stopped, drain }: Stop,
) -> io::Result<()> {
    let (sender, receiver) = tokio::sync::mpsc::channel::<io::Result<Stream>>(1);
    let accepting = stopped.clone();
    tokio::spawn(async move {
        while let Some(conn) = next(&listener, &gate, &accepting).await {
            let (sender, acceptor) = (sender.clone(), tls.as_ref().map(|t| t.grpc.clone()));
            tokio::spawn(async move {
                if let Some(stream) = secure(conn, acceptor.as_ref()).await {
                    let _ = sender.send(Ok(stream)).await;
                }
            });
        }
    });
    let incoming = tokio_stream::wrappers::ReceiverStream::new(receiver);
    let served = tonic::transport::Server::builder()
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, signalled(stopped.clone()));
    tokio::select! {
        served = served => served.map_err(io::Error::other),
        () = async { signalled(stopped).await; tokio::time::sleep(drain).await } => {
            tracing::warn!("gRPC connections still open {} s after the signal were dropped", drain.as_secs());
            Ok(())
        }
    }
}

/// Wait for the connections in flight, for at most `drain`.
async fn finish(what: &str, finished: impl std::future::Future<Output = ()>, drain: std::time::Duration) {
    if tokio::time::timeout(drain, finished).await.is_err() {
        tracing::warn!("{what} connections still open {} s after the signal were dropped", drain.as_secs());
    }
}
