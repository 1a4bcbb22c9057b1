//! shaders/gram.wgsl and shaders/gram_backward.wgsl: Gram matrices G = F^T F / (C * P), split along the pixels,
//! and their backward dF (+)= 2 / (C * P) * F * dG, which is the chain rule's F (dG + dG^T) / (C * P) for the
//! symmetric dG the style loss produces.

use super::shape_rules::{holds, multiple_of, positive};
use super::sizes::{FLAT_INDEX_WGSL, GEMM_CONSTANTS, GEMM_TILE_WGSL, TILE, grid_1d, grid_tiles};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

pub const SHADER: Shader = Shader {
    name: "gram",
    constants: GEMM_CONSTANTS,
    sources: &[FLAT_INDEX_WGSL, GEMM_TILE_WGSL, include_str!("../../shaders/gram.wgsl")],
};
pub const BACKWARD_SHADER: Shader = Shader {
    name: "gram_backward",
    constants: GEMM_CONSTANTS,
    sources: &[GEMM_TILE_WGSL, include_str!("../../shaders/gram_backward.wgsl")],
};
/// One split's partial product F^T F over its pixel chunk.
pub const PARTIALS: Kernel = Kernel::new("gram_partials", &SHADER, "partials", &[Uniform, Read, ReadWrite]);
/// The partials summed and normalised.
pub const REDUCE: Kernel = Kernel::new("gram_reduce", &SHADER, "reduce", &[Uniform, Read, ReadWrite]);
pub const BACKWARD: Kernel = Kernel::new(
    "gram_backward",
    &BACKWARD_SHADER,
    "main",
    &[Uniform, Read, Read, ReadWrite],
);

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    pixels: u32,
    channels: u32,
    chunk: u32,
    splits: u32,
    norm: f32,
    _pad: [u32; 3],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct BackwardParams {
    pixels: u32,
    channels: u32,
    alpha: f32,
    accumulate: u32,
}

/// How a Gram matrix of `pixels` x `channels` features is split along the pixels: enough workgroups to fill a GPU
/// at the small deep layers, few enough partial sums to keep the reduce cheap.
#[derive(Clone, Copy, Debug)]
pub struct Split {
    pub chunk: u32,
    pub splits: u32,
}

impl Split {
    pub fn for_shape(pixels: u32, channels: u32) -> Split {
        let tiles = (channels / TILE) * (channels / TILE);
        // aim for ~256 workgroups in all, each walking at least 256 pixels
        let wanted = (256 / tiles).max(1);
        let chunk = pixels.div_ceil(wanted).max(256).next_multiple_of(16);
        Split {
            chunk,
            splits: pixels.div_ceil(chunk).max(1),
        }
    }

    /// f32 values in the partials buffer.
    pub fn partials_len(&self, channels: u32) -> usize {
        self.splits as usize * channels as usize * channels as usize
    }
}

fn params(gpu: &Gpu, pixels: u32, channels: u32, split: Split) -> wgpu::Buffer {
    let norm = 1.0 / (channels as f32 * pixels as f32);
    let (chunk, splits) = (split.chunk, split.splits);
    gpu.uniform(
        "gram",
        &Params {
            pixels,
            channels,
            chunk,
            splits,
            norm,
            _pad: [0; 3],
        },
    )
}

/// The rules of both Gram kernels: channels a multiple of TILE (no channel bound checks in the tiles).
fn check(kernel: &str, pixels: u32, channels: u32) {
    positive(kernel, "pixels", pixels);
    multiple_of(kernel, "channels", channels, TILE);
}

/// features [P][C] -> partials [splits][C][C] (C a multiple of TILE = 64).
pub fn partials(
    gpu: &Gpu,
    pixels: u32,
    channels: u32,
    split: Split,
    features: &wgpu::Buffer,
    partials: &wgpu::Buffer,
) -> Dispatch {
    check(PARTIALS.name, pixels, channels);
    assert!(
        split.chunk > 0 && split.splits * split.chunk >= pixels,
        "gram_partials: {} splits of {} pixels must cover {pixels} pixels",
        split.splits,
        split.chunk
    );
    holds(PARTIALS.name, "features", features, pixels as usize * channels as usize);
    holds(PARTIALS.name, "partials", partials, split.partials_len(channels));
    let p = params(gpu, pixels, channels, split);
    gpu.dispatch(
        &PARTIALS,
        &[&p, features, partials],
        [channels / TILE, channels / TILE, split.splits],
    )
}

/// partials [splits][C][C] -> gram [C][C] = sum / (C * P).
pub fn reduce(
    gpu: &Gpu,
    pixels: u32,
    channels: u32,
    split: Split,
    partials: &wgpu::Buffer,
    gram: &wgpu::Buffer,
) -> Dispatch {
    check(REDUCE.name, pixels, channels);
    holds(REDUCE.name, "partials", partials, split.partials_len(channels));
    holds(REDUCE.name, "gram", gram, (channels * channels) as usize);
    let p = params(gpu, pixels, channels, split);
    gpu.dispatch(
        &REDUCE,
        &[&p, partials, gram],
        grid_1d(gpu, (channels * channels / 4) as usize),
    )
}

/// grad [P][C] (+)= 2 / (C * P) * features [P][C] * d_gram [C][C].
///
/// Contract: `d_gram` is symmetric (up to rounding). The chain rule through G = F^T F / (C * P) gives
/// F (dG + dG^T) / (C * P), which is the above only then; the kernel multiplies by d_gram as stored and never reads
/// its transpose, since the one caller's dG = 2 * scale * (G - A) is a difference of two Gram matrices and so
/// symmetric, and reading the transpose too would add a strided load per staged element of every GEMM step. Given
/// an asymmetric d_gram it computes 2 / (C * P) * F * d_gram, row-major as stored (tests/kernels.rs pins this).
pub fn backward(
    gpu: &Gpu,
    pixels: u32,
    channels: u32,
    features: &wgpu::Buffer,
    d_gram: &wgpu::Buffer,
    grad: &wgpu::Buffer,
    accumulate: bool,
) -> Dispatch {
    check(BACKWARD.name, pixels, channels);
    holds(BACKWARD.name, "features", features, pixels as usize * channels as usize);
    holds(BACKWARD.name, "d_gram", d_gram, (channels * channels) as usize);
    holds(BACKWARD.name, "grad", grad, pixels as usize * channels as usize);
    let p = gpu.uniform(
        "gram_backward",
        &BackwardParams {
            pixels,
            channels,
            alpha: 2.0 / (channels as f32 * pixels as f32),
            accumulate: accumulate as u32,
        },
    );
    gpu.dispatch(
        &BACKWARD,
        &[&p, features, d_gram, grad],
        grid_tiles(gpu, channels, pixels),
    )
}
