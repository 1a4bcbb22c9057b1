//! shaders/mse_loss.wgsl: loss = scale * sum (x - t)^2 with its gradient, as per-workgroup partial sums.

use super::shape_rules::{holds, multiple_of, positive};
use super::sizes::{TREE_SUM_WGSL, WORKGROUP_CONSTANTS, WORKGROUP_SIZE};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

pub const SHADER: Shader = Shader {
    name: "mse_loss",
    constants: WORKGROUP_CONSTANTS,
    sources: &[TREE_SUM_WGSL, include_str!("../../shaders/mse_loss.wgsl")],
};
pub const KERNEL: Kernel = Kernel::new(
    "mse_loss",
    &SHADER,
    "main",
    &[Uniform, Read, Read, ReadWrite, ReadWrite],
);

/// At most this many workgroups (and so loss partials) per dispatch; they stride over the rest.
const MAX_PARTIALS: usize = 64;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    count4: u32,
    scale: f32,
    accumulate: u32,
    offset: u32,
    target4: u32,
    _pad: [u32; 3],
}

/// Workgroups (and so loss partials) a dispatch over `count` values uses.
pub fn partial_count(count: usize) -> u32 {
    (count / 4).div_ceil(WORKGROUP_SIZE as usize).clamp(1, MAX_PARTIALS) as u32
}

/// grad (+)= 2 * scale * (x - target); partials[offset..offset + partial_count(count)] = scale * sum (x - target)^2.
/// x and grad hold `images` blocks of count / images values (a batch's Gram matrices, say), each measured against
/// the same target of count / images values.
#[allow(clippy::too_many_arguments)]
pub fn mse_loss(
    gpu: &Gpu,
    count: usize,
    images: u32,
    scale: f32,
    x: &wgpu::Buffer,
    target: &wgpu::Buffer,
    grad: &wgpu::Buffer,
    accumulate: bool,
    partials: &wgpu::Buffer,
    offset: u32,
) -> Dispatch {
    positive(KERNEL.name, "images", images);
    multiple_of(KERNEL.name, "count", count as u32, 4 * images);
    let target_count = count / images as usize;
    for (what, buffer, len) in [("x", x, count), ("target", target, target_count), ("grad", grad, count)] {
        holds(KERNEL.name, what, buffer, len);
    }
    let partials_end = (offset + partial_count(count)) as usize;
    holds(KERNEL.name, "partials", partials, partials_end);
    let p = gpu.uniform(
        "mse_loss",
        &Params {
            count4: (count / 4) as u32,
            scale,
            accumulate: accumulate as u32,
            offset,
            target4: (target_count / 4) as u32,
            _pad: [0; 3],
        },
    );
    gpu.dispatch(&KERNEL, &[&p, x, target, grad, partials], [partial_count(count), 1, 1])
}
