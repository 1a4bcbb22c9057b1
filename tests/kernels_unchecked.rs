//! Every test of tests/kernels.rs again, on a GPU whose shaders are compiled without wgpu's runtime checks
//! (`ShaderChecks::NONE`), the mode the benchmark measures. There an index a kernel fails to guard reads
//! or writes out of bounds instead of being clamped or dropped, and the same comparisons with the CPU reference
//! (with their NaN-filled outputs and untouched sentinels) show it. tests/common picks the mode from this binary's
//! name; `shader_mode_follows_the_test_binary` checks that it did.
#![cfg(not(target_arch = "wasm32"))]

#[path = "kernels.rs"]
mod kernels;
