use crate::gpu::{Dispatch, Gpu};
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape { pub height: u32, pub width: u32, pub cin: u32, pub cout: u32, pub kernel: u32, pub stride: u32 }
impl ConvShape {
    pub fn pad(&self) -> u32 { self.kernel / 2 }
    pub fn out_height(&self) -> u32 { (self.height + 2 * self.pad() - self.kernel) / self.stride + 1 }
    pub fn out_width(&self) -> u32 { (self.width + 2 * self.pad() - self.kernel) / self.stride + 1 }
    pub fn weight_len(&self) -> usize { todo!() }
    pub fn scratch_len(&self) -> usize { todo!() }
    pub fn partials_len(&self) -> usize { todo!() }
}
pub fn forward(_gpu: &Gpu, _s: ConvShape, _x: &wgpu::Buffer, _params: &wgpu::Buffer, _w_offset: u32, _bias_offset: Option<u32>, _y: &wgpu::Buffer) -> Vec<Dispatch> { todo!() }
pub fn backward_input(_gpu: &Gpu, _s: ConvShape, _dy: &wgpu::Buffer, _params: &wgpu::Buffer, _w_offset: u32, _scratch: &wgpu::Buffer, _dx: &wgpu::Buffer, _accumulate: bool) -> Vec<Dispatch> { todo!() }
pub fn weight_grad(_gpu: &Gpu, _s: ConvShape, _x: &wgpu::Buffer, _dy: &wgpu::Buffer, _partials: &wgpu::Buffer, _grads: &wgpu::Buffer, _w_offset: u32, _bias_offset: Option<u32>, _accumulate: bool) -> Vec<Dispatch> { todo!() }
