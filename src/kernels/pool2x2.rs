//! shaders/pool2x2.wgsl: 2x2 stride-2 pooling (max or average), forward and backward.

use super::shape_rules::{holds, multiple_of, positive};
use super::sizes::{FLAT_INDEX_WGSL, WORKGROUP_CONSTANTS, grid_1d};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

pub const SHADER: Shader = Shader {
    name: "pool2x2",
    constants: WORKGROUP_CONSTANTS,
    sources: &[FLAT_INDEX_WGSL, include_str!("../../shaders/pool2x2.wgsl")],
};
/// Shared by every entry: uniform, src (the pooling input), grad (backward only), dst.
const BINDINGS: &[Binding] = &[Uniform, Read, Read, ReadWrite];
pub const MAX_FORWARD: Kernel = Kernel::new("max_pool_forward", &SHADER, "max_forward", BINDINGS);
pub const MAX_BACKWARD: Kernel = Kernel::new("max_pool_backward", &SHADER, "max_backward", BINDINGS);
pub const AVG_FORWARD: Kernel = Kernel::new("avg_pool_forward", &SHADER, "avg_forward", BINDINGS);
pub const AVG_BACKWARD: Kernel = Kernel::new("avg_pool_backward", &SHADER, "avg_backward", BINDINGS);

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

/// input [H][W][C] -> output [H/2][W/2][C] (C a multiple of 4).
pub fn forward(
    gpu: &Gpu,
    kind: Pooling,
    height: u32,
    width: u32,
    channels: u32,
    input: &wgpu::Buffer,
    output: &wgpu::Buffer,
) -> Dispatch {
    let kernel = match kind {
        Pooling::Max => &MAX_FORWARD,
        Pooling::Average => &AVG_FORWARD,
    };
    multiple_of(kernel.name, "channels", channels, 4);
    positive(kernel.name, "the pooled height", height / 2);
    positive(kernel.name, "the pooled width", width / 2);
    let input_len = height as usize * width as usize * channels as usize;
    let threads = (height / 2) as usize * (width / 2) as usize * (channels / 4) as usize;
    holds(kernel.name, "input", input, input_len);
    holds(kernel.name, "output", output, threads * 4);
    let p = params(gpu, height, width, channels);
    // The grad slot is not read by the forward entries; bind the input there too.
    gpu.dispatch(kernel, &[&p, input, input, output], grid_1d(gpu, threads))
}

#[allow(clippy::too_many_arguments)]
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
    let kernel = match kind {
        Pooling::Max => &MAX_BACKWARD,
        Pooling::Average => &AVG_BACKWARD,
    };
    multiple_of(kernel.name, "channels", channels, 4);
    positive(kernel.name, "the pooled height", height / 2);
    positive(kernel.name, "the pooled width", width / 2);
    let threads = height as usize * width as usize * (channels / 4) as usize;
    holds(kernel.name, "input", input, threads * 4);
    holds(
        kernel.name,
        "grad_output",
        grad_output,
        (height / 2) as usize * (width / 2) as usize * channels as usize,
    );
    holds(kernel.name, "grad_input", grad_input, threads * 4);
    let p = params(gpu, height, width, channels);
    gpu.dispatch(kernel, &[&p, input, grad_output, grad_input], grid_1d(gpu, threads))
}
