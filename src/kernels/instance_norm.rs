//! shaders/instance_norm.wgsl and instance_norm_backward.wgsl: instance norm (then ReLU or + residual), forward
//! (in f32 or f16 activations) and backward, split along pixels.

use super::precision::{F32_WGSL, Precision, kernel_pair, shader_pair};
use super::shape_rules::{holds, holds_in, multiple_of, positive, runs_in};
use super::sizes::{FLAT_INDEX_WGSL, TREE_SUM_WGSL, WORKGROUP_CONSTANTS, WORKGROUP_SIZE, grid_1d};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

/// The parameter block, bindings and helpers both directions share.
const COMMON_WGSL: &str = include_str!("../../shaders/common/instance_norm.wgsl");
/// The forward's modules, [f32, f16] activations.
static SHADERS_FORWARD: [Shader; 2] = shader_pair!(
    "instance_norm",
    WORKGROUP_CONSTANTS,
    [
        FLAT_INDEX_WGSL,
        TREE_SUM_WGSL,
        COMMON_WGSL,
        include_str!("../../shaders/instance_norm.wgsl")
    ]
);
pub const SHADER_BACKWARD: Shader = Shader {
    name: "instance_norm_backward",
    constants: WORKGROUP_CONSTANTS,
    sources: &[
        F32_WGSL,
        FLAT_INDEX_WGSL,
        TREE_SUM_WGSL,
        COMMON_WGSL,
        include_str!("../../shaders/instance_norm_backward.wgsl"),
    ],
};
/// Shared by every entry: uniform, x, aux (forward: the residual; backward: y), dy, weights (the network's
/// parameters), stats, partials, dst (y, dx or grads). Slots an entry does not use are bound to a read-only buffer
/// it has anyway.
const BINDINGS: &[Binding] = &[Uniform, Read, Read, Read, Read, ReadWrite, ReadWrite, ReadWrite];
/// One split's mean and sum of squared deviations over its pixel chunk: [f32, f16] x.
pub static STAT_PARTIALS: [Kernel; 2] = kernel_pair!(
    "instance_norm_stat_partials",
    SHADERS_FORWARD,
    "stat_partials",
    BINDINGS
);
/// The mean and 1 / sqrt(var + EPS) from the partials (it reads no activation, but binds them).
pub static STAT_REDUCE: [Kernel; 2] =
    kernel_pair!("instance_norm_stat_reduce", SHADERS_FORWARD, "stat_reduce", BINDINGS);
/// y = gamma * xhat + beta, then ReLU or + residual: [f32, f16] x, residual and y.
pub static NORMALIZE: [Kernel; 2] = kernel_pair!("instance_norm_forward", SHADERS_FORWARD, "normalize", BINDINGS);
/// One split's sums of g and g * xhat.
pub const BACKWARD_PARTIALS: Kernel = Kernel::new(
    "instance_norm_backward_partials",
    &SHADER_BACKWARD,
    "backward_partials",
    BINDINGS,
);
/// dgamma and dbeta into grads (and the totals for the input gradient).
pub const BACKWARD_REDUCE: Kernel = Kernel::new(
    "instance_norm_backward_reduce",
    &SHADER_BACKWARD,
    "backward_reduce",
    BINDINGS,
);
/// dx.
pub const BACKWARD_INPUT: Kernel = Kernel::new(
    "instance_norm_backward_input",
    &SHADER_BACKWARD,
    "backward_input",
    BINDINGS,
);

/// Added to the variance before the inverse square root.
pub const EPS: f32 = 1e-5;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    pixels: u32,
    c4: u32,
    chunk: u32,
    splits: u32,
    gamma4: u32,
    beta4: u32,
    relu: u32,
    residual: u32,
    accumulate: u32,
    inv_pixels: f32,
    eps: f32,
    _pad: u32,
}

/// The feature map one instance norm normalises: `pixels` x `channels` (a multiple of 4), channels-last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NormShape {
    pub pixels: u32,
    pub channels: u32,
}

impl NormShape {
    /// f32 values in the stats buffer: the mean of each channel, then its 1 / sqrt(var + EPS).
    pub fn stats_len(&self) -> usize {
        2 * self.channels as usize
    }

