// Gram matrices G = F^T F / (C * H * W) of a feature map, split along the long pixel dimension.
//
// Layouts (f32):
//   features : [P = H * W][C]        channels-last, read as vec4 (C a multiple of 64)
//   partials : [SPLITS][C][C]        one partial product per pixel chunk (entry `partials`)
//   gram     : [C][C]                the sum of the partials times `norm` (entry `reduce`)
// Tiling (`partials`): a workgroup of 16 x 16 threads computes a 64 x 64 tile of one split's partial product; each
// thread owns a 4 x 4 block in four vec4 accumulators. The pixel chunk is walked 16 pixels at a time through
// workgroup memory ([16][64] for each side, loaded as vec4 along channels, no transpose needed).
// Grid: (C / 64, C / 64, SPLITS). `reduce`: one thread per vec4 of G, 256 per workgroup, 2D grid flattened.

struct Params {
    pixels: u32,
    channels: u32,
    chunk: u32,    // pixels per split
    splits: u32,
    norm: f32,     // 1 / (C * P)
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;          // partials: features; reduce: partials
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;    // partials: partials; reduce: gram

const TILE: u32 = 64u;
const TILE_K: u32 = 16u;

var<workgroup> a_tile: array<vec4<f32>, 256>; // [TILE_K][16]: channels i of the tile at one pixel
var<workgroup> b_tile: array<vec4<f32>, 256>; // [TILE_K][16]: channels j of the tile at one pixel

@compute @workgroup_size(16, 16)
fn partials(
    @builtin(local_invocation_index) lid: u32,
    @builtin(local_invocation_id) l: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
) {
    let c4 = params.channels / 4u;
    let tile_j = wid.x * TILE;
    let tile_i = wid.y * TILE;
    let split = wid.z;
    let p_begin = split * params.chunk;
    let p_end = min(p_begin + params.chunk, params.pixels);

    // loader role: pixel row lid / 16 of the K step, channel group lid % 16
    let ld_k = lid / 16u;
    let ld_c4 = lid % 16u;

    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var p0 = p_begin; p0 < p_end; p0 += TILE_K) {
        let p = p0 + ld_k;
        var av = vec4<f32>(0.0);
        var bv = vec4<f32>(0.0);
        if (p < p_end) {
            av = src[p * c4 + tile_i / 4u + ld_c4];
            bv = src[p * c4 + tile_j / 4u + ld_c4];
        }
        a_tile[lid] = av;
        b_tile[lid] = bv;
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
    let i = tile_i + l.y * 4u;
    let col4 = tile_j / 4u + l.x;
    let base = split * params.channels * c4;
    dst[base + i * c4 + col4] = acc0;
    dst[base + (i + 1u) * c4 + col4] = acc1;
    dst[base + (i + 2u) * c4 + col4] = acc2;
    dst[base + (i + 3u) * c4 + col4] = acc3;
}

@compute @workgroup_size(256)
fn reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    let n4 = params.channels * params.channels / 4u;
    if (i >= n4) {
        return;
    }
    var sum = vec4<f32>(0.0);
    for (var s = 0u; s < params.splits; s++) {
        sum += src[s * n4 + i];
    }
    dst[i] = sum * params.norm;
}
