// The register block of the tiled convolutions: a workgroup of 16 x 16 threads computes a TILE_M x TILE_N tile
// (TILE_M, TILE_N each 64 or 128), each thread an (TILE_M / 16) x (TILE_N / 16) block held in named vec4
// accumulators, every index constant, so that they stay in registers (a bounds-checked dynamic index into a private
// array sends it to memory). The parts a 64-wide side does not use sit behind `if (TILE_M == 128u)` /
// `if (TILE_N == 128u)` on generated constants, which the compilers fold away.
//
// Staged operands (the including module fills them between barriers), one K step of TILE_K depths:
//   a_tile : [TILE_K][TILE_M / 4] vec4   at depth kk, rows 4 * i .. 4 * i + 3 of the tile (A transposed)
//   b_tile : [TILE_K][TILE_N / 4] vec4   at depth kk, columns 4 * j .. 4 * j + 3
// Thread (tm, tn) owns rows 4 * tm .. + 3 (and 64 + 4 * tm .. + 3 when TILE_M is 128) and columns 4 * tn .. + 3
// (and 64 + 4 * tn .. + 3 when TILE_N is 128): neighbouring threads read neighbouring vec4s of the staged tiles.

const BLOCK_THREADS: u32 = 16u;   // threads per side of the workgroup
const HALF: u32 = 16u;            // vec4 offset of the second half of a 128-wide side

var<workgroup> a_tile: array<vec4<f32>, TILE_K * TILE_M / 4u>;
var<workgroup> b_tile: array<vec4<f32>, TILE_K * TILE_N / 4u>;

// Row r of the block, columns 4 * tn .. + 3 (`rNa`) and 64 + 4 * tn .. + 3 (`rNb`); rows 4..7 are the second half.
struct Block {
    r0a: vec4<f32>, r1a: vec4<f32>, r2a: vec4<f32>, r3a: vec4<f32>,
    r4a: vec4<f32>, r5a: vec4<f32>, r6a: vec4<f32>, r7a: vec4<f32>,
    r0b: vec4<f32>, r1b: vec4<f32>, r2b: vec4<f32>, r3b: vec4<f32>,
    r4b: vec4<f32>, r5b: vec4<f32>, r6b: vec4<f32>, r7b: vec4<f32>,
}

fn block_zero() -> Block {
    let z = vec4<f32>(0.0);
    return Block(z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z);
}

// acc += the staged A rows of thread (tm, tn) times its staged B columns, over TILE_K depths.
// Call between the barrier after staging and the barrier before the next staging.
fn block_multiply(acc: ptr<function, Block>, tm: u32, tn: u32) {
    for (var kk = 0u; kk < TILE_K; kk++) {
        let a0 = a_tile[kk * (TILE_M / 4u) + tm];
        let b0 = b_tile[kk * (TILE_N / 4u) + tn];
        (*acc).r0a += a0.x * b0;
        (*acc).r1a += a0.y * b0;
        (*acc).r2a += a0.z * b0;
        (*acc).r3a += a0.w * b0;
        if (TILE_N == 128u) {
            let b1 = b_tile[kk * (TILE_N / 4u) + HALF + tn];
            (*acc).r0b += a0.x * b1;
            (*acc).r1b += a0.y * b1;
            (*acc).r2b += a0.z * b1;
            (*acc).r3b += a0.w * b1;
            if (TILE_M == 128u) {
                let a1 = a_tile[kk * (TILE_M / 4u) + HALF + tm];
                (*acc).r4a += a1.x * b0;
                (*acc).r5a += a1.y * b0;
                (*acc).r6a += a1.z * b0;
                (*acc).r7a += a1.w * b0;
                (*acc).r4b += a1.x * b1;
                (*acc).r5b += a1.y * b1;
                (*acc).r6b += a1.z * b1;
                (*acc).r7b += a1.w * b1;
            }
        } else if (TILE_M == 128u) {
            let a1 = a_tile[kk * (TILE_M / 4u) + HALF + tm];
            (*acc).r4a += a1.x * b0;
            (*acc).r5a += a1.y * b0;
            (*acc).r6a += a1.z * b0;
            (*acc).r7a += a1.w * b0;
        }
    }
}

// Hands each output vec4 of the block to the including module's `emit(row, col4, value, mode)`, where row is the
// output row (pixel) and col4 the vec4 column, both relative to the whole output; `mode` is passed through.
fn block_emit(acc: Block, tile_m: u32, tile_n: u32, tm: u32, tn: u32, mode: u32) {
    let row = tile_m + 4u * tm;
    let col = tile_n / 4u + tn;
    emit(row, col, acc.r0a, mode);
    emit(row + 1u, col, acc.r1a, mode);
    emit(row + 2u, col, acc.r2a, mode);
    emit(row + 3u, col, acc.r3a, mode);
    if (TILE_N == 128u) {
        emit(row, col + HALF, acc.r0b, mode);
        emit(row + 1u, col + HALF, acc.r1b, mode);
        emit(row + 2u, col + HALF, acc.r2b, mode);
        emit(row + 3u, col + HALF, acc.r3b, mode);
    }
    if (TILE_M == 128u) {
        emit(row + 64u, col, acc.r4a, mode);
        emit(row + 65u, col, acc.r5a, mode);
        emit(row + 66u, col, acc.r6a, mode);
        emit(row + 67u, col, acc.r7a, mode);
        if (TILE_N == 128u) {
            emit(row + 64u, col + HALF, acc.r4b, mode);
            emit(row + 65u, col + HALF, acc.r5b, mode);
            emit(row + 66u, col + HALF, acc.r6b, mode);
            emit(row + 67u, col + HALF, acc.r7b, mode);
        }
    }
}
