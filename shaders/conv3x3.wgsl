// 3x3 convolution, stride 1, zero padding 1, as an implicit GEMM: forward (+ bias + ReLU) and input gradient
// (through the ReLU mask). Weights are frozen, so there is no weight gradient.
// Prepended: the generated constants (TILE_M, TILE_N, TILE_K: one module per tiling, src/kernels/conv3x3.rs),
// common/conv_bindings.wgsl (params, src, weights, aux, dst) and common/register_block.wgsl.
//
// Layouts (channels-last, f32, every channel count a multiple of 4, read and written as vec4):
//   src     : [IMAGES][H][W][CIN]    forward: the layer input;  backward_input: dLoss/d relu output
//                                     (a batch of images stacked along the rows, each zero-padded at its borders)
//   weights : [9][CIN][COUT]         tap-major (tap = ky * 3 + kx); i.e. a [K = 9 * CIN][COUT] matrix
//                                     backward_input reads the flipped, transposed copy made at load time
//   aux     : forward: bias [COUT];  backward_input: the forward ReLU output [IMAGES][H][W][CIN], the mask
//   dst     : [IMAGES][H][W][COUT]
// GEMM view: dst[p][n] = sum_k A[p][k] * weights[k][n], A[p][k] = src[p + offset(tap)][ci], k = tap * CIN + ci.
// Tiling: a workgroup of 16 x 16 threads computes a TILE_M-pixel x TILE_N-channel tile (64 or 128 each), each
// thread a (TILE_M / 16) x (TILE_N / 16) block (common/register_block.wgsl). The reduction walks K in steps of
// TILE_K (16) through workgroup memory: A as [16][TILE_M] (transposed while staging), B as [16][TILE_N]. The next
// step's global loads are issued before the current step's products, so their latency hides behind the arithmetic.
// A tile may span two images: each row finds its own image's top row for the padding test.
// Grid: x = ceil(COUT / TILE_N), y * z = ceil(IMAGES * H * W / TILE_M) (z only when y would pass 65535).

const THREADS: u32 = 256u;              // 16 x 16
const A_LOADS: u32 = TILE_M / 64u;      // vec4 loads of A per thread per K step (TILE_M * TILE_K / 4 / THREADS)
const B_LOADS: u32 = TILE_N / 64u;      // ... and of B
const MODE_FORWARD: u32 = 0u;           // emit: + bias, ReLU
const MODE_BACKWARD: u32 = 1u;          // emit: as it is

// One K step's operands as this thread loads them from global memory: A_LOADS vec4s of A, B_LOADS of B.
struct Loaded {
    a0: vec4<f32>,
    a1: vec4<f32>,
    b0: vec4<f32>,
    b1: vec4<f32>,
}

// Load `i` (0 or 1) of A of this thread: tile row m, depths 4 * kg .. + 3 of each K step.
fn a_row(lid: u32, i: u32) -> u32 {
    return (lid + i * THREADS) / (TILE_K / 4u);
}
fn a_group(lid: u32, i: u32) -> u32 {
    return (lid + i * THREADS) % (TILE_K / 4u);
}

// A[p][k0 + 4 * kg .. + 3]: the input at pixel p shifted by tap k / CIN, zero outside the image (and past K).
fn load_a(p: u32, kg: u32, k0: u32, masked: bool) -> vec4<f32> {
    let h = params.height;
    let w = params.width;
    let cin = params.cin;
    let k = k0 + kg * 4u;
    if (p >= params.images * h * w || k >= 9u * cin) {
        return vec4<f32>(0.0);
    }
    let tap = k / cin;
    let ci4 = (k - tap * cin) / 4u;
    let y = p / w;
    // the first row of p's image (a uniform branch: one image, the optimisation's case, divides no more)
    var top = 0;
    if (params.images > 1u) {
        top = i32(y - y % h);
    }
    let iy = i32(y) + i32(tap / 3u) - 1;
    let ix = i32(p % w) + i32(tap % 3u) - 1;
    if (iy < top || iy >= top + i32(h) || ix < 0 || ix >= i32(w)) {
        return vec4<f32>(0.0);
    }
    let idx = (u32(iy) * w + u32(ix)) * (cin / 4u) + ci4;
    let v = src[idx];
    if (masked) {
        return select(vec4<f32>(0.0), v, aux[idx] > vec4<f32>(0.0));
    }
    return v;
}

