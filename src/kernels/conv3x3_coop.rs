//! shaders/conv3x3_coop.wgsl: the 3x3 convolution's forward and input gradient on tensor cores (f16 inputs, f32
//! accumulation); the same arguments and results as conv3x3.rs, which dispatches here when `gpu.tensor_cores()`.

use super::conv3x3::Shape;
use super::sizes::{
    CONV_BINDINGS_WGSL, COOP_GEMM_WGSL, COOP8_CONSTANTS, COOP8_MATRICES_WGSL, COOP16_CONSTANTS, COOP16_MATRICES_WGSL,
    CoopTiling,
};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

const WGSL: &str = include_str!("../../shaders/conv3x3_coop.wgsl");
pub const SHADER_16: Shader = Shader {
    name: "conv3x3_coop16",
    constants: COOP16_CONSTANTS,
    sources: &[CONV_BINDINGS_WGSL, COOP16_MATRICES_WGSL, COOP_GEMM_WGSL, WGSL],
};
pub const SHADER_8: Shader = Shader {
    name: "conv3x3_coop8",
    constants: COOP8_CONSTANTS,
    sources: &[CONV_BINDINGS_WGSL, COOP8_MATRICES_WGSL, COOP_GEMM_WGSL, WGSL],
};
const BINDINGS: &[Binding] = &[Uniform, Read, Read, Read, ReadWrite];
pub const FORWARD_16: Kernel = Kernel::new("conv3x3_forward_coop16", &SHADER_16, "forward", BINDINGS);
pub const BACKWARD_INPUT_16: Kernel =
    Kernel::new("conv3x3_backward_input_coop16", &SHADER_16, "backward_input", BINDINGS);
pub const FORWARD_8: Kernel = Kernel::new("conv3x3_forward_coop8", &SHADER_8, "forward", BINDINGS);
pub const BACKWARD_INPUT_8: Kernel = Kernel::new("conv3x3_backward_input_coop8", &SHADER_8, "backward_input", BINDINGS);

/// The tiling and the (forward, backward_input) kernels for the device's cooperative-matrix size.
fn variant(gpu: &Gpu) -> (&'static CoopTiling, &'static Kernel, &'static Kernel) {
    let tiling = gpu
        .adapter
        .tensor_cores
        .tiling()
        .expect("conv3x3_coop: dispatched on a device without tensor cores");
    if tiling.mma == 16 {
        (tiling, &FORWARD_16, &BACKWARD_INPUT_16)
    } else {
        (tiling, &FORWARD_8, &BACKWARD_INPUT_8)
    }
}

/// The dispatch of `kernel` (tiled as `tiling`) for a convolution from `cin` to `cout` channels over the image of
/// `s`.
fn dispatch(
    gpu: &Gpu,
    (tiling, kernel): (&CoopTiling, &Kernel),
    s: &Shape,
    cin: u32,
    cout: u32,
    buffers: [&wgpu::Buffer; 4],
) -> Dispatch {
    assert_eq!(s.images, 1, "{}: runs one image at a time", kernel.name);
    let params = super::conv3x3::params(gpu, s, cin, cout);
    let [src, weights, aux, dst] = buffers;
    gpu.dispatch(
        kernel,
        &[&params, src, weights, aux, dst],
        tiling.grid(gpu, cout, s.height * s.width),
    )
}

/// relu(conv(input, weights) + bias), as `conv3x3::forward`.
pub fn forward(
    gpu: &Gpu,
    s: Shape,
    input: &wgpu::Buffer,
    weights: &wgpu::Buffer,
    bias: &wgpu::Buffer,
    output: &wgpu::Buffer,
) -> Dispatch {
    let (tiling, kernel, _) = variant(gpu);
    let name = kernel.name;
    s.check_forward(name, [input, weights, bias, output]);
    dispatch(gpu, (tiling, kernel), &s, s.cin, s.cout, [input, weights, bias, output])
}

/// dLoss/d input through the ReLU mask, as `conv3x3::backward_input` (`s` is the forward shape, `weights_t` the
/// flipped, transposed copy).
pub fn backward_input(
    gpu: &Gpu,
    s: Shape,
    grad_output: &wgpu::Buffer,
    weights_t: &wgpu::Buffer,
    output: &wgpu::Buffer,
    grad_input: &wgpu::Buffer,
) -> Dispatch {
    // the input gradient is a forward-shaped convolution from cout channels to cin
    let (tiling, _, kernel) = variant(gpu);
    let name = kernel.name;
    s.check_backward_input(name, [grad_output, weights_t, output, grad_input]);
    dispatch(
        gpu,
        (tiling, kernel),
        &s,
        s.cout,
        s.cin,
        [grad_output, weights_t, output, grad_input],
    )
}
