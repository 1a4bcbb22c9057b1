//! shaders/conv_forward.wgsl, conv.wgsl, conv_tiled*.wgsl, conv_narrow.wgsl and conv_coop.wgsl: the filter
//! network's reflection-padded convolutions, forward (direct, tiled, narrow or on tensor cores; direct and narrow
//! also in f16), input and weight gradients (direct or tiled).

use std::sync::Mutex;

use super::precision::{F32_WGSL, Precision, kernel_pair, shader_pair};
use super::shape_rules::{holds, holds_in, multiple_of, positive, runs_in};
use super::sizes::{
    CONV_PIXELS, CONV_TILED, CONV_TILED_16_CONSTANTS, CONV_TILED_32_CONSTANTS, CONV_TILED_64_CONSTANTS,
    CONV_TILED_GEMM_WGSL, COOP_GEMM_WGSL, COOP8, COOP8_CONSTANTS, COOP8_MATRICES_WGSL, COOP16, COOP16_CONSTANTS,
    COOP16_MATRICES_WGSL, CoopTiling, FILTER_CONV_WGSL, FLAT_INDEX_WGSL, NARROW_CONSTANTS, NARROW_MAX_KERNEL,
    NARROW_TILE_H, NARROW_TILE_W, PIXEL_GROUP_WGSL, WORKGROUP_SIZE, grid_1d, grid_2d_tiles,
};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

pub const SHADER: Shader = Shader {
    name: "conv",
    constants: &[("WORKGROUP_SIZE", WORKGROUP_SIZE)],
    sources: &[
        F32_WGSL,
        FLAT_INDEX_WGSL,
        FILTER_CONV_WGSL,
        include_str!("../../shaders/conv.wgsl"),
    ],
};
/// The direct forward pass in f32 and f16 (precision::Precision).
static SHADERS_FORWARD: [Shader; 2] = shader_pair!(
    "conv_forward",
    &[("WORKGROUP_SIZE", WORKGROUP_SIZE), ("CONV_PIXELS", CONV_PIXELS)],
    [
        FLAT_INDEX_WGSL,
        FILTER_CONV_WGSL,
        PIXEL_GROUP_WGSL,
        include_str!("../../shaders/conv_forward.wgsl")
    ]
);
/// The 3x3 convolution after a 2x upsampling, as four 2x2 convolutions of the small map: [f32, f16].
static SHADERS_UPSAMPLED: [Shader; 2] = shader_pair!(
    "conv_upsampled",
    &[("WORKGROUP_SIZE", WORKGROUP_SIZE), ("CONV_PIXELS", CONV_PIXELS)],
    [
        FLAT_INDEX_WGSL,
        FILTER_CONV_WGSL,
        PIXEL_GROUP_WGSL,
        include_str!("../../shaders/conv_upsampled.wgsl")
    ]
);
/// One tiled module per tiling (sizes::CONV_TILED) and GEMM: its generated constants, the shared bindings, the
/// tiled GEMM, what A and B are.
macro_rules! tiled_shader {
    ($name:literal, $constants:expr, $gemm:expr) => {
        Shader {
            name: $name,
            constants: $constants,
            sources: &[F32_WGSL, FILTER_CONV_WGSL, CONV_TILED_GEMM_WGSL, $gemm],
        }
    };
}
const TILED_WGSL: &str = include_str!("../../shaders/conv_tiled.wgsl");
const INPUT_GRAD_WGSL: &str = include_str!("../../shaders/conv_tiled_input_grad.wgsl");
const WEIGHT_GRAD_WGSL: &str = include_str!("../../shaders/conv_tiled_weight_grad.wgsl");
static SHADER_TILED_16: Shader = tiled_shader!("conv_tiled_16", CONV_TILED_16_CONSTANTS, TILED_WGSL);
static SHADER_TILED_32: Shader = tiled_shader!("conv_tiled_32", CONV_TILED_32_CONSTANTS, TILED_WGSL);
static SHADER_TILED_64: Shader = tiled_shader!("conv_tiled_64", CONV_TILED_64_CONSTANTS, TILED_WGSL);
static SHADER_INPUT_GRAD_16: Shader = tiled_shader!("conv_input_grad_16", CONV_TILED_16_CONSTANTS, INPUT_GRAD_WGSL);
static SHADER_INPUT_GRAD_32: Shader = tiled_shader!("conv_input_grad_32", CONV_TILED_32_CONSTANTS, INPUT_GRAD_WGSL);
static SHADER_INPUT_GRAD_64: Shader = tiled_shader!("conv_input_grad_64", CONV_TILED_64_CONSTANTS, INPUT_GRAD_WGSL);
static SHADER_WEIGHT_GRAD_16: Shader = tiled_shader!("conv_weight_grad_16", CONV_TILED_16_CONSTANTS, WEIGHT_GRAD_WGSL);
static SHADER_WEIGHT_GRAD_32: Shader = tiled_shader!("conv_weight_grad_32", CONV_TILED_32_CONSTANTS, WEIGHT_GRAD_WGSL);
static SHADER_WEIGHT_GRAD_64: Shader = tiled_shader!("conv_weight_grad_64", CONV_TILED_64_CONSTANTS, WEIGHT_GRAD_WGSL);
static SHADERS_NARROW: [Shader; 2] = shader_pair!(
    "conv_narrow",
    NARROW_CONSTANTS,
    [FILTER_CONV_WGSL, include_str!("../../shaders/conv_narrow.wgsl")]
);
/// The tensor-core module of each matrix size (sizes::COOP16, COOP8): constants, matrix types, bindings, GEMM.
const COOP_WGSL: &str = include_str!("../../shaders/conv_coop.wgsl");
static SHADER_COOP_16: Shader = Shader {
    name: "conv_coop16",
    constants: COOP16_CONSTANTS,
    sources: &[
        F32_WGSL,
        COOP16_MATRICES_WGSL,
        FILTER_CONV_WGSL,
        COOP_GEMM_WGSL,
        COOP_WGSL,
    ],
};
static SHADER_COOP_8: Shader = Shader {
    name: "conv_coop8",
    constants: COOP8_CONSTANTS,
    sources: &[
        F32_WGSL,
        COOP8_MATRICES_WGSL,
        FILTER_CONV_WGSL,
        COOP_GEMM_WGSL,
        COOP_WGSL,
    ],
};
/// Every entry binds (params, src, aux, dst); what each holds is in the shader's header.
const BINDINGS: &[Binding] = &[Uniform, Read, Read, ReadWrite];
/// The forward pass computed directly, CONV_PIXELS pixels x one vec4 of output channels per thread: [f32, f16].
pub static FORWARD: [Kernel; 2] = kernel_pair!("conv_forward", SHADERS_FORWARD, "forward", BINDINGS);
pub static FORWARD_TILED_16: Kernel = Kernel::new("conv_forward_tiled_16", &SHADER_TILED_16, "forward", BINDINGS);
pub static FORWARD_TILED_32: Kernel = Kernel::new("conv_forward_tiled_32", &SHADER_TILED_32, "forward", BINDINGS);
pub static FORWARD_TILED_64: Kernel = Kernel::new("conv_forward_tiled_64", &SHADER_TILED_64, "forward", BINDINGS);
/// The forward pass at stride 1 for kernels up to 9x9, its input staged through workgroup memory (the 9x9 layers,
/// from and to the picture's 4 channels): [f32, f16].
pub static FORWARD_NARROW: [Kernel; 2] = kernel_pair!("conv_forward_narrow", SHADERS_NARROW, "forward", BINDINGS);
/// The 3x3 forward pass over a 2x-upsampled map read from the map itself, and the folding of its weights that it
/// reads: [f32, f16] each.
pub static FORWARD_UPSAMPLED: [Kernel; 2] =
    kernel_pair!("conv_forward_upsampled", SHADERS_UPSAMPLED, "forward", BINDINGS);
