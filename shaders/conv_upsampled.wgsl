// The filter network's 3x3 convolutions after a nearest-neighbour 2x upsampling (stride 1, reflection padding 1),
// computed from the map before the upsampling: an output pixel's 3x3 taps over the upsampled map fall on only 2x2
// pixels of the map itself, so each of the four positions in a 2x2 output block is a 2x2 convolution of the small
// map with the 3x3 weights folded (summed where taps fall on the same pixel). 4 taps instead of 9, and the
// upsampled map is never written. In f32 or f16 (common/precision_*.wgsl): the same text compiles to both.
// Prepended: the generated constants (WORKGROUP_SIZE, CONV_PIXELS), common/precision_f32.wgsl or
// precision_f16.wgsl, common/flat_index.wgsl, common/filter_conv.wgsl (the parameter block and the bindings) and
// common/pixel_group.wgsl (the thread's pixels and the store).
//
// The folding, along each axis: output o = 2s + p (p the position in its block) reads upsampled taps o - 1, o,
// o + 1, which are small-map pixels s - 1, s, s for p = 0 and s, s, s + 1 for p = 1. So the 2 folded taps t = 0, 1
// read small pixel s + p + t - 1 with the 3x3 taps k in [t (1 + p), t (1 + p) + (p == t ? 1 : 2)) summed. At the
// borders the reflection of the upsampled map (tap -1 reads upsampled 1, which is small pixel 0) is the small
// map's edge pixel repeated: the reads clamp.
//
// Layouts (Act: f32 or f16; channels-last, every channel count a multiple of 4, read and written as vec4):
//   fold_weights: src = the network's whole parameter buffer in Act, this layer's [3][3][CIN][COUT] (COUT fastest)
//                 from element w_offset -> dst = folded [2 py][2 px][2 ty][2 tx][CIN][COUT] in Act, overwritten
//                 (the taps' sums in f32)
//   forward:      src = x, the small map [H/2][W/2][CIN]; aux = folded; dst = y [H][W][COUT], overwritten.
//                 params.height and width are the upsampled map's (the convolution's shape), both even.
// Sums: each folded tap row's 2 x CIN products are summed in Act, then added to f32 sums, as in conv_forward.wgsl.
// Tiling: fold_weights, one thread per folded vec4; forward, common/pixel_group.wgsl's: one thread per CONV_PIXELS
// (4) consecutive output pixels of a row (two 2-pixel blocks, reading 4 small-map pixels per folded tap row) x one
// vec4 of output channels. Grids: grid_1d over the threads, WORKGROUP_SIZE per workgroup, flattened (flat_index).

// Folded vec4 index of (py, px, ty, tx, input channel ci) and output channels 0..3 (add the output vec4).
fn folded_at(py: u32, px: u32, ty: u32, tx: u32, ci: u32, cout4: u32) -> u32 {
    return ((((py * 2u + px) * 2u + ty) * 2u + tx) * params.cin + ci) * cout4;
}

// The first 3x3 tap a folded tap t sums at block position p, and how many.
fn first_tap(p: u32, t: u32) -> u32 {
    return t * (1u + p);
}