fn load_step(lid: u32, tile_m: u32, tile_n: u32, k0: u32, masked: bool) -> Loaded {
    var l: Loaded;
    l.a0 = load_a(tile_m + a_row(lid, 0u), a_group(lid, 0u), k0, masked);
    l.b0 = load_b(k0 + lid / (TILE_N / 4u), tile_n / 4u + lid % (TILE_N / 4u));
    if (A_LOADS == 2u) {
        l.a1 = load_a(tile_m + a_row(lid, 1u), a_group(lid, 1u), k0, masked);
    }
    if (B_LOADS == 2u) {
        let j = lid + THREADS;
        l.b1 = load_b(k0 + j / (TILE_N / 4u), tile_n / 4u + j % (TILE_N / 4u));
    }
    return l;
}

// Stores `v`, depths 4 * kg .. + 3 of tile row m, transposed into a_tile (one float per depth).
fn stage_a(m: u32, kg: u32, v: vec4<f32>) {
    let row = kg * 4u * (TILE_M / 4u) + m / 4u;
    let lane = m % 4u;
    a_tile[row][lane] = v.x;
    a_tile[row + TILE_M / 4u][lane] = v.y;
    a_tile[row + 2u * (TILE_M / 4u)][lane] = v.z;
    a_tile[row + 3u * (TILE_M / 4u)][lane] = v.w;
}

fn stage_step(lid: u32, l: Loaded) {
    stage_a(a_row(lid, 0u), a_group(lid, 0u), l.a0);
    b_tile[lid] = l.b0;
    if (A_LOADS == 2u) {
        stage_a(a_row(lid, 1u), a_group(lid, 1u), l.a1);
    }
    if (B_LOADS == 2u) {
        b_tile[lid + THREADS] = l.b1;
    }
}

// The main loop of both entries: this thread's block of the tile at (tile_m, tile_n).
fn gemm_tile(lid: u32, tm: u32, tn: u32, tile_m: u32, tile_n: u32, masked: bool) -> Block {
    let k_total = 9u * params.cin;
    var acc = block_zero();
    var next = load_step(lid, tile_m, tile_n, 0u, masked);
    for (var k0 = 0u; k0 < k_total; k0 += TILE_K) {
        stage_step(lid, next);
        workgroupBarrier();
        if (k0 + TILE_K < k_total) {
            next = load_step(lid, tile_m, tile_n, k0 + TILE_K, masked);
        }
        block_multiply(&acc, tm, tn);
        workgroupBarrier();
    }
    return acc;
}

fn emit(p: u32, col4: u32, v: vec4<f32>, mode: u32) {
    let cout4 = params.cout / 4u;
    if (p >= params.images * params.height * params.width || col4 >= cout4) {
        return;
    }
    if (mode == MODE_FORWARD) {
        dst[p * cout4 + col4] = max(v + aux[col4], vec4<f32>(0.0));
    } else {
        dst[p * cout4 + col4] = v;
    }
}

@compute @workgroup_size(16, 16)
fn forward(
    @builtin(local_invocation_index) lid: u32,
    @builtin(local_invocation_id) l: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let tile_n = wid.x * TILE_N;
    let tile_m = (wid.y + wid.z * nwg.y) * TILE_M;
    let acc = gemm_tile(lid, l.y, l.x, tile_m, tile_n, false);
    block_emit(acc, tile_m, tile_n, l.y, l.x, MODE_FORWARD);
}

@compute @workgroup_size(16, 16)
fn backward_input(
    @builtin(local_invocation_index) lid: u32,
    @builtin(local_invocation_id) l: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let tile_n = wid.x * TILE_N;
    let tile_m = (wid.y + wid.z * nwg.y) * TILE_M;
    let acc = gemm_tile(lid, l.y, l.x, tile_m, tile_n, true);
    block_emit(acc, tile_m, tile_n, l.y, l.x, MODE_BACKWARD);
}
