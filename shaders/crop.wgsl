// The training-photo sampler: a size x size crop of one photo, bilinearly resampled (any scale), optionally mirrored
// left-right. The crop itself lives in its own uniform (`crop`), rewritten by the host every training step, so the
// kernel trusts nothing in it: every read is clamped inside that photo's own pixels and inside the buffer, and the
// output is indexed by the dispatch's fixed size (`params`), never by the crop's.
//
// Layouts (f32, read and written as vec4 pixels (r, g, b, 0) in 0..1):
//   photos : every training photo, photo k a [height][width] block of pixels starting at pixel crop.offset
//   out    : [size][size], every element written
// Output pixel (i, j) samples source position (y0 + (i + 0.5) * step - 0.5, x0 + (j' + 0.5) * step - 0.5),
// j' = size - 1 - j when flip, else j; the position is clamped to [0, height - 1] x [0, width - 1] (so the border
// pixels repeat) and read bilinearly from its 4 neighbours. A photo of no pixels samples as 0.
// Tiling: one thread per output pixel, WORKGROUP_SIZE (256) threads per workgroup, a 2D grid flattened row by row.
// Prepended: the generated constant WORKGROUP_SIZE and common/flat_index.wgsl.

struct Params {
    size: u32,    // the output's side, as the dispatch was built for it
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

struct Crop {
    offset: u32,  // first pixel of the photo in `photos`
    height: u32,
    width: u32,
    size: u32,    // the output's side as the host meant it (the kernel indexes by params.size)
    x0: f32,
    y0: f32,
    step: f32,    // source pixels per output pixel
    flip: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> crop: Crop;
@group(0) @binding(2) var<storage, read> photos: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;

// The photo's pixel (y, x), y < height and x < width, its index kept inside the buffer whatever the crop says.
fn pixel(y: u32, x: u32) -> vec4<f32> {
    let i = crop.offset + y * crop.width + x;
    return photos[min(i, arrayLength(&photos) - 1u)];
}

// One axis: a source position clamped to [0, n - 1] -> (lower index, upper index, weight of the upper).
struct Axis {
    lo: u32,
    hi: u32,
    t: f32,
}

fn axis(position: f32, n: u32) -> Axis {
    let last = n - 1u;
    // max then min: a NaN position ends at 0 on the backends where max(NaN, 0) is 0, and is clamped below anyway
    let p = min(max(position, 0.0), f32(last));
    var a: Axis;
    a.lo = min(u32(floor(p)), last);
    a.hi = min(a.lo + 1u, last);
    a.t = clamp(p - f32(a.lo), 0.0, 1.0);
    return a;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sample(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = flat_index(gid, nwg);
    let size = params.size;
    if (k >= size * size) {
        return;
    }
    if (crop.height == 0u || crop.width == 0u) {
        out[k] = vec4<f32>(0.0);
        return;
    }
    let i = k / size;
    var j = k % size;
    if (crop.flip != 0u) {
        j = size - 1u - j;
    }
    let ya = axis(crop.y0 + (f32(i) + 0.5) * crop.step - 0.5, crop.height);
    let xa = axis(crop.x0 + (f32(j) + 0.5) * crop.step - 0.5, crop.width);
    let top = mix(pixel(ya.lo, xa.lo), pixel(ya.lo, xa.hi), xa.t);
    let bottom = mix(pixel(ya.hi, xa.lo), pixel(ya.hi, xa.hi), xa.t);
    out[k] = vec4<f32>(mix(top, bottom, ya.t).rgb, 0.0);
}
