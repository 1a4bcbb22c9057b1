//! shaders/frame_unpack.wgsl: a camera frame's rgba8 texels (copied from a texture, rows padded to 256 bytes) ->
//! the filter network's [H][W] vec4 input, resampled to the network's size.

use super::shape_rules::{holds, positive};
use super::sizes::{FLAT_INDEX_WGSL, WORKGROUP_CONSTANTS, grid_1d};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

pub const SHADER: Shader = Shader {
    name: "frame_unpack",
    constants: WORKGROUP_CONSTANTS,
    sources: &[FLAT_INDEX_WGSL, include_str!("../../shaders/frame_unpack.wgsl")],
};
pub const UNPACK: Kernel = Kernel::new("frame_unpack", &SHADER, "unpack", &[Uniform, Read, ReadWrite]);

/// The row pitch of a texture-to-buffer copy: WebGPU wants rows of a multiple of 256 bytes.
pub const ROW_ALIGNMENT: u32 = 256;

/// Bytes per row of a `width`-texel rgba8 frame as copied into a buffer.
pub fn row_bytes(width: u32) -> u32 {
    (width * 4).div_ceil(ROW_ALIGNMENT) * ROW_ALIGNMENT
}

/// A frame of `width` x `height` texels and the network size it is unpacked to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameShape {
    pub src_width: u32,
    pub src_height: u32,
    pub width: u32,
    pub height: u32,
}

impl FrameShape {
    /// Bytes of the buffer the frame is copied into.
    pub fn frame_bytes(&self) -> u64 {
        row_bytes(self.src_width) as u64 * self.src_height as u64
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    width: u32,
    height: u32,
    src_width: u32,
    src_height: u32,
    row_words: u32,
    _pad: [u32; 3],
}

/// frame [src_height][row_bytes / 4] u32 (rgba8) -> dst [height][width] vec4 (r, g, b, 0) in 0..1.
pub fn unpack(gpu: &Gpu, shape: FrameShape, frame: &wgpu::Buffer, dst: &wgpu::Buffer) -> Dispatch {
    for (what, v) in [
        ("width", shape.width),
        ("height", shape.height),
        ("src_width", shape.src_width),
        ("src_height", shape.src_height),
    ] {
        positive(UNPACK.name, what, v);
    }
    let pixels = shape.width as usize * shape.height as usize;
    holds(UNPACK.name, "frame", frame, (shape.frame_bytes() / 4) as usize);
    holds(UNPACK.name, "dst", dst, pixels * 4);
    let params = gpu.uniform(
        "frame_unpack",
        &Params {
            width: shape.width,
            height: shape.height,
            src_width: shape.src_width,
            src_height: shape.src_height,
            row_words: row_bytes(shape.src_width) / 4,
            _pad: [0; 3],
        },
    );
    gpu.dispatch(&UNPACK, &[&params, frame, dst], grid_1d(gpu, pixels))
}