pub static FOLD_UPSAMPLED: [Kernel; 2] =
    kernel_pair!("conv_fold_upsampled", SHADERS_UPSAMPLED, "fold_weights", BINDINGS);
pub static FORWARD_COOP_16: Kernel = Kernel::new("conv_forward_coop16", &SHADER_COOP_16, "forward", BINDINGS);
pub static FORWARD_COOP_8: Kernel = Kernel::new("conv_forward_coop8", &SHADER_COOP_8, "forward", BINDINGS);
/// The tiled forward kernels in the order of their tilings, `sizes::CONV_TILED`.
static FORWARD_TILED: [&Kernel; 3] = [&FORWARD_TILED_16, &FORWARD_TILED_32, &FORWARD_TILED_64];
/// The input gradient over the padded input, into the scratch buffer.
pub const BACKWARD_PADDED: Kernel = Kernel::new("conv_backward_padded", &SHADER, "backward_padded", BINDINGS);
/// The padded input gradient folded back onto the input through the reflection.
pub const BACKWARD_FOLD: Kernel = Kernel::new("conv_backward_fold", &SHADER, "backward_fold", BINDINGS);
/// One split's weight and bias gradient over its chunk of output pixels.
pub const WEIGHT_PARTIALS: Kernel = Kernel::new("conv_weight_partials", &SHADER, "weight_partials", BINDINGS);
/// The partials summed into the gradient buffer.
pub const WEIGHT_REDUCE: Kernel = Kernel::new("conv_weight_reduce", &SHADER, "weight_reduce", BINDINGS);
/// The tiled input gradient over the padded input and weight partials, in the order of `sizes::CONV_TILED`.
static INPUT_GRAD_TILED: [Kernel; 3] = [
    Kernel::new(
        "conv_input_grad_tiled_16",
        &SHADER_INPUT_GRAD_16,
        "input_grad",
        BINDINGS,
    ),
    Kernel::new(
        "conv_input_grad_tiled_32",
        &SHADER_INPUT_GRAD_32,
        "input_grad",
        BINDINGS,
    ),
    Kernel::new(
        "conv_input_grad_tiled_64",
        &SHADER_INPUT_GRAD_64,
        "input_grad",
        BINDINGS,
    ),
];
static WEIGHT_PARTIALS_TILED: [Kernel; 3] = [
    Kernel::new(
        "conv_weight_partials_tiled_16",
        &SHADER_WEIGHT_GRAD_16,
        "weight_partials",
        BINDINGS,
    ),
    Kernel::new(
        "conv_weight_partials_tiled_32",
        &SHADER_WEIGHT_GRAD_32,
        "weight_partials",
        BINDINGS,
    ),
    Kernel::new(
        "conv_weight_partials_tiled_64",
        &SHADER_WEIGHT_GRAD_64,
        "weight_partials",
        BINDINGS,
    ),
];