    /// Pixels each workgroup of the partial sums walks: enough workgroups (about 256 over all the vec4s of
    /// channels) to fill a GPU, each walking at least WORKGROUP_SIZE pixels. At most 256 splits.
    pub fn chunk(&self) -> u32 {
        let wanted = (256 / (self.channels / 4).max(1)).max(1);
        self.pixels.div_ceil(wanted).max(WORKGROUP_SIZE)
    }

    /// Pixel chunks (workgroups per vec4 of channels) of the partial sums.
    pub fn splits(&self) -> u32 {
        self.pixels.div_ceil(self.chunk()).max(1)
    }

    /// f32 values in the partials buffer (two vec4s per split and vec4 of channels, forward and backward).
    pub fn partials_len(&self) -> usize {
        self.splits() as usize * 2 * self.channels as usize
    }

    fn len(&self) -> usize {
        self.pixels as usize * self.channels as usize
    }
}

#[allow(clippy::too_many_arguments)]
fn params(
    gpu: &Gpu,
    s: NormShape,
    gamma_offset: u32,
    beta_offset: u32,
    relu: bool,
    residual: bool,
    accumulate: bool,
) -> wgpu::Buffer {
    gpu.uniform(
        "instance_norm",
        &Params {
            pixels: s.pixels,
            c4: s.channels / 4,
            chunk: s.chunk(),
            splits: s.splits(),
            gamma4: gamma_offset / 4,
            beta4: beta_offset / 4,
            relu: relu as u32,
            residual: residual as u32,
            accumulate: accumulate as u32,
            inv_pixels: 1.0 / s.pixels as f32,
            eps: EPS,
            _pad: 0,
        },
    )
}

/// The rules of every entry: a non-empty map of whole vec4s of channels whose every index fits a u32; gamma and
/// beta whole vec4s inside `weights` (the parameters, or the gradients of the same layout).
fn check(
    kernel: &str,
    s: NormShape,
    weights: (&str, &wgpu::Buffer),
    gamma_offset: u32,
    beta_offset: u32,
    stats: &wgpu::Buffer,
    partials: &wgpu::Buffer,
) {
    positive(kernel, "pixels", s.pixels);
    multiple_of(kernel, "channels", s.channels, 4);
    assert!(
        s.len() < u32::MAX as usize,
        "{kernel}: {} pixels x {} channels do not fit a u32 index",
        s.pixels,
        s.channels
    );
    for (what, offset) in [("gamma_offset", gamma_offset), ("beta_offset", beta_offset)] {
        assert!(
            offset.is_multiple_of(4),
            "{kernel}: {what} must be a multiple of 4, got {offset}"
        );
        holds(kernel, weights.0, weights.1, offset as usize + s.channels as usize);
    }
    holds(kernel, "stats", stats, s.stats_len());
    holds(kernel, "partials", partials, s.partials_len());
}

/// One instance normalisation's forward: y = gamma * (x - mean) / sqrt(var + EPS) + beta per channel over the
/// pixels (biased variance), then ReLU when `relu`, then + residual when Some (relu and residual are never both
/// used: assert).
///
/// x, residual, y: [pixels][channels] in `precision`; gamma and beta: `channels` f32 each in `params` at the element
/// offsets (multiples of 4); stats: `shape.stats_len()`; partials: `shape.partials_len()` (scratch, shared with
/// backward). y must be none of the other buffers.
pub struct NormForward<'a> {
    pub shape: NormShape,
    pub x: &'a wgpu::Buffer,
    pub params: &'a wgpu::Buffer,
    pub gamma_offset: u32,
    pub beta_offset: u32,
    pub relu: bool,
    pub residual: Option<&'a wgpu::Buffer>,
    pub stats: &'a wgpu::Buffer,
    pub partials: &'a wgpu::Buffer,
    pub y: &'a wgpu::Buffer,
    pub precision: Precision,
}

