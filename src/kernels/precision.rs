//! The number format of the filter network's activations and weights in a forward pass: f32, or f16 for applying a
//! filter where the GPU has shader-f16 (half the memory traffic; on many GPUs two multiply-adds per instruction).
//! The kernels that run in both (conv_forward, conv_narrow, instance_norm's forward, upsample, pointwise) are one
//! WGSL text each, compiled twice: after common/precision_f32.wgsl or precision_f16.wgsl, which name the format
//! `Act` / `Act4`. Their sums and statistics stay f32 (each file's header says how).

use crate::gpu::Gpu;

pub const F32_WGSL: &str = include_str!("../../shaders/common/precision_f32.wgsl");
pub const F16_WGSL: &str = include_str!("../../shaders/common/precision_f16.wgsl");

/// The format of a forward pass's activations (and of the weights its convolutions read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    F32,
    F16,
}

impl Precision {
    /// Bytes of one value.
    pub fn bytes(self) -> usize {
        match self {
            Precision::F32 => 4,
            Precision::F16 => 2,
        }
    }

    /// The f32 words (the unit of `Gpu::storage`) a buffer of `values` values takes.
    pub fn words(self, values: usize) -> usize {
        (values * self.bytes()).div_ceil(4)
    }

    /// This format's kernel of a pair declared [f32, f16].
    pub fn pick<T>(self, pair: &[T; 2]) -> &T {
        match self {
            Precision::F32 => &pair[0],
            Precision::F16 => &pair[1],
        }
    }

    /// Whether `gpu` runs kernels in this format.
    pub fn runs_on(self, gpu: &Gpu) -> bool {
        self == Precision::F32 || gpu.has_f16()
    }

    /// The format for applying filters on `gpu`: f16 on a GPU with shader-f16, f32 elsewhere and on CPU
    /// rasterisers (lavapipe, SwiftShader), which emulate f16 with f32 arithmetic and conversions.
    pub fn for_applying(gpu: &Gpu) -> Precision {
        if gpu.has_f16() && !gpu.adapter.is_software {
            Precision::F16
        } else {
            Precision::F32
        }
    }

    /// "f32" or "f16".
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F16 => "f16",
        }
    }

    /// The format named "f32" or "f16".
    pub fn parse(name: &str) -> Option<Precision> {
        [Precision::F32, Precision::F16].into_iter().find(|p| p.name() == name)
    }
}

/// `[f32, f16]` modules of one WGSL text: `Shader`s named NAME and NAME_f16, each with its format's snippet first,
/// then `sources` (shared snippets first, the kernel family's own file last).
macro_rules! shader_pair {
    ($name:literal, $constants:expr, [$($source:expr),+ $(,)?]) => {
        [
            $crate::gpu::Shader {
                name: $name,
                constants: $constants,
                sources: &[$crate::kernels::precision::F32_WGSL, $($source),+],
            },
            $crate::gpu::Shader {
                name: concat!($name, "_f16"),
                constants: $constants,
                sources: &[$crate::kernels::precision::F16_WGSL, $($source),+],
            },
        ]
    };
}
pub(crate) use shader_pair;

/// `[f32, f16]` kernels of one entry of a `shader_pair`: named NAME and NAME_f16.
macro_rules! kernel_pair {
    ($name:literal, $shaders:expr, $entry:literal, $bindings:expr) => {
        [
            $crate::gpu::Kernel::new($name, &$shaders[0], $entry, $bindings),
            $crate::gpu::Kernel::new(concat!($name, "_f16"), &$shaders[1], $entry, $bindings),
        ]
    };
}
pub(crate) use kernel_pair;
