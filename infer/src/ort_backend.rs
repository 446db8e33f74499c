//! The ONNX Runtime backend (CPU or CUDA), through ort with `load-dynamic`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use ort::environment::Environment;
use ort::session::Session;
use ort::value::Tensor;

use crate::chunks::Output;
use crate::{CudaOptions, Device, Error};

/// The library the setup script installed (`.cargo/config.toml` points here at build time).
const SETUP_DYLIB: Option<&str> = option_env!("DCGAN_SETUP_ORT_DYLIB");

/// Where libonnxruntime is taken from: `ORT_DYLIB_PATH`, else the setup's copy.
pub fn dylib_path() -> Result<PathBuf, Error> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        return Ok(PathBuf::from(p));
    }
    SETUP_DYLIB.map(PathBuf::from).filter(|p| p.exists()).ok_or_else(|| {
        Error::BackendUnavailable(
            "ONNX Runtime not found: set ORT_DYLIB_PATH to libonnxruntime.so (e.g. from `pip install onnxruntime==1.31.1`), \
             or run scripts/setup.sh, or use --backend tract"
                .into(),
        )
    })
}

/// The process's ONNX Runtime environment, loaded from [`dylib_path`] on first use.
/// ONNX Runtime allows one per process; every session shares it (an app that builds
/// sessions of its own with the `ort` crate takes this one).
pub fn environment() -> Result<&'static Environment, Error> {
    static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let path = dylib_path().map_err(|e| e.to_string())?;
        let builder =
            ort::init_from(&path).map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", path.display()))?;
        let env = builder.with_name("dcgan-infer").build().map_err(|e| format!("ONNX Runtime: {e}"))?;
        // ONNX Runtime would also log each failure it returns (in colour, on stderr);
        // the error we return carries its text, so a refused file stays one line.
        env.set_log_level(ort::logging::LogLevel::Fatal);
        Ok(env)
    })
    .as_ref()
    .map_err(|e| Error::BackendUnavailable(e.clone()))
}

/// An ONNX Runtime session. `Session::run` needs `&mut`, so it sits behind a mutex: share
/// one between threads (runs serialise; ONNX Runtime parallelises inside each run) or
/// give each thread its own.
///
/// On the CPU, ONNX Runtime's intra-op threads are kept rather than tract's way of
/// single-threaded sessions running row chunks side by side: measured on 2 cores, the
/// intra-op threads are 1.2–1.7× faster at 1 and 25 rows and the side-by-side sessions
/// only 1.05–1.1× faster at 64–256 (`benches/throughput.rs`, case `ort-sessions`).
#[derive(Debug)]
pub struct OrtModel {
    session: Mutex<Session>,
    /// Intra-op threads on the CPU (`None`: ONNX Runtime's default, one per core).
    intra: Option<usize>,
    bytes: Arc<[u8]>,
    device: Device,
    cuda: CudaOptions,
    input: String,
    output: String,
}

/// What to do for CUDA. A CPU-only ONNX Runtime (no `libonnxruntime_providers_cuda.so`
/// beside its library, as `scripts/setup.sh` installs) needs onnxruntime-gpu:
/// `scripts/setup.sh --gpu` installs it and prints the `ORT_DYLIB_PATH` to use. With
/// the GPU build, the CUDA and cuDNN libraries of its nvidia-* wheels
/// (`site-packages/nvidia/*/lib`, beside `onnxruntime/`) must be visible to the dynamic
/// loader, which reads LD_LIBRARY_PATH only when a process starts: the exact value is
/// given.
pub fn cuda_hint() -> String {
    let install = "this ONNX Runtime is the CPU-only build: run scripts/setup.sh --gpu (it installs \
                   onnxruntime-gpu==1.31.1) and set the ORT_DYLIB_PATH it prints";
    let Some(lib) = dylib_path().ok().and_then(|p| p.canonicalize().ok()) else {
        return install.into();
    };
    let has_cuda = lib.parent().is_some_and(|dir| dir.join("libonnxruntime_providers_cuda.so").exists());
    if !has_cuda {
        return format!("{install} (now: {})", lib.display());
    }
    // …/site-packages/onnxruntime/capi/libonnxruntime.so → …/site-packages
    let libs: Vec<String> = lib
        .ancestors()
        .nth(3)
        .and_then(|site| std::fs::read_dir(site.join("nvidia")).ok())
        .map(|entries| {
            let mut dirs: Vec<String> = entries
                .filter_map(|e| e.ok().map(|e| e.path().join("lib")))
                .filter(|p| p.is_dir())
                .map(|p| p.display().to_string())
                .collect();
            dirs.sort();
            dirs
        })
        .unwrap_or_default();
    if libs.is_empty() {
        format!(
            "{} has the CUDA provider but no nvidia-* wheels beside it: use the onnxruntime-gpu that scripts/setup.sh --gpu installs",
            lib.display()
        )
    } else {
        format!(
            "run with LD_LIBRARY_PATH={} (the CUDA and cuDNN libraries of the nvidia-* wheels beside ONNX Runtime)",
            libs.join(":")
        )
    }
}

