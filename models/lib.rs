//! The models this repository ships, as bytes compiled into whatever depends on this
//! crate: the two generators (`MODEL_CARD.md` says how each was trained and how good it
//! is) and the classifier whose features the evaluation measures them in.
//!
//! The files live in `models/` beside this file, the one place a reader finds them;
//! this crate is how a package (`dcgan-infer`, `train`) takes them along.
//!
//! ```
//! // Every ONNX file begins with field 1 (ir_version) as a varint: byte 0x08.
//! assert_eq!(dcgan_models::GEN_ONNX[0], 0x08);
//! assert!(dcgan_models::GEN_COND_ONNX.len() > dcgan_models::GEN_ONNX.len());
//! ```

#![deny(missing_docs)]

/// `models/gen.onnx`: the unconditional generator, z `[N,100]` -> image `[N,1,28,28]`.
pub const GEN_ONNX: &[u8] = include_bytes!("gen.onnx");

/// `models/gen-cond.onnx`: the conditional generator, (z `[N,100]`, label `[N]`) -> image
/// `[N,1,28,28]`.
pub const GEN_COND_ONNX: &[u8] = include_bytes!("gen-cond.onnx");

/// `models/classifier.safetensors`: the small CNN (99.19% MNIST test accuracy) whose
/// 128 penultimate features the Fréchet distance is measured in.
pub const CLASSIFIER: &[u8] = include_bytes!("classifier.safetensors");
