//! Who may call what. With an API key (`--api-key-file`), a request needs
//! `Authorization: Bearer KEY` (gRPC: the same metadata) unless its group is open:
//! health always is (load balancers probe it), the others only when `--open` names them.
//! Without a key every group is open, which `serve` allows only on a loopback address
//! unless told `--insecure-no-auth` (TorchServe's token authorization and Triton's
//! restricted API groups are the models).

use std::path::Path;

/// The API groups, by what a caller reaches through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Group {
    /// `/v2/health/*`, a model's `ready`; gRPC ServerLive, ServerReady, ModelReady.
    Health,
    /// `GET /v2` and a model's metadata; gRPC ServerMetadata, ModelMetadata.
    Metadata,
    /// `GET /model.onnx`: the weights.
    Model,
    /// `GET /metrics`.
    Metrics,
    /// The web page and onnxruntime-web's files (the page also needs `model`).
    Page,
    /// Inference: `…/infer`, `/v1/samples.png`; gRPC ModelInfer. Never open with a key.
    Inference,
}

impl Group {
    /// The group of a REST path.
    pub fn of_path(path: &str) -> Group {
        let v2 = path.strip_prefix("/v2");
        match path {
            "/model.onnx" => Group::Model,
            "/metrics" => Group::Metrics,
            "/v1/samples.png" => Group::Inference,
            // KServe v2's health: /v2/health/{live,ready} and /v2/models/<name>[/versions/<v>]/ready.
            _ if v2.is_some_and(|p| p.starts_with("/health/") || p.ends_with("/ready")) => Group::Health,
            _ if v2.is_some() && path.ends_with("/infer") => Group::Inference,
            _ if v2.is_some() => Group::Metadata,
            _ => Group::Page,
        }
    }
}

/// Smallest key accepted: 16 bytes, so that a key cannot be guessed in a day of tries.
pub const MIN_KEY_BYTES: usize = 16;

/// The key and the groups open without it.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    key: Option<Vec<u8>>,
    open: Vec<Group>,
}

/// Why a key file was not taken.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// It cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// It holds too short a key.
    #[error("{0}: the key is {1} bytes; use at least {MIN_KEY_BYTES} (e.g. `openssl rand -hex 32 > FILE`)")]
    Short(std::path::PathBuf, usize),
}

impl Auth {
    /// Every group open: no key.
    pub fn none() -> Self {
        Self::default()
    }

    /// Requests need `key` except in the `open` groups (health is always open).
    pub fn with_key(key: Vec<u8>, open: &[Group]) -> Self {
        let mut open: Vec<Group> = open.iter().copied().filter(|g| *g != Group::Inference).collect();
        open.push(Group::Health);
        Self { key: Some(key), open }
    }

    /// The key in `path`: its first line, without surrounding white space.
    pub fn read_key(path: &Path) -> Result<Vec<u8>, KeyError> {
        let text = std::fs::read(path).map_err(|source| KeyError::Read { path: path.into(), source })?;
        let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
        let key = line.trim_ascii().to_vec();
        if key.len() < MIN_KEY_BYTES {
            return Err(KeyError::Short(path.into(), key.len()));
        }
        Ok(key)
    }

    /// Whether requests need a key.
    pub fn required(&self) -> bool {
        self.key.is_some()
    }

    /// Whether a request of `group` whose `Authorization` header (or gRPC metadata) is
    /// `authorization` may proceed.
    pub fn allows(&self, group: Group, authorization: Option<&[u8]>) -> bool {
        let Some(key) = &self.key else { return true };
        if self.open.contains(&group) {
            return true;
        }
        authorization.and_then(|h| h.strip_prefix(b"Bearer ")).is_some_and(|given| same(given, key))
    }
}

/// `a == b` in time that depends on their lengths only, not on where they first differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_keys() {
        assert_eq!(Group::of_path("/v2/health/live"), Group::Health);
        assert_eq!(Group::of_path("/v2/models/dcgan/versions/1/ready"), Group::Health);
        assert_eq!(Group::of_path("/v2/models/dcgan/infer"), Group::Inference);
        assert_eq!(Group::of_path("/v2/models/dcgan/versions/1/infer"), Group::Inference);
        assert_eq!(Group::of_path("/v2/models/dcgan"), Group::Metadata);
        assert_eq!(Group::of_path("/v2"), Group::Metadata);
        assert_eq!(Group::of_path("/v1/samples.png"), Group::Inference);
        assert_eq!(Group::of_path("/"), Group::Page);
        assert_eq!(Group::of_path("/ort/ort.wasm.min.mjs"), Group::Page);
        assert_eq!(Group::of_path("/ort/ready"), Group::Page, "only v2 paths are health checks");
        let key = b"0123456789abcdef".to_vec();
        let auth = Auth::with_key(key, &[Group::Metrics, Group::Inference]);
        assert!(auth.allows(Group::Health, None) && auth.allows(Group::Metrics, None));
        assert!(!auth.allows(Group::Inference, None), "inference is never opened");
        assert!(!auth.allows(Group::Model, Some(b"Bearer 0123456789abcdeF")));
        assert!(!auth.allows(Group::Model, Some(b"Bearer 0123456789abcdef0")));
        assert!(!auth.allows(Group::Model, Some(b"0123456789abcdef")));
        assert!(auth.allows(Group::Model, Some(b"Bearer 0123456789abcdef")));
        assert!(Auth::none().allows(Group::Inference, None));
    }
}