/// The weight gradient aims at about this many threads over all its splits (256 workgroups of 256)...
const WEIGHT_GRAD_THREADS: u32 = 256 * WORKGROUP_SIZE;
/// ... each summing at least this many output pixels.
const MIN_CHUNK: u32 = 64;

/// Shape of one convolution: input [height][width][cin] f32 channels-last, output [out_height][out_width][cout].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape {
    pub height: u32,
    pub width: u32,
    pub cin: u32,
    pub cout: u32,
    pub kernel: u32,
    pub stride: u32,
}

/// How the weight gradient is split along the output pixels: `splits` chunks of `chunk` pixels (the last one
/// shorter), each summed by its own workgroups into its own slice of the partials buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    pub chunk: u32,
    pub splits: u32,
}

impl ConvShape {
    /// kernel / 2, reflection padding.
    pub fn pad(&self) -> u32 {
        self.kernel / 2
    }

    /// (height + 2 pad - kernel) / stride + 1
    pub fn out_height(&self) -> u32 {
        (self.height + 2 * self.pad() - self.kernel) / self.stride + 1
    }

    /// (width + 2 pad - kernel) / stride + 1
    pub fn out_width(&self) -> u32 {
        (self.width + 2 * self.pad() - self.kernel) / self.stride + 1
    }

    /// kernel * kernel * cin * cout
    pub fn weight_len(&self) -> usize {
        (self.kernel * self.kernel) as usize * self.cin as usize * self.cout as usize
    }

    /// Values of the folded weights `ForwardKernel::Upsampled` computes from a 3x3 kernel's: 2 x 2 positions in an
    /// output block x 2 x 2 taps x cin x cout.
    pub fn folded_len(&self) -> usize {
        16 * self.cin as usize * self.cout as usize
    }

    /// f32s of the scratch buffer `backward_input` needs: the padded input [height + 2 pad][width + 2 pad][cin].
    pub fn scratch_len(&self) -> usize {
        self.padded_pixels() as usize * self.cin as usize
    }

    /// Pixels of the reflection-padded input: (height + 2 pad) x (width + 2 pad).
    pub fn padded_pixels(&self) -> u32 {
        (self.height + 2 * self.pad()) * (self.width + 2 * self.pad())
    }

    /// f32s of the partials buffer `ConvWeightGrad` needs: [splits][weight_len + cout].
    pub fn partials_len(&self) -> usize {
        self.split().splits as usize * (self.weight_len() + self.cout as usize)
    }

    /// The weight gradient's split: enough splits that the threads (one per tap x 4 input x 4 output channels in
    /// each) number about WEIGHT_GRAD_THREADS, none shorter than MIN_CHUNK pixels.
    pub fn split(&self) -> Split {
        let pixels = self.out_pixels();
        // (at most 65535 splits, WebGPU's least grid per dimension: a 1x1 layer of 4 channels would want 65536)
        let wanted = (WEIGHT_GRAD_THREADS / self.weight_threads()).clamp(1, 65535);
        let chunk = pixels.div_ceil(wanted).max(MIN_CHUNK);
        Split {
            chunk,
            splits: pixels.div_ceil(chunk).max(1),
        }
    }

    fn out_pixels(&self) -> u32 {
        self.out_height() * self.out_width()
    }

    /// Threads of one weight-gradient split.
    fn weight_threads(&self) -> u32 {
        self.kernel * self.kernel * (self.cin / 4) * (self.cout / 4)
    }

