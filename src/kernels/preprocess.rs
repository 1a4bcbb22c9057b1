//! shaders/preprocess.wgsl: RGB 0..1 pixels <-> VGG19's Caffe input (BGR, 0..255, mean-subtracted, Cin padded to 4).

use super::shape_rules::holds;
use super::sizes::{FLAT_INDEX_WGSL, WORKGROUP_CONSTANTS, grid_1d};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

pub const SHADER: Shader = Shader {
    name: "preprocess",
    constants: WORKGROUP_CONSTANTS,
    sources: &[FLAT_INDEX_WGSL, include_str!("../../shaders/preprocess.wgsl")],
};
pub const FORWARD: Kernel = Kernel::new("preprocess_forward", &SHADER, "forward", &[Uniform, Read, ReadWrite]);
pub const BACKWARD: Kernel = Kernel::new("preprocess_backward", &SHADER, "backward", &[Uniform, Read, ReadWrite]);

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
    holds(FORWARD.name, "pixels", pixels, count * 4);
    holds(FORWARD.name, "vgg_input", vgg_input, count * 4);
    let params = params(gpu, count);
    gpu.dispatch(&FORWARD, &[&params, pixels, vgg_input], grid_1d(gpu, count))
}

/// dLoss/d vgg_input [P] vec4 -> dLoss/d pixels [P] vec4 (overwritten).
pub fn backward(gpu: &Gpu, grad_input: &wgpu::Buffer, grad_pixels: &wgpu::Buffer, count: usize) -> Dispatch {
    holds(BACKWARD.name, "grad_input", grad_input, count * 4);
    holds(BACKWARD.name, "grad_pixels", grad_pixels, count * 4);
    let params = params(gpu, count);
    gpu.dispatch(&BACKWARD, &[&params, grad_input, grad_pixels], grid_1d(gpu, count))
}
