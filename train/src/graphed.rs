//! `train --cuda-graphs`: the training step recorded once as a CUDA graph and replayed
//! for every batch, so that a step costs one launch instead of hundreds.
//!
//! The first [`WARMUP`] steps run eagerly: libtorch allocates the gradients and picks
//! cuDNN's algorithms on first use, which a capture must not see. The next step is
//! captured on static copies of its inputs (the batch and the step's draws) and replayed
//! at once, since a capture records without running; every later step copies its batch
//! and draws into those tensors and replays. Adam and the EMA keep their step counts on
//! the device (`adam.rs`, `ema.rs`) and the latents come from the run's RNG outside the
//! graph, so a graphed run draws the same numbers as an eager one and differs from it
//! only by floating-point order.

use std::cell::{Cell, RefCell};

use cuda_graph::Graph;
use tch::{Device, Tensor};

use crate::Error;
use crate::checkpoint::State;
use crate::draws::Draws;
use crate::step::EpochLoop;

/// Eager steps before the capture.
pub const WARMUP: usize = 3;

/// The captured step and the tensors it reads and writes.
struct Captured {
    graph: Graph,
    x: Tensor,
    y: Option<Tensor>,
    draws: Draws,
    /// The step's statistics, rewritten by every replay.
    stats: Tensor,
}

/// The graph of a run's step, captured after [`WARMUP`] eager steps.
pub struct Graphs {
    device: usize,
    eager: Cell<usize>,
    captured: RefCell<Option<Captured>>,
}

impl Graphs {
    /// Graphs on `device`: refused (the caller's input) on the CPU or in a build whose
    /// libtorch has no CUDA.
    pub fn new(device: Device) -> Result<Self, Error> {
        let Device::Cuda(index) = device else {
            return Err(Error::BadInput("--cuda-graphs needs a CUDA device: add --device cuda, or drop it".into()));
        };
        cuda_graph::available().map_err(|e| Error::BadInput(format!("--cuda-graphs: {e}")))?;
        Ok(Self { device: index, eager: Cell::new(0), captured: RefCell::new(None) })
    }

    /// Drop the captured step: the next steps warm up and capture again.
    pub(crate) fn recapture(&self) {
        self.captured.borrow_mut().take();
        self.eager.set(0);
    }

    /// One training step of `epoch_loop` on batch `x` (labels `y`) with `draws`: eager
    /// during the warm-up, then from the graph. Returns the step's statistics.
    pub(crate) fn step(
        &self,
        epoch_loop: &EpochLoop,
        state: &mut State,
        x: &Tensor,
        y: Option<&Tensor>,
        draws: &Draws,
    ) -> Result<Tensor, Error> {
        let mut captured = self.captured.borrow_mut();
        let c = match captured.take() {
            Some(mut c) => {
                c.load(x, y, draws);
                c.graph.replay().map_err(graph_error)?;
                c
            }
            None if self.eager.get() < WARMUP => {
                self.eager.set(self.eager.get() + 1);
                return Ok(epoch_loop.step(state, x, y, draws));
            }
            None => {
                let (sx, sy, sd) = (x.copy(), y.map(Tensor::copy), draws.copy());
                let (graph, stats) = Graph::capture(self.device, || epoch_loop.step(state, &sx, sy.as_ref(), &sd))
                    .map_err(graph_error)?;
                // Recording ran nothing on the device but counted a step on the host.
                state.opt_d.step -= 1;
                state.opt_g.step -= 1;
                graph.replay().map_err(graph_error)?;
                Captured { graph, x: sx, y: sy, draws: sd, stats }
            }
        };
        state.opt_d.step += 1;
        state.opt_g.step += 1;
        let stats = c.stats.shallow_clone();
        *captured = Some(c);
        Ok(stats)
    }
}

impl Captured {
    /// Copy a step's inputs into the tensors the graph reads.
    fn load(&mut self, x: &Tensor, y: Option<&Tensor>, draws: &Draws) {
        self.x.copy_(x);
        if let (Some(static_y), Some(y)) = (self.y.as_mut(), y) {
            static_y.copy_(y);
        }
        self.draws.copy_from(draws);
    }
}

fn graph_error(e: cuda_graph::Error) -> Error {
    match e {
        cuda_graph::Error::NotBuilt(_) => Error::BadInput(format!("--cuda-graphs: {e}")),
        e => Error::Torch(tch::TchError::Torch(e.to_string())),
    }
}
