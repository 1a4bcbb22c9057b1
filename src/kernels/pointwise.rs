//! shaders/pointwise.wgsl and to_f16.wgsl: element-wise kernels: a residual gradient added in, the output sigmoid
//! (from f32 or f16) and its backward, a copy between buffer ranges, and f32 values copied into f16 (the photo and
//! the weights an f16 forward pass reads).

use super::precision::{Precision, kernel_pair, shader_pair};
use super::shape_rules::{holds, holds_in, multiple_of, runs_in};
use super::sizes::{FLAT_INDEX_WGSL, WORKGROUP_CONSTANTS, grid_1d};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

/// [f32, f16] modules: only the sigmoid's forward runs from f16, every other entry in f32.
static SHADERS: [Shader; 2] = shader_pair!(
    "pointwise",
    WORKGROUP_CONSTANTS,
    [FLAT_INDEX_WGSL, include_str!("../../shaders/pointwise.wgsl")]
);
static SHADER_TO_F16: Shader = Shader {
    name: "to_f16",
    constants: WORKGROUP_CONSTANTS,
    sources: &[FLAT_INDEX_WGSL, include_str!("../../shaders/to_f16.wgsl")],
};
/// Shared by every entry: uniform, a, b (sigmoid_backward only), dst.
const BINDINGS: &[Binding] = &[Uniform, Read, Read, ReadWrite];
pub static ADD_INTO: Kernel = Kernel::new("add_into", &SHADERS[0], "add_into", BINDINGS);
/// [from f32, from f16]; the picture is f32 either way.
pub static SIGMOID_FORWARD: [Kernel; 2] = kernel_pair!("sigmoid_forward", SHADERS, "sigmoid_forward", BINDINGS);
pub static SIGMOID_BACKWARD: Kernel = Kernel::new("sigmoid_backward", &SHADERS[0], "sigmoid_backward", BINDINGS);
pub static COPY_RANGE: Kernel = Kernel::new("copy_range", &SHADERS[0], "copy_range", BINDINGS);
pub static TO_F16: Kernel = Kernel::new("to_f16", &SHADER_TO_F16, "to_f16", &[Uniform, Read, ReadWrite]);

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    count4: u32,
    src_at: u32,
    dst_at: u32,
    _pad: u32,
}

fn params(gpu: &Gpu, kernel: &Kernel, count4: usize) -> wgpu::Buffer {
    ranged_params(gpu, kernel, count4, 0, 0)
}

fn ranged_params(gpu: &Gpu, kernel: &Kernel, count4: usize, src_at: usize, dst_at: usize) -> wgpu::Buffer {
    // the last index each side reaches must fit a u32
    for end in [count4, src_at + count4, dst_at + count4] {
        assert!(
            end < u32::MAX as usize,
            "{}: {end} vec4s do not fit a u32 index",
            kernel.name
        );
    }
    gpu.uniform(
        "pointwise",
        &Params {
            count4: count4 as u32,
            src_at: src_at as u32,
            dst_at: dst_at as u32,
            _pad: 0,
        },
    )
}

/// dst[dst_at .. dst_at + count] = src[src_at .. src_at + count] (f32 counts, multiples of 4): a training crop
/// into its place in the batch VGG19 measures, or its share of the batch's gradient back out. Two buffers.
pub fn copy_range(gpu: &Gpu, count: usize, src: (&wgpu::Buffer, usize), dst: (&wgpu::Buffer, usize)) -> Dispatch {
    let name = COPY_RANGE.name;
    let ((src, src_at), (dst, dst_at)) = (src, dst);
    multiple_of(name, "count", count as u32, 4);
    for (what, n) in [("source offset", src_at), ("destination offset", dst_at)] {
        assert!(
            n.is_multiple_of(4),
            "{name}: the {what} must be a multiple of 4, got {n}"
        );
    }
    holds(name, "src", src, src_at + count);
    holds(name, "dst", dst, dst_at + count);
    let p = ranged_params(gpu, &COPY_RANGE, count / 4, src_at / 4, dst_at / 4);
    // b is not read; src is bound there too
    gpu.dispatch(&COPY_RANGE, &[&p, src, src, dst], grid_1d(gpu, count / 4))
}

/// dst += src over `count` f32 (count a multiple of 4): a residual connection's gradient joining the main path's.
pub fn add_into(gpu: &Gpu, count: usize, src: &wgpu::Buffer, dst: &wgpu::Buffer) -> Dispatch {
    let name = ADD_INTO.name;
    assert!(count < u32::MAX as usize, "{name}: count must fit a u32, got {count}");
    multiple_of(name, "count", count as u32, 4);
    holds(name, "src", src, count);
    holds(name, "dst", dst, count);
    let p = params(gpu, &ADD_INTO, count / 4);
    // b is not read; src is bound there too
    gpu.dispatch(&ADD_INTO, &[&p, src, src, dst], grid_1d(gpu, count / 4))
}

/// The network's output squashed into 0..1: y[p] = (sigmoid(z.r), sigmoid(z.g), sigmoid(z.b), 0) over `pixels`
/// vec4 pixels; z in `precision`, y f32.
pub fn sigmoid_forward(gpu: &Gpu, pixels: usize, precision: Precision, z: &wgpu::Buffer, y: &wgpu::Buffer) -> Dispatch {
    let kernel = precision.pick(&SIGMOID_FORWARD);
    let name = kernel.name;
    assert!(pixels > 0, "{name}: pixels must be above 0");
    runs_in(name, gpu, precision);
    holds_in(name, "z", z, pixels * 4, precision);
    holds(name, "y", y, pixels * 4);
    let p = params(gpu, kernel, pixels);
    gpu.dispatch(kernel, &[&p, z, z, y], grid_1d(gpu, pixels))
}

/// dst[..count] = src[..count] as f16 (count a multiple of 4): the photo and the weights of an f16 forward pass.
pub fn to_f16(gpu: &Gpu, count: usize, src: &wgpu::Buffer, dst: &wgpu::Buffer) -> Dispatch {
    let name = TO_F16.name;
    assert!(count < u32::MAX as usize, "{name}: count must fit a u32, got {count}");
    multiple_of(name, "count", count as u32, 4);
    runs_in(name, gpu, Precision::F16);
    holds(name, "src", src, count);
    holds_in(name, "dst", dst, count, Precision::F16);
    let p = params(gpu, &TO_F16, count / 4);
    gpu.dispatch(&TO_F16, &[&p, src, dst], grid_1d(gpu, count / 4))
}

/// dz = dy * y * (1 - y) for r, g, b and 0 for the 4th lane; overwrites dz.
pub fn sigmoid_backward(gpu: &Gpu, pixels: usize, y: &wgpu::Buffer, dy: &wgpu::Buffer, dz: &wgpu::Buffer) -> Dispatch {
    let name = SIGMOID_BACKWARD.name;
    assert!(pixels > 0, "{name}: pixels must be above 0");
    for (what, buffer) in [("y", y), ("dy", dy), ("dz", dz)] {
        holds(name, what, buffer, pixels * 4);
    }
    let p = params(gpu, &SIGMOID_BACKWARD, pixels);
    gpu.dispatch(&SIGMOID_BACKWARD, &[&p, y, dy, dz], grid_1d(gpu, pixels))
}
