//! The shape rules the kernels rely on, asserted by the wrappers before a dispatch is built. Every index in
//! shaders/ is guarded and every divisor is positive given these rules, which is what makes leaving out wgpu's
//! runtime checks (`gpu::ShaderChecks`: the loop bounds and division guards by default, the bounds checks too in
//! `Gpu::new_unchecked`) safe; a broken rule is a bug in the caller, so it panics with the rule's name.

use super::precision::Precision;
use crate::gpu::Gpu;

/// `value` is a multiple of `multiple` (e.g. channels of 4, read as vec4; Gram channels of TILE).
pub fn multiple_of(kernel: &str, what: &str, value: u32, multiple: u32) {
    assert!(
        value.is_multiple_of(multiple) && value > 0,
        "{kernel}: {what} must be a positive multiple of {multiple}, got {value}"
    );
}

/// `buffer` holds at least `floats` f32 values.
pub fn holds(kernel: &str, what: &str, buffer: &wgpu::Buffer, floats: usize) {
    holds_in(kernel, what, buffer, floats, Precision::F32);
}

/// `buffer` holds at least `values` values in `precision` (f32 or f16).
pub fn holds_in(kernel: &str, what: &str, buffer: &wgpu::Buffer, values: usize, precision: Precision) {
    let needed = (values * precision.bytes()) as u64;
    let unit = match precision {
        Precision::F32 => "floats",
        Precision::F16 => "f16 values",
    };
    assert!(
        buffer.size() >= needed,
        "{kernel}: {what} must hold {values} {unit} ({needed} bytes), it has {} bytes",
        buffer.size()
    );
}

/// `gpu` runs kernels in `precision` (f16 needs shader-f16).
pub fn runs_in(kernel: &str, gpu: &Gpu, precision: Precision) {
    assert!(
        precision.runs_on(gpu),
        "{kernel}: this device has no {} kernels",
        precision.name()
    );
}

/// A size that must not be zero (an image side, a pixel count).
pub fn positive(kernel: &str, what: &str, value: u32) {
    assert!(value > 0, "{kernel}: {what} must be above 0");
}
