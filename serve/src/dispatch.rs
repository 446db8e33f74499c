//! What both protocols (REST in `routes.rs`, gRPC in `grpc.rs`) do once a request is
//! parsed: which model it names, what the model's tensors are, and running rows through
//! the one batcher. Refusals are protocol-neutral ([`Refusal`]); each protocol says them
//! its own way (an HTTP status, a gRPC status code).

use dcgan::contract::{INPUT, INPUT_DTYPE, LABEL, LABEL_DTYPE, OUTPUT, OUTPUT_DTYPE};

use crate::State;
use crate::batcher::Refused;
use crate::tensors::{Bad, Inputs, Model};

/// Why a request got no images.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The caller's input (HTTP 400, gRPC INVALID_ARGUMENT).
    Invalid(String),
    /// Too large a request (HTTP 413, gRPC INVALID_ARGUMENT).
    TooLarge(String),
    /// No such model or version (HTTP 404, gRPC NOT_FOUND).
    NotFound(String),
    /// The queue is full (HTTP 503 with Retry-After, gRPC RESOURCE_EXHAUSTED).
    Full,
    /// The server is shutting down (HTTP 503, gRPC UNAVAILABLE).
    Closing,
    /// A fault of ours (HTTP 500, gRPC INTERNAL).
    Ours(String),
}

impl Refusal {
    /// What it says to the caller.
    pub(crate) fn message(&self) -> String {
        match self {
            Refusal::Invalid(m) | Refusal::TooLarge(m) | Refusal::NotFound(m) | Refusal::Ours(m) => m.clone(),
            Refusal::Full => "the queue is full; retry after a second".into(),
            Refusal::Closing => "the server is shutting down".into(),
        }
    }
}

impl From<Bad> for Refusal {
    fn from(Bad(status, text): Bad) -> Self {
        match status {
            404 => Refusal::NotFound(text),
            413 => Refusal::TooLarge(text),
            _ => Refusal::Invalid(text),
        }
    }
}

/// Numbers the failures of ours, so that a client's short answer and the server's log
/// line can be matched.
static FAILURES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl From<dcgan_infer::Error> for Refusal {
    /// The caller's mistake is said to the caller; a runtime's failure is logged in full
    /// here and answered with a short reason and its number (a runtime's own text may
    /// name files or internals that are not the caller's business).
    fn from(e: dcgan_infer::Error) -> Self {
        if e.is_bad_input() {
            return Refusal::Invalid(e.to_string());
        }
        let id = FAILURES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::error!(failure = id, "the model run failed: {e}");
        Refusal::Ours(format!("the model run failed (failure {id}; the server's log has the details)"))
    }
}

/// A tensor of the model's interface, as the metadata calls describe it.
pub(crate) struct TensorSpec {
    pub(crate) name: &'static str,
    pub(crate) datatype: &'static str,
    /// -1: any number of rows.
    pub(crate) shape: Vec<i64>,
}

impl State {
    /// `name` (and `version`, if given) must be the served model's.
    pub(crate) fn check_model(&self, name: &str, version: Option<&str>) -> Result<(), Refusal> {
        if name != self.config.model_name {
            return Err(Refusal::NotFound(format!(
                "unknown model `{name}`; this server has `{}`",
                self.config.model_name
            )));
        }
        match version {
            Some(v) if !v.is_empty() && v != "1" => {
                Err(Refusal::NotFound(format!("unknown version `{v}` of `{name}`; it has version 1")))
            }
            _ => Ok(()),
        }
    }

    /// What request parsing checks tensors against.
    pub(crate) fn model_facts(&self) -> Model {
        let info = self.generator.info();
        Model { latent: info.latent_dim, classes: info.num_classes, max_rows: self.config.max_rows }
    }

    /// The model's inputs (`z`, and `label` for a conditional model) and its output.
    pub(crate) fn tensor_specs(&self) -> (Vec<TensorSpec>, Vec<TensorSpec>) {
        let info = self.generator.info();
        let mut inputs =
            vec![TensorSpec { name: INPUT, datatype: INPUT_DTYPE.oip(), shape: vec![-1, info.latent_dim as i64] }];
        if info.conditional() {
            inputs.push(TensorSpec { name: LABEL, datatype: LABEL_DTYPE.oip(), shape: vec![-1] });
        }
        let output = TensorSpec {
            name: OUTPUT,
            datatype: OUTPUT_DTYPE.oip(),
            shape: dcgan::contract::output_shape(-1).to_vec(),
        };
        (inputs, vec![output])
    }

    /// Run a parsed request: its rows and their images.
    pub(crate) async fn infer(&self, inputs: Inputs) -> Result<(usize, Vec<f32>), Refusal> {
        let latent = self.generator.info().latent_dim;
        let (z, labels) = match inputs {
            Inputs::Tensors { z, labels } => (z, labels),
            Inputs::Seeded { seed, count, labels } => {
                (dcgan_infer::SplitMix64::new(seed).latents(count, latent), labels)
            }
        };
        let rows = z.len() / latent;
        Ok((rows, self.generate(z, labels).await?))
    }

    /// Run rows through the batcher. Labels are checked first, so that a bad one does
    /// not fail the other requests of its batch.
    pub(crate) async fn generate(&self, z: Vec<f32>, labels: Option<Vec<i64>>) -> Result<Vec<f32>, Refusal> {
        if let Some(l) = &labels {
            self.generator.check_labels(l)?;
        }
        let receiver = self.batcher.submit(z, labels).map_err(|refused| match refused {
            Refused::Full => Refusal::Full,
            Refused::Closing => Refusal::Closing,
        })?;
        // A dropped reply: the run panicked inside the runtime (the batcher goes on).
        let images = receiver.await.map_err(|_| Refusal::Ours("the model run failed".into()))??;
        Ok(images)
    }
}
