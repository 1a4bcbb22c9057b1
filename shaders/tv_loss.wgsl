// Total-variation loss on the pixels and its gradient:
//   loss = scale * sum over pixels of |x[y][x+1] - x[y][x]|^2 + |x[y+1][x] - x[y][x]|^2  (RGB, 0..255 units)
//   scale = tv_weight / (H * W); the gradient is added to grad.
//
// Layouts (f32): pixels, grad: [IMAGES][H][W] vec4 (r, g, b, 0) in 0..1, each image measured on its own (no
// difference across two images' border); partials: one f32 per workgroup at partials[offset + workgroup].
// Tiling: a fixed number of workgroups of WORKGROUP_SIZE (256) threads stride over the pixels, one pixel per
// step; each workgroup reduces its loss in workgroup memory (common/tree_sum.wgsl).
// Prepended: the generated constant WORKGROUP_SIZE and common/tree_sum.wgsl.

struct Params {
    height: u32,  // of one image
    width: u32,
    scale: f32,
    offset: u32,
    images: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> pixels: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> grad: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

alias Lane = f32;

// pixels are in 0..1, the loss is measured in 0..255 units
const UNITS: f32 = 255.0;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let h = params.height;
    let w = params.width;
    let stride = nwg.x * WORKGROUP_SIZE;
    var sum = 0.0;
    for (var i = wid.x * WORKGROUP_SIZE + lid; i < params.images * h * w; i += stride) {
        let y = (i / w) % h;  // the row within its image
        let x = i % w;
        let c = pixels[i] * UNITS;
        var g = vec4<f32>(0.0);
        if (x + 1u < w) {
            let d = pixels[i + 1u] * UNITS - c;
            sum += dot(d, d);
            g -= d;
        }
        if (y + 1u < h) {
            let d = pixels[i + w] * UNITS - c;
            sum += dot(d, d);
            g -= d;
        }
        if (x > 0u) {
            g += c - pixels[i - 1u] * UNITS;
        }
        if (y > 0u) {
            g += c - pixels[i - w] * UNITS;
        }
        // d/dx of scale * d^2 in 0..255 units, chained back to 0..1 pixels
        grad[i] += (2.0 * params.scale * UNITS) * g;
    }
    sum_lanes(lid, sum);
    if (lid == 0u) {
        partials[params.offset + wid.x] = lanes[0] * params.scale;
    }
}
