//! The GPU side the page holds: the open device, the decoded VGG19 weights (kept to upload again after a lost
//! device) and their copy on the GPU.

use std::cell::RefCell;
use std::sync::Arc;

use crate::{Gpu, GpuWeights, VggWeights};

#[derive(Default)]
pub struct Engine {
    gpu: RefCell<Option<Gpu>>,
    weights: RefCell<Option<VggWeights>>,
    uploaded: RefCell<Option<Arc<GpuWeights>>>,
}

impl Engine {
    /// The open GPU, if any.
    pub fn gpu(&self) -> Option<Gpu> {
        self.gpu.borrow().clone()
    }

    /// Whether a weights file has been accepted (it may not be on a GPU yet).
    pub fn has_weights_file(&self) -> bool {
        self.weights.borrow().is_some()
    }

    /// Whether the weights are on the GPU, so a run can start.
    pub fn has_weights(&self) -> bool {
        self.uploaded.borrow().is_some()
    }

    /// The GPU and the weights on it, when both are there.
    pub fn ready(&self) -> Option<(Gpu, Arc<GpuWeights>)> {
        Some((self.gpu()?, self.uploaded.borrow().clone()?))
    }

    /// Takes a newly opened GPU and uploads the weights kept so far to it.
    pub fn set_gpu(&self, gpu: Gpu) {
        *self.gpu.borrow_mut() = Some(gpu);
        self.upload();
    }

    /// Keeps decoded weights and uploads them when a GPU is open.
    pub fn set_weights(&self, weights: VggWeights) {
        *self.weights.borrow_mut() = Some(weights);
        self.upload();
    }

    /// Forgets the GPU and everything on it (the decoded weights stay, for the next GPU).
    pub fn lose_gpu(&self) {
        *self.gpu.borrow_mut() = None;
        *self.uploaded.borrow_mut() = None;
    }

    // Transfer takes the weights as an Arc (natively they are shared across threads); the page has one thread.
    #[allow(clippy::arc_with_non_send_sync)]
    fn upload(&self) {
        let (gpu, weights) = (self.gpu.borrow(), self.weights.borrow());
        if let (Some(gpu), Some(weights)) = (gpu.as_ref(), weights.as_ref()) {
            *self.uploaded.borrow_mut() = Some(Arc::new(GpuWeights::upload(gpu, weights)));
        }
    }
}
