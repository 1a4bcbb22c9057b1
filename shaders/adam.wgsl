// Adam on the pixels, keeping them in [0, 1], or on the network's weights, keeping them in [lo, hi] (the bounds are
// parameters). The step counter lives on the GPU, so a step uploads nothing.
//
// Layouts (f32): pixels, grad, m, v: [count] vec4 (pixels (r, g, b, 0), or 4 weights each);
//   state: [4] = (t, 1 - beta1^t, 1 - beta2^t, 0).
// Entries: `tick` (one thread) advances t and the bias corrections; `update` (one thread per vec4,
// WORKGROUP_SIZE (256) per workgroup, 2D grid flattened) applies the step.
// Prepended: the generated constant WORKGROUP_SIZE and common/flat_index.wgsl.

struct Params {
    count: u32,       // vec4s (pixels)
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    lo: f32,          // the clamp bounds: 0 and 1 for pixels
    hi: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> state: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> pixels: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> v: array<vec4<f32>>;

@compute @workgroup_size(1)
fn tick() {
    let t = state[0] + 1.0;
    state[0] = t;
    state[1] = 1.0 - pow(params.beta1, t);
    state[2] = 1.0 - pow(params.beta2, t);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= params.count) {
        return;
    }
    let g = grad[i];
    let mi = params.beta1 * m[i] + (1.0 - params.beta1) * g;
    let vi = params.beta2 * v[i] + (1.0 - params.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    let m_hat = mi / state[1];
    let v_hat = vi / state[2];
    let moved = pixels[i] - params.lr * m_hat / (sqrt(v_hat) + params.eps);
    pixels[i] = clamp(moved, vec4<f32>(params.lo), vec4<f32>(params.hi));
}