impl NormForward<'_> {
    /// Measures the mean and inverse deviation into stats (kept for backward), then normalises. Three dispatches:
    /// the statistics (partials, reduce), normalise.
    pub fn dispatches(&self, gpu: &Gpu) -> Vec<Dispatch> {
        let s = self.shape;
        let p = self.uniform(gpu);
        let buffers = self.buffers(&p);
        let per_chunk = [s.channels / 4, s.splits(), 1];
        let per_channel = grid_1d(gpu, s.channels as usize / 4);
        let pick = |pair| self.precision.pick(pair);
        vec![
            gpu.dispatch(pick(&STAT_PARTIALS), &buffers, per_chunk),
            gpu.dispatch(pick(&STAT_REDUCE), &buffers, per_channel),
            gpu.dispatch(pick(&NORMALIZE), &buffers, grid_1d(gpu, s.len() / 4)),
        ]
    }

    /// The last step alone: normalises x with the mean and inverse deviation already in stats (as `dispatches`
    /// measured them on another picture: a whole photo, for the tiles of it that one pass cannot hold).
    pub fn with_given_stats(&self, gpu: &Gpu) -> Dispatch {
        let p = self.uniform(gpu);
        gpu.dispatch(
            self.precision.pick(&NORMALIZE),
            &self.buffers(&p),
            grid_1d(gpu, self.shape.len() / 4),
        )
    }

    /// The checks, then the uniform.
    fn uniform(&self, gpu: &Gpu) -> wgpu::Buffer {
        let (name, s, precision) = (self.precision.pick(&NORMALIZE).name, self.shape, self.precision);
        runs_in(name, gpu, precision);
        assert!(
            !(self.relu && self.residual.is_some()),
            "{name}: a ReLU and a residual add are never both used"
        );
        check(
            name,
            s,
            ("params", self.params),
            self.gamma_offset,
            self.beta_offset,
            self.stats,
            self.partials,
        );
        holds_in(name, "x", self.x, s.len(), precision);
        holds_in(name, "y", self.y, s.len(), precision);
        if let Some(r) = self.residual {
            holds_in(name, "residual", r, s.len(), precision);
        }
        params(
            gpu,
            s,
            self.gamma_offset,
            self.beta_offset,
            self.relu,
            self.residual.is_some(),
            false,
        )
    }

    /// The bindings; the unused aux and dy slots get x, which the kernels only read.
    fn buffers<'b>(&'b self, uniform: &'b wgpu::Buffer) -> [&'b wgpu::Buffer; 8] {
        let x = self.x;
        [
            uniform,
            x,
            self.residual.unwrap_or(x),
            x,
            self.params,
            self.stats,
            self.partials,
            self.y,
        ]
    }
}

/// Given dy (gradient at y) and y (the forward output, used for the ReLU mask when `relu`), overwrites dx with the
/// gradient at x and writes (accumulate=false) or adds (accumulate=true) dgamma, dbeta into grads at the offsets.
/// The residual's gradient is dy itself and is NOT handled here.
///
/// stats: as `forward` left them for this x; partials: scratch of `s.partials_len()`; grads: the layout of
/// `params`, of which exactly the `channels` f32 at each offset are written. dx must be none of the other buffers.
/// Three dispatches: partial sums of g and g * xhat, their reduction (dgamma, dbeta), dx.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    gpu: &Gpu,
    s: NormShape,
    x: &wgpu::Buffer,
    y: &wgpu::Buffer,
    dy: &wgpu::Buffer,
    relu: bool,
    params: &wgpu::Buffer,
    gamma_offset: u32,
    stats: &wgpu::Buffer,
    partials: &wgpu::Buffer,
    grads: &wgpu::Buffer,
    beta_offset: u32,
    accumulate: bool,
    dx: &wgpu::Buffer,
) -> Vec<Dispatch> {
    let name = BACKWARD_INPUT.name;
    check(name, s, ("params", params), gamma_offset, beta_offset, stats, partials);
    check(name, s, ("grads", grads), gamma_offset, beta_offset, stats, partials);
    for (what, buffer) in [("x", x), ("y", y), ("dy", dy), ("dx", dx)] {
        holds(name, what, buffer, s.len());
    }
    let p = self::params(gpu, s, gamma_offset, beta_offset, relu, false, accumulate);
    let with = |dst| [&p, x, y, dy, params, stats, partials, dst];
    vec![
        gpu.dispatch(&BACKWARD_PARTIALS, &with(dx), [s.channels / 4, s.splits(), 1]),
        gpu.dispatch(&BACKWARD_REDUCE, &with(grads), grid_1d(gpu, s.channels as usize / 4)),
        gpu.dispatch(&BACKWARD_INPUT, &with(dx), grid_1d(gpu, s.len() / 4)),
    ]
}
