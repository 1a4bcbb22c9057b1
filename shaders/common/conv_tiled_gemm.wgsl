// The tiled GEMM of the filter network's convolutions (conv_tiled.wgsl's forward, conv_tiled_input_grad.wgsl's and
// conv_tiled_weight_grad.wgsl's gradients): THREADS threads as ROWS x COLS, COLS = TILE_N / 4; thread (r, c) owns
// rows 4r .. 4r + 3 of the workgroup's TILE_M x TILE_N tile (TILE_M = 4 ROWS) and its vec4 column c, in four vec4
// accumulators: 16 multiply-adds per 2 vec4 reads of workgroup memory. Each step stages TILE_K depths of both
// operands in workgroup memory: A as [TILE_K][ROWS] vec4 (4 consecutive rows per vec4), B as [TILE_K][COLS] vec4.
// Each thread loads A_LOADS vec4s of A per step and the first B_LOADS threads one of B; the next step's loads are
// issued before this step's products, so their latency hides behind the arithmetic. Workgroup memory: at most
// 8 KiB of A and 4 KiB of B.
// Needs the generated THREADS, TILE_N, TILE_M, TILE_K (src/kernels/sizes.rs CONV_TILED), and from the including
// shader what A and B are:
//   struct Slot                                 where one of a thread's A loads reads (A_LOADS per thread)
//   fn load_a(s: Slot, k0: u32, k_end: u32) -> vec4<f32>
//                                               its vec4 of the step at depth k0 (finite, or zero, past k_end)
//   fn stage_a(s: Slot, v: vec4<f32>)          stores it in a_tile
//   fn load_b(lid: u32, k0: u32, k_end: u32, tile_n: u32) -> vec4<f32>
//                                               vec4 lid (< B_LOADS) of the step's B, zero past k_end

const COLS: u32 = TILE_N / 4u;
const ROWS: u32 = TILE_M / 4u;                       // ROWS x COLS = THREADS
const A_LOADS: u32 = TILE_M * TILE_K / 4u / THREADS;  // 1 or 2
const B_LOADS: u32 = TILE_K * COLS;                  // at most THREADS

var<workgroup> a_tile: array<vec4<f32>, TILE_K * ROWS>;
var<workgroup> b_tile: array<vec4<f32>, B_LOADS>;

// Rows 4r .. 4r + 3 of a thread's block, its vec4 column each.
struct Acc {
    r0: vec4<f32>,
    r1: vec4<f32>,
    r2: vec4<f32>,
    r3: vec4<f32>,
}

fn acc_zero() -> Acc {
    return Acc(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
}

// Stores `v`, depths 4g .. 4g + 3 of tile row m, transposed into a_tile (one float per depth).
fn stage_a_transposed(m: u32, g: u32, v: vec4<f32>) {
    let row = 4u * g * ROWS + m / 4u;
    let lane = m % 4u;
    a_tile[row][lane] = v.x;
    a_tile[row + ROWS][lane] = v.y;
    a_tile[row + 2u * ROWS][lane] = v.z;
    a_tile[row + 3u * ROWS][lane] = v.w;
}

// acc += staged rows 4r .. 4r + 3 of A times staged column c of B, over the step's TILE_K depths. Call between
// the barrier after staging and the barrier before the next staging.
fn multiply_staged(acc: ptr<function, Acc>, r: u32, c: u32) {
    for (var kk = 0u; kk < TILE_K; kk++) {
        let a = a_tile[kk * ROWS + r];
        let b = b_tile[kk * COLS + c];
        (*acc).r0 += a.x * b;
        (*acc).r1 += a.y * b;
        (*acc).r2 += a.z * b;
        (*acc).r3 += a.w * b;
    }
}

// One step's operands as this thread loads them from global memory.
struct Loaded {
    a0: vec4<f32>,
    a1: vec4<f32>,
    b: vec4<f32>,
}

fn load_step(lid: u32, s0: Slot, s1: Slot, k0: u32, k_end: u32, tile_n: u32) -> Loaded {
    var l: Loaded;
    l.a0 = load_a(s0, k0, k_end);
    if (A_LOADS == 2u) {
        l.a1 = load_a(s1, k0, k_end);
    }
    if (lid < B_LOADS) {
        l.b = load_b(lid, k0, k_end, tile_n);
    }
    return l;
}

// This workgroup's tile of A x B over depths k_begin .. k_end (uniform across the workgroup), from the thread's A
// slots s0 and s1 (s1 unused where A_LOADS is 1) and the tile's first column tile_n.
fn tiled_gemm(lid: u32, s0: Slot, s1: Slot, tile_n: u32, k_begin: u32, k_end: u32) -> Acc {
    var acc = acc_zero();
    var next = load_step(lid, s0, s1, k_begin, k_end, tile_n);
    for (var k0 = k_begin; k0 < k_end; k0 += TILE_K) {
        stage_a(s0, next.a0);
        if (A_LOADS == 2u) {
            stage_a(s1, next.a1);
        }
        if (lid < B_LOADS) {
            b_tile[lid] = next.b;
        }
        workgroupBarrier();
        if (k0 + TILE_K < k_end) {
            next = load_step(lid, s0, s1, k0 + TILE_K, k_end, tile_n);
        }
        multiply_staged(&acc, lid / COLS, lid % COLS);
        workgroupBarrier();
    }
    return acc;
}