    /// The rules every entry relies on.
    fn check(&self, kernel: &str) {
        positive(kernel, "height", self.height);
        positive(kernel, "width", self.width);
        multiple_of(kernel, "cin", self.cin, 4);
        multiple_of(kernel, "cout", self.cout, 4);
        assert!(
            self.kernel % 2 == 1 && self.kernel <= 9,
            "{kernel}: kernel must be odd and at most 9, got {}",
            self.kernel
        );
        assert!(
            self.stride == 1 || self.stride == 2,
            "{kernel}: stride must be 1 or 2, got {}",
            self.stride
        );
        assert!(
            self.pad() < self.height && self.pad() < self.width,
            "{kernel}: padding {} must be at most height - 1 and width - 1 ({}x{} input)",
            self.pad(),
            self.height,
            self.width
        );
    }

    fn input_len(&self) -> usize {
        self.height as usize * self.width as usize * self.cin as usize
    }

    fn output_len(&self) -> usize {
        self.out_pixels() as usize * self.cout as usize
    }
}

/// `offset` is a multiple of 4 (read as vec4) and `buffer` holds `len` f32 values from it.
fn check_range(kernel: &str, what: &str, buffer: &wgpu::Buffer, offset: u32, len: usize) {
    check_range_in(kernel, what, buffer, offset, len, Precision::F32);
}

/// `check_range` for a buffer of values in `precision`.
fn check_range_in(kernel: &str, what: &str, buffer: &wgpu::Buffer, offset: u32, len: usize, precision: Precision) {
    assert!(
        offset.is_multiple_of(4),
        "{kernel}: {what} offset must be a multiple of 4, got {offset}"
    );
    holds_in(kernel, what, buffer, offset as usize + len, precision);
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    height: u32,
    width: u32,
    cin: u32,
    cout: u32,
    kernel: u32,
    stride: u32,
    pad: u32,
    out_height: u32,
    out_width: u32,
    w_offset: u32,
    bias_offset: u32,
    has_bias: u32,
    accumulate: u32,
    chunk: u32,
    splits: u32,
    _pad: u32,
}

fn params(gpu: &Gpu, s: ConvShape, w_offset: u32, bias_offset: Option<u32>, accumulate: bool) -> wgpu::Buffer {
    let split = s.split();
    gpu.uniform(
        "conv",
        &Params {
            height: s.height,
            width: s.width,
            cin: s.cin,
            cout: s.cout,
            kernel: s.kernel,
            stride: s.stride,
            pad: s.pad(),
            out_height: s.out_height(),
            out_width: s.out_width(),
            w_offset,
            bias_offset: bias_offset.unwrap_or(0),
            has_bias: bias_offset.is_some() as u32,
            accumulate: accumulate as u32,
            chunk: split.chunk,
            splits: split.splits,
            _pad: 0,
        },
    )
}

/// The smallest kernel the engine runs on the narrow convolution: staging pays where taps overlap the most.
const NARROW_FROM_KERNEL: u32 = 5;

/// The kernel that computes a forward convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForwardKernel {
    /// conv_forward.wgsl `forward`: any multiple of 4 output channels.
    Direct,
    /// conv_tiled.wgsl with tiles `tile_n` (16, 32 or 64: sizes::CONV_TILED) output channels wide.
    Tiled { tile_n: u32 },
    /// conv_narrow.wgsl: stride 1, kernels up to sizes::NARROW_MAX_KERNEL, the input staged in workgroup memory
    /// (the 9x9 first and last layers).
    Narrow,
    /// conv_coop.wgsl on tensor cores of `mma` x `mma` x `mma` (16 or 8: sizes::COOP16, COOP8); any multiple of 4
    /// output channels. Only on a device whose `tensor_cores()` are on.
    Coop { mma: u32 },
    /// conv_upsampled.wgsl: a 3x3 stride-1 convolution of a 2x nearest-neighbour upsampling, read from the map
    /// before it (`ConvForward::upsample`) as four 2x2 convolutions; only for such a convolution.
    Upsampled,
}

/// A kind of convolution kernel, as the benchmark forces one on every convolution (forward and, where the family
/// has them, gradients: tensor cores have none, and their gradients take the default, tiled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvFamily {
    Direct,
    Tiled,
    Coop,
}

impl ConvFamily {
    /// "direct", "tiled" or "coop".
    pub fn parse(name: &str) -> Option<ConvFamily> {
        match name {
            "direct" => Some(ConvFamily::Direct),
            "tiled" => Some(ConvFamily::Tiled),
            "coop" => Some(ConvFamily::Coop),
            _ => None,
        }
    }
}

/// The kernel family forced for every convolution (the benchmark's comparison), if any.
static FORCED: Mutex<Option<ConvFamily>> = Mutex::new(None);

fn forced() -> Option<ConvFamily> {
    *FORCED.lock().unwrap_or_else(|e| e.into_inner())
}

