//! shaders/lbfgs.wgsl: L-BFGS on the pixels. Builds, once per session, one dispatch list per position in the
//! history ring; `LbfgsState::dispatches(k)` picks the list for step k, so the hot loop only records.

use super::shape_rules::{holds, positive};
use super::sizes::{FLAT_INDEX_WGSL, TREE_SUM_WGSL, WORKGROUP_SIZE, grid_1d};
use crate::gpu::{Binding, Dispatch, Gpu, Kernel, Shader};
use Binding::{Read, ReadWrite, Uniform};

/// Curvature pairs kept. More remembers more curvature but costs two vectors per pair and a longer recursion;
/// 6 is in the range (5 to 10) where L-BFGS on images settles.
pub const HISTORY: usize = 6;

/// The largest root-mean-square change of a colour value (pixels are in 0..1) one step may make; a longer step is
/// shortened to it. Healthy steps on images change values by about 0.01 to 0.03 (rms); a curvature estimate gone
/// wrong asks for steps near 1, which would throw the whole picture against the box and make the loss explode.
pub const MAX_STEP_RMS: f32 = 0.1;

/// Workgroups of the first reduction stage (`dot_partials`); `dot_finish` sums their lanes in one workgroup.
pub const PARTIALS: u32 = 64;
const _: () = assert!(PARTIALS <= WORKGROUP_SIZE);

pub const SHADER: Shader = Shader {
    name: "lbfgs",
    constants: &[("WORKGROUP_SIZE", WORKGROUP_SIZE), ("PARTIALS", PARTIALS)],
    sources: &[FLAT_INDEX_WGSL, TREE_SUM_WGSL, include_str!("../../shaders/lbfgs.wgsl")],
};
/// Shared by every entry (lbfgs.wgsl): uniform, scalars, src, src2, dst, dst2, dst3.
const BINDINGS: &[Binding] = &[Uniform, ReadWrite, Read, Read, ReadWrite, ReadWrite, ReadWrite];
pub const BEGIN: Kernel = Kernel::new("lbfgs_begin", &SHADER, "begin", BINDINGS);
pub const DOT_PARTIALS: Kernel = Kernel::new("lbfgs_dot_partials", &SHADER, "dot_partials", BINDINGS);
pub const DOT_FINISH: Kernel = Kernel::new("lbfgs_dot_finish", &SHADER, "dot_finish", BINDINGS);
pub const AXPY: Kernel = Kernel::new("lbfgs_axpy", &SHADER, "axpy", BINDINGS);
pub const UPDATE: Kernel = Kernel::new("lbfgs_update", &SHADER, "update", BINDINGS);

/// Scalars layout (lbfgs.wgsl): H0, t, ys, unused, rho[HISTORY], alpha[HISTORY].
const SCALARS: usize = 4 + 2 * HISTORY;

#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    count: u32,
    op: u32,
    slot: u32,
    flag: u32,
    value: f32,
    sign: f32,
    m: u32,
    _pad: u32,
}

// dot_finish ops and axpy ops, as in lbfgs.wgsl
const OP_YS: u32 = 0;
const OP_YY: u32 = 1;
const OP_ALPHA: u32 = 2;
const OP_BETA: u32 = 3;
const OP_FIRST: u32 = 4;
const OP_CAP: u32 = 5;
const AXPY_ALPHA: u32 = 0;
const AXPY_H0: u32 = 1;

/// The optimiser's GPU state and its per-step dispatch lists.
pub struct LbfgsState {
    /// `variants[variant(k)]` is step k's update.
    variants: Vec<Vec<Dispatch>>,
    buffers: Vec<wgpu::Buffer>,
}

