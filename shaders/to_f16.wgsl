// The edges of the filter network's f16 forward pass: the f32 photo and the f32 parameters copied into f16 buffers
// (values past f16's range become infinities, which the wrapper's callers never give: pixels are 0..1, trained
// weights small).
// Layouts: src [count4] vec4<f32> -> dst [count4] vec4<f16>, overwritten.
// Tiling: one thread per vec4, WORKGROUP_SIZE (256) threads per workgroup, a 2D grid flattened row by row.
// Prepended: the generated constant WORKGROUP_SIZE and common/flat_index.wgsl.
enable f16;

struct Params {
    count4: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f16>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn to_f16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.count4) {
        return;
    }
    dst[i] = vec4<f16>(src[i]);
}
