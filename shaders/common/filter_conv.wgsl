// The parameter block, bindings and reflection of the filter network's convolutions (conv.wgsl, conv_forward.wgsl,
// conv_tiled*.wgsl, conv_narrow.wgsl, conv_upsampled.wgsl, conv_coop.wgsl), so that one Rust wrapper
// (src/kernels/conv.rs) hands a convolution to any. What src, aux and dst hold is in each kernel's header. Act4
// (common/precision_*.wgsl) is vec4<f32> in every module but the f16 forward kernels'.

struct Params {
    height: u32,
    width: u32,
    cin: u32,          // multiple of 4
    cout: u32,         // multiple of 4
    kernel: u32,       // K, odd
    stride: u32,       // S, 1 or 2
    pad: u32,          // K / 2
    out_height: u32,
    out_width: u32,
    w_offset: u32,     // elements, multiple of 4
    bias_offset: u32,  // elements, multiple of 4 (read only when has_bias)
    has_bias: u32,
    accumulate: u32,   // backward_fold, weight_reduce: 1 adds to dst, 0 overwrites it
    chunk: u32,        // output pixels per split (weight gradient)
    splits: u32,
    _pad0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<Act4>;
@group(0) @binding(2) var<storage, read> aux: array<Act4>;
@group(0) @binding(3) var<storage, read_write> dst: array<Act4>;

// The input index padded index `i` reads: reflected once, clamped so that no shape can index outside the image.
fn reflect(i: i32, n: u32) -> u32 {
    let last = i32(n) - 1;
    var r = abs(i);
    if (r > last) {
        r = 2 * last - r;
    }
    return u32(clamp(r, 0, last));
}
