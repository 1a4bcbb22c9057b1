// Instance normalisation of one image's feature map, per channel over its pixels, with an optional ReLU or
// residual add after it: the parameter block, bindings and helpers of its forward (instance_norm.wgsl) and backward
// (instance_norm_backward.wgsl). The statistics are one pass over the pixels, split along them into per-chunk means
// and squared deviations, then combined, as in gram.wgsl.
// Each module: the generated constant WORKGROUP_SIZE, common/precision_f32.wgsl (the forward's f16 module:
// precision_f16.wgsl), common/flat_index.wgsl, common/tree_sum.wgsl, this file, then its entries' file.
//
// Layouts (read and written as vec4 over 4 channels; C = 4 * c4 channels, P pixels; f32 but where it says Act, the
// activations' format: f32, or f16 in the forward's f16 module; every sum and statistic is f32):
//   x, y, residual         : [P][C]   Act, channels-last
//   dy, dx                 : [P][C]   f32 (the backward's module is f32 throughout)
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
@group(0) @binding(1) var<storage, read> x: array<Act4>;
@group(0) @binding(2) var<storage, read> aux: array<Act4>;            // forward: the residual; backward: y
@group(0) @binding(3) var<storage, read> dy: array<vec4<f32>>;        // backward only
@group(0) @binding(4) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> stats: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> partials: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> dst: array<Act4>;      // y; dx; or grads (backward_reduce)

alias Lane = vec4<f32>;

// The pixel range of a split.
fn chunk_end(split: u32) -> u32 {
    return min(split * params.chunk + params.chunk, params.pixels);
}

fn xhat(i: u32, c: u32) -> vec4<f32> {
    return (vec4<f32>(x[i]) - stats[c]) * stats[params.c4 + c];
}

