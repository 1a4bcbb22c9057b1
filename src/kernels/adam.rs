//! shaders/adam.wgsl: Adam on pixels (clamped to [0, 1]) or weights (given bounds), step counter kept on the GPU.

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
    lo: f32,
    hi: f32,
    _pad: u32,
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

/// The two dispatches of one Adam step on pixels: advance t, then update every pixel, clamped to [0, 1].
/// `count` is in vec4 units (pixels): grad, pixels and the state hold 4 * count f32.
pub fn step(
    gpu: &Gpu,
    count: usize,
    lr: f32,
    s: &AdamState,
    grad: &wgpu::Buffer,
    pixels: &wgpu::Buffer,
) -> [Dispatch; 2] {
    step_bounded(gpu, count, lr, s, grad, pixels, 0.0, 1.0)
}

/// The two dispatches of one Adam step on any values (the network's weights): advance t, then update every value,
/// clamped to [lo, hi] (-f32::MAX and f32::MAX leave them free). `count` is in vec4 units: grad, values and the
/// state (`AdamState::new(gpu, count)`) hold 4 * count f32.
#[allow(clippy::too_many_arguments)]
pub fn step_bounded(
    gpu: &Gpu,
    count: usize,
    lr: f32,
    s: &AdamState,
    grad: &wgpu::Buffer,
    values: &wgpu::Buffer,
    lo: f32,
    hi: f32,
) -> [Dispatch; 2] {
    assert!(lo <= hi, "adam: the bounds must be ordered, got [{lo}, {hi}]");
    for (what, buffer) in [("grad", grad), ("values", values), ("m", &s.m), ("v", &s.v)] {
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
            lo,
            hi,
            _pad: 0,
        },
    );
    let buffers = [&p, &s.state, grad, values, &s.m, &s.v];
    [
        gpu.dispatch(&TICK, &buffers, [1, 1, 1]),
        gpu.dispatch(&UPDATE, &buffers, grid_1d(gpu, count)),
    ]
}
