// The register-blocked tile product shared by the GEMM kernels (conv3x3, gram, gram_backward).
// A workgroup of TILE_THREADS x TILE_THREADS threads computes a TILE x TILE tile of the output; thread (tm, tn)
// owns a 4 x 4 block in four vec4 accumulators (constant indices only, so they stay in registers). Each K step
// stages TILE_K depths of both operands in workgroup memory as [TILE_K][TILE_THREADS] vec4: at each depth, 4
// consecutive rows of A (a_tile) and 4 consecutive columns of B (b_tile) per vec4.

struct Acc {
    r0: vec4<f32>,   // row 4 * tm + 0 of the thread's block, columns 4 * tn .. 4 * tn + 3
    r1: vec4<f32>,
    r2: vec4<f32>,
    r3: vec4<f32>,
}

var<workgroup> a_tile: array<vec4<f32>, TILE_K * TILE_THREADS>;
var<workgroup> b_tile: array<vec4<f32>, TILE_K * TILE_THREADS>;

fn acc_zero() -> Acc {
    var acc: Acc;
    acc.r0 = vec4<f32>(0.0);
    acc.r1 = vec4<f32>(0.0);
    acc.r2 = vec4<f32>(0.0);
    acc.r3 = vec4<f32>(0.0);
    return acc;
}

// Stages `v`, depths 4 * kg .. 4 * kg + 3 of tile row m of A, transposed into a_tile (one float per depth).
fn stage_a_transposed(m: u32, kg: u32, v: vec4<f32>) {
    let row = kg * 4u * TILE_THREADS + m / 4u;
    let lane = m % 4u;
    a_tile[row][lane] = v.x;
    a_tile[row + TILE_THREADS][lane] = v.y;
    a_tile[row + 2u * TILE_THREADS][lane] = v.z;
    a_tile[row + 3u * TILE_THREADS][lane] = v.w;
}

// acc += the staged rows 4 * tm .. + 3 of A times the staged columns 4 * tn .. + 3 of B, over TILE_K depths.
// Call between the barrier after staging and the barrier before the next staging.
fn multiply_staged(acc: ptr<function, Acc>, tm: u32, tn: u32) {
    for (var kk = 0u; kk < TILE_K; kk++) {
        let a = a_tile[kk * TILE_THREADS + tm];
        let b = b_tile[kk * TILE_THREADS + tn];
        (*acc).r0 += a.x * b;
        (*acc).r1 += a.y * b;
        (*acc).r2 += a.z * b;
        (*acc).r3 += a.w * b;
    }
}
