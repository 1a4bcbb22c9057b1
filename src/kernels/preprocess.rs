//! shaders/preprocess.wgsl: RGB 0..1 pixels <-> VGG19's Caffe input (BGR, 0..255, mean-subtracted, Cin padded to 4).

use crate::gpu::{Dispatch, Gpu, grid_1d};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    count: u32,
    _pad: [u32; 3],
}

fn params(gpu: &Gpu, count: usize) -> wgpu::Buffer {
    gpu.uniform(
        "preprocess",
        &Params {
            count: count as u32,
            _pad: [0; 3],
        },
    )
}

/// pixels [P] vec4 -> vgg_input [P] vec4.
pub fn forward(gpu: &Gpu, pixels: &wgpu::Buffer, vgg_input: &wgpu::Buffer, count: usize) -> Dispatch {
    let params = params(gpu, count);
    gpu.kernels
        .preprocess_forward
        .dispatch(&gpu.device, &[&params, pixels, vgg_input], grid_1d(count))
}

/// dLoss/d vgg_input [P] vec4 -> dLoss/d pixels [P] vec4 (overwritten).
pub fn backward(gpu: &Gpu, grad_input: &wgpu::Buffer, grad_pixels: &wgpu::Buffer, count: usize) -> Dispatch {
    let params = params(gpu, count);
    gpu.kernels
        .preprocess_backward
        .dispatch(&gpu.device, &[&params, grad_input, grad_pixels], grid_1d(count))
}