impl LbfgsState {
    /// Everything for `count` pixels: history, previous gradient, direction, scalars, and the dispatch lists
    /// that read `grad` and update `pixels`. `step_length` is the fixed step after the first (1 is standard), cut
    /// down where it would pass `MAX_STEP_RMS`.
    pub fn new(gpu: &Gpu, count: usize, step_length: f32, grad: &wgpu::Buffer, pixels: &wgpu::Buffer) -> Self {
        positive("lbfgs", "pixels", count as u32);
        holds("lbfgs", "grad", grad, count * 4);
        holds("lbfgs", "pixels", pixels, count * 4);
        let vec = |label| gpu.storage(label, count * 4);
        let s: Vec<wgpu::Buffer> = (0..HISTORY).map(|_| vec("lbfgs s")).collect();
        let y: Vec<wgpu::Buffer> = (0..HISTORY).map(|_| vec("lbfgs y")).collect();
        let g_prev = vec("lbfgs previous gradient");
        let d = vec("lbfgs direction");
        let mut init = [0.0f32; SCALARS];
        init[0] = 1.0; // H0
        let scalars = gpu.storage_from("lbfgs scalars", &init);
        let partials = gpu.storage("lbfgs partials", PARTIALS as usize * 4);
        // Placeholders for the slots an entry does not use (writable bindings may not alias).
        let spare = [gpu.storage("lbfgs spare", 4), gpu.storage("lbfgs spare", 4)];

        let params = |op: u32, slot: usize, flag: u32, value: f32, sign: f32| {
            gpu.uniform(
                "lbfgs",
                &Params {
                    count: count as u32,
                    op,
                    slot: slot as u32,
                    flag,
                    value,
                    sign,
                    m: HISTORY as u32,
                    _pad: 0,
                },
            )
        };
        let pixels_grid = grid_1d(gpu, count);
        // a . b (or |a|_1) reduced into the scalar named by `op` for `slot`.
        let dot = |a: &wgpu::Buffer, b: &wgpu::Buffer, op: u32, slot: usize, abs: bool, value: f32| {
            let p = params(op, slot, abs as u32, value, 0.0);
            [
                gpu.dispatch(
                    &DOT_PARTIALS,
                    &[&p, &scalars, a, b, &partials, &spare[0], &spare[1]],
                    [PARTIALS, 1, 1],
                ),
                gpu.dispatch(
                    &DOT_FINISH,
                    &[&p, &scalars, a, b, &partials, &spare[0], &spare[1]],
                    [1, 1, 1],
                ),
            ]
        };
        let axpy = |op: u32, slot: usize, sign: f32, b: &wgpu::Buffer| {
            let p = params(op, slot, 0, 0.0, sign);
            gpu.dispatch(&AXPY, &[&p, &scalars, b, b, &d, &spare[0], &spare[1]], pixels_grid)
        };
        let update = |next: usize| {
            let p = params(0, 0, 0, 0.0, 0.0);
            gpu.dispatch(
                &UPDATE,
                &[&p, &scalars, &d, &d, pixels, &s[next], &spare[0]],
                pixels_grid,
            )
        };
        let begin = |newest: Option<usize>| {
            let p = params(0, 0, newest.is_some() as u32, step_length, 0.0);
            gpu.dispatch(
                &BEGIN,
                &[&p, &scalars, grad, grad, &g_prev, &d, &y[newest.unwrap_or(0)]],
                pixels_grid,
            )
        };

        let mut variants = Vec::with_capacity(2 * HISTORY);
        // Step 0: steepest descent with a step scaled to the gradient.
        let mut first = vec![begin(None)];
        first.extend(dot(&d, &d, OP_FIRST, 0, true, step_length));
        first.push(update(0));
        variants.push(first);
        // Steps 1.. : `pairs` pairs in the history, the newest in slot `newest`.
        for key in 1..2 * HISTORY {
            let (pairs, newest) = if key < HISTORY {
                (key, key - 1)
            } else {
                (HISTORY, key - HISTORY)
            };
            let slot = |j: usize| (newest + HISTORY - j) % HISTORY; // j = 0 is the newest
            let mut v = vec![begin(Some(newest))];
            v.extend(dot(&y[newest], &s[newest], OP_YS, newest, false, 0.0));
            v.extend(dot(&y[newest], &y[newest], OP_YY, newest, false, 0.0));
            for j in 0..pairs {
                let i = slot(j);
                v.extend(dot(&s[i], &d, OP_ALPHA, i, false, 0.0));
                v.push(axpy(AXPY_ALPHA, i, -1.0, &y[i]));
            }
            v.push(axpy(AXPY_H0, 0, 1.0, &y[0])); // y[0] is not read: any read-only buffer
            for j in (0..pairs).rev() {
                let i = slot(j);
                v.extend(dot(&y[i], &d, OP_BETA, i, false, 0.0));
                v.push(axpy(AXPY_ALPHA, i, 1.0, &s[i]));
            }
            v.extend(dot(&d, &d, OP_CAP, 0, false, MAX_STEP_RMS));
            v.push(update((newest + 1) % HISTORY));
            variants.push(v);
        }

        let mut buffers = s;
        buffers.extend(y);
        buffers.extend([g_prev, d, scalars, partials]);
        buffers.extend(spare);
        LbfgsState { variants, buffers }
    }

    /// The update of step `k` (0-based): which list depends on how many pairs exist and where the newest is.
    pub fn dispatches(&self, k: u32) -> &[Dispatch] {
        let k = k as usize;
        let key = if k < HISTORY {
            k
        } else {
            // HISTORY pairs; the newest (made at step k) sits in slot (k - 1) % HISTORY.
            HISTORY + (k - 1) % HISTORY
        };
        &self.variants[key]
    }

    /// Bytes of GPU memory the state holds.
    pub fn bytes(&self) -> u64 {
        self.buffers.iter().map(|b| b.size()).sum()
    }

    /// vec4 vectors of [count] the state holds: the history's s and y, the previous gradient, the direction.
    pub const VECTORS: u64 = 2 * HISTORY as u64 + 2;

    /// Bytes per pixel the state will hold at any size (for estimates made before allocating; the scalars,
    /// partials and placeholders are a few hundred bytes in all).
    pub fn bytes_per_pixel() -> u64 {
        Self::VECTORS * 4 * 4
    }
}
