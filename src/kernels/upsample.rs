//! shaders/upsample.wgsl: nearest-neighbour 2x upsampling, forward (in f32 or f16) and backward.

use super::precision::{Precision, kernel_pair, shader_pair};
use super::shape_rules::{holds, holds_in, multiple_of, positive, runs_in};
use super::sizes::{FLAT_INDEX_WGSL, WORKGROUP_CONSTANTS, grid_1d};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

/// [f32, f16] modules; the backward runs in f32 only.
static SHADERS: [Shader; 2] = shader_pair!(
    "upsample",
    WORKGROUP_CONSTANTS,
    [FLAT_INDEX_WGSL, include_str!("../../shaders/upsample.wgsl")]
);
const BINDINGS: &[Binding] = &[Uniform, Read, ReadWrite];
pub static FORWARD: [Kernel; 2] = kernel_pair!("upsample_forward", SHADERS, "forward", BINDINGS);
pub static BACKWARD: Kernel = Kernel::new("upsample_backward", &SHADERS[0], "backward", BINDINGS);

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

/// y [2h][2w][c] = x [h][w][c] repeated, both in `precision`; overwrites y.
pub fn forward(
    gpu: &Gpu,
    height: u32,
    width: u32,
    channels: u32,
    precision: Precision,
    x: &wgpu::Buffer,
    y: &wgpu::Buffer,
) -> Dispatch {
    let kernel = precision.pick(&FORWARD);
    let (small, big) = check(kernel.name, height, width, channels);
    runs_in(kernel.name, gpu, precision);
    holds_in(kernel.name, "x", x, small, precision);
    holds_in(kernel.name, "y", y, big, precision);
    let p = params(gpu, height, width, channels);
    gpu.dispatch(kernel, &[&p, x, y], grid_1d(gpu, big / 4))
}

/// dx [h][w][c] = sum of the 4 dy values each x pixel fed; overwrites dx.
pub fn backward(gpu: &Gpu, height: u32, width: u32, channels: u32, dy: &wgpu::Buffer, dx: &wgpu::Buffer) -> Dispatch {
    let (small, big) = check(BACKWARD.name, height, width, channels);
    holds(BACKWARD.name, "dy", dy, big);
    holds(BACKWARD.name, "dx", dx, small);
    let p = params(gpu, height, width, channels);
    gpu.dispatch(&BACKWARD, &[&p, dy, dx], grid_1d(gpu, small / 4))
}
