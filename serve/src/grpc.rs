//! The Open Inference Protocol over gRPC (`inference.GRPCInferenceService`, DESIGN.md
//! §11): the health, metadata and infer calls of `proto/grpc_predict_v2.proto`, over the
//! same batcher, limits, seeded parameters and checks as REST. Tensors arrive in
//! `raw_input_contents` (what tritonclient sends) or typed `contents`; the image goes
//! back in `raw_output_contents`. Refusals are gRPC status codes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};
use tonic::{Request, Response, Status};

use crate::State;
use crate::auth::Group;
use crate::dispatch::{Refusal, TensorSpec};
use crate::metrics::Failure;
use crate::tensors::{self, Header, Inputs, Values, bad};
use dcgan::contract::{INPUT, LABEL, OUTPUT, OUTPUT_DTYPE};

#[allow(clippy::all, clippy::pedantic, missing_docs, unreachable_pub)]
mod pb {
    tonic::include_proto!("inference");
}

use pb::grpc_inference_service_server::{GrpcInferenceService, GrpcInferenceServiceServer};
use pb::infer_parameter::ParameterChoice;
use pb::model_infer_request::InferInputTensor;
use pb::model_infer_response::InferOutputTensor;
use pb::model_metadata_response::TensorMetadata;

/// The service as tonic serves it.
pub(crate) type Service = GrpcInferenceServiceServer<Grpc>;

/// The gRPC service over the server's state.
pub(crate) fn service(state: Arc<State>) -> Service {
    // A request may be as large as a REST body; an answer holds up to --max-rows images.
    let answer = state.config.max_rows * dcgan::contract::IMAGE_LEN * 4 + 65536;
    let request = state.config.max_body_bytes;
    GrpcInferenceServiceServer::new(Grpc { state }).max_decoding_message_size(request).max_encoding_message_size(answer)
}

/// `inference.GRPCInferenceService`.
pub(crate) struct Grpc {
    state: Arc<State>,
}

impl From<Refusal> for Status {
    fn from(r: Refusal) -> Self {
        let message = r.message();
        match r {
            Refusal::Invalid(_) | Refusal::TooLarge(_) => Status::invalid_argument(message),
            Refusal::NotFound(_) => Status::not_found(message),
            Refusal::Full => Status::resource_exhausted(message),
            Refusal::Closing => Status::unavailable(message),
            Refusal::Ours(_) => Status::internal(message),
        }
    }
}

fn metadata(specs: Vec<TensorSpec>) -> Vec<TensorMetadata> {
    specs
        .into_iter()
        .map(|t| TensorMetadata { name: t.name.into(), datatype: t.datatype.into(), shape: t.shape })
        .collect()
}

#[tonic::async_trait]
impl GrpcInferenceService for Grpc {
    async fn server_live(&self, r: Request<pb::ServerLiveRequest>) -> Result<Response<pb::ServerLiveResponse>, Status> {
        self.authorize(&r, Group::Health)?;
        Ok(Response::new(pb::ServerLiveResponse { live: true }))
    }

    async fn server_ready(
        &self,
        r: Request<pb::ServerReadyRequest>,
    ) -> Result<Response<pb::ServerReadyResponse>, Status> {
        self.authorize(&r, Group::Health)?;
        Ok(Response::new(pb::ServerReadyResponse { ready: true }))
    }

    async fn model_ready(&self, r: Request<pb::ModelReadyRequest>) -> Result<Response<pb::ModelReadyResponse>, Status> {
        self.authorize(&r, Group::Health)?;
        let r = r.into_inner();
        self.state.check_model(&r.name, Some(&r.version))?;
        Ok(Response::new(pb::ModelReadyResponse { ready: true }))
    }

    async fn server_metadata(
        &self,
        r: Request<pb::ServerMetadataRequest>,
    ) -> Result<Response<pb::ServerMetadataResponse>, Status> {
        self.authorize(&r, Group::Metadata)?;
        let (name, version, extensions) = crate::SERVER;
        Ok(Response::new(pb::ServerMetadataResponse {
            name: name.into(),
            version: version.into(),
            extensions: extensions.iter().map(|e| e.to_string()).collect(),
        }))
    }

    async fn model_metadata(
        &self,
        r: Request<pb::ModelMetadataRequest>,
    ) -> Result<Response<pb::ModelMetadataResponse>, Status> {
        self.authorize(&r, Group::Metadata)?;
        let r = r.into_inner();
        self.state.check_model(&r.name, Some(&r.version))?;
        let (inputs, outputs) = self.state.tensor_specs();
        Ok(Response::new(pb::ModelMetadataResponse {
            name: r.name,
            versions: vec!["1".into()],
            platform: "onnx".into(),
            inputs: metadata(inputs),
            outputs: metadata(outputs),
        }))
    }

    async fn model_infer(&self, r: Request<pb::ModelInferRequest>) -> Result<Response<pb::ModelInferResponse>, Status> {
        self.authorize(&r, Group::Inference)?;
        let started = Instant::now();
        let answer = self.infer(r.into_inner()).await;
        let failure = answer.as_ref().err().map(|r| match r {
            Refusal::Full | Refusal::Closing => Failure::Rejected,
            Refusal::Ours(_) => Failure::Backend,
            _ => Failure::Other,
        });
        self.state.inference.record(started, failure);
        Ok(Response::new(answer?))
    }
}

