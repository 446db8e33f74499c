//! ONNX files as messages: the workspace's one copy of ONNX's protobuf types ([`pb`]),
//! which `export` writes models with and the runtime library reads them with, and the
//! screening of a file from a stranger before any runtime sees it ([`screen`]).
//!
//! ```
//! use dcgan_onnx::{decode, pb};
//! use prost::Message;
//!
//! let model = pb::ModelProto { ir_version: 8, ..Default::default() };
//! let decoded = decode(&model.encode_to_vec()).expect("a model with nothing unsafe in it");
//! assert_eq!(decoded.ir_version, 8);
//! assert!(decode(b"\xff\xff not protobuf").is_err());
//! ```

#![deny(missing_docs)]

mod bounds;
pub mod folded;
pub mod pb;
pub mod screen;
mod shape_values;

use prost::Message;

/// Why bytes were not accepted as a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not an ONNX protobuf message.
    #[error("not an ONNX model: {0}")]
    NotOnnx(#[source] prost::DecodeError),
    /// A model that could make a runtime read other files or run graphs the screening
    /// never inspected ([`screen::screen`]).
    #[error("refused: {0}")]
    Refused(String),
}

/// Decode `bytes` as an ONNX model and [`screen`](screen::screen) it.
pub fn decode(bytes: &[u8]) -> Result<pb::ModelProto, Error> {
    let model = pb::ModelProto::decode(bytes).map_err(Error::NotOnnx)?;
    screen::screen(&model)?;
    Ok(model)
}
