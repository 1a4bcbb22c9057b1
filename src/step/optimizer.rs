//! The optimiser's half of a step: its state on the GPU, the dispatches that move the pixels along the gradient,
//! and the memory that state holds.

use crate::gpu::{Dispatch, Gpu};
use crate::kernels::{adam, lbfgs};
use crate::params::Optimizer;

/// L-BFGS's step length: the quasi-Newton step itself after the first step, as in the classic implementations
/// (the first step is scaled down to the gradient's size, see lbfgs.wgsl).
const LBFGS_STEP: f32 = 1.0;

/// The chosen optimiser's state and its update dispatches.
pub enum Update {
    Adam(adam::AdamState, Vec<Dispatch>),
    Lbfgs(lbfgs::LbfgsState),
}

impl Update {
    /// The state for `count` pixels and the dispatches that read `grad` and move `pixels`. `learning_rate` is
    /// Adam's; L-BFGS takes unit steps.
    pub fn new(
        gpu: &Gpu,
        optimizer: Optimizer,
        learning_rate: f32,
        count: usize,
        grad: &wgpu::Buffer,
        pixels: &wgpu::Buffer,
    ) -> Update {
        match optimizer {
            Optimizer::Adam => {
                let state = adam::AdamState::new(gpu, count);
                let dispatches = adam::step(gpu, count, learning_rate, &state, grad, pixels);
                Update::Adam(state, dispatches.to_vec())
            }
            Optimizer::Lbfgs => Update::Lbfgs(lbfgs::LbfgsState::new(gpu, count, LBFGS_STEP, grad, pixels)),
        }
    }

    /// The update dispatches of step `k` (0-based).
    pub fn dispatches(&self, k: u32) -> &[Dispatch] {
        match self {
            Update::Adam(_, d) => d,
            Update::Lbfgs(state) => state.dispatches(k),
        }
    }

    /// Bytes of GPU memory the state holds.
    pub fn bytes(&self) -> u64 {
        match self {
            Update::Adam(state, _) => state.bytes(),
            Update::Lbfgs(state) => state.bytes(),
        }
    }

    /// Bytes per pixel `optimizer`'s state will hold, known before it is built (for `Session::estimate_bytes`).
    pub fn bytes_per_pixel(optimizer: Optimizer) -> u64 {
        match optimizer {
            Optimizer::Adam => adam::AdamState::bytes_per_pixel(),
            Optimizer::Lbfgs => lbfgs::LbfgsState::bytes_per_pixel(),
        }
    }
}
