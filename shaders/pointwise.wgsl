// Element-wise kernels of the filter network: a residual gradient added into the main path's, the output sigmoid
// that squashes the network's last layer into 0..1 pixels, forward and backward, and a copy between two buffers'
// ranges (a training crop into or out of the batch VGG19 measures).
//
// Layouts (f32 but `a` in Act, the activations' format, common/precision_*.wgsl: f32, or f16 in the module of the
// f16 forward pass's sigmoid; read and written as vec4; `count4` vec4s):
//   add_into        : a = src [count4]                       -> dst [count4] += src
//   sigmoid_forward : a = z [count4] (r, g, b, _)            -> dst = y = (sigmoid(z.rgb), 0), overwritten
//   sigmoid_backward: a = y, b = dy [count4] (r, g, b, _)    -> dst = dz = ((dy * y * (1 - y)).rgb, 0), overwritten
//   copy_range      : a                                      -> dst[dst_at + i] = a[src_at + i], i < count4
// Tiling: one thread per vec4, WORKGROUP_SIZE (256) threads per workgroup, a 2D grid flattened row by row.
// Prepended: the generated constant WORKGROUP_SIZE, common/precision_f32.wgsl or precision_f16.wgsl and
// common/flat_index.wgsl.

struct Params {
    count4: u32,
    src_at: u32,  // copy_range only: vec4 offsets
    dst_at: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<Act4>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn add_into(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.count4) {
        return;
    }
    dst[i] += vec4<f32>(a[i]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sigmoid_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.count4) {
        return;
    }
    // exp(-z) overflowing to infinity for very negative z still gives 0
    let y = 1.0 / (1.0 + exp(-vec3<f32>(a[i].xyz)));
    dst[i] = vec4<f32>(y, 0.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sigmoid_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.count4) {
        return;
    }
    let y = vec3<f32>(a[i].xyz);
    dst[i] = vec4<f32>(b[i].xyz * y * (1.0 - y), 0.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn copy_range(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.count4) {
        return;
    }
    dst[params.dst_at + i] = vec4<f32>(a[params.src_at + i]);
}
