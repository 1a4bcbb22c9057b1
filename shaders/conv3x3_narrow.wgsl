// 3x3 convolution to exactly 4 output channels (one vec4), computed directly. This is the input gradient of
// conv1_1 (64 channels back to the picture's 4), where a GEMM tile of 64 output channels would waste 15/16 of its
// work. Same math, layouts and bindings as conv3x3.wgsl, with COUT = 4.
// Prepended: the generated constants WORKGROUP_SIZE and LANES, common/conv_bindings.wgsl (params, src, weights,
// aux, dst) and common/flat_index.wgsl.
//
// Layouts (channels-last, f32):
//   src     : [IMAGES][H][W][CIN]    CIN a multiple of 4, read as vec4; each image padded at its own borders
//   weights : [9 * CIN] vec4         the [K = 9 * CIN][4] matrix, one vec4 (the 4 outputs) per k
//   aux     : forward: bias (one vec4);  backward_input: the forward ReLU output [IMAGES][H][W][CIN], the mask
//   dst     : [IMAGES][H][W] vec4
// Tiling: LANES (16) neighbouring threads share a pixel, each summing every LANES-th vec4 of its channels over the
// 9 taps (so a pixel's channels are read as one contiguous run), then the first lane adds up the LANES partial
// sums through workgroup memory: WORKGROUP_SIZE / LANES pixels per workgroup. Grid: grid_1d(pixels * LANES), 2D,
// flattened.

var<workgroup> partial: array<vec4<f32>, WORKGROUP_SIZE>;

// This lane's share of output pixel p: channel vec4s lane, lane + LANES, ... of every tap.
fn lane_sum(p: u32, lane: u32, masked: bool) -> vec4<f32> {
    let h = params.height;
    let w = params.width;
    let cin4 = params.cin / 4u;
    let y = i32(p / w);
    let top = y - y % i32(h);
    let x = i32(p % w);
    var acc = vec4<f32>(0.0);
    for (var tap = 0u; tap < 9u; tap++) {
        let iy = y + i32(tap / 3u) - 1;
        let ix = x + i32(tap % 3u) - 1;
        if (iy < top || iy >= top + i32(h) || ix < 0 || ix >= i32(w)) {
            continue;
        }
        let base = (u32(iy) * w + u32(ix)) * cin4;
        let k = tap * params.cin;
        for (var c4 = lane; c4 < cin4; c4 += LANES) {
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

// The whole sum for this thread's pixel in the first lane (None elsewhere: `valid` false).
struct PixelSum {
    p: u32,
    valid: bool,
    sum: vec4<f32>,
}

fn pixel_sum(t: u32, lid: u32, masked: bool) -> PixelSum {
    let p = t / LANES;
    let lane = t % LANES;
    let inside = p < params.images * params.height * params.width;
    var mine = vec4<f32>(0.0);
    if (inside) {
        mine = lane_sum(p, lane, masked);
    }
    partial[lid] = mine;
    workgroupBarrier();
    var out = PixelSum(p, inside && lane == 0u, vec4<f32>(0.0));
    if (out.valid) {
        for (var i = 0u; i < LANES; i++) {
            out.sum += partial[lid + i];
        }
    }
    return out;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let s = pixel_sum(flat_index(gid, nwg), lid, false);
    if (s.valid) {
        dst[s.p] = max(s.sum + aux[0], vec4<f32>(0.0));
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_input(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let s = pixel_sum(flat_index(gid, nwg), lid, true);
    if (s.valid) {
        dst[s.p] = s.sum;
    }
}