impl Grpc {
    /// UNAUTHENTICATED unless `group` is open or the call carries the API key as
    /// `authorization: Bearer KEY` metadata (what tritonclient's `headers=` sends).
    fn authorize<T>(&self, r: &Request<T>, group: Group) -> Result<(), Status> {
        let given = r.metadata().get("authorization").map(|v| v.as_bytes());
        if self.state.config.auth.allows(group, given) {
            return Ok(());
        }
        self.state.unauthorized[1].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let why =
            if given.is_some() { "wrong API key" } else { "this server needs `authorization: Bearer KEY` metadata" };
        Err(Status::unauthenticated(why))
    }

    async fn infer(&self, r: pb::ModelInferRequest) -> Result<pb::ModelInferResponse, Refusal> {
        self.state.check_model(&r.model_name, Some(&r.model_version))?;
        if let Some(o) = r.outputs.iter().find(|o| o.name != OUTPUT) {
            return Err(Refusal::Invalid(format!("unknown output `{}`; the model has `{OUTPUT}`", o.name)));
        }
        let inputs = parse(&r, self.state.model_facts())?;
        let (rows, images) = self.state.infer(inputs).await?;
        let mut raw = Vec::with_capacity(images.len() * 4);
        for v in &images {
            raw.extend_from_slice(&v.to_le_bytes());
        }
        Ok(pb::ModelInferResponse {
            model_name: r.model_name,
            model_version: "1".into(),
            id: r.id,
            parameters: HashMap::new(),
            outputs: vec![InferOutputTensor {
                name: OUTPUT.into(),
                datatype: OUTPUT_DTYPE.oip().into(),
                shape: dcgan::contract::output_shape(rows as i64).to_vec(),
                parameters: HashMap::new(),
                contents: None,
            }],
            raw_output_contents: vec![raw],
        })
    }
}

/// The request's inputs: tensors (raw or typed contents), or no inputs and the seeded
/// parameters, checked as REST checks them.
fn parse(r: &pb::ModelInferRequest, model: tensors::Model) -> Result<Inputs, tensors::Bad> {
    if r.inputs.is_empty() {
        if !r.raw_input_contents.is_empty() {
            return Err(bad("raw_input_contents without inputs"));
        }
        return tensors::seeded(&parameters(&r.parameters)?, model);
    }
    if !r.raw_input_contents.is_empty() && r.raw_input_contents.len() != r.inputs.len() {
        return Err(bad(format!(
            "{} raw_input_contents for {} inputs: give one per input, or none",
            r.raw_input_contents.len(),
            r.inputs.len()
        )));
    }
    let (mut z, mut labels) = (None, None);
    for (i, t) in r.inputs.iter().enumerate() {
        let header = Header { name: &t.name, datatype: &t.datatype, shape: &t.shape };
        let read = |_| values(t, r.raw_input_contents.get(i));
        match t.name.as_str() {
            INPUT => z = Some(tensors::latents(&header, read, model)?),
            LABEL if model.classes.is_some() => labels = Some(tensors::labels(&header, read, model)?),
            other => return Err(tensors::unknown_input(other, model)),
        }
    }
    tensors::tensors(z, labels, model)
}

/// An input's values: its raw bytes, or the typed contents its datatype uses.
fn values<'a>(t: &InferInputTensor, raw: Option<&'a Vec<u8>>) -> Result<Values<'a>, tensors::Bad> {
    match (raw, &t.contents) {
        (Some(_), Some(_)) => Err(bad(format!("`{}` has both contents and raw_input_contents", t.name))),
        (Some(raw), None) => Ok(Values::Raw(raw)),
        (None, Some(c)) if !c.fp32_contents.is_empty() => Ok(Values::F32(c.fp32_contents.clone())),
        (None, Some(c)) if !c.int64_contents.is_empty() => Ok(Values::I64(c.int64_contents.clone())),
        (None, _) => Err(bad(format!(
            "`{}` has no values: give raw_input_contents, or contents.fp32_contents (z) / int64_contents (label)",
            t.name
        ))),
    }
}

/// gRPC parameters as the JSON the REST path reads (`digits` may come as text, "3,1,4").
fn parameters(p: &HashMap<String, pb::InferParameter>) -> Result<Map<String, Value>, tensors::Bad> {
    p.iter()
        .map(|(k, v)| {
            let value = match &v.parameter_choice {
                Some(ParameterChoice::BoolParam(b)) => Value::from(*b),
                Some(ParameterChoice::Int64Param(i)) => Value::from(*i),
                Some(ParameterChoice::Uint64Param(u)) => Value::from(*u),
                Some(ParameterChoice::DoubleParam(d)) => Value::from(*d),
                Some(ParameterChoice::StringParam(s)) => Value::from(s.as_str()),
                None => return Err(bad(format!("parameter `{k}` has no value"))),
            };
            Ok((k.clone(), value))
        })
        .collect()
}
