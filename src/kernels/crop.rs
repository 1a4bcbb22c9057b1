//! shaders/crop.wgsl: the training-photo sampler, a bilinear (optionally mirrored) crop set by a rewritable uniform.

use super::shape_rules::{holds, positive};
use super::sizes::{FLAT_INDEX_WGSL, WORKGROUP_CONSTANTS, grid_1d};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

pub const SHADER: Shader = Shader {
    name: "crop",
    constants: WORKGROUP_CONSTANTS,
    sources: &[FLAT_INDEX_WGSL, include_str!("../../shaders/crop.wgsl")],
};
/// uniform (the output size), uniform (the `Crop`), photos, out.
pub const SAMPLE: Kernel = Kernel::new("crop_sample", &SHADER, "sample", &[Uniform, Uniform, Read, ReadWrite]);

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    size: u32,
    _pad: [u32; 3],
}

/// One crop of one training photo (the layout of shaders/crop.wgsl's `Crop`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Crop {
    /// First pixel of the photo in `photos`.
    pub offset: u32,
    /// Of that photo.
    pub height: u32,
    pub width: u32,
    /// The output is size x size: must be the `size` the dispatch was built with (the kernel indexes its output by
    /// that one, so a different value here never writes outside `out`).
    pub size: u32,
    /// Top-left of the crop in source pixels.
    pub x0: f32,
    pub y0: f32,
    /// Source pixels per output pixel.
    pub step: f32,
    /// 1 mirrors left-right.
    pub flip: u32,
}

/// A uniform buffer for one Crop, rewritable with `write`.
pub fn params_buffer(gpu: &Gpu) -> wgpu::Buffer {
    gpu.uniform("crop", &Crop::default())
}

/// Rewrites the crop `buffer` holds; dispatches submitted after this see the new crop.
pub fn write(gpu: &Gpu, buffer: &wgpu::Buffer, crop: &Crop) {
    gpu.queue.write_buffer(buffer, 0, bytemuck::bytes_of(crop));
}

/// out [size][size] vec4 = bilinear samples of the photo: output pixel (i, j) reads source position
/// (y0 + (i + 0.5) * step - 0.5, x0 + (j' + 0.5) * step - 0.5) with j' = size-1-j when flip, else j; coordinates
/// clamped to the photo.
///
/// `params` is a `params_buffer` (its Crop can change between submissions without a new dispatch); `photos` holds
/// vec4 pixels (r, g, b, 0). Whatever the Crop says, every read stays inside that photo's pixels and inside
/// `photos`, and exactly the size x size pixels of `out` are written (overwritten).
pub fn sample(gpu: &Gpu, params: &wgpu::Buffer, size: u32, photos: &wgpu::Buffer, out: &wgpu::Buffer) -> Dispatch {
    let name = SAMPLE.name;
    positive(name, "size", size);
    let pixels = size as usize * size as usize;
    assert!(
        pixels < u32::MAX as usize,
        "{name}: a {size} x {size} crop does not fit a u32 index"
    );
    assert!(
        params.size() >= std::mem::size_of::<Crop>() as u64,
        "{name}: params must be a Crop uniform (crop::params_buffer)"
    );
    holds(name, "photos", photos, 4);
    holds(name, "out", out, pixels * 4);
    let p = gpu.uniform("crop size", &Params { size, _pad: [0; 3] });
    gpu.dispatch(&SAMPLE, &[&p, params, photos, out], grid_1d(gpu, pixels))
}
