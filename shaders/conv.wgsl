// General convolution of the feed-forward filter network (Johnson et al. 2016): any odd kernel K of 1..9, stride S
// of 1 or 2, reflection padding P = K / 2 (PyTorch's ReflectionPad2d); its gradients computed directly: the input
// gradient, and the weight (+ bias) gradient split along the pixels. The forward pass is conv_forward.wgsl.
// Prepended: the generated constant WORKGROUP_SIZE, common/precision_f32.wgsl, common/flat_index.wgsl and
// common/filter_conv.wgsl (the parameter block, the bindings and `reflect`).
//
// Layouts (f32, channels-last, every channel count a multiple of 4, read and written as vec4):
//   x        : [H][W][CIN]                          the forward input
//   y, dy    : [OH][OW][COUT]                       OH = (H + 2P - K) / S + 1, likewise OW
//   weights  : the network's whole parameter buffer: this layer's [K][K][CIN][COUT] (COUT fastest) from element
//              w_offset, its bias [COUT] from bias_offset (both multiples of 4)
//   scratch  : [H + 2P][W + 2P][CIN]                dLoss/d padded input (backward_padded)
//   dx       : [H][W][CIN]                          written (accumulate = 0, never read) or added to
//   partials : [SPLITS][K * K * CIN * COUT + COUT]  per chunk of output pixels: weight gradient, then bias gradient
//   grads    : the network's whole gradient buffer, laid out as weights; only this layer's ranges are touched
// Reflection: padded index i (-P <= i < N + P, relative to the image) reads input reflect(i) = -i below 0 and
// 2 (N - 1) - i above N - 1; the wrapper asserts P <= N - 1, so one reflection lands inside.
// Entries (bindings: src, aux, dst), one thread each per:
//   backward_padded  (dy, weights, scratch)   one padded input pixel x one vec4 of input channels: the transposed
//                                             convolution as a gather over the taps whose output pixel covers it
//                                             (stride 2: only taps of the right parity divide)
//   backward_fold    (scratch, -, dx)         one input pixel x one vec4 of input channels: the sum of scratch at
//                                             the (up to 3 x 3) padded positions that reflect onto it
//   weight_partials  (x, dy, partials)        one tap x 4 input channels x one vec4 of output channels, summed
//                                             over one split's chunk of output pixels (every thread also sums dy;
//                                             those of tap 0, input vec4 0 store it as the bias partial)
//   weight_reduce    (partials, -, grads)     one vec4 of weight (then bias) gradient: the splits summed, written
//                                             or added into grads at w_offset (bias_offset)
// Grids: weight_partials (ceil(K * K * CIN / 4 * COUT / 4 / WORKGROUP_SIZE), SPLITS); every other entry a grid_1d
// launch of WORKGROUP_SIZE threads per workgroup, flattened (flat_index). `-`: bound, never read.

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_padded(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = flat_index(gid, nwg);
    let cin4 = params.cin / 4u;
    let cout4 = params.cout / 4u;
    let padded_w = params.width + 2u * params.pad;
    let padded_h = params.height + 2u * params.pad;
    if (t >= padded_h * padded_w * cin4) {
        return;
    }
    let c4 = t % cin4;
    let r = t / cin4;
    let px = r % padded_w;
    let py = r / padded_w;
    let k = params.kernel;
    let s = params.stride;

    // padded position py is tap ky of output row oy when oy * S + ky = py
    var acc = vec4<f32>(0.0);
    for (var ky = 0u; ky < k && ky <= py; ky++) {
        let ty = py - ky;
        let oy = ty / s;
        if (ty % s != 0u || oy >= params.out_height) {
            continue;
        }
        for (var kx = 0u; kx < k && kx <= px; kx++) {
            let tx = px - kx;
            let ox = tx / s;
            if (tx % s != 0u || ox >= params.out_width) {
                continue;
            }
            let d_at = (oy * params.out_width + ox) * cout4;
            // weights[tap][4 c4 + m][.], m = 0..3
            let w = params.w_offset / 4u + ((ky * k + kx) * params.cin + 4u * c4) * cout4;
            for (var co4 = 0u; co4 < cout4; co4++) {
                let d = src[d_at + co4];
                acc += vec4<f32>(
                    dot(d, aux[w + co4]),
                    dot(d, aux[w + cout4 + co4]),
                    dot(d, aux[w + 2u * cout4 + co4]),
                    dot(d, aux[w + 3u * cout4 + co4]),
                );
            }
        }
    }
    dst[t] = acc;
}

