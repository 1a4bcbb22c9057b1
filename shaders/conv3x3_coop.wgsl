// 3x3 convolution, stride 1, zero padding 1, on tensor cores (cooperative matrices: 16x16x16 multiplies of f16
// inputs into f32 accumulators): forward (+ bias + ReLU) and input gradient (through the ReLU mask). The same
// maths, buffers and bindings as conv3x3.wgsl; used where src/gpu/tensor_cores.rs finds the hardware (native only).
// Prepended: the generated constants (COOP_*, src/kernels/sizes.rs: CoopTiling), common/conv_bindings.wgsl
// (params, src, weights, aux, dst), the matrix types MatA, MatB, MatC of one size (COOP_MMA = 16, or 8 where
// the adapter has only that, e.g. lavapipe: then every tile size below halves) and common/coop_gemm.wgsl (the
// GEMM's staging, loads and products; this file says what A and B are).
//
// Layouts (channels-last, f32, every channel count a multiple of 4, read as vec4):
//   src     : [H][W][CIN]            forward: the layer input;  backward_input: dLoss/d relu output
//   weights : [9][CIN][COUT]         tap-major (tap = ky * 3 + kx); i.e. a [K = 9 * CIN][COUT] matrix
//                                     backward_input reads the flipped, transposed copy made at load time
//   aux     : forward: bias [COUT];  backward_input: the forward ReLU output [H][W][CIN], used as the mask
//   dst     : [H][W][COUT]
// GEMM view: dst[p][n] = sum_k A[p][k] * weights[k][n], A[p][k] = src[p + offset(tap)][ci], k = tap * CIN + ci.
//
// Tiling (common/coop_gemm.wgsl): a workgroup of COOP_THREADS (128) threads computes COOP_TILE_M (64) pixels x
// COOP_TILE_N (64) output channels, K advancing COOP_TILE_K (32) depths per step through workgroup memory as f16.
// Anything outside the image, past K, past the last pixel or past COUT is staged as zero, so edge tiles, K = 36
// (conv1_1 forward) and COUT = 4 (conv1_1's input gradient) need no special case. Each subgroup owns one 32 x 32
// quarter of the tile; the adapter check guarantees at least 4 subgroups (subgroups of at most 32 lanes; 32 on
// NVIDIA: exactly 4). The epilogue (scale, bias, ReLU, bounds) reads the finished tile from c_tile and writes vec4s.
// Grid: x = ceil(COUT / 64), y * z = ceil(H * W / 64) (z only when y would pass 65535).
//
// Precision: f16 keeps 11 significant bits between 2^-14 and 65504 (subnormals down to 2^-24). Gradients of the
// style losses are often far below 2^-14 and activations can be large, so each workgroup first finds the largest
// |src| its tile can read (the three bands of pixels around its own, all channels) and stages src times a power
// of two that puts that maximum just under 2^15; the epilogue multiplies by the inverse power, exactly. Every
// value within a factor 2^29 of the tile's maximum thus keeps full f16 precision whatever the loss weights; the
// f32 accumulators see no rounding beyond f16's 2^-11 on each input. Weights (VGG's are below 2 in magnitude)
// are converted unscaled.

enable f16;
enable wgpu_cooperative_matrix;

// The scale puts a tile's largest |src| in [2^14, 2^15); the shift is clamped to stay a finite f32.
const SCALE_TOP: i32 = 15;
const MAX_SHIFT: i32 = 100;

var<workgroup> tile_max: array<f32, COOP_THREADS>;   // each thread's largest |src|, reduced to tile_max[0]
// How this workgroup stages A: times `a_scale` (the tile's power of two), through the ReLU mask when `a_masked`.
var<private> a_scale: f32;
var<private> a_masked: bool;

