// Presenting: draws a picture held in a storage buffer onto a canvas, with one fullscreen triangle.
//
// Layout: picture [height][width] vec4 (r, g, b, 0) in 0..1, the same size as the canvas (one pixel per fragment).

struct Params {
    width: u32,
    height: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> picture: array<vec4<f32>>;

// Three vertices cover the whole canvas: (-1, -1), (3, -1), (-1, 3).
@vertex
fn vertex(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let x = f32((i & 1u) * 4u) - 1.0;
    let y = f32((i >> 1u) * 4u) - 1.0;
    return vec4<f32>(x, y, 0.0, 1.0);
}

@fragment
fn fragment(@builtin(position) at: vec4<f32>) -> @location(0) vec4<f32> {
    let x = min(u32(at.x), params.width - 1u);
    let y = min(u32(at.y), params.height - 1u);
    let p = picture[y * params.width + x];
    return vec4<f32>(clamp(p.xyz, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0);
}
