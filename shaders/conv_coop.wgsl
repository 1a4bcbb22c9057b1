// The filter network's convolution forward (+ bias) on tensor cores (cooperative matrices: f16 inputs into f32
// accumulators): conv_tiled.wgsl's implicit GEMM, with the same maths, layouts and bindings, for any odd kernel K
// of 1..9, stride S of 1 or 2, reflection padding P = K / 2 and any multiple of 4 channels in and out. Used where
// src/gpu/tensor_cores.rs finds the hardware (native only).
// Prepended: the generated constants (COOP_*, src/kernels/sizes.rs: CoopTiling), the matrix types MatA, MatB, MatC
// of one size (COOP_MMA 16, or 8 where the adapter has only that: every tile size below then halves),
// common/filter_conv.wgsl (params, src = x, aux = the parameter buffer, dst = y, `reflect`) and
// common/coop_gemm.wgsl (the GEMM's staging, loads and products; this file says what A and B are).
//
// GEMM view: y[p][n] = sum_k A[p][k] * B[k][n] (+ bias[n]), p = oy * OW + ox, k = (ky * K + kx) * CIN + ci,
//   A[p][k] = x[reflect(oy * S + ky - P)][reflect(ox * S + kx - P)][ci], B the weights [K][K][CIN][COUT].
// Tiling (common/coop_gemm.wgsl): a workgroup of COOP_THREADS (128) computes COOP_TILE_M (64) pixels x COOP_TILE_N
// (64) output channels, K advancing COOP_TILE_K (32) depths per step. B is zero past K and past COUT, so the last K
// step and narrow layers (16 or 4 output channels) need no special case; rows past the last pixel are computed and
// never stored. Unlike conv3x3_coop's 3x3 layers, the network's maps need no per-tile scale (below).
// Grid: x = ceil(COUT / COOP_TILE_N), y * z = ceil(OH * OW / COOP_TILE_M) (z only when y would pass the limit).
//
// Precision: f16 keeps 11 significant bits. The network's maps (a picture in 0..1, then normalised activations)
// and its weights are far inside f16's range, so they are staged unscaled; staged values are clamped to +-65504 so
// that an out-of-range one cannot become an infinity.

enable f16;
enable wgpu_cooperative_matrix;

const F16_MAX: f32 = 65504.0;

// The padded origin (oy * S - P, ox * S - P) of tile row m.
fn origin(tile_m: u32, m: u32) -> vec2<i32> {
    let p = tile_m + m;
    let o = vec2<u32>(p % params.out_width, p / params.out_width) * params.stride;
    return vec2<i32>(o) - i32(params.pad);
}

fn in_f16_range(v: vec4<f32>) -> vec4<f32> {
    return clamp(v, vec4<f32>(-F16_MAX), vec4<f32>(F16_MAX));
}

// A at the pixel of padded origin `o`, depth `d`. Past the last pixel and past K, `reflect` clamps the read into
// the image; B's zeros cancel it past K, and rows past the last pixel are never stored.
fn load_a(o: vec2<i32>, d: Depth) -> vec4<f32> {
    let iy = reflect(o.y + i32(d.ky), params.height);
    let ix = reflect(o.x + i32(d.kx), params.width);
    return in_f16_range(src[(iy * params.width + ix) * (params.cin / 4u) + d.ci / 4u]);
}

// B[k][vec4 column col4 of the layer], zero past K and past COUT.
fn load_b(k: u32, col4: u32) -> vec4<f32> {
    let cout4 = params.cout / 4u;
    if (k >= params.kernel * params.kernel * params.cin || col4 >= cout4) {
        return vec4<f32>(0.0);
    }
    return in_f16_range(aux[params.w_offset / 4u + k * cout4 + col4]);
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
    gemm_tile(lid, sg, tile_m, tile_n, params.cin, params.kernel);

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
            var v = finished(m, n4);
            if (params.has_bias != 0u) {
                v += aux[params.bias_offset / 4u + c4];
            }
            dst[p * cout4 + c4] = v;
        }
    }
}