impl ConvFamily {
    /// Forces one family of kernels for every convolution set up from now on, forward (`ForwardKernel::choose`)
    /// and gradients (`GradKernel::choose`); None: back to the rules. For the benchmark.
    pub fn force(family: Option<ConvFamily>) {
        *FORCED.lock().unwrap_or_else(|e| e.into_inner()) = family;
    }
}

impl ForwardKernel {
    /// The tiles' widths, widest first.
    pub const TILE_WIDTHS: [u32; 3] = [CONV_TILED[2].tile_n, CONV_TILED[1].tile_n, CONV_TILED[0].tile_n];

    /// The kernel for the convolution `s` in `precision` on `gpu`: on tensor cores where the device runs them (in
    /// f32), else the narrow kernel for the 9x9 layers (to and from the picture's 4 channels, where a GEMM tile
    /// would waste much of its work) and the direct one elsewhere, unless a family is forced: direct everywhere, or
    /// the tiled GEMM in the widest tile that divides `s.cout` (narrow or direct where none does, and in f16;
    /// forcing tensor cores on a device without them keeps this rule). The direct kernel stays the f32 default for
    /// the other layers: on an H200 the tiled one is a draw at 640x480 and slower at 1280x720, on lavapipe 1.5x
    /// slower (README, "Filter networks"). The narrow kernel is not yet timed on a GPU; on SwiftShader it is a
    /// little faster than direct.
    pub fn choose(gpu: &Gpu, s: &ConvShape, precision: Precision) -> ForwardKernel {
        // (the narrow kernel's grid is one workgroup per 32x16 pixels, unfolded: a picture over a million pixels
        // tall would pass the device's grid limit)
        let narrow = ForwardKernel::Narrow;
        let narrow_or_direct = if s.kernel >= NARROW_FROM_KERNEL && narrow.fits(s) && narrow.grid_fits(gpu, s) {
            ForwardKernel::Narrow
        } else {
            ForwardKernel::Direct
        };
        if precision == Precision::F16 {
            return match forced() {
                Some(ConvFamily::Direct) => ForwardKernel::Direct,
                _ => narrow_or_direct,
            };
        }
        match (forced(), gpu.adapter.tensor_cores.tiling()) {
            (Some(ConvFamily::Direct), _) => ForwardKernel::Direct,
            (Some(ConvFamily::Tiled), _) => match Self::tiled(s.cout) {
                ForwardKernel::Direct => narrow_or_direct,
                tiled => tiled,
            },
            (_, Some(t)) => ForwardKernel::Coop { mma: t.mma },
            _ => narrow_or_direct,
        }
    }

    /// The tiled GEMM in the widest tile that divides `cout`, or the direct kernel where none does.
    pub fn tiled(cout: u32) -> ForwardKernel {
        match Self::TILE_WIDTHS.into_iter().find(|&n| cout.is_multiple_of(n)) {
            Some(tile_n) => ForwardKernel::Tiled { tile_n },
            None => ForwardKernel::Direct,
        }
    }

    /// Whether this kernel computes the convolution `s`.
    pub fn fits(self, s: &ConvShape) -> bool {
        match self {
            ForwardKernel::Direct => true,
            ForwardKernel::Tiled { tile_n } => Self::tile_fits(tile_n, s.cout),
            ForwardKernel::Narrow => s.stride == 1 && s.kernel <= NARROW_MAX_KERNEL,
            ForwardKernel::Coop { mma } => Self::coop_tiling(mma).is_some(),
            ForwardKernel::Upsampled => s.kernel == 3 && s.stride == 1,
        }
    }

    /// Whether a tiling `tile_n` wide exists and divides a GEMM `width` channels wide.
    fn tile_fits(tile_n: u32, width: u32) -> bool {
        Self::tiling(tile_n).is_some() && width.is_multiple_of(tile_n)
    }

