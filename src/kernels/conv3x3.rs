//! shaders/conv3x3.wgsl and conv3x3_narrow.wgsl: 3x3 convolution forward (+ bias + ReLU) and its input gradient
//! (through the ReLU mask), with the tilings they come in and the rule that picks one per layer.

use std::sync::atomic::{AtomicU8, Ordering};

use super::shape_rules::{holds, multiple_of, positive};
use super::sizes::{
    CONV_BINDINGS_WGSL, FLAT_INDEX_WGSL, REGISTER_BLOCK_WGSL, TILE_K, WORKGROUP_SIZE, grid_1d, grid_2d_tiles,
};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

const BINDINGS: &[Binding] = &[Uniform, Read, Read, Read, ReadWrite];

/// One module per tile shape: the generated TILE_M, TILE_N and TILE_K, the register block, the convolution.
macro_rules! tiled_shader {
    ($name:literal, $m:literal, $n:literal) => {{
        // register_block.wgsl stages TILE_K x (TILE_M + TILE_N) f32s: within WebGPU's 16 KiB of workgroup memory
        const _: () = assert!(TILE_K * ($m + $n) * 4 <= 16384);
        Shader {
            name: $name,
            constants: &[("TILE_M", $m), ("TILE_N", $n), ("TILE_K", TILE_K)],
            sources: &[
                CONV_BINDINGS_WGSL,
                REGISTER_BLOCK_WGSL,
                include_str!("../../shaders/conv3x3.wgsl"),
            ],
        }
    }};
}
static SHADER_64X64: Shader = tiled_shader!("conv3x3_64x64", 64, 64);
static SHADER_128X64: Shader = tiled_shader!("conv3x3_128x64", 128, 64);
static SHADER_128X128: Shader = tiled_shader!("conv3x3_128x128", 128, 128);
static SHADER_NARROW: Shader = Shader {
    name: "conv3x3_narrow",
    constants: &[("WORKGROUP_SIZE", WORKGROUP_SIZE), ("LANES", NARROW_LANES)],
    sources: &[
        CONV_BINDINGS_WGSL,
        FLAT_INDEX_WGSL,
        include_str!("../../shaders/conv3x3_narrow.wgsl"),
    ],
};

pub static FORWARD_64X64: Kernel = Kernel::new("conv3x3_forward_64x64", &SHADER_64X64, "forward", BINDINGS);
pub static FORWARD_128X64: Kernel = Kernel::new("conv3x3_forward_128x64", &SHADER_128X64, "forward", BINDINGS);
pub static FORWARD_128X128: Kernel = Kernel::new("conv3x3_forward_128x128", &SHADER_128X128, "forward", BINDINGS);
pub static FORWARD_NARROW: Kernel = Kernel::new("conv3x3_forward_narrow", &SHADER_NARROW, "forward", BINDINGS);
pub static BACKWARD_INPUT_64X64: Kernel = Kernel::new(
    "conv3x3_backward_input_64x64",
    &SHADER_64X64,
    "backward_input",
    BINDINGS,
);
pub static BACKWARD_INPUT_128X64: Kernel = Kernel::new(
    "conv3x3_backward_input_128x64",
    &SHADER_128X64,
    "backward_input",
    BINDINGS,
);
pub static BACKWARD_INPUT_128X128: Kernel = Kernel::new(
    "conv3x3_backward_input_128x128",
    &SHADER_128X128,
    "backward_input",
    BINDINGS,
);
pub static BACKWARD_INPUT_NARROW: Kernel = Kernel::new(
    "conv3x3_backward_input_narrow",
    &SHADER_NARROW,
    "backward_input",
    BINDINGS,
);

/// How a convolution's GEMM (pixels x output channels) is cut into workgroups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tiling {
    /// 64 pixels x 64 channels per workgroup, 4 x 4 per thread.
    Tile64x64,
    /// 128 pixels x 64 channels, 8 x 4 per thread.
    Tile128x64,
    /// 128 pixels x 128 channels, 8 x 8 per thread: the most arithmetic per byte staged.
    Tile128x128,
    /// One thread per pixel, for exactly 4 output channels (conv1_1's input gradient).
    Narrow,
}

/// Threads per pixel of the narrow kernel (its LANES): each sums every 16th vec4 of the pixel's channels.
const NARROW_LANES: u32 = 16;

/// The tiling rule's thresholds, from one convolution at a time timed with each tiling on an H100 (README, "The
/// benchmark"): 128 x 128 tiles win down to about one workgroup per core (128; with fewer, 64 x 64 tiles win, e.g.
/// conv5_1 at 512 px: 32 workgroups, 0.73 ms against 0.36), and 128 x 64 tiles only over very many pixels.
const MIN_WORKGROUPS_128X128: u32 = 128;
const MIN_WORKGROUPS_128X64: u32 = 2048;

/// A tiling forced for every convolution (the benchmark's tile sweep); 0 means `Tiling::choose`.
static FORCED: AtomicU8 = AtomicU8::new(0);

