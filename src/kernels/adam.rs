//! shaders/adam.wgsl: Adam on the pixels, clamped to [0, 1], with the step counter kept on the GPU.

use crate::gpu::{Dispatch, Gpu, grid_1d};

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
    pub fn new(gpu: &Gpu, count: usize) -> AdamState {
        AdamState {
            m: gpu.storage("adam m", count * 4),
            v: gpu.storage("adam v", count * 4),
            state: gpu.storage("adam state", 4),
        }
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
        gpu.kernels.adam_tick.dispatch(&gpu.device, &buffers, [1, 1, 1]),
        gpu.kernels.adam_update.dispatch(&gpu.device, &buffers, grid_1d(count)),
    ]
}
