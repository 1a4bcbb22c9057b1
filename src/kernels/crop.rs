use crate::gpu::{Dispatch, Gpu};
#[repr(C)] #[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Crop { pub offset: u32, pub height: u32, pub width: u32, pub size: u32, pub x0: f32, pub y0: f32, pub step: f32, pub flip: u32 }
pub fn params_buffer(_gpu: &Gpu) -> wgpu::Buffer { todo!() }
pub fn write(_gpu: &Gpu, _buffer: &wgpu::Buffer, _crop: &Crop) { todo!() }
pub fn sample(_gpu: &Gpu, _params: &wgpu::Buffer, _size: u32, _photos: &wgpu::Buffer, _out: &wgpu::Buffer) -> Dispatch { todo!() }