impl Tiling {
    pub const ALL: [Tiling; 4] = [
        Tiling::Tile64x64,
        Tiling::Tile128x64,
        Tiling::Tile128x128,
        Tiling::Narrow,
    ];

    /// (pixels, channels) per workgroup.
    fn tile(self) -> (u32, u32) {
        match self {
            Tiling::Tile64x64 => (64, 64),
            Tiling::Tile128x64 => (128, 64),
            Tiling::Tile128x128 => (128, 128),
            Tiling::Narrow => (1, 4),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tiling::Tile64x64 => "64x64",
            Tiling::Tile128x64 => "128x64",
            Tiling::Tile128x128 => "128x128",
            Tiling::Narrow => "narrow",
        }
    }

    /// Whether this tiling computes a GEMM with `channels` output channels (the narrow one does 4 only).
    pub fn fits(self, channels: u32) -> bool {
        self != Tiling::Narrow || channels == 4
    }

    /// The tiling for `pixels` x `channels` outputs: the narrow kernel for 4 channels; 128 x 128 tiles where
    /// there are at least 128 channels and enough workgroups; 128 x 64 tiles where there are very many; else
    /// 64 x 64.
    pub fn choose(pixels: u32, channels: u32) -> Tiling {
        if let Some(t) = Tiling::forced().filter(|t| t.fits(channels)) {
            return t;
        }
        let workgroups = |t: Tiling| {
            let (tm, tn) = t.tile();
            pixels.div_ceil(tm) * channels.div_ceil(tn)
        };
        if channels == 4 {
            Tiling::Narrow
        } else if channels >= 128 && workgroups(Tiling::Tile128x128) >= MIN_WORKGROUPS_128X128 {
            Tiling::Tile128x128
        } else if workgroups(Tiling::Tile128x64) >= MIN_WORKGROUPS_128X64 {
            Tiling::Tile128x64
        } else {
            Tiling::Tile64x64
        }
    }

    /// Forces `tiling` for every convolution set up from now on (None: back to `choose`). For the benchmark.
    pub fn force(tiling: Option<Tiling>) {
        let code = tiling.map_or(0, |t| 1 + Tiling::ALL.iter().position(|&x| x == t).unwrap() as u8);
        FORCED.store(code, Ordering::Relaxed);
    }

    fn forced() -> Option<Tiling> {
        match FORCED.load(Ordering::Relaxed) {
            0 => None,
            code => Some(Tiling::ALL[code as usize - 1]),
        }
    }

    fn kernels(self) -> (&'static Kernel, &'static Kernel) {
        match self {
            Tiling::Tile64x64 => (&FORWARD_64X64, &BACKWARD_INPUT_64X64),
            Tiling::Tile128x64 => (&FORWARD_128X64, &BACKWARD_INPUT_128X64),
            Tiling::Tile128x128 => (&FORWARD_128X128, &BACKWARD_INPUT_128X128),
            Tiling::Narrow => (&FORWARD_NARROW, &BACKWARD_INPUT_NARROW),
        }
    }

    fn groups(self, gpu: &Gpu, pixels: u32, channels: u32) -> [u32; 3] {
        match self {
            Tiling::Narrow => grid_1d(gpu, pixels as usize * NARROW_LANES as usize),
            t => {
                let (tm, tn) = t.tile();
                grid_2d_tiles(gpu, channels, pixels, tn, tm)
            }
        }
    }
}

impl std::str::FromStr for Tiling {
    type Err = String;
    fn from_str(s: &str) -> Result<Tiling, String> {
        Tiling::ALL.into_iter().find(|t| t.name() == s).ok_or_else(|| {
            let names: Vec<_> = Tiling::ALL.iter().map(|t| t.name()).collect();
            format!("unknown tiling {s:?} (one of {})", names.join(", "))
        })
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    height: u32,
    width: u32,
    cin: u32,
    cout: u32,
    images: u32,
    _pad: [u32; 3],
}

/// The parameter block every 3x3 kernel reads (common/conv_bindings.wgsl) for a convolution over the images of
/// `s` from `cin` to `cout` channels (the input gradient swaps the two).
pub(super) fn params(gpu: &Gpu, s: &Shape, cin: u32, cout: u32) -> wgpu::Buffer {
    gpu.uniform(
        "conv3x3",
        &Params {
            height: s.height,
            width: s.width,
            cin,
            cout,
            images: s.images,
            _pad: [0; 3],
        },
    )
}

/// The shape of one convolution: channels-last, both channel counts multiples of 4, over `images` images of
/// `height` x `width` stacked along the rows ([images][height][width][channels]), each padded at its own borders.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub height: u32,
    pub width: u32,
    pub cin: u32,
    pub cout: u32,
    pub images: u32,
}

impl Shape {
    /// The rules both entries rely on: channels multiples of 4 (vec4), a non-empty image.
    fn check(&self, kernel: &str) {
        positive(kernel, "height", self.height);
        positive(kernel, "width", self.width);
        positive(kernel, "images", self.images);
        multiple_of(kernel, "cin", self.cin, 4);
        multiple_of(kernel, "cout", self.cout, 4);
    }

