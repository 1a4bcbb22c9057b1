// 3x3 convolution to exactly 4 output channels (one vec4), computed directly: one thread per pixel. This is the
// input gradient of conv1_1 (64 channels back to the picture's 4), where a 64-wide GEMM tile would waste 15/16 of
// its work. Same math, layouts and bindings as conv3x3.wgsl, with COUT = 4.
// Prepended: the generated constant WORKGROUP_SIZE and common/flat_index.wgsl.
//
// Layouts (channels-last, f32):
//   src     : [H][W][CIN]            CIN a multiple of 4, read as vec4
//   weights : [9 * CIN] vec4         the [K = 9 * CIN][4] matrix, one vec4 (the 4 outputs) per k
//   aux     : forward: bias (one vec4);  backward_input: the forward ReLU output [H][W][CIN], used as the mask
//   dst     : [H][W] vec4
// Grid: one thread per pixel, WORKGROUP_SIZE per workgroup, 2D grid flattened (grid_1d).

struct Params {
    height: u32,
    width: u32,
    cin: u32,
    cout: u32,   // 4
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> aux: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dst: array<vec4<f32>>;

fn narrow(p: u32, masked: bool) -> vec4<f32> {
    let h = params.height;
    let w = params.width;
    let cin4 = params.cin / 4u;
    let y = i32(p / w);
    let x = i32(p % w);
    var acc = vec4<f32>(0.0);
    for (var tap = 0u; tap < 9u; tap++) {
        let iy = y + i32(tap / 3u) - 1;
        let ix = x + i32(tap % 3u) - 1;
        if (iy < 0 || iy >= i32(h) || ix < 0 || ix >= i32(w)) {
            continue;
        }
        let base = (u32(iy) * w + u32(ix)) * cin4;
        let k = tap * params.cin;
        for (var c4 = 0u; c4 < cin4; c4++) {
            var v = src[base + c4];
            if (masked) {
                v = select(vec4<f32>(0.0), v, aux[base + c4] > vec4<f32>(0.0));
            }
            let kc = k + 4u * c4;
            acc += v.x * weights[kc] + v.y * weights[kc + 1u] + v.z * weights[kc + 2u] + v.w * weights[kc + 3u];
        }
    }
    return acc;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let p = flat_index(gid, nwg);
    if (p >= params.height * params.width) {
        return;
    }
    dst[p] = max(narrow(p, false) + aux[0], vec4<f32>(0.0));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let p = flat_index(gid, nwg);
    if (p >= params.height * params.width) {
        return;
    }
    dst[p] = narrow(p, true);
}
