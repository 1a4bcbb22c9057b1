//! shaders/tv_loss.wgsl: total variation of the pixels (in 0..255 units) with its gradient added to grad.

use crate::gpu::{Dispatch, Gpu};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    height: u32,
    width: u32,
    scale: f32,
    offset: u32,
}

/// Workgroups (and so loss partials) a dispatch over `pixels` uses.
pub fn partial_count(pixels: usize) -> u32 {
    pixels.div_ceil(256).clamp(1, 64) as u32
}

/// grad += d(scale * TV)/d pixels; partials[offset..offset + partial_count] = this workgroup's share of the loss.
#[allow(clippy::too_many_arguments)]
pub fn tv_loss(
    gpu: &Gpu,
    height: u32,
    width: u32,
    scale: f32,
    pixels: &wgpu::Buffer,
    grad: &wgpu::Buffer,
    partials: &wgpu::Buffer,
    offset: u32,
) -> Dispatch {
    let p = gpu.uniform(
        "tv_loss",
        &Params {
            height,
            width,
            scale,
            offset,
        },
    );
    let n = partial_count((height * width) as usize);
    gpu.kernels
        .tv_loss
        .dispatch(&gpu.device, &[&p, pixels, grad, partials], [n, 1, 1])
}
