// The filter network's convolution forward, computed directly (any odd kernel K of 1..9, stride 1 or 2, reflection
// padding P = K / 2, + bias), in f32 or f16 (common/precision_*.wgsl): the same text compiles to both.
// Prepended: the generated constants (WORKGROUP_SIZE, CONV_PIXELS), common/precision_f32.wgsl or precision_f16.wgsl,
// common/flat_index.wgsl, common/filter_conv.wgsl (the parameter block, the bindings and `reflect`) and
// common/pixel_group.wgsl (the thread's pixels and the store).
//
// Layouts (Act: f32 or f16; channels-last, every channel count a multiple of 4, read and written as vec4):
//   x        : [H][W][CIN] Act                  src
//   weights  : aux, the network's whole parameter buffer in Act: this layer's [K][K][CIN][COUT] (COUT fastest) from
//              element w_offset, its bias [COUT] from bias_offset (both multiples of 4)
//   y        : [OH][OW][COUT] Act               dst, overwritten; OH = (H + 2P - K) / S + 1, likewise OW
// Reflection as in conv.wgsl.
// Sums: each tap's CIN products are summed in Act, then added to f32 sums: in f16 no running sum grows past one
// tap's products (at most 128, width 32's widest layer), so its rounding stays that of at most a hundred-odd terms.
// (Summing a tap row's K * CIN in f16 made the worst error 1.6 times as large, 4e-3 of the largest output with
// inputs after ReLU; one conversion and f32 add per tap costs 1 / CIN of the products.)
// Tiling (common/pixel_group.wgsl): one thread per CONV_PIXELS (4) consecutive output pixels of a row x one vec4
// of output channels; weights read as 4 vec4s (4 input channels) per input vec4. Grid: grid_1d over
// OH * ceil(OW / 4) * COUT / 4 threads, WORKGROUP_SIZE per workgroup, flattened (flat_index).

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
    let k = params.kernel;
    let s = params.stride;
    let pad = i32(params.pad);

    // the CONV_PIXELS (4) pixels' sums, named: a private array indexed in a loop is bounds-checked, and a
    // compiler may then keep it in memory instead of registers
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var ky = 0u; ky < k; ky++) {
        let row = reflect(i32(oy * s + ky) - pad, params.height) * params.width;
        for (var kx = 0u; kx < k; kx++) {
            // this tap's sums, in Act
            var tap0 = Act4(0.0);
            var tap1 = Act4(0.0);
            var tap2 = Act4(0.0);
            var tap3 = Act4(0.0);
            // each pixel's input vec4 0; pixels past the row's end read a valid pixel and are never stored
            let at0 = input_at(row, ox0, kx, cin4);
            let at1 = input_at(row, ox0 + 1u, kx, cin4);
            let at2 = input_at(row, ox0 + 2u, kx, cin4);
            let at3 = input_at(row, ox0 + 3u, kx, cin4);
            // weights[tap][4 c4 + m][co4], m = 0..3, as vec4 indices
            var w = params.w_offset / 4u + (ky * k + kx) * params.cin * cout4 + co4;
            for (var c4 = 0u; c4 < cin4; c4++) {
                let w0 = aux[w];
                let w1 = aux[w + cout4];
                let w2 = aux[w + 2u * cout4];
                let w3 = aux[w + 3u * cout4];
                let v0 = src[at0 + c4];
                let v1 = src[at1 + c4];
                let v2 = src[at2 + c4];
                let v3 = src[at3 + c4];
                tap0 += v0.x * w0 + v0.y * w1 + v0.z * w2 + v0.w * w3;
                tap1 += v1.x * w0 + v1.y * w1 + v1.z * w2 + v1.w * w3;
                tap2 += v2.x * w0 + v2.y * w1 + v2.z * w2 + v2.w * w3;
                tap3 += v3.x * w0 + v3.y * w1 + v3.z * w2 + v3.w * w3;
                w += 4u * cout4;
            }
            acc0 += vec4<f32>(tap0);
            acc1 += vec4<f32>(tap1);
            acc2 += vec4<f32>(tap2);
            acc3 += vec4<f32>(tap3);
        }
    }
    var bias = vec4<f32>(0.0);
    if (params.has_bias != 0u) {
        bias = vec4<f32>(aux[params.bias_offset / 4u + co4]);
    }
    store_output(oy, ox0, co4, acc0 + bias);
    store_output(oy, ox0 + 1u, co4, acc1 + bias);
    store_output(oy, ox0 + 2u, co4, acc2 + bias);
    store_output(oy, ox0 + 3u, co4, acc3 + bias);
}

// The vec4 index of input channels 0..3 that output pixel (row's oy, ox) reads at tap column kx; a pixel past
// the row's end reads the last one's (and is never stored).
fn input_at(row: u32, ox: u32, kx: u32, cin4: u32) -> u32 {
    let x = min(ox, params.out_width - 1u) * params.stride + kx;
    return (row + reflect(i32(x) - i32(params.pad), params.width)) * cin4;
}
