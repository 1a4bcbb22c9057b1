// Frame unpacking: a camera frame copied from an rgba8unorm texture into a buffer (rows padded to 256 bytes, one
// u32 per texel, r in the low byte) -> the filter network's input, resampled to the network's size.
//
// Layouts:
//   frame : [src_height][row_words] u32, texel (x, y) at y * row_words + x, bytes r, g, b, a from the lowest
//   dst   : [height][width] vec4 (r, g, b, 0) in 0..1
// Resampling: nearest texel, the frame stretched over the output (the caller keeps the aspect ratio close).
// Tiling: one thread per output pixel, WORKGROUP_SIZE (256) threads per workgroup, a 2D grid flattened row by row.
// Prepended: the generated constant WORKGROUP_SIZE and common/flat_index.wgsl.

struct Params {
    width: u32,       // output pixels per row
    height: u32,      // output rows
    src_width: u32,   // frame texels per row
    src_height: u32,  // frame rows
    row_words: u32,   // u32 words per frame row (the 256-byte row pitch / 4)
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> frame: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn unpack(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.width * params.height) {
        return;
    }
    let x = i % params.width;
    let y = i / params.width;
    // the texel whose centre is nearest this pixel's centre
    let sx = min(((2u * x + 1u) * params.src_width) / (2u * params.width), params.src_width - 1u);
    let sy = min(((2u * y + 1u) * params.src_height) / (2u * params.height), params.src_height - 1u);
    let texel = unpack4x8unorm(frame[sy * params.row_words + sx]);
    dst[i] = vec4<f32>(texel.xyz, 0.0);
}
