// Backward of the Gram matrix: dF += alpha * F * D, where D = dLoss/dG (symmetric, C x C) and
// alpha = 2 / (C * H * W), since G = F^T F / (C * H * W).
//
// Layouts (f32, read and written as vec4):
//   features : [P][C]    channels-last
//   d_gram   : [C][C]
//   grad     : [P][C]    dLoss/dF, added to (accumulate = 1) or overwritten (accumulate = 0)
// Tiling: a GEMM with M = P, N = C, K = C. A workgroup of 16 x 16 threads computes a 64-pixel x 64-channel tile;
// each thread owns 4 pixels x 4 channels in four vec4 accumulators. K is walked 16 deep through workgroup memory:
// A = features as [16][64] (transposed while loading), B = d_gram as [16][64].
// Grid: x = C / 64, y * z = ceil(P / 64) (z only when y would pass 65535).

struct Params {
    pixels: u32,
    channels: u32,
    alpha: f32,
    accumulate: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> features: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> d_gram: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> grad: array<vec4<f32>>;

const TILE_M: u32 = 64u;
const TILE_N: u32 = 64u;
const TILE_K: u32 = 16u;

var<workgroup> a_tile: array<vec4<f32>, 256>; // [TILE_K][16]: 4 pixels at one depth
var<workgroup> b_tile: array<vec4<f32>, 256>; // [TILE_K][16]: 4 channels at one depth

@compute @workgroup_size(16, 16)
fn main(
    @builtin(local_invocation_index) lid: u32,
    @builtin(local_invocation_id) l: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let c = params.channels;
    let c4 = c / 4u;
    let tile_n = wid.x * TILE_N;
    let tile_m = (wid.y + wid.z * nwg.y) * TILE_M;

    // A loader: pixel a_m, depths a_kg * 4 .. + 3.  B loader: depth b_k, channels b_n4 * 4 .. + 3.
    let a_m = lid / 4u;
    let a_kg = lid % 4u;
    let a_p = tile_m + a_m;
    let b_k = lid / 16u;
    let b_n4 = lid % 16u;

    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k0 = 0u; k0 < c; k0 += TILE_K) {
        var av = vec4<f32>(0.0);
        if (a_p < params.pixels) {
            av = features[a_p * c4 + k0 / 4u + a_kg];
        }
        let a_row = a_kg * 4u * 16u + a_m / 4u;
        let a_lane = a_m % 4u;
        a_tile[a_row][a_lane] = av.x;
        a_tile[a_row + 16u][a_lane] = av.y;
        a_tile[a_row + 32u][a_lane] = av.z;
        a_tile[a_row + 48u][a_lane] = av.w;
        b_tile[lid] = d_gram[(k0 + b_k) * c4 + tile_n / 4u + b_n4];
        workgroupBarrier();
        for (var kk = 0u; kk < TILE_K; kk++) {
            let a = a_tile[kk * 16u + l.y];
            let b = b_tile[kk * 16u + l.x];
            acc0 += a.x * b;
            acc1 += a.y * b;
            acc2 += a.z * b;
            acc3 += a.w * b;
        }
        workgroupBarrier();
    }

    let col4 = tile_n / 4u + l.x;
    let p = tile_m + l.y * 4u;
    let keep = select(0.0, 1.0, params.accumulate != 0u);
    if (p < params.pixels) {
        let i = p * c4 + col4;
        grad[i] = keep * grad[i] + params.alpha * acc0;
    }
    if (p + 1u < params.pixels) {
        let i = (p + 1u) * c4 + col4;
        grad[i] = keep * grad[i] + params.alpha * acc1;
    }
    if (p + 2u < params.pixels) {
        let i = (p + 2u) * c4 + col4;
        grad[i] = keep * grad[i] + params.alpha * acc2;
    }
    if (p + 3u < params.pixels) {
        let i = (p + 3u) * c4 + col4;
        grad[i] = keep * grad[i] + params.alpha * acc3;
    }
}
