// Backward of the Gram matrix: dF += alpha * F * D, where D = dLoss/dG (C x C) and alpha = 2 / (C * H * W), since
// G = F^T F / (C * H * W). The chain rule gives (F D + F D^T) / (C * H * W): this is it for a symmetric D, as the
// style loss's D = 2 * scale * (G - A) is; D^T is never read (see gram::backward for the contract).
// Prepended: the generated constants (TILE, TILE_K, TILE_THREADS) and common/gemm_tile.wgsl.
//
// Layouts (f32, read and written as vec4), for each image of a batch:
//   features : [IMAGES][P][C]    channels-last
//   d_gram   : [IMAGES][C][C]
//   grad     : [IMAGES][P][C]    dLoss/dF, added to (accumulate = 1) or overwritten (accumulate = 0)
// Tiling: a GEMM with M = P, N = C, K = C. A workgroup of TILE_THREADS x TILE_THREADS (16 x 16) threads computes a
// TILE-pixel x TILE-channel (64 x 64) tile; each thread owns 4 pixels x 4 channels (common/gemm_tile.wgsl). K is
// walked TILE_K (16) deep through workgroup memory: A = features as [16][64] (transposed while staging),
// B = d_gram as [16][64].
// A tile lies within one image. Grid: x = C / TILE, y * z >= IMAGES * ceil(P / TILE) (z only when y would pass
// 65535; workgroups past the last tile return at once).

struct Params {
    pixels: u32,  // per image
    channels: u32,
    alpha: f32,
    accumulate: u32,
    images: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> features: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> d_gram: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> grad: array<vec4<f32>>;

@compute @workgroup_size(TILE_THREADS, TILE_THREADS)
fn main(
    @builtin(local_invocation_index) lid: u32,
    @builtin(local_invocation_id) l: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let c = params.channels;
    let c4 = c / 4u;
    let tile_n = wid.x * TILE;
    let tiles = (params.pixels + TILE - 1u) / TILE;  // per image
    let t = wid.y + wid.z * nwg.y;
    let image = t / tiles;
    if (image >= params.images) {
        return;  // the whole workgroup: no barrier is left waiting
    }
    let first = image * params.pixels;
    let end = first + params.pixels;
    let tile_m = first + (t % tiles) * TILE;
    let dg = image * c * c4;  // this image's dLoss/dG

    // A loader: pixel a_m, depths a_kg * 4 .. + 3.  B loader: depth b_k, channels b_n4 * 4 .. + 3.
    let a_m = lid / (TILE_K / 4u);
    let a_kg = lid % (TILE_K / 4u);
    let a_p = tile_m + a_m;
    let b_k = lid / TILE_THREADS;
    let b_n4 = lid % TILE_THREADS;

    var acc = acc_zero();
    for (var k0 = 0u; k0 < c; k0 += TILE_K) {
        var av = vec4<f32>(0.0);
        if (a_p < end) {
            av = features[a_p * c4 + k0 / 4u + a_kg];
        }
        stage_a_transposed(a_m, a_kg, av);
        b_tile[lid] = d_gram[dg + (k0 + b_k) * c4 + tile_n / 4u + b_n4];
        workgroupBarrier();
        multiply_staged(&acc, l.y, l.x);
        workgroupBarrier();
    }

    let col4 = tile_n / 4u + l.x;
    let p = tile_m + l.y * 4u;
    if (p < end) {
        store(p * c4 + col4, params.alpha * acc.r0);
    }
    if (p + 1u < end) {
        store((p + 1u) * c4 + col4, params.alpha * acc.r1);
    }
    if (p + 2u < end) {
        store((p + 2u) * c4 + col4, params.alpha * acc.r2);
    }
    if (p + 3u < end) {
        store((p + 3u) * c4 + col4, params.alpha * acc.r3);
    }
}

// Overwriting never reads the old value, so whatever the buffer held (even NaN or infinity) is gone.
fn store(i: u32, v: vec4<f32>) {
    if (params.accumulate != 0u) {
        grad[i] += v;
    } else {
        grad[i] = v;
    }
}