fn tap_count(p: u32, t: u32) -> u32 {
    return select(2u, 1u, p == t);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fold_weights(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    let cout4 = params.cout / 4u;
    if (i >= 16u * params.cin * cout4) {
        return;
    }
    let co4 = i % cout4;
    let ci = (i / cout4) % params.cin;
    let tap = i / (cout4 * params.cin); // ((py * 2 + px) * 2 + ty) * 2 + tx
    let tx = tap % 2u;
    let ty = (tap / 2u) % 2u;
    let px = (tap / 4u) % 2u;
    let py = tap / 8u;
    var sum = vec4<f32>(0.0);
    for (var ky = first_tap(py, ty); ky < first_tap(py, ty) + tap_count(py, ty); ky++) {
        for (var kx = first_tap(px, tx); kx < first_tap(px, tx) + tap_count(px, tx); kx++) {
            sum += vec4<f32>(src[params.w_offset / 4u + ((ky * 3u + kx) * params.cin + ci) * cout4 + co4]);
        }
    }
    dst[i] = Act4(sum);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = pixel_group(flat_index(gid, nwg));
    if (!g.valid) {
        return;
    }
    let oy = g.oy;
    let ox0 = g.ox0;
    let co4 = g.co4;
    let cin4 = params.cin / 4u;
    let cout4 = params.cout / 4u;
    let small_h = i32(params.height / 2u);
    let small_w = i32(params.width / 2u);
    let py = oy % 2u;
    let sy = i32(oy / 2u);
    // the 4 small-map columns the thread's two blocks read: block 0 (outputs ox0, ox0 + 1) reads s - 1 .. s + 1,
    // block 1 (ox0 + 2, ox0 + 3) s .. s + 2, with s = ox0 / 2; clamped (the upsampled map's reflection)
    let sx = i32(ox0 / 2u);
    let col0 = u32(clamp(sx - 1, 0, small_w - 1));
    let col1 = u32(clamp(sx, 0, small_w - 1));
    let col2 = u32(clamp(sx + 1, 0, small_w - 1));
    let col3 = u32(clamp(sx + 2, 0, small_w - 1));

    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var ty = 0u; ty < 2u; ty++) {
        let row = u32(clamp(sy + i32(py + ty) - 1, 0, small_h - 1)) * u32(small_w);
        let at0 = (row + col0) * cin4;
        let at1 = (row + col1) * cin4;
        let at2 = (row + col2) * cin4;
        let at3 = (row + col3) * cin4;
        var row0 = Act4(0.0);
        var row1 = Act4(0.0);
        var row2 = Act4(0.0);
        var row3 = Act4(0.0);
        // folded weights (ty, tx, 4 input channels from 4 c4) of block positions 0 (a: tx 0, b: tx 1) and 1 (c, d)
        var wa = folded_at(py, 0u, ty, 0u, 0u, cout4) + co4;
        var wb = folded_at(py, 0u, ty, 1u, 0u, cout4) + co4;
        var wc = folded_at(py, 1u, ty, 0u, 0u, cout4) + co4;
        var wd = folded_at(py, 1u, ty, 1u, 0u, cout4) + co4;
        for (var c4 = 0u; c4 < cin4; c4++) {
            let v0 = src[at0 + c4];
            let v1 = src[at1 + c4];
            let v2 = src[at2 + c4];
            let v3 = src[at3 + c4];
            let a = mat4_at(wa, cout4);
            let b = mat4_at(wb, cout4);
            let c = mat4_at(wc, cout4);
            let d = mat4_at(wd, cout4);
            // outputs 0 and 2 sit at block position 0, 1 and 3 at position 1
            row0 += a * v0 + b * v1;
            row1 += c * v1 + d * v2;
            row2 += a * v1 + b * v2;
            row3 += c * v2 + d * v3;
            wa += 4u * cout4;
            wb += 4u * cout4;
            wc += 4u * cout4;
            wd += 4u * cout4;
        }
        acc0 += vec4<f32>(row0);
        acc1 += vec4<f32>(row1);
        acc2 += vec4<f32>(row2);
        acc3 += vec4<f32>(row3);
    }
    store_output(oy, ox0, co4, acc0);
    store_output(oy, ox0 + 1u, co4, acc1);
    store_output(oy, ox0 + 2u, co4, acc2);
    store_output(oy, ox0 + 3u, co4, acc3);
}

// The 4 input channels' weights of one output vec4 from folded vec4 index w: column m is input channel m, so
// that (matrix * v) sums v's 4 channels' products.
fn mat4_at(w: u32, cout4: u32) -> mat4x4<Act> {
    return mat4x4<Act>(aux[w], aux[w + cout4], aux[w + 2u * cout4], aux[w + 3u * cout4]);
}
