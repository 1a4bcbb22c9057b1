// 3x3 convolution, stride 1, zero padding 1, as an implicit GEMM: forward (+ bias + ReLU) and input gradient
// (through the ReLU mask). Weights are frozen, so there is no weight gradient.
// Prepended: the generated constants (WORKGROUP_SIZE, TILE, TILE_K, TILE_THREADS) and common/gemm_tile.wgsl.
//
// Layouts (channels-last, f32, every channel count a multiple of 4, read and written as vec4):
//   src     : [H][W][CIN]            forward: the layer input;  backward_input: dLoss/d relu output
//   weights : [9][CIN][COUT]         tap-major (tap = ky * 3 + kx); i.e. a [K = 9 * CIN][COUT] matrix
//                                     backward_input reads the flipped, transposed copy made at load time
//   aux     : forward: bias [COUT];  backward_input: the forward ReLU output [H][W][CIN], used as the mask
//   dst     : [H][W][COUT]
// GEMM view: dst[p][n] = sum_k A[p][k] * weights[k][n], A[p][k] = src[p + offset(tap)][ci], k = tap * CIN + ci.
// Tiling: a workgroup of TILE_THREADS x TILE_THREADS (16 x 16) threads computes a TILE-pixel x TILE-channel
// (64 x 64) tile; each thread owns 4 pixels x 4 channels (common/gemm_tile.wgsl). The reduction walks K in steps
// of TILE_K (16) through workgroup memory: A as [16][64] (transposed while staging), B as [16][64].
// Grid: x = ceil(COUT / TILE), y * z = ceil(H * W / TILE) (z only when y would pass 65535).

struct Params {
    height: u32,
    width: u32,
    cin: u32,    // channels of src (multiple of 4)
    cout: u32,   // channels of dst (multiple of 4)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> aux: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dst: array<vec4<f32>>;

// The main loop of both entries. `masked` selects the ReLU-mask load of backward_input.
fn gemm_tile(lid: u32, tm: u32, tn: u32, tile_m: u32, tile_n: u32, masked: bool) -> Acc {
    let h = params.height;
    let w = params.width;
    let cin = params.cin;
    let cin4 = cin / 4u;
    let cout4 = params.cout / 4u;
    let pixels = h * w;
    let k_total = 9u * cin;

    // This thread loads one vec4 of A per K step: pixel a_m of the tile, depths a_kg * 4 .. a_kg * 4 + 3.
    let a_m = lid / (TILE_K / 4u);
    let a_kg = lid % (TILE_K / 4u);
    let a_p = tile_m + a_m;
    let a_valid = a_p < pixels;
    let a_y = i32(a_p / w);
    let a_x = i32(a_p % w);
    // ... and one vec4 of B: depth b_k, output channels b_n4 * 4 .. + 3.
    let b_k = lid / TILE_THREADS;
    let b_n4 = lid % TILE_THREADS;
    let b_col4 = tile_n / 4u + b_n4;
    let b_valid = b_col4 < cout4;

    var acc = acc_zero();

    for (var k0 = 0u; k0 < k_total; k0 += TILE_K) {
        var av = vec4<f32>(0.0);
        let k = k0 + a_kg * 4u;
        if (a_valid && k < k_total) {
            let tap = k / cin;
            let ci4 = (k - tap * cin) / 4u;
            let iy = a_y + i32(tap / 3u) - 1;
            let ix = a_x + i32(tap % 3u) - 1;
            if (iy >= 0 && iy < i32(h) && ix >= 0 && ix < i32(w)) {
                let idx = (u32(iy) * w + u32(ix)) * cin4 + ci4;
                av = src[idx];
                if (masked) {
                    av = select(vec4<f32>(0.0), av, aux[idx] > vec4<f32>(0.0));
                }
            }
        }
        stage_a_transposed(a_m, a_kg, av);

        var bv = vec4<f32>(0.0);
        let kb = k0 + b_k;
        if (b_valid && kb < k_total) {
            bv = weights[kb * cout4 + b_col4];
        }
        b_tile[lid] = bv;
        workgroupBarrier();

        multiply_staged(&acc, tm, tn);
        workgroupBarrier();
    }
    return acc;
}

fn store(p: u32, col4: u32, v: vec4<f32>) {
    if (p < params.height * params.width) {
        dst[p * (params.cout / 4u) + col4] = v;
    }
}

@compute @workgroup_size(TILE_THREADS, TILE_THREADS)
fn forward(
    @builtin(local_invocation_index) lid: u32,
    @builtin(local_invocation_id) l: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let tile_n = wid.x * TILE;
    let tile_m = (wid.y + wid.z * nwg.y) * TILE;
    let acc = gemm_tile(lid, l.y, l.x, tile_m, tile_n, false);
    let col4 = tile_n / 4u + l.x;
    if (col4 >= params.cout / 4u) {
        return;
    }
    let b = aux[col4];
    let p = tile_m + l.y * 4u;
    store(p, col4, max(acc.r0 + b, vec4<f32>(0.0)));
    store(p + 1u, col4, max(acc.r1 + b, vec4<f32>(0.0)));
    store(p + 2u, col4, max(acc.r2 + b, vec4<f32>(0.0)));
    store(p + 3u, col4, max(acc.r3 + b, vec4<f32>(0.0)));
}

@compute @workgroup_size(TILE_THREADS, TILE_THREADS)
fn backward_input(
    @builtin(local_invocation_index) lid: u32,
    @builtin(local_invocation_id) l: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let tile_n = wid.x * TILE;
    let tile_m = (wid.y + wid.z * nwg.y) * TILE;
    let acc = gemm_tile(lid, l.y, l.x, tile_m, tile_n, true);
    let col4 = tile_n / 4u + l.x;
    if (col4 >= params.cout / 4u) {
        return;
    }
    let p = tile_m + l.y * 4u;
    store(p, col4, acc.r0);
    store(p + 1u, col4, acc.r1);
    store(p + 2u, col4, acc.r2);
    store(p + 3u, col4, acc.r3);
}
