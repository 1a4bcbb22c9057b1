//! shaders/conv3x3.wgsl: 3x3 convolution forward (+ bias + ReLU) and its input gradient (through the ReLU mask).

use super::shape_rules::{holds, multiple_of, positive};
use super::sizes::{GEMM_CONSTANTS, GEMM_TILE_WGSL, grid_tiles};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

pub const SHADER: Shader = Shader {
    name: "conv3x3",
    constants: GEMM_CONSTANTS,
    sources: &[GEMM_TILE_WGSL, include_str!("../../shaders/conv3x3.wgsl")],
};
const BINDINGS: &[Binding] = &[Uniform, Read, Read, Read, ReadWrite];
pub const FORWARD: Kernel = Kernel::new("conv3x3_forward", &SHADER, "forward", BINDINGS);
pub const BACKWARD_INPUT: Kernel = Kernel::new("conv3x3_backward_input", &SHADER, "backward_input", BINDINGS);

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    height: u32,
    width: u32,
    cin: u32,
    cout: u32,
}

/// The shape of one convolution: channels-last, both channel counts multiples of 4.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub height: u32,
    pub width: u32,
    pub cin: u32,
    pub cout: u32,
}

fn params(gpu: &Gpu, height: u32, width: u32, cin: u32, cout: u32) -> wgpu::Buffer {
    gpu.uniform(
        "conv3x3",
        &Params {
            height,
            width,
            cin,
            cout,
        },
    )
}

fn groups(height: u32, width: u32, cout: u32) -> [u32; 3] {
    grid_tiles(cout, height * width)
}

impl Shape {
    /// The rules both entries rely on: channels multiples of 4 (vec4), a non-empty image.
    fn check(&self, kernel: &str) {
        positive(kernel, "height", self.height);
        positive(kernel, "width", self.width);
        multiple_of(kernel, "cin", self.cin, 4);
        multiple_of(kernel, "cout", self.cout, 4);
    }

    fn pixels(&self) -> usize {
        self.height as usize * self.width as usize
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
    if gpu.tensor_cores() {
        return super::conv3x3_coop::forward(gpu, s, input, weights, bias, output);
    }
    s.check(FORWARD.name);
    holds(FORWARD.name, "input", input, s.pixels() * s.cin as usize);
    holds(FORWARD.name, "weights", weights, 9 * (s.cin * s.cout) as usize);
    holds(FORWARD.name, "bias", bias, s.cout as usize);
    holds(FORWARD.name, "output", output, s.pixels() * s.cout as usize);
    let params = params(gpu, s.height, s.width, s.cin, s.cout);
    gpu.dispatch(
        &FORWARD,
        &[&params, input, weights, bias, output],
        groups(s.height, s.width, s.cout),
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
    if gpu.tensor_cores() {
        return super::conv3x3_coop::backward_input(gpu, s, grad_output, weights_t, output, grad_input);
    }
    // the input gradient is a forward-shaped convolution from cout channels to cin
    let name = BACKWARD_INPUT.name;
    s.check(name);
    holds(name, "grad_output", grad_output, s.pixels() * s.cout as usize);
    holds(name, "weights_t", weights_t, 9 * (s.cin * s.cout) as usize);
    holds(name, "output", output, s.pixels() * s.cout as usize);
    holds(name, "grad_input", grad_input, s.pixels() * s.cin as usize);
    let params = params(gpu, s.height, s.width, s.cout, s.cin);
    gpu.dispatch(
        &BACKWARD_INPUT,
        &[&params, grad_output, weights_t, output, grad_input],
        groups(s.height, s.width, s.cin),
    )
}
