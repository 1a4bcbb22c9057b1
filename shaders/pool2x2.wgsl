// 2x2 pooling with stride 2 (max or average), forward and backward. Odd trailing rows/columns are dropped,
// as in VGG's floor mode, and get a zero gradient.
//
// Layouts (channels-last, f32, read and written as vec4 over 4 channels):
//   src  : [H][W][C]              the pooling input (forward and backward both read it)
//   grad : [H/2][W/2][C]          backward: dLoss/d pooled output
//   dst  : forward: pooled [H/2][W/2][C];  backward: dLoss/d input [H][W][C], every element written
// Max pooling's backward recomputes the argmax from src; a tie goes to the first element in
// (0,0), (0,1), (1,0), (1,1) order.
// Tiling: one thread per output vec4 (forward) or input vec4 (backward), WORKGROUP_SIZE (256) threads per
// workgroup, a 2D grid flattened row by row.
// Prepended: the generated constant WORKGROUP_SIZE and common/flat_index.wgsl.

struct Params {
    height: u32,
    width: u32,
    c4: u32,     // channels / 4
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dst: array<vec4<f32>>;

struct Window {
    v00: vec4<f32>,
    v01: vec4<f32>,
    v10: vec4<f32>,
    v11: vec4<f32>,
}

fn window(oy: u32, ox: u32, c4: u32) -> Window {
    let w = params.width;
    let row = params.c4;
    let base = ((2u * oy) * w + 2u * ox) * row + c4;
    var win: Window;
    win.v00 = src[base];
    win.v01 = src[base + row];
    win.v10 = src[base + w * row];
    win.v11 = src[base + w * row + row];
    return win;
}

fn forward_index(gid: vec3<u32>, nwg: vec3<u32>) -> vec4<u32> {
    // returns (output pixel y, x, channel group, valid)
    let i = flat_index(gid, nwg);
    let wo = params.width / 2u;
    let ho = params.height / 2u;
    let c4 = i % params.c4;
    let po = i / params.c4;
    return vec4<u32>(po / wo, po % wo, c4, select(0u, 1u, po < ho * wo));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = forward_index(gid, nwg);
    if (o.w == 0u) {
        return;
    }
    let win = window(o.x, o.y, o.z);
    dst[flat_index(gid, nwg)] = max(max(win.v00, win.v01), max(win.v10, win.v11));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn avg_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = forward_index(gid, nwg);
    if (o.w == 0u) {
        return;
    }
    let win = window(o.x, o.y, o.z);
    dst[flat_index(gid, nwg)] = (win.v00 + win.v01 + win.v10 + win.v11) * 0.25;
}

struct InputSite {
    oy: u32,
    ox: u32,
    c4: u32,
    corner: u32,   // 0..3: (0,0), (0,1), (1,0), (1,1) within the window
    inside: bool,  // false for a dropped trailing row or column
}

fn input_site(i: u32) -> InputSite {
    let c4 = i % params.c4;
    let p = i / params.c4;
    let y = p / params.width;
    let x = p % params.width;
    var s: InputSite;
    s.oy = y / 2u;
    s.ox = x / 2u;
    s.c4 = c4;
    s.corner = (y % 2u) * 2u + (x % 2u);
    s.inside = s.oy < params.height / 2u && s.ox < params.width / 2u;
    return s;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.height * params.width * params.c4) {
        return;
    }
    let s = input_site(i);
    if (!s.inside) {
        dst[i] = vec4<f32>(0.0);
        return;
    }
    let win = window(s.oy, s.ox, s.c4);
    let m = max(max(win.v00, win.v01), max(win.v10, win.v11));
    let is00 = win.v00 == m;
    let is01 = win.v01 == m;
    let is10 = win.v10 == m;
    let is11 = win.v11 == m;
    var mine: vec4<bool>;
    switch s.corner {
        case 0u: { mine = is00; }
        case 1u: { mine = is01 & !is00; }
        case 2u: { mine = is10 & !(is00 | is01); }
        default: { mine = is11 & !(is00 | is01 | is10); }
    }
    let g = grad[(s.oy * (params.width / 2u) + s.ox) * params.c4 + s.c4];
    dst[i] = select(vec4<f32>(0.0), g, mine);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn avg_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.height * params.width * params.c4) {
        return;
    }
    let s = input_site(i);
    if (!s.inside) {
        dst[i] = vec4<f32>(0.0);
        return;
    }
    dst[i] = grad[(s.oy * (params.width / 2u) + s.ox) * params.c4 + s.c4] * 0.25;
}
