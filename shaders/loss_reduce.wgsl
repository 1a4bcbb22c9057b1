// Sums the per-workgroup loss partials into the four reported losses: (content, style, tv, total).
//
// Layouts (f32): partials: [N] as written by mse_loss.wgsl and tv_loss.wgsl, in three contiguous ranges
// [content_begin, style_begin), [style_begin, tv_begin), [tv_begin, end); losses: [4].
// Tiling: one workgroup of WORKGROUP_SIZE (256) threads; each sums a stride of each range, then a tree reduction
// (common/tree_sum.wgsl). Prepended: the generated constant WORKGROUP_SIZE and common/tree_sum.wgsl.

struct Params {
    content_begin: u32,
    style_begin: u32,
    tv_begin: u32,
    end: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> losses: array<f32>;

alias Lane = vec4<f32>;

fn range_sum(begin: u32, end: u32, lid: u32) -> f32 {
    var s = 0.0;
    for (var i = begin + lid; i < end; i += WORKGROUP_SIZE) {
        s += partials[i];
    }
    return s;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
    let c = range_sum(params.content_begin, params.style_begin, lid);
    let s = range_sum(params.style_begin, params.tv_begin, lid);
    let t = range_sum(params.tv_begin, params.end, lid);
    sum_lanes(lid, vec4<f32>(c, s, t, c + s + t));
    if (lid == 0u) {
        losses[0] = lanes[0].x;
        losses[1] = lanes[0].y;
        losses[2] = lanes[0].z;
        losses[3] = lanes[0].w;
    }
}