fn runtime(e: impl std::fmt::Display) -> Error {
    Error::Runtime(format!("onnxruntime: {e}"))
}

impl OrtModel {
    /// A session for ONNX bytes on `device`. CUDA is registered with `error_on_failure`:
    /// when it cannot be had, this fails rather than falling back to the CPU.
    pub fn from_bytes(bytes: &[u8], device: Device, input: &str, output: &str) -> Result<Self, Error> {
        Self::with_cuda_options(bytes, device, CudaOptions::default(), input, output)
    }

    /// [`OrtModel::from_bytes`] with explicit CUDA options.
    pub fn with_cuda_options(
        bytes: &[u8],
        device: Device,
        cuda: CudaOptions,
        input: &str,
        output: &str,
    ) -> Result<Self, Error> {
        let session = Self::session(bytes, device, cuda, None)?;
        Ok(Self {
            session: Mutex::new(session),
            intra: None,
            bytes: bytes.into(),
            device,
            cuda,
            input: input.into(),
            output: output.into(),
        })
    }

    /// Run each model run on `threads` intra-op threads (CPU; the session is rebuilt).
    pub fn with_intra_op_threads(mut self, threads: usize) -> Result<Self, Error> {
        let threads = Some(threads.max(1));
        if self.device == Device::Cpu && self.intra != threads {
            self.session = Mutex::new(Self::session(&self.bytes, self.device, self.cuda, threads)?);
            self.intra = threads;
        }
        Ok(self)
    }

    fn session(bytes: &[u8], device: Device, cuda: CudaOptions, intra: Option<usize>) -> Result<Session, Error> {
        let env = environment()?;
        let mut builder = Session::builder(env).map_err(runtime)?;
        if let Some(threads) = intra {
            builder = builder.with_intra_threads(threads).map_err(runtime)?;
        }
        if let Device::Cuda(id) = device {
            let cuda =
                ort::ep::CUDA::default().with_device_id(id as i32).with_tf32(cuda.tf32).build().error_on_failure();
            builder = builder.with_execution_providers([cuda]).map_err(|e| {
                Error::Cuda(format!(
                    "ONNX Runtime's CUDA provider is not available ({e}); {}, or use --device cpu",
                    cuda_hint()
                ))
            })?;
        }
        builder.commit_from_memory(bytes).map_err(|e| Error::NotOnnx(format!("ONNX Runtime cannot load it: {e}")))
    }

    /// Run on `input` of shape `shape` (batch first) and, for a conditional generator,
    /// one label per row; returns the output's values and shape.
    pub fn run(&self, input: &[f32], shape: &[usize], labels: Option<&[i64]>) -> Result<Output, Error> {
        let x = Tensor::from_array((shape.to_vec(), input.to_vec())).map_err(runtime)?;
        let mut session = self.session.lock().map_err(|_| runtime("a thread panicked while running this session"))?;
        let outputs = match labels {
            None => session.run(ort::inputs![self.input.as_str() => x]),
            Some(l) => {
                let l = Tensor::from_array((vec![l.len()], l.to_vec())).map_err(runtime)?;
                session.run(ort::inputs![self.input.as_str() => x, dcgan::contract::LABEL => l])
            }
        }
        .map_err(runtime)?;
        let (out_shape, data) = outputs[self.output.as_str()].try_extract_tensor::<f32>().map_err(runtime)?;
        let out_shape = out_shape.iter().map(|&d| usize::try_from(d).unwrap_or(0)).collect();
        Ok((data.to_vec(), out_shape))
    }
}
