// Gram matrices G = F^T F / (C * H * W) of a feature map, split along the long pixel dimension; one per image of a
// batch.
// Prepended: the generated constants (WORKGROUP_SIZE, TILE, TILE_K, TILE_THREADS), common/flat_index.wgsl and
// common/gemm_tile.wgsl.
//
// Layouts (f32):
//   features : [IMAGES][P = H * W][C] channels-last, read as vec4 (C a multiple of 64)
//   partials : [IMAGES][SPLITS][C][C] one partial product per pixel chunk of each image (entry `partials`)
//   gram     : [IMAGES][C][C]         each image's partials summed, times `norm` (entry `reduce`)
// Tiling (`partials`): a workgroup of TILE_THREADS x TILE_THREADS (16 x 16) threads computes a TILE x TILE
// (64 x 64) tile of one split's partial product; each thread owns a 4 x 4 block (common/gemm_tile.wgsl). The
// pixel chunk is walked TILE_K (16) pixels at a time through workgroup memory ([16][64] for each side, staged as
// vec4 along channels, no transpose needed).
// Grid: (C / TILE, C / TILE, IMAGES * SPLITS). `reduce`: one thread per vec4 of the Grams, WORKGROUP_SIZE (256)
// per workgroup, 2D grid flattened.

struct Params {
    pixels: u32,   // per image
    channels: u32,
    chunk: u32,    // pixels per split
    splits: u32,   // per image
    norm: f32,     // 1 / (C * P)
    images: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;          // partials: features; reduce: partials
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;    // partials: partials; reduce: gram

// a_tile holds channels i of the tile at each staged pixel, b_tile channels j.
@compute @workgroup_size(TILE_THREADS, TILE_THREADS)
fn partials(
    @builtin(local_invocation_index) lid: u32,
    @builtin(local_invocation_id) l: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
) {
    let c4 = params.channels / 4u;
    let tile_j = wid.x * TILE;
    let tile_i = wid.y * TILE;
    let split = wid.z;  // image * SPLITS + its split
    let first = (split / params.splits) * params.pixels;
    let p_begin = first + (split % params.splits) * params.chunk;
    let p_end = min(p_begin + params.chunk, first + params.pixels);

    // loader role: pixel row lid / TILE_THREADS of the K step, channel group lid % TILE_THREADS
    let ld_k = lid / TILE_THREADS;
    let ld_c4 = lid % TILE_THREADS;

    var acc = acc_zero();
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
        multiply_staged(&acc, l.y, l.x);
        workgroupBarrier();
    }
    let i = tile_i + l.y * 4u;
    let col4 = tile_j / 4u + l.x;
    let base = split * params.channels * c4;
    dst[base + i * c4 + col4] = acc.r0;
    dst[base + (i + 1u) * c4 + col4] = acc.r1;
    dst[base + (i + 2u) * c4 + col4] = acc.r2;
    dst[base + (i + 3u) * c4 + col4] = acc.r3;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    let n4 = params.channels * params.channels / 4u;
    if (i >= params.images * n4) {
        return;
    }
    let image = i / n4;
    let at = i % n4;
    var sum = vec4<f32>(0.0);
    for (var s = 0u; s < params.splits; s++) {
        sum += src[(image * params.splits + s) * n4 + at];
    }
    dst[i] = sum * params.norm;
}
