//! Every test of tests/filter_conv.rs again, on a GPU whose shaders are compiled without wgpu's runtime
//! checks (`ShaderChecks::NONE`), the mode the benchmark measures: an index a convolution fails to guard
//! reads or writes out of bounds instead of being clamped or dropped, and the NaN-filled outputs and untouched
//! sentinels show it.
#![cfg(not(target_arch = "wasm32"))]

#[path = "filter_conv.rs"]
mod filter_conv;
