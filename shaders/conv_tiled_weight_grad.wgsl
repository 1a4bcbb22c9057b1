// The filter network's convolution weight gradient as a tiled implicit GEMM: conv.wgsl's `weight_partials` with
// the same math, layouts and bindings (x, dy, partials; conv.wgsl's header), for output channel counts that are
// multiples of TILE_N (16, 32 or 64). Any odd kernel K of 1..9, stride S of 1 or 2, reflection padding P = K / 2.
// Each split sums its chunk of output pixels [split * chunk, + chunk) into its slice of partials; conv.wgsl's
// weight_reduce then sums the splits.
// Prepended: the generated constants (THREADS, TILE_N, TILE_M, TILE_K: one module per tiling, src/kernels/sizes.rs
// CONV_TILED), common/filter_conv.wgsl (params, src = x, aux = dy, dst = partials, `reflect`) and
// common/conv_tiled_gemm.wgsl (the GEMM: staging, loads ahead, products), for which this file defines A and B.
//
// GEMM view: partials[split][k][n] = sum_p A[k][p] * B[p][n], k = (ky * K + kx) * CIN + ci (a row of the weights,
//   [K][K][CIN][COUT]) and row K * K * CIN the bias, n an output channel; the depths are the split's pixels p:
//   A[k][p] = x[reflect(oy * S + ky - P)][reflect(ox * S + kx - P)][ci] and 1 in the bias row (so that its sum is
//   the bias gradient, stored just after the weights' as the partials' layout has it); B[p][n] = dy[p][n].
//   A's 4 consecutive rows are one tap's vec4 of x, staged as they are.
// Tiling (common/conv_tiled_gemm.wgsl): thread (r, c) owns weight rows 4r .. 4r + 3 of the tile and its vec4
// column c.
// Grid: x = COUT / TILE_N, y = ceil((K * K * CIN + 4) / TILE_M), z = splits.

// Where one of this thread's A loads reads: tile row group rg (weight rows 4 rg .. + 3: one tap, 4 input channels,
// or the bias row) at depth kk of each step.
struct Slot {
    rg: u32,
    kk: u32,
    ky: u32,
    kx: u32,
    ci4: u32,
    bias: bool,    // the bias row: A = 1
    inside: bool,  // a weight or the bias row (the last tile's spare rows are not)
}

fn weight_rows() -> u32 {
    return params.kernel * params.kernel * params.cin;
}

fn slot(lid: u32, i: u32, tile_m: u32) -> Slot {
    let idx = lid + i * THREADS;
    let cin = params.cin;
    var s: Slot;
    s.rg = idx % ROWS;
    s.kk = idx / ROWS;
    let k = tile_m + 4u * s.rg;
    let tap = k / cin;
    s.ky = tap / params.kernel;
    s.kx = tap % params.kernel;
    s.ci4 = (k - tap * cin) / 4u;
    s.bias = k == weight_rows();
    s.inside = k <= weight_rows();
    return s;
}

// A[rows 4 rg .. + 3][pixel p0 + kk]: the vec4 of x that tap (ky, kx) of that output pixel reads, (1, 0, 0, 0)
// in the bias row, zero from the split's end p_end on.
fn load_a(s: Slot, p0: u32, p_end: u32) -> vec4<f32> {
    let p = p0 + s.kk;
    if (!s.inside || p >= p_end) {
        return vec4<f32>(0.0);
    }
    if (s.bias) {
        return vec4<f32>(1.0, 0.0, 0.0, 0.0);
    }
    let oy = p / params.out_width;
    let ox = p - oy * params.out_width;
    let pad = i32(params.pad);
    let iy = reflect(i32(oy * params.stride + s.ky) - pad, params.height);
    let ix = reflect(i32(ox * params.stride + s.kx) - pad, params.width);
    return src[(iy * params.width + ix) * (params.cin / 4u) + s.ci4];
}

fn stage_a(s: Slot, v: vec4<f32>) {
    a_tile[s.kk * ROWS + s.rg] = v;
}

// B[pixel p0 + lid / COLS][tile column lid % COLS] = dy there, zero from p_end on.
fn load_b(lid: u32, p0: u32, p_end: u32, tile_n: u32) -> vec4<f32> {
    let p = p0 + lid / COLS;
    if (p >= p_end) {
        return vec4<f32>(0.0);
    }
    return aux[p * (params.cout / 4u) + tile_n / 4u + lid % COLS];
}

// Weight row k (the bias row at K * K * CIN) of one split's partials from `base`, vec4 column col4.
fn emit(base: u32, k: u32, col4: u32, v: vec4<f32>) {
    if (k <= weight_rows()) {
        dst[base + k * (params.cout / 4u) + col4] = v;
    }
}

@compute @workgroup_size(THREADS)
fn weight_partials(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let tile_n = wid.x * TILE_N;
    let tile_m = wid.y * TILE_M;
    let split = wid.z;
    let s0 = slot(lid, 0u, tile_m);
    let s1 = slot(lid, 1u, tile_m);
    let begin = split * params.chunk;
    let end = min(begin + params.chunk, params.out_height * params.out_width);
    let acc = tiled_gemm(lid, s0, s1, tile_n, begin, end);

    let cout4 = params.cout / 4u;
    let base = split * (weight_rows() * cout4 + cout4);
    let col4 = tile_n / 4u + lid % COLS;
    let k = tile_m + 4u * (lid / COLS);
    emit(base, k, col4, acc.r0);
    emit(base, k + 1u, col4, acc.r1);
    emit(base, k + 2u, col4, acc.r2);
    emit(base, k + 3u, col4, acc.r3);
}
