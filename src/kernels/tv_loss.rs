//! shaders/tv_loss.wgsl: total variation of the pixels (in 0..255 units) with its gradient added to grad.

use super::shape_rules::{holds, positive};
use super::sizes::{TREE_SUM_WGSL, WORKGROUP_CONSTANTS, WORKGROUP_SIZE};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

pub const SHADER: Shader = Shader {
    name: "tv_loss",
    constants: WORKGROUP_CONSTANTS,
    sources: &[TREE_SUM_WGSL, include_str!("../../shaders/tv_loss.wgsl")],
};
pub const KERNEL: Kernel = Kernel::new("tv_loss", &SHADER, "main", &[Uniform, Read, ReadWrite, ReadWrite]);

/// At most this many workgroups (and so loss partials) per dispatch; they stride over the rest.
const MAX_PARTIALS: usize = 64;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    height: u32,
    width: u32,
    scale: f32,
    offset: u32,
    images: u32,
    _pad: [u32; 3],
}

/// Workgroups (and so loss partials) a dispatch over `pixels` uses.
pub fn partial_count(pixels: usize) -> u32 {
    pixels.div_ceil(WORKGROUP_SIZE as usize).clamp(1, MAX_PARTIALS) as u32
}

/// grad += d(scale * TV)/d pixels; partials[offset..offset + partial_count] = this workgroup's share of the loss.
/// `pixels` holds `images` pictures of `height` x `width` stacked along the rows, each measured on its own.
#[allow(clippy::too_many_arguments)]
pub fn tv_loss(
    gpu: &Gpu,
    images: u32,
    height: u32,
    width: u32,
    scale: f32,
    pixels: &wgpu::Buffer,
    grad: &wgpu::Buffer,
    partials: &wgpu::Buffer,
    offset: u32,
) -> Dispatch {
    positive(KERNEL.name, "height", height);
    positive(KERNEL.name, "width", width);
    positive(KERNEL.name, "images", images);
    let count = images as usize * (height * width) as usize;
    holds(KERNEL.name, "pixels", pixels, count * 4);
    holds(KERNEL.name, "grad", grad, count * 4);
    let partials_end = (offset + partial_count(count)) as usize;
    holds(KERNEL.name, "partials", partials, partials_end);
    let p = gpu.uniform(
        "tv_loss",
        &Params {
            height,
            width,
            scale,
            offset,
            images,
            _pad: [0; 3],
        },
    );
    let n = partial_count(count);
    gpu.dispatch(&KERNEL, &[&p, pixels, grad, partials], [n, 1, 1])
}