// The power of two src is staged times: the largest |src| within the flat pixel ranges [tile_m + dy * W - 1,
// tile_m + 64 + dy * W + 1), dy = -1, 0, 1, which hold every pixel the tile reads (and a few more at row ends);
// each range's channels are contiguous in memory, so it is read as one run. Every thread must use the same scale
// (it stages with it and unscales with it). The maximum is a tree reduction through workgroup memory: the same
// reduction through an atomicMax on a workgroup variable gave wrong products on an H100 (NVIDIA's Vulkan driver
// 580), where this one and a fixed scale give right ones.
fn tile_scale(lid: u32, tile_m: u32) -> f32 {
    let cin4 = i32(params.cin / 4u);
    let end = i32(params.height * params.width) * cin4;
    let band = i32(COOP_TILE_M + 2u) * cin4;
    var m = 0.0;
    for (var dy = -1; dy <= 1; dy++) {
        let start = (i32(tile_m) + dy * i32(params.width) - 1) * cin4;
        for (var j = i32(lid); j < band; j += i32(COOP_THREADS)) {
            let i = start + j;
            if (i >= 0 && i < end) {
                let v = abs(src[u32(i)]);
                m = max(m, max(max(v.x, v.y), max(v.z, v.w)));
            }
        }
    }
    tile_max[lid] = m;
    workgroupBarrier();
    for (var half = COOP_THREADS / 2u; half > 0u; half /= 2u) {
        if (lid < half) {
            tile_max[lid] = max(tile_max[lid], tile_max[lid + half]);
        }
        workgroupBarrier();
    }
    let largest = tile_max[0];
    workgroupBarrier();
    // zero (nothing to scale) or not finite (the result will not be either): stage as is
    if (largest == 0.0 || bitcast<u32>(largest) >= 0x7f800000u) {
        return 1.0;
    }
    return ldexp(1.0, clamp(SCALE_TOP - frexp(largest).exp, -MAX_SHIFT, MAX_SHIFT));
}

// Tile row m's pixel (x, y); past the last pixel, one far outside the image, so that its row stages zeros.
fn origin(tile_m: u32, m: u32) -> vec2<i32> {
    let p = tile_m + m;
    if (p >= params.height * params.width) {
        return vec2<i32>(-4);
    }
    return vec2<i32>(i32(p % params.width), i32(p / params.width));
}

// A at pixel `o`, depth `d`: the input at tap (ky, kx) around it, times a_scale, through the mask when a_masked;
// zero outside the image and past K.
fn load_a(o: vec2<i32>, d: Depth) -> vec4<f32> {
    let iy = o.y + i32(d.ky) - 1;
    let ix = o.x + i32(d.kx) - 1;
    if (d.ky >= 3u || iy < 0 || iy >= i32(params.height) || ix < 0 || ix >= i32(params.width)) {
        return vec4<f32>(0.0);
    }
    let idx = (u32(iy) * params.width + u32(ix)) * (params.cin / 4u) + d.ci / 4u;
    let v = src[idx] * a_scale;
    if (a_masked) {
        return select(vec4<f32>(0.0), v, aux[idx] > vec4<f32>(0.0));
    }
    return v;
}

// B is the weights: common/conv_bindings.wgsl's `load_b`.

// Writes the finished tile: relu(value + bias) forward, the plain value backward; nothing past the last pixel or
// channel.
fn epilogue(lid: u32, tile_m: u32, tile_n: u32, scale: f32, forward: bool) {
    let pixels = params.height * params.width;
    let cout4 = params.cout / 4u;
    let unscale = 1.0 / scale;
    for (var i = 0u; i < C_STORES; i++) {
        let e = lid + i * COOP_THREADS;
        let m = e / (COOP_TILE_N / 4u);
        let n4 = e % (COOP_TILE_N / 4u);
        let p = tile_m + m;
        let col4 = tile_n / 4u + n4;
        if (p < pixels && col4 < cout4) {
            var v = finished(m, n4) * unscale;
            if (forward) {
                v = max(v + aux[col4], vec4<f32>(0.0));
            }
            dst[p * cout4 + col4] = v;
        }
    }
}

@compute @workgroup_size(COOP_THREADS)
fn forward(
    @builtin(local_invocation_index) lid: u32,
    @builtin(subgroup_id) sg: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let tile_n = wid.x * COOP_TILE_N;
    let tile_m = (wid.y + wid.z * nwg.y) * COOP_TILE_M;
    let scale = tile_scale(lid, tile_m);
    a_scale = scale;
    a_masked = false;
    gemm_tile(lid, sg, tile_m, tile_n, params.cin, 3u);
    epilogue(lid, tile_m, tile_n, scale, true);
}

@compute @workgroup_size(COOP_THREADS)
fn backward_input(
    @builtin(local_invocation_index) lid: u32,
    @builtin(subgroup_id) sg: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let tile_n = wid.x * COOP_TILE_N;
    let tile_m = (wid.y + wid.z * nwg.y) * COOP_TILE_M;
    let scale = tile_scale(lid, tile_m);
    a_scale = scale;
    a_masked = true;
    gemm_tile(lid, sg, tile_m, tile_n, params.cin, 3u);
    epilogue(lid, tile_m, tile_n, scale, false);
}
