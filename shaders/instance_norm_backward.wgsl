// Instance normalisation's backward (f32): the sums of g and g * xhat per pixel chunk, dgamma and dbeta, and dx.
// Layouts, bindings and grids: common/instance_norm.wgsl.

// The gradient at the affine map's output: dy, masked by the forward output where a ReLU followed.
fn masked_dy(i: u32) -> vec4<f32> {
    if (params.relu != 0u) {
        return select(vec4<f32>(0.0), dy[i], aux[i] > vec4<f32>(0.0));
    }
    return dy[i];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_partials(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let c = wid.x;
    let split = wid.y;
    var sum_g = vec4<f32>(0.0);
    var sum_gx = vec4<f32>(0.0);
    for (var p = split * params.chunk + lid; p < chunk_end(split); p += WORKGROUP_SIZE) {
        let i = p * params.c4 + c;
        let g = masked_dy(i);
        sum_g += g;
        sum_gx += g * xhat(i, c);
    }
    let base = split * 2u * params.c4 + c;
    sum_lanes(lid, sum_g);
    // only thread 0 reads lanes[0], and the next sum only has it write lanes[0] again (after this read)
    var total_g = vec4<f32>(0.0);
    if (lid == 0u) {
        total_g = lanes[0];
    }
    sum_lanes(lid, sum_gx);
    if (lid == 0u) {
        partials[base] = total_g;
        partials[base + params.c4] = lanes[0];
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let c = flat_index(gid, nwg);
    if (c >= params.c4) {
        return;
    }
    var sum_g = vec4<f32>(0.0);
    var sum_gx = vec4<f32>(0.0);
    for (var s = 0u; s < params.splits; s++) {
        sum_g += partials[s * 2u * params.c4 + c];
        sum_gx += partials[s * 2u * params.c4 + params.c4 + c];
    }
    // the totals for backward_input, in split 0's slots (this thread alone reads or writes them)
    partials[c] = sum_g;
    partials[params.c4 + c] = sum_gx;
    // grads: overwriting never reads the old value, so whatever the buffer held (even NaN) is gone
    if (params.accumulate != 0u) {
        dst[params.beta4 + c] += sum_g;
        dst[params.gamma4 + c] += sum_gx;
    } else {
        dst[params.beta4 + c] = sum_g;
        dst[params.gamma4 + c] = sum_gx;
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.pixels * params.c4) {
        return;
    }
    let c = i % params.c4;
    let sum_g = partials[c];
    let sum_gx = partials[params.c4 + c];
    let scale = weights[params.gamma4 + c] * stats[params.c4 + c];
    dst[i] = scale * (masked_dy(i) - (sum_g + xhat(i, c) * sum_gx) * params.inv_pixels);
}
