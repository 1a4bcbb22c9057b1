// The filter network's convolution forward (+ bias) on tensor cores (cooperative matrices: f16 inputs into f32
// accumulators): conv_tiled.wgsl's implicit GEMM, with the same maths, layouts and bindings, for any odd kernel K
// of 1..9, stride S of 1 or 2, reflection padding P = K / 2 and any multiple of 4 channels in and out. Used where
// src/gpu/tensor_cores.rs finds the hardware (native only).
// Prepended: the generated constants (COOP_*, src/kernels/sizes.rs: CoopTiling), the matrix types MatA, MatB, MatC
// of one size (COOP_MMA 16, or 8 where the adapter has only that: every tile size below then halves),
// common/filter_conv.wgsl (params, src = x, aux = the parameter buffer, dst = y, `reflect`) and
// common/coop_quarter.wgsl (the staged tiles and each subgroup's quarter of the products).
//
// GEMM view: y[p][n] = sum_k A[p][k] * B[k][n] (+ bias[n]), p = oy * OW + ox, k = (ky * K + kx) * CIN + ci,
//   A[p][k] = x[reflect(oy * S + ky - P)][reflect(ox * S + kx - P)][ci], B the weights [K][K][CIN][COUT].
// Tiling: a workgroup of COOP_THREADS (128) computes COOP_TILE_M (64) pixels x COOP_TILE_N (64) output channels;
// K advances COOP_TILE_K (32) depths per step, staged in workgroup memory as f16, row-major:
//   a_tile [COOP_TILE_M][COOP_A_STRIDE]   row m: pixel tile_m + m, depths k0 .. k0 + 31
//   b_tile [COOP_TILE_K][COOP_B_STRIDE]   row k: depth k0 + k, channels tile_n .. tile_n + 63
// B is staged as zero past K and past COUT, so the last K step and narrow layers (16 or 4 output channels) need no
// special case; rows past the last pixel are computed and never stored.
// Each thread loads the same depth group of A_LOADS pixels every step (the tiling keeps COOP_THREADS a multiple of
// the groups per row), so its pixels' padded origins are found once and its (tap, channel) position advances by
// additions alone: no division in the loop. The next step's operands are loaded into registers before this step's
// multiplies, so their latency hides behind the matrix units.
// Each subgroup owns one COOP_SUB x COOP_SUB quarter of the tile (2 x 2 accumulators, common/coop_quarter.wgsl).
// The finished accumulators go through c_tile [COOP_TILE_M][COOP_C_STRIDE] (f32) to the epilogue (bias, bounds),
// which writes vec4s.
// Grid: x = ceil(COUT / COOP_TILE_N), y * z = ceil(OH * OW / COOP_TILE_M) (z only when y would pass the limit).
//
// Precision: f16 keeps 11 significant bits. The network's maps (a picture in 0..1, then normalised activations)
// and its weights are far inside f16's range, so they are staged unscaled; staged values are clamped to +-65504 so
// that an out-of-range one cannot become an infinity.

enable f16;
enable wgpu_cooperative_matrix;

const GROUPS: u32 = COOP_TILE_K / 4u;                          // vec4 depth groups per A row
const A_LOADS: u32 = COOP_TILE_M * GROUPS / COOP_THREADS;      // 1 (8x8 matrices) or 4 (16x16)
const A_ROWS_APART: u32 = COOP_THREADS / GROUPS;                // between one thread's A rows
const B_COLS: u32 = COOP_TILE_N / 4u;                           // vec4 columns per B row
const B_LOADS: u32 = COOP_TILE_K * B_COLS / COOP_THREADS;      // 1 or 4
const B_ROWS_APART: u32 = COOP_THREADS / B_COLS;
const C_STORES: u32 = COOP_TILE_M * COOP_TILE_N / 4u / COOP_THREADS;
const F16_MAX: f32 = 65504.0;

// Where this thread's A loads stand: its depth group's tap (kx, ky) and channel group, advanced step by step.
struct Depth {
    kx: u32,
    ky: u32,
    ci: u32,   // the first of 4 input channels
}

// The depth 4 * (lid % GROUPS) of the first step (one division, before the loop).
fn first_depth(lid: u32) -> Depth {
    let k = 4u * (lid % GROUPS);
    let tap = k / params.cin;
    return Depth(tap % params.kernel, tap / params.kernel, k % params.cin);
}

// The same thread's depth one step (COOP_TILE_K depths) on.
fn next_depth(d: Depth) -> Depth {
    var n = d;
    n.ci += COOP_TILE_K;
    while (n.ci >= params.cin) {
        n.ci -= params.cin;
        n.kx += 1u;
        if (n.kx == params.kernel) {
            n.kx = 0u;
            n.ky += 1u;
        }
    }
    return n;
}

// The padded origin (oy * S - P, ox * S - P) of tile row m.
fn origin(tile_m: u32, m: u32) -> vec2<i32> {
    let p = tile_m + m;
    let o = vec2<u32>(p % params.out_width, p / params.out_width) * params.stride;
    return vec2<i32>(o) - i32(params.pad);
}

// A at the pixel of padded origin `o`, depth `d`. Past the last pixel and past K, `reflect` clamps the read into
// the image; B's zeros cancel it past K, and rows past the last pixel are never stored.
fn load_a(o: vec2<i32>, d: Depth) -> vec4<f32> {
    let iy = reflect(o.y + i32(d.ky), params.height);
    let ix = reflect(o.x + i32(d.kx), params.width);
    return src[(iy * params.width + ix) * (params.cin / 4u) + d.ci / 4u];
}

