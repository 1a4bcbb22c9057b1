// The parameter block and bindings every 3x3 convolution kernel shares (conv3x3.wgsl, conv3x3_narrow.wgsl,
// conv3x3_coop.wgsl), so that one Rust wrapper (src/kernels/conv3x3.rs) can hand a convolution to any of them.
// Buffers are channels-last f32, read and written as vec4; what src, weights and aux hold is in each kernel's header.
// Also the GEMM's B operand where it is the weights as they are ([K = 9 * CIN][COUT]): `load_b`.

struct Params {
    height: u32, // of one image
    width: u32,
    cin: u32,    // channels of src (multiple of 4)
    cout: u32,   // channels of dst (multiple of 4)
    images: u32, // images stacked along the rows ([IMAGES * H][W][C]); each is padded at its own borders
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> aux: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dst: array<vec4<f32>>;

// weights[k][vec4 column col4], zero past K or past the last column.
fn load_b(k: u32, col4: u32) -> vec4<f32> {
    let cout4 = params.cout / 4u;
    if (k >= 9u * params.cin || col4 >= cout4) {
        return vec4<f32>(0.0);
    }
    return weights[k * cout4 + col4];
}
