// 3x3 convolution, stride 1, zero padding 1, on tensor cores (cooperative matrices: 16x16x16 multiplies of f16
// inputs into f32 accumulators): forward (+ bias + ReLU) and input gradient (through the ReLU mask). The same
// maths, buffers and bindings as conv3x3.wgsl; used where src/gpu/tensor_cores.rs finds the hardware (native only).
// Prepended: the generated constants (COOP_*, src/kernels/sizes.rs: CoopTiling), common/conv_bindings.wgsl
// (params, src, weights, aux, dst) and the matrix types MatA, MatB, MatC of one size (COOP_MMA = 16, or 8 where
// the adapter has only that, e.g. lavapipe: then every tile size below halves).
//
// Layouts (channels-last, f32, every channel count a multiple of 4, read as vec4):
//   src     : [H][W][CIN]            forward: the layer input;  backward_input: dLoss/d relu output
//   weights : [9][CIN][COUT]         tap-major (tap = ky * 3 + kx); i.e. a [K = 9 * CIN][COUT] matrix
//                                     backward_input reads the flipped, transposed copy made at load time
//   aux     : forward: bias [COUT];  backward_input: the forward ReLU output [H][W][CIN], used as the mask
//   dst     : [H][W][COUT]
// GEMM view: dst[p][n] = sum_k A[p][k] * weights[k][n], A[p][k] = src[p + offset(tap)][ci], k = tap * CIN + ci.
//
// Tiling: a workgroup of COOP_THREADS (128) threads computes COOP_TILE_M (64) pixels x COOP_TILE_N (64) output
// channels. The reduction walks K in steps of COOP_TILE_K (32), staged in workgroup memory as f16, row-major:
//   a_tile [COOP_TILE_M][COOP_A_STRIDE]   row m: pixel tile_m + m, depths k0 .. k0 + 31 (im2col on the fly)
//   b_tile [COOP_TILE_K][COOP_B_STRIDE]   row k: depth k0 + k, channels tile_n .. tile_n + 63
// Anything outside the image, past K, past the last pixel or past COUT is staged as zero, so edge tiles, K = 36
// (conv1_1 forward) and COUT = 4 (conv1_1's input gradient) need no special case. The strides are padded (+8
// halves) against bank conflicts; every row and 16-wide block starts 16-byte aligned.
// Each subgroup owns one 32 x 32 quarter of the tile (quarter = subgroup_id % 4): 2 x 2 accumulators, fed per
// 16-deep step by two 16x16 A blocks and two B blocks loaded from the staged tiles. The adapter check guarantees
// at least 4 subgroups (subgroups of at most 32 lanes; 32 on NVIDIA: exactly 4); extra subgroups (narrower ones,
// e.g. on a CPU) compute a quarter again and do not store it, which keeps every cooperative operation in uniform
// control flow. The finished accumulators go through c_tile [COOP_TILE_M][COOP_C_STRIDE] (f32), so the epilogue
// (scale, bias, ReLU, bounds) is ordinary per-thread code writing vec4s.
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

// vec4 loads per thread per K step: A (pixels x depths) and B (depths x channels) tiles; vec4 stores of the
// epilogue.
const A_LOADS: u32 = COOP_TILE_M * COOP_TILE_K / 4u / COOP_THREADS;
const B_LOADS: u32 = COOP_TILE_K * COOP_TILE_N / 4u / COOP_THREADS;
const C_STORES: u32 = COOP_TILE_M * COOP_TILE_N / 4u / COOP_THREADS;
// The scale puts a tile's largest |src| in [2^14, 2^15); the shift is clamped to stay a finite f32.
const SCALE_TOP: i32 = 15;
const MAX_SHIFT: i32 = 100;

var<workgroup> tile_max: array<f32, COOP_THREADS>;   // each thread's largest |src|, reduced to tile_max[0]