    /// The tensor-core tiling of matrices `mma` wide.
    fn coop_tiling(mma: u32) -> Option<&'static CoopTiling> {
        [&COOP16, &COOP8].into_iter().find(|t| t.mma == mma)
    }

    /// The index in `sizes::CONV_TILED` of the tiling `tile_n` wide.
    fn tiling(tile_n: u32) -> Option<usize> {
        CONV_TILED.iter().position(|t| t.tile_n == tile_n)
    }

    /// Whether this kernel exists in `precision`: the direct, narrow and upsampled ones in f32 and f16, the others
    /// in f32.
    pub fn runs_in(self, precision: Precision) -> bool {
        matches!(
            self,
            ForwardKernel::Direct | ForwardKernel::Narrow | ForwardKernel::Upsampled
        ) || precision == Precision::F32
    }

    /// The kernel in `precision`; a tiled one must `fit` and a tiled or coop one be f32 (the wrapper asserts both
    /// first).
    fn kernel(self, precision: Precision) -> &'static Kernel {
        match self {
            ForwardKernel::Direct => precision.pick(&FORWARD),
            ForwardKernel::Tiled { tile_n } => FORWARD_TILED[Self::tiling(tile_n).expect("a tiling of that width")],
            ForwardKernel::Narrow => precision.pick(&FORWARD_NARROW),
            ForwardKernel::Coop { mma: 16 } => &FORWARD_COOP_16,
            ForwardKernel::Coop { .. } => &FORWARD_COOP_8,
            ForwardKernel::Upsampled => precision.pick(&FORWARD_UPSAMPLED),
        }
    }

    /// Whether this kernel's grid for `s` is within the device's limit on workgroups per dimension.
    fn grid_fits(self, gpu: &Gpu, s: &ConvShape) -> bool {
        self.groups(gpu, *s).iter().all(|&g| g <= gpu.max_groups())
    }

    fn groups(self, gpu: &Gpu, s: ConvShape) -> [u32; 3] {
        let pixels = s.out_height() * s.out_width();
        match self {
            ForwardKernel::Direct | ForwardKernel::Upsampled => {
                let threads = s.out_height() as usize * s.out_width().div_ceil(CONV_PIXELS) as usize;
                grid_1d(gpu, threads * (s.cout / 4) as usize)
            }
            ForwardKernel::Tiled { tile_n } => {
                let t = &CONV_TILED[Self::tiling(tile_n).expect("a tiling of that width")];
                grid_2d_tiles(gpu, s.cout, pixels, t.tile_n, t.tile_m)
            }
            ForwardKernel::Narrow => [
                s.out_width().div_ceil(NARROW_TILE_W),
                s.out_height().div_ceil(NARROW_TILE_H),
                s.cout / 4,
            ],
            ForwardKernel::Coop { mma } => Self::coop_tiling(mma)
                .expect("a tensor-core tiling of that size")
                .grid(gpu, s.cout, pixels),
        }
    }
}

/// One forward convolution: y = conv(x) (+ bias). Weights are read from `params` at element offset `w_offset`,
/// layout [kernel][kernel][cin][cout] (cout fastest); bias, when `bias_offset` is Some, at
/// params[bias_offset .. + cout]. y is overwritten. x, params and y all hold values in `precision`.
pub struct ConvForward<'a> {
    pub shape: ConvShape,
    /// The convolution's input, [height][width][cin]; with `upsample`, [height / 2][width / 2][cin].
    pub x: &'a wgpu::Buffer,
    /// Some(folded): the convolution (3x3, stride 1, no bias) is over the nearest-neighbour 2x upsampling of `x`
    /// (the shape's height and width, both even), computed from `x` itself by `ForwardKernel::Upsampled`, whose
    /// folded weights go to `folded` (`ConvShape::folded_len` values in `precision`) by a first dispatch.
    pub upsample: Option<&'a wgpu::Buffer>,
    pub params: &'a wgpu::Buffer,
    pub w_offset: u32,
    pub bias_offset: Option<u32>,
    pub y: &'a wgpu::Buffer,
    pub precision: Precision,
}

impl ConvForward<'_> {
    /// The dispatches, by `ForwardKernel::choose`'s kernel, or the upsampled one's two.
    pub fn dispatches(&self, gpu: &Gpu) -> Vec<Dispatch> {
        let kernel = match self.upsample {
            Some(_) => ForwardKernel::Upsampled,
            None => ForwardKernel::choose(gpu, &self.shape, self.precision),
        };
        self.dispatches_by(gpu, kernel)
    }

    /// The dispatch, by `kernel` (the tests and the benchmark compare them).
    pub fn dispatches_by(&self, gpu: &Gpu, kernel: ForwardKernel) -> Vec<Dispatch> {
        let (s, x, params, w_offset, bias_offset, y, precision, upsample) = (
            self.shape,
            self.x,
            self.params,
            self.w_offset,
            self.bias_offset,
            self.y,
            self.precision,
            self.upsample,
        );
        assert!(kernel.fits(&s), "conv forward: {kernel:?} cannot compute {s:?}");
        assert!(
            upsample.is_some() == (kernel == ForwardKernel::Upsampled),
            "conv forward: {kernel:?} with the input upsampled: {}",
            upsample.is_some()
        );
        assert!(
            !matches!(kernel, ForwardKernel::Coop { .. }) || gpu.tensor_cores(),
            "conv forward: {kernel:?} on a device without tensor cores"
        );
        assert!(
            kernel.runs_in(precision),
            "conv forward: {kernel:?} has no {} kernel",
            precision.name()
        );
        let name = kernel.kernel(precision).name;
        runs_in(name, gpu, precision);
        s.check(name);
        if upsample.is_some() {
            multiple_of(name, "height (upsampled)", s.height, 2);
            multiple_of(name, "width (upsampled)", s.width, 2);
            assert!(bias_offset.is_none(), "{name}: no bias");
        }
        let x_len = if upsample.is_some() {
            s.input_len() / 4
        } else {
            s.input_len()
        };
        holds_in(name, "x", x, x_len, precision);
        check_range_in(name, "weights", params, w_offset, s.weight_len(), precision);
        if let Some(b) = bias_offset {
            check_range_in(name, "bias", params, b, s.cout as usize, precision);
        }
        holds_in(name, "y", y, s.output_len(), precision);
        let groups = kernel.groups(gpu, s);
        assert!(
            groups.iter().all(|&g| g <= gpu.max_groups()),
            "{name}: the grid {groups:?} is past the device's limit"
        );
        let p = self::params(gpu, s, w_offset, bias_offset, false);
        match upsample {
            None => vec![gpu.dispatch(kernel.kernel(precision), &[&p, x, params, y], groups)],
            Some(folded) => {
                let fold = precision.pick(&FOLD_UPSAMPLED);
                holds_in(fold.name, "folded", folded, s.folded_len(), precision);
                // aux is not read; the weights are bound there too
                vec![
                    gpu.dispatch(fold, &[&p, params, params, folded], grid_1d(gpu, s.folded_len() / 4)),
                    gpu.dispatch(kernel.kernel(precision), &[&p, x, folded, y], groups),
                ]
            }
        }
    }
}

