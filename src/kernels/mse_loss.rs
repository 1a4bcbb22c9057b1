//! shaders/mse_loss.wgsl: loss = scale * sum (x - t)^2 with its gradient, as per-workgroup partial sums.

use crate::gpu::{Dispatch, Gpu};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    count4: u32,
    scale: f32,
    accumulate: u32,
    offset: u32,
}

/// Workgroups (and so loss partials) a dispatch over `count` values uses.
pub fn partial_count(count: usize) -> u32 {
    (count / 4).div_ceil(256).clamp(1, 64) as u32
}

/// grad (+)= 2 * scale * (x - target); partials[offset..offset + partial_count(count)] = scale * sum (x - target)^2.
#[allow(clippy::too_many_arguments)]
pub fn mse_loss(
    gpu: &Gpu,
    count: usize,
    scale: f32,
    x: &wgpu::Buffer,
    target: &wgpu::Buffer,
    grad: &wgpu::Buffer,
    accumulate: bool,
    partials: &wgpu::Buffer,
    offset: u32,
) -> Dispatch {
    let p = gpu.uniform(
        "mse_loss",
        &Params {
            count4: (count / 4) as u32,
            scale,
            accumulate: accumulate as u32,
            offset,
        },
    );
    gpu.kernels.mse_loss.dispatch(
        &gpu.device,
        &[&p, x, target, grad, partials],
        [partial_count(count), 1, 1],
    )
}