// The power of two src is staged times: the largest |src| within the flat pixel ranges [tile_m + dy * W - 1,
// tile_m + 64 + dy * W + 1), dy = -1, 0, 1, which hold every pixel the tile reads (and a few more at row ends).
// Every thread must use the same scale (it stages with it and unscales with it). The maximum is a tree reduction
// through workgroup memory: the same reduction through an atomicMax on a workgroup variable gave wrong products on
// an H100 (NVIDIA's Vulkan driver 580), where this one and a fixed scale give right ones.
fn tile_scale(lid: u32, tile_m: u32) -> f32 {
    let w = i32(params.width);
    let pixels = i32(params.height * params.width);
    let cin4 = params.cin / 4u;
    let band = (COOP_TILE_M + 2u) * cin4;
    var m = 0.0;
    for (var i = lid; i < 3u * band; i += COOP_THREADS) {
        let dy = i32(i / band) - 1;
        let j = i % band;
        let p = i32(tile_m) + dy * w - 1 + i32(j / cin4);
        if (p >= 0 && p < pixels) {
            let v = abs(src[u32(p) * cin4 + j % cin4]);
            m = max(m, max(max(v.x, v.y), max(v.z, v.w)));
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

// Stages depths k0 .. k0 + COOP_TILE_K of A (times `scale`, through the mask when `masked`) and of B as f16.
fn stage(lid: u32, tile_m: u32, tile_n: u32, k0: u32, scale: f32, masked: bool) {
    let h = i32(params.height);
    let w = params.width;
    let cin = params.cin;
    let cin4 = cin / 4u;
    let cout4 = params.cout / 4u;
    let pixels = params.height * w;
    let k_total = 9u * cin;
    for (var i = 0u; i < A_LOADS; i++) {
        let e = lid + i * COOP_THREADS;
        let m = e / (COOP_TILE_K / 4u);
        let kk = (e % (COOP_TILE_K / 4u)) * 4u;
        let p = tile_m + m;
        let k = k0 + kk;
        var v = vec4<f32>(0.0);
        if (p < pixels && k < k_total) {
            let tap = k / cin;
            let iy = i32(p / w) + i32(tap / 3u) - 1;
            let ix = i32(p % w) + i32(tap % 3u) - 1;
            if (iy >= 0 && iy < h && ix >= 0 && ix < i32(w)) {
                let idx = (u32(iy) * w + u32(ix)) * cin4 + (k - tap * cin) / 4u;
                v = src[idx] * scale;
                if (masked) {
                    v = select(vec4<f32>(0.0), v, aux[idx] > vec4<f32>(0.0));
                }
            }
        }
        let at = m * COOP_A_STRIDE + kk;
        let v16 = vec4<f16>(v);
        a_tile[at] = v16.x;
        a_tile[at + 1u] = v16.y;
        a_tile[at + 2u] = v16.z;
        a_tile[at + 3u] = v16.w;
    }
    for (var i = 0u; i < B_LOADS; i++) {
        let e = lid + i * COOP_THREADS;
        let kr = e / (COOP_TILE_N / 4u);
        let n4 = e % (COOP_TILE_N / 4u);
        let k = k0 + kr;
        let col4 = tile_n / 4u + n4;
        var v = vec4<f32>(0.0);
        if (k < k_total && col4 < cout4) {
            v = weights[k * cout4 + col4];
        }
        let at = kr * COOP_B_STRIDE + n4 * 4u;
        let v16 = vec4<f16>(v);
        b_tile[at] = v16.x;
        b_tile[at + 1u] = v16.y;
        b_tile[at + 2u] = v16.z;
        b_tile[at + 3u] = v16.w;
    }
}

// The tile's GEMM into c_tile (unscaled: src times `scale`). Both entries' main loop; `sg` is the subgroup id.
fn gemm_tile(lid: u32, sg: u32, tile_m: u32, tile_n: u32, scale: f32, masked: bool) {
    let quarter = quarter_of(sg);
    var sums = no_sums();
    let k_total = 9u * params.cin;
    for (var k0 = 0u; k0 < k_total; k0 += COOP_TILE_K) {
        stage(lid, tile_m, tile_n, k0, scale, masked);
        workgroupBarrier();
        sums = multiply_staged(quarter, sums);
        workgroupBarrier();
    }
    store_sums(sg, quarter, sums);
}

// Pixel m, channels 4 * n4 .. + 3 of c_tile, times `unscale`.
fn finished(m: u32, n4: u32, unscale: f32) -> vec4<f32> {
    let at = m * COOP_C_STRIDE + n4 * 4u;
    return vec4<f32>(c_tile[at], c_tile[at + 1u], c_tile[at + 2u], c_tile[at + 3u]) * unscale;
}

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
            var v = finished(m, n4, unscale);
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
    gemm_tile(lid, sg, tile_m, tile_n, scale, false);
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
    gemm_tile(lid, sg, tile_m, tile_n, scale, true);
    epilogue(lid, tile_m, tile_n, scale, false);
}
