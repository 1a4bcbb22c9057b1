//! shaders/upsample.wgsl: nearest-neighbour 2x upsampling, forward and backward.

use super::shape_rules::{holds, multiple_of, positive};
use super::sizes::{FLAT_INDEX_WGSL, WORKGROUP_CONSTANTS, grid_1d};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

pub const SHADER: Shader = Shader {
    name: "upsample",
    constants: WORKGROUP_CONSTANTS,
    sources: &[FLAT_INDEX_WGSL, include_str!("../../shaders/upsample.wgsl")],
};
const BINDINGS: &[Binding] = &[Uniform, Read, ReadWrite];
pub const FORWARD: Kernel = Kernel::new("upsample_forward", &SHADER, "forward", BINDINGS);
pub const BACKWARD: Kernel = Kernel::new("upsample_backward", &SHADER, "backward", BINDINGS);

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    height: u32,
    width: u32,
    c4: u32,
    _pad: u32,
}

/// The rules of both entries; returns the element counts of the small and the upsampled tensor.
fn check(kernel: &str, height: u32, width: u32, channels: u32) -> (usize, usize) {
    positive(kernel, "height", height);
    positive(kernel, "width", width);
    multiple_of(kernel, "channels", channels, 4);
    let small = height as usize * width as usize * channels as usize;
    assert!(
        4 * small < u32::MAX as usize,
        "{kernel}: {height} x {width} x {channels} upsampled does not fit a u32 index"
    );
    (small, 4 * small)
}

fn params(gpu: &Gpu, height: u32, width: u32, channels: u32) -> wgpu::Buffer {
    gpu.uniform(
        "upsample",
        &Params {
            height,
            width,
            c4: channels / 4,
            _pad: 0,
        },
    )
}

/// y [2h][2w][c] = x [h][w][c] repeated; overwrites y.
pub fn forward(gpu: &Gpu, height: u32, width: u32, channels: u32, x: &wgpu::Buffer, y: &wgpu::Buffer) -> Dispatch {
    let (small, big) = check(FORWARD.name, height, width, channels);
    holds(FORWARD.name, "x", x, small);
    holds(FORWARD.name, "y", y, big);
    let p = params(gpu, height, width, channels);
    gpu.dispatch(&FORWARD, &[&p, x, y], grid_1d(gpu, big / 4))
}

/// dx [h][w][c] = sum of the 4 dy values each x pixel fed; overwrites dx.
pub fn backward(gpu: &Gpu, height: u32, width: u32, channels: u32, dy: &wgpu::Buffer, dx: &wgpu::Buffer) -> Dispatch {
    let (small, big) = check(BACKWARD.name, height, width, channels);
    holds(BACKWARD.name, "dy", dy, big);
    holds(BACKWARD.name, "dx", dx, small);
    let p = params(gpu, height, width, channels);
    gpu.dispatch(&BACKWARD, &[&p, dy, dx], grid_1d(gpu, small / 4))
}
