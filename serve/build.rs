//! Two jobs for `serve`:
//! - finds onnxruntime-web's runtime files in `web/node_modules` (what
//!   `scripts/setup-web.sh` installs) so that `serve` can compile them in: writes
//!   `$OUT_DIR/ort_web.rs` with `ORT_WEB`, the (name, bytes) of each file found — empty,
//!   not an error, when they are absent: then `serve` says what to install;
//! - compiles `proto/grpc_predict_v2.proto` (the Open Inference
//!   Protocol's gRPC API) into Rust with protox, a protobuf compiler in Rust (no protoc),
//!   and tonic's code generator.

use std::path::{Path, PathBuf};

/// What the page loads from `/ort/`: the WASM build's module, its Emscripten glue and
/// the SIMD + threads binary (every other file in dist/ is for other builds).
const FILES: [&str; 3] = ["ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"];

fn main() {
    ort_web();
    grpc();
}

fn grpc() {
    const PROTO: &str = "proto/grpc_predict_v2.proto";
    println!("cargo:rerun-if-changed={PROTO}");
    let descriptors = protox::compile([PROTO], ["proto"]).expect("compiling the gRPC definition");
    tonic_prost_build::configure().build_client(false).compile_fds(descriptors).expect("generating the gRPC service");
}

fn ort_web() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dist = manifest.join("web/node_modules/onnxruntime-web/dist");
    let found: Vec<PathBuf> = FILES.iter().map(|f| dist.join(f)).filter(|p| p.is_file()).collect();
    let complete = found.len() == FILES.len();
    // Watch what would change the answer: the files when they are there, else the folder
    // that `npm ci` fills.
    let watched: Vec<&Path> = if complete { found.iter().map(PathBuf::as_path).collect() } else { vec![&manifest] };
    for path in watched {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let mut code = String::from("/// onnxruntime-web's runtime files, compiled in (none when absent at build time).\n");
    code.push_str("pub(crate) const ORT_WEB: &[(&str, &[u8])] = &[\n");
    if complete {
        for (name, path) in FILES.iter().zip(&found) {
            code.push_str(&format!("    ({name:?}, include_bytes!({:?})),\n", path.display().to_string()));
        }
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("ort_web.rs");
    std::fs::write(&out, code).expect("writing ort_web.rs");
}
