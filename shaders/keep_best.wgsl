// Keeps the best picture of a run: once per batch, after the batch's last loss is known and before that step's
// update moves the pixels, the pixels are copied to `best` when that loss is finite and lower than the best so far.
//
// Layouts (f32): losses: [4] = (content, style, tv, total), the total at TOTAL; state: [4] = (best total, 0, 0, 0), best total starts
// at the largest f32; pixels, best: [H * W] vec4 (r, g, b, 0).
// Entries, in this order: `copy` (one thread per pixel, WORKGROUP_SIZE per workgroup, 2D grid flattened) copies
// when the loss is better; `commit` (one thread) then records it as the new best.
// Prepended: the generated constants WORKGROUP_SIZE and TOTAL, and common/flat_index.wgsl.

struct Params {
    count: u32,       // pixels
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> losses: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
@group(0) @binding(3) var<storage, read> pixels: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> best: array<vec4<f32>>;

// Finite and lower than the best so far. Tested on the bits: compilers may fold `x == x` away.
fn improves(total: f32, best_total: f32) -> bool {
    let finite = (bitcast<u32>(total) & 0x7f800000u) != 0x7f800000u;
    return finite && total < best_total;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.count || !improves(losses[TOTAL], state[0])) {
        return;
    }
    best[i] = pixels[i];
}

@compute @workgroup_size(1)
fn commit() {
    if (improves(losses[TOTAL], state[0])) {
        state[0] = losses[TOTAL];
    }
}
