//! shaders/conv3x3.wgsl: 3x3 convolution forward (+ bias + ReLU) and its input gradient (through the ReLU mask).

use crate::gpu::{Dispatch, Gpu, grid_tiles};

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    height: u32,
    width: u32,
    cin: u32,
    cout: u32,
}

/// The shape of one convolution: channels-last, both channel counts multiples of 4.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub height: u32,
    pub width: u32,
    pub cin: u32,
    pub cout: u32,
}

fn params(gpu: &Gpu, height: u32, width: u32, cin: u32, cout: u32) -> wgpu::Buffer {
    gpu.uniform(
        "conv3x3",
        &Params {
            height,
            width,
            cin,
            cout,
        },
    )
}

fn groups(height: u32, width: u32, cout: u32) -> [u32; 3] {
    grid_tiles(cout.div_ceil(64), (height * width).div_ceil(64))
}

/// relu(conv(input, weights) + bias). input [H][W][cin], weights [9][cin][cout], bias [cout], output [H][W][cout].
pub fn forward(
    gpu: &Gpu,
    s: Shape,
    input: &wgpu::Buffer,
    weights: &wgpu::Buffer,
    bias: &wgpu::Buffer,
    output: &wgpu::Buffer,
) -> Dispatch {
    let params = params(gpu, s.height, s.width, s.cin, s.cout);
    gpu.kernels.conv3x3_forward.dispatch(
        &gpu.device,
        &[&params, input, weights, bias, output],
        groups(s.height, s.width, s.cout),
    )
}

/// dLoss/d input from dLoss/d output, masked by output > 0. `s` is the forward shape; `weights_t` is the flipped,
/// transposed copy [9][cout][cin]; grad_output and output are [H][W][cout], grad_input [H][W][cin] (overwritten).
pub fn backward_input(
    gpu: &Gpu,
    s: Shape,
    grad_output: &wgpu::Buffer,
    weights_t: &wgpu::Buffer,
    output: &wgpu::Buffer,
    grad_input: &wgpu::Buffer,
) -> Dispatch {
    // the input gradient is a forward-shaped convolution from cout channels to cin
    let params = params(gpu, s.height, s.width, s.cout, s.cin);
    gpu.kernels.conv3x3_backward_input.dispatch(
        &gpu.device,
        &[&params, grad_output, weights_t, output, grad_input],
        groups(s.height, s.width, s.cin),
    )
}
