//! shaders/pool2x2.wgsl: 2x2 stride-2 pooling (max or average), forward and backward.

use crate::gpu::{Dispatch, Gpu, grid_1d};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    height: u32,
    width: u32,
    c4: u32,
    _pad: u32,
}

/// Which pooling VGG uses between blocks: max (as trained) or average (often smoother results).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Pooling {
    #[default]
    Max,
    Average,
}

fn params(gpu: &Gpu, height: u32, width: u32, channels: u32) -> wgpu::Buffer {
    gpu.uniform(
        "pool2x2",
        &Params {
            height,
            width,
            c4: channels / 4,
            _pad: 0,
        },
    )
}

/// input [H][W][C] -> output [H/2][W/2][C]. `unused` fills the grad slot (any buffer).
pub fn forward(
    gpu: &Gpu,
    kind: Pooling,
    height: u32,
    width: u32,
    channels: u32,
    input: &wgpu::Buffer,
    output: &wgpu::Buffer,
) -> Dispatch {
    let p = params(gpu, height, width, channels);
    let kernel = match kind {
        Pooling::Max => &gpu.kernels.max_pool_forward,
        Pooling::Average => &gpu.kernels.avg_pool_forward,
    };
    let threads = (height / 2) as usize * (width / 2) as usize * (channels / 4) as usize;
    // The grad slot is not read by the forward entries; bind the input there too.
    kernel.dispatch(&gpu.device, &[&p, input, input, output], grid_1d(threads))
}

/// input [H][W][C] (the forward input) and grad_output [H/2][W/2][C] -> grad_input [H][W][C] (overwritten).
pub fn backward(
    gpu: &Gpu,
    kind: Pooling,
    height: u32,
    width: u32,
    channels: u32,
    input: &wgpu::Buffer,
    grad_output: &wgpu::Buffer,
    grad_input: &wgpu::Buffer,
) -> Dispatch {
    let p = params(gpu, height, width, channels);
    let kernel = match kind {
        Pooling::Max => &gpu.kernels.max_pool_backward,
        Pooling::Average => &gpu.kernels.avg_pool_backward,
    };
    let threads = height as usize * width as usize * (channels / 4) as usize;
    kernel.dispatch(&gpu.device, &[&p, input, grad_output, grad_input], grid_1d(threads))
}