    /// Pixels of all the images.
    pub fn pixels(&self) -> usize {
        self.images as usize * self.height as usize * self.width as usize
    }

    /// The shape rules and buffer sizes of a forward convolution, for the kernel named `name` (every
    /// implementation of this convolution checks the same).
    pub(super) fn check_forward(&self, name: &str, buffers: [&wgpu::Buffer; 4]) {
        let [input, weights, bias, output] = buffers;
        self.check(name);
        holds(name, "input", input, self.pixels() * self.cin as usize);
        holds(name, "weights", weights, 9 * (self.cin * self.cout) as usize);
        holds(name, "bias", bias, self.cout as usize);
        holds(name, "output", output, self.pixels() * self.cout as usize);
    }

    /// The same for the input gradient (`self` is the forward shape).
    pub(super) fn check_backward_input(&self, name: &str, buffers: [&wgpu::Buffer; 4]) {
        let [grad_output, weights_t, output, grad_input] = buffers;
        self.check(name);
        holds(name, "grad_output", grad_output, self.pixels() * self.cout as usize);
        holds(name, "weights_t", weights_t, 9 * (self.cin * self.cout) as usize);
        holds(name, "output", output, self.pixels() * self.cout as usize);
        holds(name, "grad_input", grad_input, self.pixels() * self.cin as usize);
    }
}

/// relu(conv(input, weights) + bias). input [H][W][cin], weights [9][cin][cout], bias [cout], output [H][W][cout].
pub fn forward(
    gpu: &Gpu,
    s: Shape,
    input: &wgpu::Buffer,
    weights: &wgpu::Buffer,
    bias: &wgpu::Buffer,
    output: &wgpu::Buffer,
) -> Dispatch {
    let tiling = Tiling::choose(s.pixels() as u32, s.cout);
    // tensor cores where the GPU has them (one image at a time), except for 4 output channels (the narrow kernel
    // wastes nothing)
    if gpu.tensor_cores() && tiling != Tiling::Narrow && s.images == 1 {
        return super::conv3x3_coop::forward(gpu, s, input, weights, bias, output);
    }
    forward_tiled(gpu, s, tiling, input, weights, bias, output)
}

/// `forward` with the tiling chosen by the caller (tests compare every tiling with the reference).
pub fn forward_tiled(
    gpu: &Gpu,
    s: Shape,
    tiling: Tiling,
    input: &wgpu::Buffer,
    weights: &wgpu::Buffer,
    bias: &wgpu::Buffer,
    output: &wgpu::Buffer,
) -> Dispatch {
    let kernel = tiling.kernels().0;
    s.check_forward(kernel.name, [input, weights, bias, output]);
    assert!(
        tiling.fits(s.cout),
        "{}: needs 4 output channels, got {}",
        kernel.name,
        s.cout
    );
    let params = params(gpu, &s, s.cin, s.cout);
    gpu.dispatch(
        kernel,
        &[&params, input, weights, bias, output],
        tiling.groups(gpu, s.pixels() as u32, s.cout),
    )
}

/// dLoss/d input from dLoss/d output, masked by output > 0. `s` is the forward shape; `weights_t` is the flipped,
/// transposed copy [9][cout][cin]; grad_output and output are [H][W][cout], grad_input [H][W][cin] (overwritten).
pub fn backward_input(
    gpu: &Gpu,
    s: Shape,
    grad_output: &wgpu::Buffer,
    weights_t: &wgpu::Buffer,
    output: &wgpu::Buffer,
    grad_input: &wgpu::Buffer,
) -> Dispatch {
    let tiling = Tiling::choose(s.pixels() as u32, s.cin);
    if gpu.tensor_cores() && tiling != Tiling::Narrow && s.images == 1 {
        return super::conv3x3_coop::backward_input(gpu, s, grad_output, weights_t, output, grad_input);
    }
    backward_input_tiled(gpu, s, tiling, grad_output, weights_t, output, grad_input)
}

/// `backward_input` with the tiling chosen by the caller.
pub fn backward_input_tiled(
    gpu: &Gpu,
    s: Shape,
    tiling: Tiling,
    grad_output: &wgpu::Buffer,
    weights_t: &wgpu::Buffer,
    output: &wgpu::Buffer,
    grad_input: &wgpu::Buffer,
) -> Dispatch {
    // the input gradient is a forward-shaped convolution from cout channels to cin
    let kernel = tiling.kernels().1;
    let name = kernel.name;
    s.check_backward_input(name, [grad_output, weights_t, output, grad_input]);
    assert!(tiling.fits(s.cin), "{name}: needs 4 input channels, got {}", s.cin);
    let params = params(gpu, &s, s.cout, s.cin);
    gpu.dispatch(
        kernel,
        &[&params, grad_output, weights_t, output, grad_input],
        tiling.groups(gpu, s.pixels() as u32, s.cin),
    )
}
