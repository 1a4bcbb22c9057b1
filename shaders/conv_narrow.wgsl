// The filter network's large-kernel convolutions at stride 1 (its 9x9 first and last layers: the picture to the
// network's width and back to the picture's 4 channels), forward, with the input staged through workgroup memory.
// The direct kernel reads every tap of every input pixel from memory again for each of the K x K outputs that use
// it, and a GEMM tile 16 channels wide or more would be 3/4 zeros for the last layer.
// In f32 or f16 (common/precision_*.wgsl): the same text compiles to both.
// Uses common/precision_f32.wgsl or precision_f16.wgsl, common/filter_conv.wgsl (the parameter block, the bindings
// and `reflect`) and the generated NARROW_TILE_W, NARROW_TILE_H, NARROW_MAX_KERNEL (src/kernels/sizes.rs).
//
// Layouts as conv_forward.wgsl's (Act: f32 or f16; channels-last, every channel count a multiple of 4, read and
// written as vec4; the weights in Act too):
//   x        : [H][W][CIN]                  src
//   weights  : aux, the network's whole parameter buffer: this layer's [K][K][CIN][COUT] (COUT fastest) from
//              element w_offset, its bias [COUT] from bias_offset
//   y        : [H][W][COUT]                 dst, overwritten
// Tiling: a workgroup computes NARROW_TILE_W x NARROW_TILE_H output pixels x one vec4 of output channels (its z);
// thread (tx, ty) the 4 consecutive pixels 4 tx .. 4 tx + 3 of row ty, one vec4 each, in named registers. For
// each vec4 of input channels the workgroup stages the tile's input patch, (TILE_W + K - 1) x (TILE_H + K - 1)
// pixels, reflected at the image's borders; a thread then slides along each tap row, reading one new patch vec4
// per tap for its 4 pixels, and the tap's 4 x 4 weights, the same address in every thread.
// Sums: each tap row's K x 4 products (one staged vec4 of input channels) are summed in Act, then added to f32
// sums, as in conv_forward.wgsl.
// Grid: (ceil(W / NARROW_TILE_W), ceil(H / NARROW_TILE_H), COUT / 4). K odd, at most NARROW_MAX_KERNEL.

const GROUP_W: u32 = NARROW_TILE_W / 4u;
const THREADS: u32 = GROUP_W * NARROW_TILE_H;
const PATCH_MAX: u32 = (NARROW_TILE_W + NARROW_MAX_KERNEL - 1u) * (NARROW_TILE_H + NARROW_MAX_KERNEL - 1u);

var<workgroup> staged: array<Act4, PATCH_MAX>;

@compute @workgroup_size(THREADS)
fn forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let k = params.kernel;
    let pad = i32(params.pad);
    let cin4 = params.cin / 4u;
    let cout4 = params.cout / 4u;
    let co4 = wg.z;
    let ox0 = wg.x * NARROW_TILE_W;
    let oy0 = wg.y * NARROW_TILE_H;
    let tx = lid % GROUP_W;
    let ty = lid / GROUP_W;
    // this kernel size's patch
    let pw = NARROW_TILE_W + k - 1u;
    let patch_len = pw * (NARROW_TILE_H + k - 1u);

    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var c4 = 0u; c4 < cin4; c4++) {
        workgroupBarrier();
        for (var i = lid; i < patch_len; i += THREADS) {
            let iy = reflect(i32(oy0 + i / pw) - pad, params.height);
            let ix = reflect(i32(ox0 + i % pw) - pad, params.width);
            staged[i] = src[(iy * params.width + ix) * cin4 + c4];
        }
        workgroupBarrier();
        // weights[tap][4 c4 + m][4 co4 .. 4 co4 + 3] as vec4 index w_offset / 4 + (tap * CIN + 4 c4 + m) COUT4
        // + co4
        var w = params.w_offset / 4u + 4u * c4 * cout4 + co4;
        for (var ky = 0u; ky < k; ky++) {
            let at = (ty + ky) * pw + 4u * tx;
            // the 4 pixels' inputs at tap column kx are staged[at + kx .. at + kx + 3]: 3 carried, 1 read
            var v0 = staged[at];
            var v1 = staged[at + 1u];
            var v2 = staged[at + 2u];
            var row0 = Act4(0.0);
            var row1 = Act4(0.0);
            var row2 = Act4(0.0);
            var row3 = Act4(0.0);
            for (var kx = 0u; kx < k; kx++) {
                let v3 = staged[at + kx + 3u];
                let w0 = aux[w];
                let w1 = aux[w + cout4];
                let w2 = aux[w + 2u * cout4];
                let w3 = aux[w + 3u * cout4];
                row0 += v0.x * w0 + v0.y * w1 + v0.z * w2 + v0.w * w3;
                row1 += v1.x * w0 + v1.y * w1 + v1.z * w2 + v1.w * w3;
                row2 += v2.x * w0 + v2.y * w1 + v2.z * w2 + v2.w * w3;
                row3 += v3.x * w0 + v3.y * w1 + v3.z * w2 + v3.w * w3;
                v0 = v1;
                v1 = v2;
                v2 = v3;
                w += params.cin * cout4;
            }
            acc0 += vec4<f32>(row0);
            acc1 += vec4<f32>(row1);
            acc2 += vec4<f32>(row2);
            acc3 += vec4<f32>(row3);
        }
    }
    var bias = vec4<f32>(0.0);
    if (params.has_bias != 0u) {
        bias = vec4<f32>(aux[params.bias_offset / 4u + co4]);
    }
    let oy = oy0 + ty;
    let ox = ox0 + 4u * tx;
    if (oy < params.out_height) {
        let at = (oy * params.out_width + ox) * cout4 + co4;
        if (ox < params.out_width) {
            dst[at] = Act4(acc0 + bias);
        }
        if (ox + 1u < params.out_width) {
            dst[at + cout4] = Act4(acc1 + bias);
        }
        if (ox + 2u < params.out_width) {
            dst[at + 2u * cout4] = Act4(acc2 + bias);
        }
        if (ox + 3u < params.out_width) {
            dst[at + 3u * cout4] = Act4(acc3 + bias);
        }
    }
}
