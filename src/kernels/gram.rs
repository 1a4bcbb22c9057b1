//! shaders/gram.wgsl and shaders/gram_backward.wgsl: Gram matrices G = F^T F / (C * P), split along the pixels,
//! and their backward dF (+)= 2 / (C * P) * F * dG, which is the chain rule's F (dG + dG^T) / (C * P) for the
//! symmetric dG the style loss produces; one per image of a batch.

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
    images: u32,
    _pad: [u32; 2],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct BackwardParams {
    pixels: u32,
    channels: u32,
    alpha: f32,
    accumulate: u32,
    images: u32,
    _pad: [u32; 3],
}

/// The feature maps a Gram kernel reads: `images` maps of `pixels` x `channels`, one after another
/// ([images][pixels][channels]); each has its own Gram matrix.
#[derive(Clone, Copy, Debug)]
pub struct Features {
    pub images: u32,
    pub pixels: u32,
    pub channels: u32,
}

impl Features {
    /// One map of `pixels` x `channels`.
    pub fn one(pixels: u32, channels: u32) -> Features {
        Features {
            images: 1,
            pixels,
            channels,
        }
    }

    /// How each map is split along its pixels.
    pub fn split(&self) -> Split {
        Split::for_images(self.images, self.pixels, self.channels)
    }

    /// f32 values in the partials buffer of `split`.
    pub fn partials_len(&self, split: Split) -> usize {
        self.images as usize * split.partials_len(self.channels)
    }

    /// f32 values of the maps.
    pub fn values(&self) -> usize {
        self.images as usize * self.pixels as usize * self.channels as usize
    }

    /// f32 values of the Gram matrices, [images][C][C].
    pub fn grams_len(&self) -> usize {
        self.images as usize * (self.channels * self.channels) as usize
    }
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
        Split::for_images(1, pixels, channels)
    }

    /// The split of each of `images` maps.
    pub fn for_images(images: u32, pixels: u32, channels: u32) -> Split {
        let tiles = (channels / TILE) * (channels / TILE) * images;
        // aim for ~256 workgroups in all, each walking at least 256 pixels
        let wanted = (256 / tiles).max(1);
        let chunk = pixels.div_ceil(wanted).max(256).next_multiple_of(16);
        Split {
            chunk,
            splits: pixels.div_ceil(chunk).max(1),
        }
    }

    /// f32 values in the partials buffer of one map.
    pub fn partials_len(&self, channels: u32) -> usize {
        self.splits as usize * channels as usize * channels as usize
    }
}

fn params(gpu: &Gpu, f: Features, split: Split) -> wgpu::Buffer {
    let norm = 1.0 / (f.channels as f32 * f.pixels as f32);
    let (chunk, splits) = (split.chunk, split.splits);
    gpu.uniform(
        "gram",
        &Params {
            pixels: f.pixels,
            channels: f.channels,
            chunk,
            splits,
            norm,
            images: f.images,
            _pad: [0; 2],
        },
    )
}

/// The rules of both Gram kernels: channels a multiple of TILE (no channel bound checks in the tiles).
fn check(kernel: &str, f: Features) {
    positive(kernel, "pixels", f.pixels);
    positive(kernel, "images", f.images);
    multiple_of(kernel, "channels", f.channels, TILE);
}

/// features [images][P][C] -> partials [images][splits][C][C] (C a multiple of TILE = 64).
pub fn partials(gpu: &Gpu, f: Features, split: Split, features: &wgpu::Buffer, partials: &wgpu::Buffer) -> Dispatch {
    check(PARTIALS.name, f);
    assert!(
        split.chunk > 0 && split.splits * split.chunk >= f.pixels,
        "gram_partials: {} splits of {} pixels must cover {} pixels",
        split.splits,
        split.chunk,
        f.pixels
    );
    holds(PARTIALS.name, "features", features, f.values());
    holds(PARTIALS.name, "partials", partials, f.partials_len(split));
    let p = params(gpu, f, split);
    gpu.dispatch(
        &PARTIALS,
        &[&p, features, partials],
        [f.channels / TILE, f.channels / TILE, f.images * split.splits],
    )
}

/// partials [images][splits][C][C] -> grams [images][C][C] = each image's sum / (C * P).
pub fn reduce(gpu: &Gpu, f: Features, split: Split, partials: &wgpu::Buffer, grams: &wgpu::Buffer) -> Dispatch {
    check(REDUCE.name, f);
    holds(REDUCE.name, "partials", partials, f.partials_len(split));
    holds(REDUCE.name, "grams", grams, f.grams_len());
    let p = params(gpu, f, split);
    gpu.dispatch(&REDUCE, &[&p, partials, grams], grid_1d(gpu, f.grams_len() / 4))
}

/// grad [images][P][C] (+)= 2 / (C * P) * features [images][P][C] * d_gram [images][C][C], image by image.
///
/// Contract: `d_gram` is symmetric (up to rounding). The chain rule through G = F^T F / (C * P) gives
/// F (dG + dG^T) / (C * P), which is the above only then; the kernel multiplies by d_gram as stored and never reads
/// its transpose, since the one caller's dG = 2 * scale * (G - A) is a difference of two Gram matrices and so
/// symmetric, and reading the transpose too would add a strided load per staged element of every GEMM step. Given
/// an asymmetric d_gram it computes 2 / (C * P) * F * d_gram, row-major as stored (tests/kernels.rs pins this).
pub fn backward(
    gpu: &Gpu,
    f: Features,
    features: &wgpu::Buffer,
    d_gram: &wgpu::Buffer,
    grad: &wgpu::Buffer,
    accumulate: bool,
) -> Dispatch {
    check(BACKWARD.name, f);
    holds(BACKWARD.name, "features", features, f.values());
    holds(BACKWARD.name, "d_gram", d_gram, f.grams_len());
    holds(BACKWARD.name, "grad", grad, f.values());
    let p = gpu.uniform(
        "gram_backward",
        &BackwardParams {
            pixels: f.pixels,
            channels: f.channels,
            alpha: 2.0 / (f.channels as f32 * f.pixels as f32),
            accumulate: accumulate as u32,
            images: f.images,
            _pad: [0; 3],
        },
    );
    // tiles never straddle two images: each image's pixels round up to whole tiles
    let rows = f.images * f.pixels.div_ceil(TILE) * TILE;
    gpu.dispatch(
        &BACKWARD,
        &[&p, features, d_gram, grad],
        grid_tiles(gpu, f.channels, rows),
    )
}
