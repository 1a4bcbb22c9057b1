// The output tiling of the forward convolutions that give each thread CONV_PIXELS (4) consecutive output pixels of
// a row x one vec4 of output channels (conv_forward.wgsl, conv_upsampled.wgsl): which pixels and channels a thread
// has, and the store that skips pixels past the row's end. Uses common/filter_conv.wgsl's parameter block and dst,
// and the generated CONV_PIXELS. Grid: OH * ceil(OW / CONV_PIXELS) * COUT / 4 threads, flattened (flat_index).

struct PixelGroup {
    oy: u32,
    ox0: u32,  // the first of the CONV_PIXELS pixels
    co4: u32,  // the vec4 of output channels
    valid: bool,
}

fn pixel_group(t: u32) -> PixelGroup {
    let cout4 = params.cout / 4u;
    let groups = (params.out_width + CONV_PIXELS - 1u) / CONV_PIXELS;
    let r = t / cout4;
    return PixelGroup(r / groups, (r % groups) * CONV_PIXELS, t % cout4, t < params.out_height * groups * cout4);
}

fn store_output(oy: u32, ox: u32, co4: u32, v: vec4<f32>) {
    if (ox < params.out_width) {
        dst[(oy * params.out_width + ox) * (params.cout / 4u) + co4] = Act4(v);
    }
}
