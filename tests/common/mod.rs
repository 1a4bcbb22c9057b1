//! Shared test helpers: the GPU, deterministic random tensors, tolerant comparison, and the sample data in ../shared.
#![allow(dead_code)]

pub mod reference;
pub mod tensors;

#[allow(unused_imports)]
pub use tensors::{assert_close, random};

use artsy::Gpu;

pub fn gpu() -> Gpu {
    pollster::block_on(Gpu::new()).expect("a GPU adapter (install mesa-vulkan-drivers for lavapipe)")
}

pub fn read(gpu: &Gpu, buffer: &wgpu::Buffer, len: usize) -> Vec<f32> {
    let mut v = pollster::block_on(gpu.read_f32(buffer)).expect("readback");
    v.truncate(len);
    v
}

pub fn shared(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(path)
}
