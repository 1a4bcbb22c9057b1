// The filter network's convolution forward (+ bias) as a tiled implicit GEMM: conv_forward.wgsl's `forward` with the same
// math, layouts and bindings, for output channel counts that are multiples of TILE_N (16, 32 or 64). Any odd kernel
// K of 1..9, stride S of 1 or 2, reflection padding P = K / 2.
// Prepended: the generated constants (THREADS, TILE_N, TILE_M, TILE_K: one module per tiling, src/kernels/sizes.rs
// CONV_TILED), common/filter_conv.wgsl (params, src = x, aux = the parameter buffer, dst = y, `reflect`) and
// common/conv_tiled_gemm.wgsl (the GEMM: staging, loads ahead, products), for which this file defines A and B.
//
// GEMM view: y[p][n] = sum_k A[p][k] * B[k][n] (+ bias[n]), with p = oy * OW + ox, k = (ky * K + kx) * CIN + ci,
//   A[p][k] = x[reflect(oy * S + ky - P)][reflect(ox * S + kx - P)][ci] and B the layer's weights, which are
//   [K][K][CIN][COUT] = a [K * K * CIN][COUT] matrix. CIN is a multiple of 4, so 4 consecutive depths of A are one
//   tap's vec4 of input channels, staged transposed.
// Tiling (common/conv_tiled_gemm.wgsl): thread (r, c) owns output pixels 4r .. 4r + 3 of the tile and its vec4
// column c; TILE_M = 256, 128 or 64 pixels for TILE_N 16, 32, 64.
// Grid: x = COUT / TILE_N, y * z = ceil(OH * OW / TILE_M) (z only when y would pass the device's limit).

const GROUPS: u32 = TILE_K / 4u;                  // vec4s of depth per A row per step

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
fn load_a(s: Slot, k0: u32, k_end: u32) -> vec4<f32> {
    let cin = params.cin;
    let k = k0 + 4u * s.g;
    let tap = k / cin;
    let ci4 = (k - tap * cin) / 4u;
    let iy = reflect(s.y0 + i32(tap / params.kernel), params.height);
    let ix = reflect(s.x0 + i32(tap % params.kernel), params.width);
    return src[(iy * params.width + ix) * (cin / 4u) + ci4];
}

// B[k0 + lid / COLS][tile column lid % COLS], zero past k_end (K): the last step's depths there add nothing.
fn load_b(lid: u32, k0: u32, k_end: u32, tile_n: u32) -> vec4<f32> {
    let k = k0 + lid / COLS;
    if (k >= k_end) {
        return vec4<f32>(0.0);
    }
    return aux[params.w_offset / 4u + k * (params.cout / 4u) + tile_n / 4u + lid % COLS];
}

fn stage_a(s: Slot, v: vec4<f32>) {
    stage_a_transposed(s.m, s.g, v);
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
    let s0 = slot(lid, 0u, tile_m);
    let s1 = slot(lid, 1u, tile_m);
    let acc = tiled_gemm(lid, s0, s1, tile_n, 0u, params.kernel * params.kernel * params.cin);

    let col4 = tile_n / 4u + lid % COLS;
    var bias = vec4<f32>(0.0);
    if (params.has_bias != 0u) {
        bias = aux[params.bias_offset / 4u + col4];
    }
    let p = tile_m + 4u * (lid / COLS);
    emit(p, col4, acc.r0, bias);
    emit(p + 1u, col4, acc.r1, bias);
    emit(p + 2u, col4, acc.r2, bias);
    emit(p + 3u, col4, acc.r3, bias);
}
