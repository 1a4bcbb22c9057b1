// The filter network's convolution forward (+ bias) as a tiled implicit GEMM: conv.wgsl's `forward` with the same
// math, layouts and bindings, for output channel counts that are multiples of TILE_N (16, 32 or 64). Any odd kernel
// K of 1..9, stride S of 1 or 2, reflection padding P = K / 2.
// Prepended: the generated constants (THREADS, TILE_N, TILE_M, TILE_K: one module per tiling, src/kernels/sizes.rs
// CONV_TILED) and common/filter_conv.wgsl (params, src = x, aux = the parameter buffer, dst = y, `reflect`).
//
// GEMM view: y[p][n] = sum_k A[p][k] * B[k][n] (+ bias[n]), with p = oy * OW + ox, k = (ky * K + kx) * CIN + ci,
//   A[p][k] = x[reflect(oy * S + ky - P)][reflect(ox * S + kx - P)][ci] and B the layer's weights, which are
//   [K][K][CIN][COUT] = a [K * K * CIN][COUT] matrix. CIN is a multiple of 4, so 4 consecutive depths of A are one
//   tap's vec4 of input channels.
// Tiling: THREADS (256) threads as ROWS x COLS, COLS = TILE_N / 4. Thread (r, c) owns output pixels 4r .. 4r + 3
// of the tile and its vec4 column c: four vec4 accumulators, 16 multiply-adds per 2 vec4 reads of workgroup memory.
// TILE_M = 4 ROWS pixels (256, 128 or 64 for TILE_N 16, 32, 64). K advances TILE_K depths per step through
// workgroup memory: A transposed as [TILE_K][ROWS] vec4 (4 consecutive pixels per vec4), B as [TILE_K][COLS] vec4.
// Each thread loads A_LOADS vec4s of A per step and the first TILE_K * COLS threads one of B; the next step's loads
// are issued before this step's products, so their latency hides behind the arithmetic. Workgroup memory: at most
// 8 KiB of A and 4 KiB of B.
// Grid: x = COUT / TILE_N, y * z = ceil(OH * OW / TILE_M) (z only when y would pass the device's limit).

const COLS: u32 = TILE_N / 4u;
const ROWS: u32 = TILE_M / 4u;                    // ROWS x COLS = THREADS
const GROUPS: u32 = TILE_K / 4u;                  // vec4s of depth per A row per step
const A_LOADS: u32 = TILE_M * GROUPS / THREADS;   // 1 or 2
const B_LOADS: u32 = TILE_K * COLS;               // vec4s of B per step (at most THREADS)

var<workgroup> a_tile: array<vec4<f32>, TILE_K * ROWS>;
var<workgroup> b_tile: array<vec4<f32>, B_LOADS>;

// Where one of this thread's A loads reads: tile row m (a pixel), depth group g, and the pixel's padded origin.
struct Slot {
    m: u32,
    g: u32,
    y0: i32,   // oy * S - P
    x0: i32,   // ox * S - P
}

fn slot(lid: u32, i: u32, tile_m: u32) -> Slot {
    let idx = lid + i * THREADS;
    var s: Slot;
    s.m = idx / GROUPS;
    s.g = idx % GROUPS;
    let p = tile_m + s.m;
    s.y0 = i32((p / params.out_width) * params.stride) - i32(params.pad);
    s.x0 = i32((p % params.out_width) * params.stride) - i32(params.pad);
    return s;
}

// A[p][k0 + 4g .. + 3]: one tap's vec4 of input channels. Past the last pixel (the last tile's spare rows, never
// stored) and past K (times B's zeros there) it reads a pixel that `reflect` clamps into the image.
fn load_a(s: Slot, k0: u32) -> vec4<f32> {
    let cin = params.cin;
    let k = k0 + 4u * s.g;
    let tap = k / cin;
    let ci4 = (k - tap * cin) / 4u;
    let iy = reflect(s.y0 + i32(tap / params.kernel), params.height);
    let ix = reflect(s.x0 + i32(tap % params.kernel), params.width);
    return src[(iy * params.width + ix) * (cin / 4u) + ci4];
}

// B[k0 + lid / COLS][tile column lid % COLS], zero past K: the last step's depths there add nothing.
fn load_b(lid: u32, k0: u32, tile_n: u32) -> vec4<f32> {
    let k = k0 + lid / COLS;
    if (k >= params.kernel * params.kernel * params.cin) {
        return vec4<f32>(0.0);
    }
    return aux[params.w_offset / 4u + k * (params.cout / 4u) + tile_n / 4u + lid % COLS];
}

// One step's operands as this thread loads them from global memory.
struct Loaded {
    a0: vec4<f32>,
    a1: vec4<f32>,
    b: vec4<f32>,
}

fn load_step(lid: u32, s0: Slot, s1: Slot, k0: u32, tile_n: u32) -> Loaded {
    var l: Loaded;
    l.a0 = load_a(s0, k0);
    if (A_LOADS == 2u) {
        l.a1 = load_a(s1, k0);
    }
    if (lid < B_LOADS) {
        l.b = load_b(lid, k0, tile_n);
    }
    return l;
}

// Stores `v`, depths 4g .. 4g + 3 of tile row m, transposed into a_tile (one float per depth).
fn stage_a(s: Slot, v: vec4<f32>) {
    let row = 4u * s.g * ROWS + s.m / 4u;
    let lane = s.m % 4u;
    a_tile[row][lane] = v.x;
    a_tile[row + ROWS][lane] = v.y;
    a_tile[row + 2u * ROWS][lane] = v.z;
    a_tile[row + 3u * ROWS][lane] = v.w;
}

fn emit(p: u32, col4: u32, v: vec4<f32>, bias: vec4<f32>) {
    if (p < params.out_height * params.out_width) {
        dst[p * (params.cout / 4u) + col4] = v + bias;
    }
}

@compute @workgroup_size(THREADS)
fn forward(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let tile_n = wid.x * TILE_N;
    let tile_m = (wid.y + wid.z * nwg.y) * TILE_M;
    let r = lid / COLS;
    let c = lid % COLS;
    let s0 = slot(lid, 0u, tile_m);
    let s1 = slot(lid, 1u, tile_m);
    let k_total = params.kernel * params.kernel * params.cin;

    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    var next = load_step(lid, s0, s1, 0u, tile_n);
    for (var k0 = 0u; k0 < k_total; k0 += TILE_K) {
        stage_a(s0, next.a0);
        if (A_LOADS == 2u) {
            stage_a(s1, next.a1);
        }
        if (lid < B_LOADS) {
            b_tile[lid] = next.b;
        }
        workgroupBarrier();
        if (k0 + TILE_K < k_total) {
            next = load_step(lid, s0, s1, k0 + TILE_K, tile_n);
        }
        for (var kk = 0u; kk < TILE_K; kk++) {
            let a = a_tile[kk * ROWS + r];
            let b = b_tile[kk * COLS + c];
            acc0 += a.x * b;
            acc1 += a.y * b;
            acc2 += a.z * b;
            acc3 += a.w * b;
        }
        workgroupBarrier();
    }

    let col4 = tile_n / 4u + c;
    var bias = vec4<f32>(0.0);
    if (params.has_bias != 0u) {
        bias = aux[params.bias_offset / 4u + col4];
    }
    let p = tile_m + 4u * r;
    emit(p, col4, acc0, bias);
    emit(p + 1u, col4, acc1, bias);
    emit(p + 2u, col4, acc2, bias);
    emit(p + 3u, col4, acc3, bias);
}