// B[k][vec4 column col4 of the layer], zero past K and past COUT.
fn load_b(k: u32, col4: u32) -> vec4<f32> {
    let cout4 = params.cout / 4u;
    if (k >= params.kernel * params.kernel * params.cin || col4 >= cout4) {
        return vec4<f32>(0.0);
    }
    return aux[params.w_offset / 4u + k * cout4 + col4];
}

// One step's operands as this thread loads them (a1..a3, b1..b3 only where A_LOADS, B_LOADS are 4).
struct Loaded {
    a0: vec4<f32>,
    a1: vec4<f32>,
    a2: vec4<f32>,
    a3: vec4<f32>,
    b0: vec4<f32>,
    b1: vec4<f32>,
    b2: vec4<f32>,
    b3: vec4<f32>,
}

// This thread's pixels: the padded origins of its A rows.
struct Origins {
    o0: vec2<i32>,
    o1: vec2<i32>,
    o2: vec2<i32>,
    o3: vec2<i32>,
}

fn load_step(o: Origins, d: Depth, k0: u32, kb: u32, col4: u32) -> Loaded {
    var l: Loaded;
    l.a0 = load_a(o.o0, d);
    l.b0 = load_b(k0 + kb, col4);
    if (A_LOADS > 1u) {
        l.a1 = load_a(o.o1, d);
        l.a2 = load_a(o.o2, d);
        l.a3 = load_a(o.o3, d);
    }
    if (B_LOADS > 1u) {
        l.b1 = load_b(k0 + kb + B_ROWS_APART, col4);
        l.b2 = load_b(k0 + kb + 2u * B_ROWS_APART, col4);
        l.b3 = load_b(k0 + kb + 3u * B_ROWS_APART, col4);
    }
    return l;
}

// Four f16s from `v` (clamped to f16's range) at a_tile[at ..] or b_tile[at ..].
fn put_a(at: u32, v: vec4<f32>) {
    let h = vec4<f16>(clamp(v, vec4<f32>(-F16_MAX), vec4<f32>(F16_MAX)));
    a_tile[at] = h.x;
    a_tile[at + 1u] = h.y;
    a_tile[at + 2u] = h.z;
    a_tile[at + 3u] = h.w;
}

fn put_b(at: u32, v: vec4<f32>) {
    let h = vec4<f16>(clamp(v, vec4<f32>(-F16_MAX), vec4<f32>(F16_MAX)));
    b_tile[at] = h.x;
    b_tile[at + 1u] = h.y;
    b_tile[at + 2u] = h.z;
    b_tile[at + 3u] = h.w;
}

// Stages loaded operands: A rows m_a + i * A_ROWS_APART at depth column ka, B rows kb + i * B_ROWS_APART at
// column nb.
fn stage(l: Loaded, m_a: u32, ka: u32, kb: u32, nb: u32) {
    put_a(m_a * COOP_A_STRIDE + ka, l.a0);
    put_b(kb * COOP_B_STRIDE + nb, l.b0);
    if (A_LOADS > 1u) {
        put_a((m_a + A_ROWS_APART) * COOP_A_STRIDE + ka, l.a1);
        put_a((m_a + 2u * A_ROWS_APART) * COOP_A_STRIDE + ka, l.a2);
        put_a((m_a + 3u * A_ROWS_APART) * COOP_A_STRIDE + ka, l.a3);
    }
    if (B_LOADS > 1u) {
        put_b((kb + B_ROWS_APART) * COOP_B_STRIDE + nb, l.b1);
        put_b((kb + 2u * B_ROWS_APART) * COOP_B_STRIDE + nb, l.b2);
        put_b((kb + 3u * B_ROWS_APART) * COOP_B_STRIDE + nb, l.b3);
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
    let k_total = params.kernel * params.kernel * params.cin;

    // this thread's A rows and depth column, B rows and column
    let m_a = lid / GROUPS;
    let ka = 4u * (lid % GROUPS);
    let kb = lid / B_COLS;
    let nb = 4u * (lid % B_COLS);
    let col4 = tile_n / 4u + lid % B_COLS;
    var o: Origins;
    o.o0 = origin(tile_m, m_a);
    if (A_LOADS > 1u) {
        o.o1 = origin(tile_m, m_a + A_ROWS_APART);
        o.o2 = origin(tile_m, m_a + 2u * A_ROWS_APART);
        o.o3 = origin(tile_m, m_a + 3u * A_ROWS_APART);
    }

    let quarter = quarter_of(sg);
    var sums = no_sums();
    var depth = first_depth(lid);
    var next = load_step(o, depth, 0u, kb, col4);
    for (var k0 = 0u; k0 < k_total; k0 += COOP_TILE_K) {
        stage(next, m_a, ka, kb, nb);
        workgroupBarrier();
        if (k0 + COOP_TILE_K < k_total) {
            depth = next_depth(depth);
            next = load_step(o, depth, k0 + COOP_TILE_K, kb, col4);
        }
        sums = multiply_staged(quarter, sums);
        workgroupBarrier();
    }
    store_sums(sg, quarter, sums);

    // the epilogue: + bias, nothing past the last pixel or channel
    let pixels = params.out_height * params.out_width;
    let cout4 = params.cout / 4u;
    for (var i = 0u; i < C_STORES; i++) {
        let e = lid + i * COOP_THREADS;
        let m = e / B_COLS;
        let n4 = e % B_COLS;
        let p = tile_m + m;
        let c4 = tile_n / 4u + n4;
        if (p < pixels && c4 < cout4) {
            let at = m * COOP_C_STRIDE + n4 * 4u;
            var v = vec4<f32>(c_tile[at], c_tile[at + 1u], c_tile[at + 2u], c_tile[at + 3u]);
            if (params.has_bias != 0u) {
                v += aux[params.bias_offset / 4u + c4];
            }
            dst[p * cout4 + c4] = v;
        }
    }
}
