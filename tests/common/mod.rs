//! Shared test helpers: the GPU, deterministic random tensors, tolerant comparison, and the sample data in ../shared.
#![allow(dead_code)]

pub mod reference;

use artsy::Gpu;

pub fn gpu() -> Gpu {
    pollster::block_on(Gpu::new()).expect("a GPU adapter (install mesa-vulkan-drivers for lavapipe)")
}

/// Deterministic uniform values in [lo, hi).
pub fn random(len: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            lo + (hi - lo) * ((s >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

pub fn read(gpu: &Gpu, buffer: &wgpu::Buffer, len: usize) -> Vec<f32> {
    let mut v = pollster::block_on(gpu.read_f32(buffer)).expect("readback");
    v.truncate(len);
    v
}

/// Asserts |got - want| <= rel * max|want| + abs_floor for every element, reporting the worst one.
pub fn assert_close(what: &str, got: &[f32], want: &[f32], rel: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
    let (mut worst, mut at) = (0.0f32, 0);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let e = (g - w).abs();
        if !(e <= worst) {
            worst = e;
            at = i;
        }
    }
    assert!(
        worst <= rel * scale,
        "{what}: worst error {worst:e} at {at} (got {}, want {}), allowed {:e} = {rel:e} x max|want| {scale:e}",
        got[at],
        want[at],
        rel * scale
    );
}

pub fn shared(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(path)
}