/// The kernels that compute a convolution's gradients: the input gradient over the padded input (then folded onto
/// the input by conv.wgsl's `backward_fold`) and the weight gradient's partials (then summed by `weight_reduce`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradKernel {
    /// conv.wgsl's `backward_padded` and `weight_partials`: any shape.
    Direct,
    /// conv_tiled_input_grad.wgsl's and conv_tiled_weight_grad.wgsl's GEMMs in tiles `tile_n` (16, 32 or 64:
    /// sizes::CONV_TILED) channels wide: of the input's channels for the input gradient, of the output's for the
    /// weight gradient.
    Tiled { tile_n: u32 },
}

impl GradKernel {
    /// The kernel for a gradient whose GEMM is `width` channels wide: the tiled GEMM in the widest tile that
    /// divides `width` (else direct), unless the benchmark forces the direct family. Measured on an H200 (README,
    /// "Filter networks"), a training step at 256 px crops in batches of 4 takes 47.4 ms with them and 55.9 ms with
    /// the direct kernels; on lavapipe the input gradients take 370 against 621 ms, the weight gradients alike.
    pub fn choose(width: u32) -> GradKernel {
        match forced() {
            Some(ConvFamily::Direct) => GradKernel::Direct,
            _ => Self::tiled(width),
        }
    }

    /// The tiled GEMM in the widest tile that divides `width`, or the direct kernel where none does.
    pub fn tiled(width: u32) -> GradKernel {
        match ForwardKernel::tiled(width) {
            ForwardKernel::Tiled { tile_n } => GradKernel::Tiled { tile_n },
            _ => GradKernel::Direct,
        }
    }

    /// Whether this kernel computes a gradient whose GEMM is `width` channels wide.
    pub fn fits(self, width: u32) -> bool {
        match self {
            GradKernel::Direct => true,
            GradKernel::Tiled { tile_n } => ForwardKernel::tile_fits(tile_n, width),
        }
    }

    /// The index in `sizes::CONV_TILED` of a tiled kernel's tiling; None for the direct one.
    fn tiling(self) -> Option<usize> {
        match self {
            GradKernel::Direct => None,
            GradKernel::Tiled { tile_n } => Some(ForwardKernel::tiling(tile_n).expect("a tiling of that width")),
        }
    }

    fn check_fits(self, what: &str, width: u32) {
        assert!(
            self.fits(width),
            "conv {what}: {self:?} cannot compute {width} channels"
        );
    }
}

/// One input gradient: dx (+)= dLoss/dx given dy [out_height][out_width][cout], through `scratch` (the gradient
/// over the padded input, `shape.scratch_len()` floats). Weights as for `ConvForward`. `accumulate` false
/// overwrites dx (never reading it).
pub struct ConvInputGrad<'a> {
    pub shape: ConvShape,
    pub dy: &'a wgpu::Buffer,
    pub params: &'a wgpu::Buffer,
    pub w_offset: u32,
    pub scratch: &'a wgpu::Buffer,
    pub dx: &'a wgpu::Buffer,
    pub accumulate: bool,
}