const NONE: u32 = 0xffffffffu;

// The padded position (0 .. N + 2P) of preimage `which` of input index i: 0 the image itself, 1 its mirror below 0
// (-i, for 1 <= i <= P), 2 its mirror above N - 1 (2 (N - 1) - i, for N - 1 - P <= i <= N - 2); NONE if absent.
fn preimage(i: u32, which: u32, n: u32, pad: u32) -> u32 {
    if (which == 0u) {
        return i + pad;
    }
    if (which == 1u) {
        return select(NONE, pad - i, i >= 1u && i <= pad);
    }
    return select(NONE, pad + 2u * (n - 1u) - i, i + 2u <= n && i + 1u + pad >= n);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_fold(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = flat_index(gid, nwg);
    let cin4 = params.cin / 4u;
    if (t >= params.height * params.width * cin4) {
        return;
    }
    let c4 = t % cin4;
    let r = t / cin4;
    let ix = r % params.width;
    let iy = r / params.width;
    let padded_w = params.width + 2u * params.pad;

    var sum = vec4<f32>(0.0);
    for (var a = 0u; a < 3u; a++) {
        let py = preimage(iy, a, params.height, params.pad);
        if (py == NONE) {
            continue;
        }
        for (var b = 0u; b < 3u; b++) {
            let px = preimage(ix, b, params.width, params.pad);
            if (px == NONE) {
                continue;
            }
            sum += src[(py * padded_w + px) * cin4 + c4];
        }
    }
    if (params.accumulate != 0u) {
        dst[t] = dst[t] + sum;
    } else {
        dst[t] = sum;
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn weight_partials(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let cin4 = params.cin / 4u;
    let cout4 = params.cout / 4u;
    let k = params.kernel;
    let t = wid.x * WORKGROUP_SIZE + lid;
    if (t >= k * k * cin4 * cout4) {
        return;
    }
    let co4 = t % cout4;
    let r = t / cout4;
    let c4 = r % cin4;
    let tap = r / cin4;
    let ky = tap / k;
    let kx = tap % k;
    let s = params.stride;
    let pad = i32(params.pad);
    let split = wid.y;
    let begin = split * params.chunk;
    let end = min(begin + params.chunk, params.out_height * params.out_width);

    // rows of dW[tap][4 c4 + m][co4 * 4 ..], m = 0..3, and the sum of dy for the bias
    var g0 = vec4<f32>(0.0);
    var g1 = vec4<f32>(0.0);
    var g2 = vec4<f32>(0.0);
    var g3 = vec4<f32>(0.0);
    var gb = vec4<f32>(0.0);
    var oy = begin / params.out_width;
    var ox = begin % params.out_width;
    var row = reflect(i32(oy * s + ky) - pad, params.height) * params.width;
    for (var p = begin; p < end; p++) {
        let v = src[(row + reflect(i32(ox * s + kx) - pad, params.width)) * cin4 + c4];
        let d = aux[p * cout4 + co4];
        g0 += v.x * d;
        g1 += v.y * d;
        g2 += v.z * d;
        g3 += v.w * d;
        gb += d;
        ox += 1u;
        if (ox == params.out_width) {
            ox = 0u;
            oy += 1u;
            row = reflect(i32(oy * s + ky) - pad, params.height) * params.width;
        }
    }
    let weights4 = k * k * params.cin * cout4;
    let base = split * (weights4 + cout4);
    let w = base + (tap * params.cin + 4u * c4) * cout4 + co4;
    dst[w] = g0;
    dst[w + cout4] = g1;
    dst[w + 2u * cout4] = g2;
    dst[w + 3u * cout4] = g3;
    if (tap == 0u && c4 == 0u) {
        dst[base + weights4 + co4] = gb;
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn weight_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    let cout4 = params.cout / 4u;
    let weights4 = params.kernel * params.kernel * params.cin * cout4;
    if (i >= weights4 + select(0u, cout4, params.has_bias != 0u)) {
        return;
    }
    var sum = vec4<f32>(0.0);
    for (var s = 0u; s < params.splits; s++) {
        sum += src[s * (weights4 + cout4) + i];
    }
    var at = params.w_offset / 4u + i;
    if (i >= weights4) {
        at = params.bias_offset / 4u + (i - weights4);
    }
    if (params.accumulate != 0u) {
        dst[at] = dst[at] + sum;
    } else {
        dst[at] = sum;
    }
}
