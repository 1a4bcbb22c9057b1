//! shaders/keep_best.wgsl: a copy of the pixels with the lowest finite loss seen, kept on the GPU without a stall.

use super::loss_reduce::{LOSS_VALUES, TOTAL};
use super::shape_rules::holds;
use super::sizes::{FLAT_INDEX_WGSL, WORKGROUP_SIZE, grid_1d};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

pub const SHADER: Shader = Shader {
    name: "keep_best",
    constants: &[("WORKGROUP_SIZE", WORKGROUP_SIZE), ("TOTAL", TOTAL)],
    sources: &[FLAT_INDEX_WGSL, include_str!("../../shaders/keep_best.wgsl")],
};
const BINDINGS: &[Binding] = &[Uniform, Read, ReadWrite, Read, ReadWrite];
/// Copies the pixels when the loss is the best so far (one thread per pixel).
pub const COPY: Kernel = Kernel::new("keep_best_copy", &SHADER, "copy", BINDINGS);
/// Records the new best loss (one thread); runs after COPY.
pub const COMMIT: Kernel = Kernel::new("keep_best_commit", &SHADER, "commit", BINDINGS);

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    count: u32,
    _pad: [u32; 3],
}

/// The best picture of `count` pixels (vec4 each) and the loss it had.
pub struct BestPicture {
    pub pixels: wgpu::Buffer,
    /// [4] = (best total loss, 0, 0, 0)
    pub state: wgpu::Buffer,
}

impl BestPicture {
    pub fn new(gpu: &Gpu, count: usize) -> BestPicture {
        let best = BestPicture {
            pixels: gpu.storage("best pixels", count * 4),
            state: gpu.storage("best state", 4),
        };
        best.reset(gpu);
        best
    }

    /// Forgets the best loss (the next finite loss wins); the caller puts the starting picture into `pixels`.
    pub fn reset(&self, gpu: &Gpu) {
        gpu.queue
            .write_buffer(&self.state, 0, bytemuck::cast_slice(&[f32::MAX, 0.0, 0.0, 0.0]));
    }

    pub fn bytes(&self) -> u64 {
        self.pixels.size() + self.state.size()
    }
}

/// The two dispatches that keep `pixels` as the best picture when `losses` (computed on exactly these pixels) is
/// the lowest finite loss so far: the copy, then the commit of the new best.
pub fn keep(
    gpu: &Gpu,
    count: usize,
    losses: &wgpu::Buffer,
    pixels: &wgpu::Buffer,
    best: &BestPicture,
) -> [Dispatch; 2] {
    holds("keep_best", "losses", losses, LOSS_VALUES);
    for (what, buffer) in [("pixels", pixels), ("best", &best.pixels)] {
        holds("keep_best", what, buffer, count * 4);
    }
    let p = gpu.uniform(
        "keep_best",
        &Params {
            count: count as u32,
            _pad: [0; 3],
        },
    );
    let buffers = [&p, losses, &best.state, pixels, &best.pixels];
    [
        gpu.dispatch(&COPY, &buffers, grid_1d(gpu, count)),
        gpu.dispatch(&COMMIT, &buffers, [1, 1, 1]),
    ]
}
