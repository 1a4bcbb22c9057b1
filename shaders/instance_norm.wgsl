// Instance normalisation of one image's feature map, per channel over its pixels, with an optional ReLU or
// residual add after it, forward and backward. The statistics are one pass over the pixels, split along them into
// per-chunk means and squared deviations, then combined, as in gram.wgsl.
// Prepended: the generated constant WORKGROUP_SIZE, common/flat_index.wgsl and common/tree_sum.wgsl.
//
// Layouts (f32, read and written as vec4 over 4 channels; C = 4 * c4 channels, P pixels):
//   x, y, dy, dx, residual : [P][C]   channels-last
//   weights                : the network's flat parameter buffer: gamma at [gamma4 * 4 ..][C], beta at
//                            [beta4 * 4 ..][C]
//   grads                  : the same layout as weights (bound in the `dst` slot by `backward_reduce`)
//   stats                  : [2][C]   mean, then 1 / sqrt(var + eps) (biased variance)
//   partials               : forward [SPLITS][2][C] (each chunk's mean and sum of squared deviations from it);
//                            backward [SPLITS][2][C] (sum g and sum g * xhat per chunk), and `backward_reduce`
//                            leaves the totals in split 0's slots for `backward_input`
// Entries and grids:
//   stat_partials, backward_partials: one workgroup of WORKGROUP_SIZE (256) threads per (vec4 of channels, pixel
//     chunk), grid (c4, SPLITS); the threads stride over the chunk's pixels and tree-sum (common/tree_sum.wgsl)
//     their vec4 sums.
//   stat_reduce, backward_reduce: one thread per vec4 of channels combining the chunks, 2D grid flattened.
//   normalize, backward_input: one thread per vec4 of the [P][C] tensor, 2D grid flattened.
// Backward, with xhat = (x - mean) * inv_std and g = dy (times the mask y > 0 when relu):
//   dbeta = sum g, dgamma = sum g * xhat, dx = gamma * inv_std * (g - (sum g + xhat * sum g * xhat) / P).

struct Params {
    pixels: u32,
    c4: u32,          // channels / 4
    chunk: u32,       // pixels per split
    splits: u32,
    gamma4: u32,      // gamma's offset into weights (and dgamma's into grads), in vec4s
    beta4: u32,
    relu: u32,        // 1: ReLU after the affine map (forward) / mask dy by y > 0 (backward)
    residual: u32,    // forward: 1 adds `aux` (the residual) after the affine map
    accumulate: u32,  // backward_reduce: 1 adds dgamma, dbeta into grads, 0 overwrites them
    inv_pixels: f32,  // 1 / P
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> aux: array<vec4<f32>>;       // forward: the residual; backward: y
@group(0) @binding(3) var<storage, read> dy: array<vec4<f32>>;        // backward only
@group(0) @binding(4) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> stats: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> partials: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> dst: array<vec4<f32>>; // y; dx; or grads (backward_reduce)

alias Lane = vec4<f32>;

// The pixel range of a split.
fn chunk_end(split: u32) -> u32 {
    return min(split * params.chunk + params.chunk, params.pixels);
}

// The gradient at the affine map's output: dy, masked by the forward output where a ReLU followed.
fn masked_dy(i: u32) -> vec4<f32> {
    if (params.relu != 0u) {
        return select(vec4<f32>(0.0), dy[i], aux[i] > vec4<f32>(0.0));
    }
    return dy[i];
}

fn xhat(i: u32, c: u32) -> vec4<f32> {
    return (x[i] - stats[c]) * stats[params.c4 + c];
}

// One split's statistics of channels 4c..4c+3: its pixel count n, its mean and its sum of squared deviations from
// that mean. The sums run shifted by the chunk's first pixel, which keeps them small (no cancellation between a
// large sum of squares and a large squared mean); the tree sum adds each of the two up over the threads.
@compute @workgroup_size(WORKGROUP_SIZE)
fn stat_partials(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let c = wid.x;
    let split = wid.y;
    let begin = split * params.chunk;
    let shift = x[begin * params.c4 + c];
    var sum = vec4<f32>(0.0);
    var sum_sq = vec4<f32>(0.0);
    for (var p = begin + lid; p < chunk_end(split); p += WORKGROUP_SIZE) {
        let d = x[p * params.c4 + c] - shift;
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
        v += aux[i];
    }
    dst[i] = v;
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
