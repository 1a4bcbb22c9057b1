//! shaders/loss_reduce.wgsl: the loss partials summed into (content, style, tv, total).

use crate::gpu::{Dispatch, Gpu};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    content_begin: u32,
    style_begin: u32,
    tv_begin: u32,
    end: u32,
}

/// `ranges` = [content_begin, style_begin, tv_begin, end] into `partials`; losses gets 4 f32.
pub fn loss_reduce(gpu: &Gpu, ranges: [u32; 4], partials: &wgpu::Buffer, losses: &wgpu::Buffer) -> Dispatch {
    let p = gpu.uniform(
        "loss_reduce",
        &Params {
            content_begin: ranges[0],
            style_begin: ranges[1],
            tv_begin: ranges[2],
            end: ranges[3],
        },
    );
    gpu.kernels
        .loss_reduce
        .dispatch(&gpu.device, &[&p, partials, losses], [1, 1, 1])
}
