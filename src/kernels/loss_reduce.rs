//! shaders/loss_reduce.wgsl: the loss partials summed into (content, style, tv, total).

use super::shape_rules::holds;
use super::sizes::{TREE_SUM_WGSL, WORKGROUP_CONSTANTS};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

/// The values loss_reduce writes, in this order: content, style, tv, total (`session::Losses`).
pub const LOSS_VALUES: usize = 4;
/// Where the total is among them (keep_best.wgsl reads it there).
pub const TOTAL: u32 = 3;

pub const SHADER: Shader = Shader {
    name: "loss_reduce",
    constants: WORKGROUP_CONSTANTS,
    sources: &[TREE_SUM_WGSL, include_str!("../../shaders/loss_reduce.wgsl")],
};
pub const KERNEL: Kernel = Kernel::new("loss_reduce", &SHADER, "main", &[Uniform, Read, ReadWrite]);

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    content_begin: u32,
    style_begin: u32,
    tv_begin: u32,
    end: u32,
}

/// `ranges` = [content_begin, style_begin, tv_begin, end] into `partials`; losses gets LOSS_VALUES f32.
pub fn loss_reduce(gpu: &Gpu, ranges: [u32; 4], partials: &wgpu::Buffer, losses: &wgpu::Buffer) -> Dispatch {
    assert!(
        ranges.is_sorted(),
        "loss_reduce: the ranges' bounds must not decrease, got {ranges:?}"
    );
    holds(KERNEL.name, "partials", partials, ranges[3] as usize);
    holds(KERNEL.name, "losses", losses, LOSS_VALUES);
    let p = gpu.uniform(
        "loss_reduce",
        &Params {
            content_begin: ranges[0],
            style_begin: ranges[1],
            tv_begin: ranges[2],
            end: ranges[3],
        },
    );
    gpu.dispatch(&KERNEL, &[&p, partials, losses], [1, 1, 1])
}
