use crate::gpu::{Dispatch, Gpu};
pub fn forward(_gpu: &Gpu, _height: u32, _width: u32, _channels: u32, _x: &wgpu::Buffer, _y: &wgpu::Buffer) -> Dispatch { todo!() }
pub fn backward(_gpu: &Gpu, _height: u32, _width: u32, _channels: u32, _dy: &wgpu::Buffer, _dx: &wgpu::Buffer) -> Dispatch { todo!() }
