// L-BFGS on the pixels, every vector and scalar on the GPU: the host records a fixed list of these dispatches per
// step (which history slots, in which order) and never reads anything back.
//
// One step, given the gradient g (m = history length, pairs (s_j, y_j) in ring slots):
//   begin:        y[newest] = g - g_prev; g_prev = g; d = -g; t = step length
//   dot + finish: ys, yy of the newest pair -> rho (0 when ys <= 1e-10: the pair is skipped), H0 = ys / yy
//   first loop (newest to oldest):  alpha_j = rho_j s_j.d;  d -= alpha_j y_j          (dot, finish, axpy)
//   d *= H0                                                                            (axpy with no b)
//   second loop (oldest to newest): beta = rho_j y_j.d;     d += (alpha_j - beta) s_j  (dot, finish, axpy)
//   cap:          t = min(t, max_rms / rms(d))   (dot d.d, finish; rms over the 3 colour values of each pixel)
//   update:       x_new = clamp(x + t d, 0, 1); s[next] = x_new - x   (the step actually taken)
// The very first step has no pairs: d = -g and t = t0 * min(1, 1 / |g|_1), t0 the step length the host passes
// (LBFGS_STEP in src/step/optimizer.rs: 1); every later step takes the step length t0 itself, shortened where
// its root-mean-square change of a colour value would pass max_rms (MAX_STEP_RMS in src/kernels/lbfgs.rs). With no
// line search, that cap is what stops one bad curvature estimate (H0 = ys / yy far too large after a tiny first
// step) from throwing every pixel against the box in one step; healthy steps stay well below it.
//
// Layouts: every vector is [H * W] vec4<f32> (r, g, b, 0); partials: [PARTIALS] vec4<f32> (per-workgroup lanes);
// scalars: [4 + 2m] f32 = (H0, t, ys, unused, rho[m], alpha[m]).
// Bindings are shared by all entries (slot 0 uniform; unused slots get small placeholder buffers):
//   1 scalars (rw), 2 src (read), 3 src2 (read), 4 dst (rw), 5 dst2 (rw), 6 dst3 (rw)
// Tiling: per-pixel entries (begin, axpy, update): one thread per pixel, WORKGROUP_SIZE (256) per workgroup, 2D
// grid flattened. dot_partials: PARTIALS (64) workgroups of WORKGROUP_SIZE threads, each thread striding over the
// vectors; dot_finish: one workgroup, a tree sum (common/tree_sum.wgsl).
// Prepended: the generated constants WORKGROUP_SIZE and PARTIALS, common/flat_index.wgsl and common/tree_sum.wgsl.

struct Params {
    count: u32,     // pixels
    op: u32,        // what dot_finish does with the dot, or how axpy scales (see the constants)
    slot: u32,      // history slot the scalars of this dispatch belong to
    flag: u32,      // begin: 1 if a newest pair is to be completed; dot_partials: 1 for |a|_1 instead of a.b
    value: f32,     // begin and dot_finish OP_FIRST: the step length t0; dot_finish OP_CAP: max_rms
    sign: f32,      // axpy: +1 or -1
    m: u32,         // history length
    _pad: u32,
}

const H0: u32 = 0u;
const T: u32 = 1u;
const YS: u32 = 2u;
const RHO: u32 = 4u;

// dot_finish ops
const OP_YS: u32 = 0u;     // rho[slot] = ys > 1e-10 ? 1 / ys : 0
const OP_YY: u32 = 1u;     // H0 = ys / yy, if the newest pair is used
const OP_ALPHA: u32 = 2u;  // alpha[slot] = rho[slot] * dot
const OP_BETA: u32 = 3u;   // alpha[slot] -= rho[slot] * dot  (the coefficient of s in the second loop)
const OP_FIRST: u32 = 4u;  // t = t0 * min(1, 1 / dot), dot = |g|_1
const OP_CAP: u32 = 5u;    // t = min(t, max_rms / rms(d)), dot = d.d

// axpy ops: d = d * scale + sign * coef * src
const AXPY_ALPHA: u32 = 0u;  // scale 1, coef alpha[slot]
const AXPY_H0: u32 = 1u;     // scale H0, no src term

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> scalars: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> src2: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dst2: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dst3: array<vec4<f32>>;

// src = g, dst = g_prev, dst2 = d, dst3 = y[newest]
@compute @workgroup_size(WORKGROUP_SIZE)
fn begin(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i == 0u && params.flag == 1u) {
        scalars[T] = params.value;
    }
    if (i >= params.count) {
        return;
    }
    let g = src[i];
    if (params.flag == 1u) {
        dst3[i] = g - dst[i];
    }
    dst[i] = g;
    dst2[i] = -g;
}

alias Lane = vec4<f32>;

// src . src2 (or |src|_1) -> dst[0 .. PARTIALS), one vec4 of lane sums per workgroup
@compute @workgroup_size(WORKGROUP_SIZE)
fn dot_partials(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    var acc = vec4<f32>(0.0);
    for (var i = wid.x * WORKGROUP_SIZE + lid; i < params.count; i += PARTIALS * WORKGROUP_SIZE) {
        if (params.flag == 1u) {
            acc += abs(src[i]);
        } else {
            acc += src[i] * src2[i];
        }
    }
    sum_lanes(lid, acc);
    if (lid == 0u) {
        dst[wid.x] = lanes[0];
    }
}

// dst = partials -> one dot, then the scalar update named by params.op
@compute @workgroup_size(WORKGROUP_SIZE)
fn dot_finish(@builtin(local_invocation_index) lid: u32) {
    var acc = vec4<f32>(0.0);
    if (lid < PARTIALS) {
        acc = dst[lid];
    }
    sum_lanes(lid, acc);
    if (lid != 0u) {
        return;
    }
    let dot = lanes[0].x + lanes[0].y + lanes[0].z + lanes[0].w;
    let rho = RHO + params.slot;
    let alpha = RHO + params.m + params.slot;
    switch params.op {
        case OP_YS: {
            scalars[YS] = dot;
            scalars[rho] = select(0.0, 1.0 / dot, dot > 1e-10);
        }
        case OP_YY: {
            if (scalars[rho] > 0.0 && dot > 0.0) {
                scalars[H0] = scalars[YS] / dot;
            }
        }
        case OP_ALPHA: {
            scalars[alpha] = scalars[rho] * dot;
        }
        case OP_BETA: {
            scalars[alpha] = scalars[alpha] - scalars[rho] * dot;
        }
        case OP_FIRST: {
            scalars[T] = params.value * min(1.0, 1.0 / max(dot, 1e-30));
        }
        case OP_CAP: {
            let rms = sqrt(dot / f32(3u * params.count));
            if (scalars[T] * rms > params.value) {
                scalars[T] = params.value / rms;
            }
        }
        default: {}
    }
}

// dst = d; src = the history vector (unused for AXPY_H0)
@compute @workgroup_size(WORKGROUP_SIZE)
fn axpy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.count) {
        return;
    }
    if (params.op == AXPY_H0) {
        dst[i] = dst[i] * scalars[H0];
    } else {
        dst[i] = dst[i] + params.sign * scalars[RHO + params.m + params.slot] * src[i];
    }
}

// src = d, dst = pixels, dst2 = s[next]
@compute @workgroup_size(WORKGROUP_SIZE)
fn update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.count) {
        return;
    }
    let x = dst[i];
    let x_new = clamp(x + scalars[T] * src[i], vec4<f32>(0.0), vec4<f32>(1.0));
    dst[i] = x_new;
    dst2[i] = x_new - x;
}
