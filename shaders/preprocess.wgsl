// Preprocessing: RGB pixels in 0..1 <-> VGG19's Caffe input (BGR, 0..255, mean subtracted), forward and backward.
//
// Layouts (one vec4<f32> per pixel, row-major over H x W):
//   pixels     : (r, g, b, 0), values in 0..1
//   vgg_input  : (b, g, r, 0) * 255 - (103.939, 116.779, 123.68, 0); the 4th channel pads conv1_1 to Cin = 4
// Tiling: one thread per pixel, WORKGROUP_SIZE (256) threads per workgroup, a 2D grid flattened row by row.
// Prepended: the generated constant WORKGROUP_SIZE and common/flat_index.wgsl.

struct Params {
    count: u32,   // number of pixels
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

const MEAN_BGR = vec4<f32>(103.939, 116.779, 123.68, 0.0);

// src = pixels, dst = vgg_input
@compute @workgroup_size(WORKGROUP_SIZE)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.count) {
        return;
    }
    let p = src[i];
    dst[i] = vec4<f32>(p.z, p.y, p.x, 0.0) * 255.0 - MEAN_BGR;
}

// src = dLoss/d vgg_input, dst = dLoss/d pixels (overwritten)
@compute @workgroup_size(WORKGROUP_SIZE)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.count) {
        return;
    }
    let g = src[i];
    dst[i] = vec4<f32>(g.z, g.y, g.x, 0.0) * 255.0;
}