impl ConvInputGrad<'_> {
    /// The dispatches, by `GradKernel::choose`'s kernel for the input's channels.
    pub fn dispatches(&self, gpu: &Gpu) -> Vec<Dispatch> {
        self.dispatches_by(gpu, GradKernel::choose(self.shape.cin))
    }

    /// The dispatches, by `kernel` (the tests and the benchmark compare them).
    pub fn dispatches_by(&self, gpu: &Gpu, kernel: GradKernel) -> Vec<Dispatch> {
        let s = self.shape;
        kernel.check_fits("input gradient", s.cin);
        let gather = kernel.tiling().map_or(&BACKWARD_PADDED, |i| &INPUT_GRAD_TILED[i]);
        let name = gather.name;
        s.check(name);
        holds(name, "dy", self.dy, s.output_len());
        check_range(name, "weights", self.params, self.w_offset, s.weight_len());
        holds(name, "scratch", self.scratch, s.scratch_len());
        holds(BACKWARD_FOLD.name, "dx", self.dx, s.input_len());
        let p = self::params(gpu, s, self.w_offset, None, self.accumulate);
        let groups = match kernel.tiling().map(|i| &CONV_TILED[i]) {
            None => grid_1d(gpu, s.scratch_len() / 4),
            Some(t) => grid_2d_tiles(gpu, s.cin, s.padded_pixels(), t.tile_n, t.tile_m),
        };
        vec![
            gpu.dispatch(gather, &[&p, self.dy, self.params, self.scratch], groups),
            gpu.dispatch(
                &BACKWARD_FOLD,
                &[&p, self.scratch, self.params, self.dx],
                grid_1d(gpu, s.input_len() / 4),
            ),
        ]
    }
}

/// One weight gradient: grads[w_offset..] (+)= dLoss/dW and, when bias_offset is Some, grads[bias_offset..] (+)=
/// dLoss/db, given the forward input x and dy, through `partials` (`shape.partials_len()` floats). `accumulate`
/// false overwrites those ranges (batches of images sum their gradients by accumulating after the first image).
/// Nothing else in `grads` is touched.
pub struct ConvWeightGrad<'a> {
    pub shape: ConvShape,
    pub x: &'a wgpu::Buffer,
    pub dy: &'a wgpu::Buffer,
    pub partials: &'a wgpu::Buffer,
    pub grads: &'a wgpu::Buffer,
    pub w_offset: u32,
    pub bias_offset: Option<u32>,
    pub accumulate: bool,
}

impl ConvWeightGrad<'_> {
    /// The dispatches, by `GradKernel::choose`'s kernel for the output's channels.
    pub fn dispatches(&self, gpu: &Gpu) -> Vec<Dispatch> {
        self.dispatches_by(gpu, GradKernel::choose(self.shape.cout))
    }

    /// The dispatches, by `kernel` (the tests and the benchmark compare them).
    pub fn dispatches_by(&self, gpu: &Gpu, kernel: GradKernel) -> Vec<Dispatch> {
        let s = self.shape;
        kernel.check_fits("weight gradient", s.cout);
        let partial = kernel.tiling().map_or(&WEIGHT_PARTIALS, |i| &WEIGHT_PARTIALS_TILED[i]);
        let name = partial.name;
        s.check(name);
        holds(name, "x", self.x, s.input_len());
        holds(name, "dy", self.dy, s.output_len());
        holds(name, "partials", self.partials, s.partials_len());
        let reduce = WEIGHT_REDUCE.name;
        check_range(reduce, "weight gradient", self.grads, self.w_offset, s.weight_len());
        let mut outputs = s.weight_len();
        if let Some(b) = self.bias_offset {
            check_range(reduce, "bias gradient", self.grads, b, s.cout as usize);
            let (w, b, wl) = (self.w_offset as usize, b as usize, s.weight_len());
            assert!(
                b + s.cout as usize <= w || w + wl <= b,
                "{reduce}: the bias gradient [{b}, +{}) overlaps the weight gradient [{w}, +{wl})",
                s.cout
            );
            outputs += s.cout as usize;
        }
        let split = s.split();
        let groups = match kernel.tiling().map(|i| &CONV_TILED[i]) {
            None => [s.weight_threads().div_ceil(WORKGROUP_SIZE), split.splits, 1],
            Some(t) => {
                // the weights' rows and the bias row, in a last group of 4
                let rows = s.kernel * s.kernel * s.cin + 4;
                [s.cout / t.tile_n, rows.div_ceil(t.tile_m), split.splits]
            }
        };
        assert!(
            groups.iter().all(|&g| g <= gpu.max_groups()),
            "{name}: the grid {groups:?} is past the device's limit"
        );
        let p = self::params(gpu, s, self.w_offset, self.bias_offset, self.accumulate);
        vec![
            gpu.dispatch(partial, &[&p, self.x, self.dy, self.partials], groups),
            gpu.dispatch(
                &WEIGHT_REDUCE,
                &[&p, self.partials, self.dy, self.grads],
                grid_1d(gpu, outputs / 4),
            ),
        ]
    }
}
