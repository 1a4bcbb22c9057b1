use crate::gpu::{Dispatch, Gpu};
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NormShape { pub pixels: u32, pub channels: u32 }
impl NormShape { pub fn stats_len(&self) -> usize { todo!() } pub fn partials_len(&self) -> usize { todo!() } }
pub const EPS: f32 = 1e-5;
pub fn forward(_gpu: &Gpu, _s: NormShape, _x: &wgpu::Buffer, _params: &wgpu::Buffer, _gamma_offset: u32, _beta_offset: u32, _relu: bool, _residual: Option<&wgpu::Buffer>, _stats: &wgpu::Buffer, _partials: &wgpu::Buffer, _y: &wgpu::Buffer) -> Vec<Dispatch> { todo!() }
pub fn backward(_gpu: &Gpu, _s: NormShape, _x: &wgpu::Buffer, _y: &wgpu::Buffer, _dy: &wgpu::Buffer, _relu: bool, _params: &wgpu::Buffer, _gamma_offset: u32, _stats: &wgpu::Buffer, _partials: &wgpu::Buffer, _grads: &wgpu::Buffer, _beta_offset: u32, _accumulate: bool, _dx: &wgpu::Buffer) -> Vec<Dispatch> { todo!() }
