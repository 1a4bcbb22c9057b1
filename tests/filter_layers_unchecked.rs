//! Every test of tests/filter_layers.rs again, on a GPU whose shaders are compiled without wgpu's runtime
//! checks (`ShaderChecks::NONE`), the mode the benchmark measures: there an index a kernel fails to guard
//! (the crop's reads above all, whose parameters the kernel cannot trust) reads or writes out of bounds instead of
//! being clamped or dropped, and the NaN-filled outputs and untouched sentinels show it.
#![cfg(not(target_arch = "wasm32"))]

#[path = "filter_layers.rs"]
mod filter_layers;
