//! Fetching MNIST from a mirror, checked against DESIGN.md §5's SHA-256s.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::data::FILES;

/// The mirror torchvision uses; `--mirror` replaces it (tests point it at loopback).
pub const DEFAULT_MIRROR: &str = "https://ossci-datasets.s3.amazonaws.com/mnist";

/// Largest answer read from a mirror (MNIST's largest file is 9.9 MB gzip'd): a wrong
/// or hostile mirror cannot make `train --download` allocate without bound.
pub const MAX_DOWNLOAD_BYTES: u64 = 32 << 20;

/// SHA-256 of each uncompressed file, in the order of [`FILES`].
pub const SHA256: [&str; 4] = [
    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
];

/// What can go wrong downloading.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The request failed (network, HTTP status).
    #[error("downloading {url}: {reason}")]
    Http {
        /// The address.
        url: String,
        /// The cause.
        reason: String,
    },
    /// The file arrived but is not the expected one.
    #[error("{url}: SHA-256 of the uncompressed file is {got}, expected {want}; nothing was kept")]
    Checksum {
        /// The address.
        url: String,
        /// Measured digest.
        got: String,
        /// Expected digest.
        want: String,
    },
    /// Writing to the data folder failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Download every MNIST file that `dir` lacks from `mirror` (a base URL holding
/// `NAME.gz`). Each file is written under a temporary name, verified, then renamed;
/// a failed file leaves nothing behind. Returns the files fetched.
pub fn fetch_missing(dir: &Path, mirror: &str) -> Result<Vec<PathBuf>, DownloadError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DownloadError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut fetched = Vec::new();
    for (name, want) in FILES.iter().zip(SHA256) {
        let dest = dir.join(format!("{name}.gz"));
        if dest.is_file() || dir.join(name).is_file() {
            continue;
        }
        let url = format!("{}/{name}.gz", mirror.trim_end_matches('/'));
        eprintln!("downloading {url}");
        let body = get(&url)?;
        let got =
            sha256_uncompressed(&body).map_err(|e| DownloadError::Http { url: url.clone(), reason: e.to_string() })?;
        if got != want {
            return Err(DownloadError::Checksum { url, got, want: want.to_string() });
        }
        dcgan::output::write_atomic(&dest, &body).map_err(io(&dest))?;
        fetched.push(dest);
    }
    Ok(fetched)
}

fn get(url: &str) -> Result<Vec<u8>, DownloadError> {
    let http = |reason: String| DownloadError::Http { url: url.to_string(), reason };
    let response = ureq::get(url).call().map_err(|e| http(e.to_string()))?;
    let mut body = Vec::new();
    let reader = response.into_body().into_reader();
    reader.take(MAX_DOWNLOAD_BYTES + 1).read_to_end(&mut body).map_err(|e| http(e.to_string()))?;
    if body.len() as u64 > MAX_DOWNLOAD_BYTES {
        return Err(http(format!(
            "the answer is larger than {MAX_DOWNLOAD_BYTES} bytes, more than any MNIST file: is --mirror an MNIST mirror?"
        )));
    }
    Ok(body)
}

/// SHA-256 of the bytes after gunzip (or of the bytes themselves when not gzip'd); a
/// stream that inflates beyond [`crate::data::MAX_IDX_BYTES`] is refused, not hashed on.
fn sha256_uncompressed(bytes: &[u8]) -> std::io::Result<String> {
    let mut h = Sha256::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let limit = crate::data::MAX_IDX_BYTES as u64;
        let mut dec = flate2::read::GzDecoder::new(bytes).take(limit + 1);
        let mut total = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = dec.read(&mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limit {
                return Err(std::io::Error::other(format!(
                    "it inflates beyond {limit} bytes, more than any MNIST file"
                )));
            }
            h.update(&buf[..n]);
        }
    } else {
        h.update(bytes);
    }
    Ok(format!("{:x}", h.finalize()))
}
