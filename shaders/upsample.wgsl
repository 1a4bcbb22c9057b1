// Nearest-neighbour 2x upsampling, forward and backward: each input pixel becomes a 2 x 2 block of the output.
//
// In f32 or f16 (Act, common/precision_*.wgsl): the same text compiles to both.
// Layouts (channels-last, Act, read and written as vec4 over 4 channels):
//   forward : src = x [H][W][C]         -> dst = y [2H][2W][C], every element written
//   backward: src = dy [2H][2W][C]      -> dst = dx [H][W][C] = the sum of the 2 x 2 block each x pixel fed,
//             every element written
// Tiling: one thread per dst vec4, WORKGROUP_SIZE (256) threads per workgroup, a 2D grid flattened row by row.
// Prepended: the generated constant WORKGROUP_SIZE, common/precision_f32.wgsl or precision_f16.wgsl and
// common/flat_index.wgsl.

struct Params {
    height: u32,  // of x
    width: u32,
    c4: u32,      // channels / 4
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<Act4>;
@group(0) @binding(2) var<storage, read_write> dst: array<Act4>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    let c4 = params.c4;
    let out_w = 2u * params.width;
    if (i >= 2u * params.height * out_w * c4) {
        return;
    }
    let c = i % c4;
    let pixel = i / c4;
    let oy = pixel / out_w;
    let ox = pixel % out_w;
    dst[i] = src[((oy / 2u) * params.width + ox / 2u) * c4 + c];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    let c4 = params.c4;
    let w = params.width;
    if (i >= params.height * w * c4) {
        return;
    }
    let c = i % c4;
    let pixel = i / c4;
    let row = 2u * w * c4;  // one output row
    let top = ((2u * (pixel / w)) * 2u * w + 2u * (pixel % w)) * c4 + c;
    dst[i] = src[top] + src[top + c4] + src[top + row] + src[top + row + c4];
}
