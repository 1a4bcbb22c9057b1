//! shaders/adam.wgsl: Adam on the pixels, clamped to [0, 1], with the step counter kept on the GPU.

use super::shape_rules::holds;
use super::sizes::{FLAT_INDEX_WGSL, WORKGROUP_CONSTANTS, grid_1d};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

pub const SHADER: Shader = Shader {
    name: "adam",
    constants: WORKGROUP_CONSTANTS,
    sources: &[FLAT_INDEX_WGSL, include_str!("../../shaders/adam.wgsl")],
};
const BINDINGS: &[Binding] = &[Uniform, ReadWrite, Read, ReadWrite, ReadWrite, ReadWrite];
/// Advances t and the bias corrections (one thread).
pub const TICK: Kernel = Kernel::new("adam_tick", &SHADER, "tick", BINDINGS);
/// Moves every pixel (one thread per pixel).
pub const UPDATE: Kernel = Kernel::new("adam_update", &SHADER, "update", BINDINGS);

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    count: u32,
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    _pad: [u32; 3],
}

/// Adam's buffers for `count` pixels (vec4 each): first and second moments and the GPU-side step state.
pub struct AdamState {
    pub m: wgpu::Buffer,
    pub v: wgpu::Buffer,
    pub state: wgpu::Buffer,
}

impl AdamState {
    /// vec4 vectors of [count] the state holds (m and v).
    pub const VECTORS: u64 = 2;

    pub fn new(gpu: &Gpu, count: usize) -> AdamState {
        AdamState {
            m: gpu.storage("adam m", count * 4),
            v: gpu.storage("adam v", count * 4),
            state: gpu.storage("adam state", 4),
        }
    }

    /// Bytes of GPU memory the state holds.
    pub fn bytes(&self) -> u64 {
        self.m.size() + self.v.size() + self.state.size()
    }

    /// Bytes per pixel the state will hold at any size (for estimates made before allocating).
    pub fn bytes_per_pixel() -> u64 {
        Self::VECTORS * 4 * 4
    }
}

/// The two dispatches of one Adam step: advance t, then update every pixel.
pub fn step(
    gpu: &Gpu,
    count: usize,
    lr: f32,
    s: &AdamState,
    grad: &wgpu::Buffer,
    pixels: &wgpu::Buffer,
) -> [Dispatch; 2] {
    for (what, buffer) in [("grad", grad), ("pixels", pixels), ("m", &s.m), ("v", &s.v)] {
        holds("adam", what, buffer, count * 4);
    }
    let p = gpu.uniform(
        "adam",
        &Params {
            count: count as u32,
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            _pad: [0; 3],
        },
    );
    let buffers = [&p, &s.state, grad, pixels, &s.m, &s.v];
    [
        gpu.dispatch(&TICK, &buffers, [1, 1, 1]),
        gpu.dispatch(&UPDATE, &buffers, grid_1d(count)),
    ]
}
#[allow(clippy::too_many_arguments)]
pub fn step_bounded(_gpu: &Gpu, _count: usize, _lr: f32, _s: &AdamState, _grad: &wgpu::Buffer, _values: &wgpu::Buffer, _lo: f32, _hi: f32) -> [Dispatch; 2] { todo!() }
