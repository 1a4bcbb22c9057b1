// Weighted mean squared error and its gradient: loss = scale * sum (x - t)^2, dLoss/dx = 2 * scale * (x - t).
// Used for the content loss (x = relu4_2 features, t = the photo's) and for each style layer (x = Gram matrix,
// t = the painting's Gram matrix); `scale` carries the user's weight divided by the element count.
//
// Layouts (f32, read and written as vec4): x, grad: [COUNT4] vec4; target: [TARGET4] vec4, which x repeats
// against (COUNT4 / TARGET4 images: a batch's Gram matrices against the painting's one);
//   partials: one f32 per workgroup at partials[offset + workgroup], summed later by loss_reduce.wgsl.
// grad is added to (accumulate = 1, e.g. content seed on a gradient already flowing down) or overwritten.
// Tiling: a fixed number of workgroups of WORKGROUP_SIZE (256) threads stride over the data; each workgroup
// reduces its sum in workgroup memory (common/tree_sum.wgsl).
// Prepended: the generated constant WORKGROUP_SIZE and common/tree_sum.wgsl.

struct Params {
    count4: u32,
    scale: f32,
    accumulate: u32,
    offset: u32,
    target4: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> target_: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> grad: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;

alias Lane = f32;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let stride = nwg.x * WORKGROUP_SIZE;
    var sum = 0.0;
    for (var i = wid.x * WORKGROUP_SIZE + lid; i < params.count4; i += stride) {
        let d = x[i] - target_[i % params.target4];
        let g = (2.0 * params.scale) * d;
        // overwriting never reads the old value, so whatever the buffer held (even NaN or infinity) is gone
        if (params.accumulate != 0u) {
            grad[i] += g;
        } else {
            grad[i] = g;
        }
        sum += dot(d, d);
    }
    sum_lanes(lid, sum);
    if (lid == 0u) {
        partials[params.offset + wid.x] = lanes[0] * params.scale;
    }
}
