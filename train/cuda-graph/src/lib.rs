//! CUDA graphs for the trainer: a training step recorded once and replayed per batch.
//!
//! A step of this small DCGAN is hundreds of kernel launches of a few microseconds each,
//! so on a GPU the step waits on the CPU that launches them. libtorch records such a
//! sequence as one CUDA graph (`at::cuda::CUDAGraph`), which one call replays; tch has no
//! binding for it, so a C++ shim (`src/shim.cpp`, compiled by `build.rs` against the
//! libtorch `scripts/setup.sh` installs) exposes capture and replay, and [`Graph`] wraps
//! them.
//!
//! What a captured step may do is what CUDA graphs allow: no host reads of device values,
//! no host-to-device copies from pageable memory, the same tensor addresses every replay
//! (inputs are copied into static tensors before each replay). Built against a libtorch
//! without CUDA, the crate still builds and [`Graph::capture`] says why there are none.

use std::ffi::{CStr, c_char, c_int};
#[cfg(cuda_graphs)]
use std::ptr::NonNull;

/// What went wrong with a graph.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// This build has no CUDA graphs (its libtorch has no CUDA).
    #[error(
        "this train was built without CUDA graphs ({0}); rebuild after scripts/setup.sh installs PyTorch with CUDA"
    )]
    NotBuilt(&'static str),
    /// libtorch refused a step of the capture or the replay.
    #[error("CUDA graph {what}: {message}")]
    Cuda {
        /// capture or replay.
        what: &'static str,
        /// libtorch's message.
        message: String,
    },
}

/// Why the shim was not built (empty when it was).
const MISSING: &str = match option_env!("DCGAN_CUDA_GRAPHS_MISSING") {
    Some(why) => why,
    None => "",
};

/// `Ok` when this build can capture graphs (a GPU is still needed to run them).
pub fn available() -> Result<(), Error> {
    if cfg!(cuda_graphs) { Ok(()) } else { Err(Error::NotBuilt(MISSING)) }
}

#[cfg(cuda_graphs)]
#[repr(C)]
struct Shim {
    _opaque: [u8; 0],
}

#[cfg(cuda_graphs)]
unsafe extern "C" {
    fn dcgan_graph_new(out: *mut *mut Shim, err: *mut c_char, len: usize) -> c_int;
    fn dcgan_graph_capture_begin(g: *mut Shim, device: c_int, err: *mut c_char, len: usize) -> c_int;
    fn dcgan_graph_capture_end(g: *mut Shim, err: *mut c_char, len: usize) -> c_int;
    fn dcgan_graph_replay(g: *mut Shim, err: *mut c_char, len: usize) -> c_int;
    fn dcgan_graph_free(g: *mut Shim);
}

/// A recorded sequence of CUDA work, replayed with [`Graph::replay`].
#[derive(Debug)]
pub struct Graph {
    #[cfg(cuda_graphs)]
    shim: NonNull<Shim>,
    /// No graph can exist in a build without them.
    #[cfg(not(cuda_graphs))]
    never: std::convert::Infallible,
}

/// Calls `f` with a buffer for the shim's message; a non-zero status becomes an error.
fn checked(what: &'static str, f: impl FnOnce(*mut c_char, usize) -> c_int) -> Result<(), Error> {
    let mut buf = [0 as c_char; 1024];
    if f(buf.as_mut_ptr(), buf.len()) == 0 {
        return Ok(());
    }
    // SAFETY: the shim writes a NUL-terminated message into `buf` (snprintf), and the
    // buffer starts zeroed, so there is a NUL within it either way.
    let message = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned();
    Err(Error::Cuda { what, message })
}

impl Graph {
    /// Record the CUDA work that `step` queues on device `device`, without running it;
    /// returns the graph and what `step` returned (tensors that live in the graph's
    /// memory and hold its outputs after every replay). The work queued before is
    /// finished first. Run `step` eagerly a few times before (warm-up), so that lazy
    /// allocations and algorithm searches happen outside the capture.
    #[cfg(cuda_graphs)]
    pub fn capture<T>(device: usize, step: impl FnOnce() -> T) -> Result<(Self, T), Error> {
        let mut raw: *mut Shim = std::ptr::null_mut();
        // SAFETY: `dcgan_graph_new` writes a fresh heap object into `raw` or fails.
        checked("creation", |err, len| unsafe { dcgan_graph_new(&mut raw, err, len) })?;
        let graph = Self { shim: NonNull::new(raw).ok_or(Error::NotBuilt("the shim returned no graph"))? };
        let device =
            c_int::try_from(device).map_err(|_| Error::Cuda { what: "capture", message: "device index".into() })?;
        // SAFETY: `graph.shim` is a live graph owned by `graph`; begin and end are paired
        // here, and `step` runs between them on this thread.
        checked("capture", |err, len| unsafe { dcgan_graph_capture_begin(graph.shim.as_ptr(), device, err, len) })?;
        let out = step();
        // SAFETY: as above; the capture begun here ends here.
        checked("capture", |err, len| unsafe { dcgan_graph_capture_end(graph.shim.as_ptr(), err, len) })?;
        Ok((graph, out))
    }

    /// Record the CUDA work that `step` queues (this build has no CUDA graphs: an error).
    #[cfg(not(cuda_graphs))]
    pub fn capture<T>(_device: usize, _step: impl FnOnce() -> T) -> Result<(Self, T), Error> {
        Err(Error::NotBuilt(MISSING))
    }

    /// Run the recorded work again, on the current stream.
    pub fn replay(&self) -> Result<(), Error> {
        #[cfg(cuda_graphs)]
        // SAFETY: `self.shim` is a live, fully captured graph owned by `self`.
        return checked("replay", |err, len| unsafe { dcgan_graph_replay(self.shim.as_ptr(), err, len) });
        #[cfg(not(cuda_graphs))]
        match self.never {}
    }
}

impl Drop for Graph {
    fn drop(&mut self) {
        // SAFETY: `self.shim` came from `dcgan_graph_new` and is freed once, here.
        #[cfg(cuda_graphs)]
        unsafe {
            dcgan_graph_free(self.shim.as_ptr())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shim_is_built_where_libtorch_has_cuda() {
        // CI's libtorch (PyPI's torch 2.11.0) has CUDA: the shim must compile and link
        // there even though no GPU is present. Elsewhere the reason is given.
        match available() {
            Ok(()) => println!("CUDA graphs: built"),
            Err(e) => {
                println!("CUDA graphs: {e}");
                assert!(std::env::var_os("CI").is_none(), "CI builds against CUDA libtorch: {e}");
            }
        }
    }
}
