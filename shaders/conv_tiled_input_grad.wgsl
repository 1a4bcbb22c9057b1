// The filter network's convolution input gradient as a tiled implicit GEMM: conv.wgsl's `backward_padded` with the
// same math, layouts and bindings (dy, weights, scratch; conv.wgsl's header), for input channel counts that are
// multiples of TILE_N (16, 32 or 64). Any odd kernel K of 1..9, stride S of 1 or 2, reflection padding P = K / 2:
// the gradient over the padded input, which conv.wgsl's backward_fold then folds onto the input.
// Prepended: the generated constants (THREADS, TILE_N, TILE_M, TILE_K: one module per tiling, src/kernels/sizes.rs
// CONV_TILED), common/filter_conv.wgsl (params, src = dy, aux = the parameter buffer, dst = scratch, `reflect`) and
// common/conv_tiled_gemm.wgsl (the GEMM: staging, loads ahead, products), for which this file defines A and B.
//
// GEMM view: scratch[q][n] = sum_k A[q][k] * B[k][n], q = qy * PW + qx over the padded grid (PH = H + 2P,
//   PW = W + 2P), n an input channel, k = (ky * K + kx) * COUT + co:
//   A[q][k] = dy[(qy - ky) / S][(qx - kx) / S][co] where both divide and land inside the output, else 0 (at
//   stride 2, 3 of 4 taps are zeros for each q); B[k][n] = weights[ky][kx][n][co], the weights transposed, read as
//   4 floats COUT apart. A's 4 consecutive depths are one tap's vec4 of dy, staged transposed.
// Tiling (common/conv_tiled_gemm.wgsl): thread (r, c) owns padded pixels 4r .. 4r + 3 of the tile and its vec4
// column c.
// Grid: x = CIN / TILE_N, y * z = ceil(PH * PW / TILE_M) (z only when y would pass the device's limit).

const GROUPS: u32 = TILE_K / 4u;   // vec4s of depth per A row per step

// Where one of this thread's A loads reads: tile row m (a padded pixel q), depth group g, q's place.
struct Slot {
    m: u32,
    g: u32,
    qy: i32,
    qx: i32,
    inside: bool,   // q is on the padded grid (the last tile's spare rows are not)
}

fn padded_pixels() -> u32 {
    return (params.height + 2u * params.pad) * (params.width + 2u * params.pad);
}

fn slot(lid: u32, i: u32, tile_m: u32) -> Slot {
    let idx = lid + i * THREADS;
    let padded_w = params.width + 2u * params.pad;
    var s: Slot;
    s.m = idx / GROUPS;
    s.g = idx % GROUPS;
    let q = tile_m + s.m;
    s.qy = i32(q / padded_w);
    s.qx = i32(q % padded_w);
    s.inside = q < padded_pixels();
    return s;
}

// A[q][k0 + 4g .. + 3]: the vec4 of dy channels at tap (ky, kx) of the output pixel whose window puts that tap on
// q; zero where there is none, and past k_end (K).
fn load_a(s: Slot, k0: u32, k_end: u32) -> vec4<f32> {
    let cout = params.cout;
    let k = k0 + 4u * s.g;
    if (!s.inside || k >= k_end) {
        return vec4<f32>(0.0);
    }
    let tap = k / cout;
    let co4 = (k - tap * cout) / 4u;
    let ty = s.qy - i32(tap / params.kernel);
    let tx = s.qx - i32(tap % params.kernel);
    let st = i32(params.stride);
    if (ty < 0 || tx < 0 || ty % st != 0 || tx % st != 0) {
        return vec4<f32>(0.0);
    }
    let oy = u32(ty / st);
    let ox = u32(tx / st);
    if (oy >= params.out_height || ox >= params.out_width) {
        return vec4<f32>(0.0);
    }
    return src[(oy * params.out_width + ox) * (cout / 4u) + co4];
}

fn stage_a(s: Slot, v: vec4<f32>) {
    stage_a_transposed(s.m, s.g, v);
}

// The float at element e of the parameter buffer.
fn weight(e: u32) -> f32 {
    return aux[e / 4u][e % 4u];
}

// B[k0 + lid / COLS][tile column lid % COLS] = weights[tap][n .. n + 3][co], zero past k_end (K).
fn load_b(lid: u32, k0: u32, k_end: u32, tile_n: u32) -> vec4<f32> {
    let cout = params.cout;
    let k = k0 + lid / COLS;
    if (k >= k_end) {
        return vec4<f32>(0.0);
    }
    let tap = k / cout;
    let co = k - tap * cout;
    let n = tile_n + 4u * (lid % COLS);
    let e = params.w_offset + (tap * params.cin + n) * cout + co;
    return vec4<f32>(weight(e), weight(e + cout), weight(e + 2u * cout), weight(e + 3u * cout));
}

fn emit(q: u32, col4: u32, v: vec4<f32>) {
    if (q < padded_pixels()) {
        dst[q * (params.cin / 4u) + col4] = v;
    }
}

@compute @workgroup_size(THREADS)
fn input_grad(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let tile_n = wid.x * TILE_N;
    let tile_m = (wid.y + wid.z * nwg.y) * TILE_M;
    let s0 = slot(lid, 0u, tile_m);
    let s1 = slot(lid, 1u, tile_m);
    let acc = tiled_gemm(lid, s0, s1, tile_n, 0u, params.kernel * params.kernel * params.cout);

    let col4 = tile_n / 4u + lid % COLS;
    let q = tile_m + 4u * (lid / COLS);
    emit(q, col4, acc.r0);
    emit(q + 1u, col4, acc.r1);
    emit(q + 2u, col4, acc.r2);
    emit(q + 3u, col4, acc.r3);
}
