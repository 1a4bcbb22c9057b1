//! shaders/gram.wgsl and shaders/gram_backward.wgsl: Gram matrices G = F^T F / (C * P), split along the pixels,
//! and their backward dF += 2 / (C * P) * F * dG.

use crate::gpu::{Dispatch, Gpu, grid_1d, grid_tiles};

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
        let tiles = (channels / 64) * (channels / 64);
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

/// features [P][C] -> partials [splits][C][C] (C a multiple of 64).
pub fn partials(
    gpu: &Gpu,
    pixels: u32,
    channels: u32,
    split: Split,
    features: &wgpu::Buffer,
    partials: &wgpu::Buffer,
) -> Dispatch {
    let p = params(gpu, pixels, channels, split);
    gpu.kernels.gram_partials.dispatch(
        &gpu.device,
        &[&p, features, partials],
        [channels / 64, channels / 64, split.splits],
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
    let p = params(gpu, pixels, channels, split);
    gpu.kernels.gram_reduce.dispatch(
        &gpu.device,
        &[&p, partials, gram],
        grid_1d((channels * channels / 4) as usize),
    )
}

/// grad [P][C] (+)= 2 / (C * P) * features [P][C] * d_gram [C][C] (d_gram symmetric).
pub fn backward(
    gpu: &Gpu,
    pixels: u32,
    channels: u32,
    features: &wgpu::Buffer,
    d_gram: &wgpu::Buffer,
    grad: &wgpu::Buffer,
    accumulate: bool,
) -> Dispatch {
    let p = gpu.uniform(
        "gram_backward",
        &BackwardParams {
            pixels,
            channels,
            alpha: 2.0 / (channels as f32 * pixels as f32),
            accumulate: accumulate as u32,
        },
    );
    gpu.kernels.gram_backward.dispatch(
        &gpu.device,
        &[&p, features, d_gram, grad],
        grid_tiles(channels / 64, pixels.div_ceil(64)),
    )
}
