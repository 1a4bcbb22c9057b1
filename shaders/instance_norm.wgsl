// Instance normalisation's forward: the statistics of each channel over the pixels (stat_partials, stat_reduce)
// and the normalisation (normalize, then ReLU or + residual), in f32 or f16 activations (common/precision_*.wgsl):
// the same text compiles to both. Layouts, bindings and grids: common/instance_norm.wgsl.

// One split's statistics of channels 4c..4c+3: its pixel count n, its mean and its sum of squared deviations from
// that mean. The sums run shifted by the chunk's first pixel, which keeps them small (no cancellation between a
// large sum of squares and a large squared mean); the tree sum adds each of the two up over the threads.
@compute @workgroup_size(WORKGROUP_SIZE)
fn stat_partials(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let c = wid.x;
    let split = wid.y;
    let begin = split * params.chunk;
    let shift = vec4<f32>(x[begin * params.c4 + c]);
    var sum = vec4<f32>(0.0);
    var sum_sq = vec4<f32>(0.0);
    for (var p = begin + lid; p < chunk_end(split); p += WORKGROUP_SIZE) {
        let d = vec4<f32>(x[p * params.c4 + c]) - shift;
        sum += d;
        sum_sq += d * d;
    }
    let n = f32(chunk_end(split) - begin);
    sum_lanes(lid, sum);
    // only thread 0 reads lanes[0], and the next sum only has it write lanes[0] again (after this read)
    var total = vec4<f32>(0.0);
    if (lid == 0u) {
        total = lanes[0];
    }
    sum_lanes(lid, sum_sq);
    if (lid == 0u) {
        let base = split * 2u * params.c4 + c;
        partials[base] = shift + total / n;
        partials[base + params.c4] = max(lanes[0] - total * total / n, vec4<f32>(0.0));
    }
}

// The splits' statistics combined (Chan, Golub and LeVeque's pairwise update: two parts' squared deviations plus
// the spread of their means), then the mean and 1 / sqrt(var + eps) into stats.
@compute @workgroup_size(WORKGROUP_SIZE)
fn stat_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let c = flat_index(gid, nwg);
    if (c >= params.c4) {
        return;
    }
    var n = 0.0;
    var mean = vec4<f32>(0.0);
    var m2 = vec4<f32>(0.0);
    for (var s = 0u; s < params.splits; s++) {
        let n_s = f32(chunk_end(s) - s * params.chunk);
        let mean_s = partials[s * 2u * params.c4 + c];
        let m2_s = partials[s * 2u * params.c4 + params.c4 + c];
        let total = n + n_s;
        let delta = mean_s - mean;
        mean += delta * (n_s / total);
        m2 += m2_s + delta * delta * (n * n_s / total);
        n = total;
    }
    stats[c] = mean;
    stats[params.c4 + c] = inverseSqrt(m2 * params.inv_pixels + params.eps);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn normalize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.pixels * params.c4) {
        return;
    }
    let c = i % params.c4;
    var v = weights[params.gamma4 + c] * xhat(i, c) + weights[params.beta4 + c];
    if (params.relu != 0u) {
        v = max(v, vec4<f32>(0.0));
    }
    if (params.residual != 0u) {
        v += vec4<f32>(aux[i]);
    }
    dst[i] = Act4(v);
}
