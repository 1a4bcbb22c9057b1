//! Shared test helpers: the GPU, deterministic random tensors, tolerant comparison, and the sample data in assets/.
#![allow(dead_code)]

pub mod conv_reference;
pub mod layer_reference;
pub mod reference;
pub mod tensors;

#[allow(unused_imports)]
pub use tensors::{assert_close, f32s, f64s, max_abs_diff, pad_channels, random};

use std::sync::Arc;

use artsy::gpu::ShaderChecks;
use artsy::{Gpu, GpuOptions, GpuWeights, VggWeights};

/// The GPU with every kernel in f32: the tests compare the f32 kernels at f32 tolerances (tests/tensor_cores.rs
/// covers the tensor-core convolution). In a test binary whose name ends in `_unchecked` (tests/kernels_unchecked.rs
/// runs tests/kernels.rs so) its shaders are compiled without wgpu's runtime bounds checks, the benchmark's mode.
pub fn gpu() -> Gpu {
    open(false)
}

/// The GPU with the tensor-core convolution where the adapter has it (`gpu.tensor_cores()` says).
pub fn gpu_with_tensor_cores() -> Gpu {
    open(true)
}

fn open(tensor_cores: bool) -> Gpu {
    pollster::block_on(Gpu::open_with(GpuOptions {
        tensor_cores,
        shader_checks: if unchecked() {
            ShaderChecks::NONE
        } else {
            ShaderChecks::default()
        },
        ..GpuOptions::default()
    }))
    .expect("a GPU adapter (install mesa-vulkan-drivers for lavapipe)")
}

/// Whether this test binary runs its shaders without runtime bounds checks: those named `*_unchecked` do.
pub fn unchecked() -> bool {
    env!("CARGO_CRATE_NAME").ends_with("_unchecked")
}

/// Whether a test that needs `feature` ("f16", "tensor-cores") runs: `present` says whether this adapter has it.
/// Where it has not, the test says so and is skipped, unless the environment variable ARTSY_REQUIRE names the
/// feature (`ARTSY_REQUIRE=f16,tensor-cores`, as tests/lavapipe_coop.sh and the GPU machine's scripts set it):
/// then a missing feature fails the test instead of letting it pass without running.
pub fn feature_present(gpu: &Gpu, feature: &str, present: bool) -> bool {
    if present {
        return true;
    }
    let required = std::env::var("ARTSY_REQUIRE").unwrap_or_default();
    assert!(
        !required.split(',').any(|f| f.trim() == feature),
        "{} has no {feature}, which ARTSY_REQUIRE={required} requires",
        gpu.adapter.name
    );
    eprintln!("skipped: {} has no {feature}", gpu.adapter.name);
    false
}

/// Whether `gpu` runs shaders in f16 (`feature_present` for "f16").
pub fn has_f16(gpu: &Gpu) -> bool {
    feature_present(gpu, "f16", gpu.has_f16())
}

pub fn read(gpu: &Gpu, buffer: &wgpu::Buffer, len: usize) -> Vec<f32> {
    let mut v = pollster::block_on(gpu.read_f32(buffer)).expect("readback");
    v.truncate(len);
    v
}

/// A file of the repository's assets/: "vgg19/..." (the weights) or "images/..." (the sample pictures). From the
/// folder the test runs in when it has assets/ (a test binary carried to another machine runs in a copy of the
/// checkout there), else from the checkout it was built in.
pub fn asset(path: &str) -> std::path::PathBuf {
    let here = std::path::Path::new("assets").join(path);
    if here.exists() {
        return here;
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(path)
}

/// The repository's VGG19 weights, uploaded to `gpu`.
pub fn gpu_weights(gpu: &Gpu) -> Arc<GpuWeights> {
    let bytes = std::fs::read(asset("vgg19/vgg19-conv-u8.safetensors")).expect("weights (in assets/)");
    Arc::new(GpuWeights::upload(gpu, &VggWeights::from_safetensors(&bytes).unwrap()))
}

/// `values` rounded to f16 (as an f16 buffer of them holds them), widened back to f32.
pub fn round_f16(values: &[f32]) -> Vec<f32> {
    values.iter().map(|&v| half::f16::from_f32(v).to_f32()).collect()
}

/// A storage buffer holding `values` as f16.
pub fn storage_f16(gpu: &Gpu, label: &str, values: &[f32]) -> wgpu::Buffer {
    let halves: Vec<u16> = values.iter().map(|&v| half::f16::from_f32(v).to_bits()).collect();
    let buffer = gpu.storage(label, halves.len().div_ceil(2));
    gpu.queue.write_buffer(&buffer, 0, bytemuck::cast_slice(&halves));
    buffer
}

/// The first `len` values of an f16 buffer, widened to f32.
pub fn read_f16(gpu: &Gpu, buffer: &wgpu::Buffer, len: usize) -> Vec<f32> {
    let words = pollster::block_on(gpu.read_f32(buffer)).expect("readback");
    let halves: &[u16] = bytemuck::cast_slice(&words);
    halves[..len]
        .iter()
        .map(|&h| half::f16::from_bits(h).to_f32())
        .collect()
}
