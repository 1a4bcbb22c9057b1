// The staged tiles of the tensor-core convolutions (conv3x3_coop.wgsl, conv_coop.wgsl) and one subgroup's share of
// the work on them: where its quarter of the tile lies, its 2 x 2 accumulators, their products over one staged K
// step and their store into c_tile. The including module is prepended the COOP_* constants and the matrix types.
//   a_tile [COOP_TILE_M][COOP_A_STRIDE] f16   row m: pixel tile_m + m, the step's depths
//   b_tile [COOP_TILE_K][COOP_B_STRIDE] f16   row k: the step's depth k, channels tile_n ..
//   c_tile [COOP_TILE_M][COOP_C_STRIDE] f32   the finished tile, for the epilogue

var<workgroup> a_tile: array<f16, COOP_TILE_M * COOP_A_STRIDE>;
var<workgroup> b_tile: array<f16, COOP_TILE_K * COOP_B_STRIDE>;
var<workgroup> c_tile: array<f32, COOP_TILE_M * COOP_C_STRIDE>;

// The top-left corner of a subgroup's COOP_SUB x COOP_SUB quarter. Subgroup `sg` owns quarter sg % COOP_QUARTERS:
// extra (narrower) subgroups compute a quarter again and do not store it, which keeps every cooperative operation
// in uniform control flow.
struct Quarter {
    m: u32,
    n: u32,
}

fn quarter_of(sg: u32) -> Quarter {
    let q = sg % COOP_QUARTERS;
    return Quarter((q / (COOP_TILE_N / COOP_SUB)) * COOP_SUB, (q % (COOP_TILE_N / COOP_SUB)) * COOP_SUB);
}

// A quarter's accumulators: rows (0, 1) x columns (0, 1) of COOP_MMA-wide blocks.
struct Sums {
    c00: MatC,
    c01: MatC,
    c10: MatC,
    c11: MatC,
}

fn no_sums() -> Sums {
    return Sums(MatC(), MatC(), MatC(), MatC());
}

// `s` plus the quarter's products over the COOP_TILE_K depths staged in a_tile and b_tile.
fn multiply_staged(q: Quarter, s: Sums) -> Sums {
    var r = s;
    for (var kk = 0u; kk < COOP_TILE_K; kk += COOP_MMA) {
        let a0 = coopLoadT<MatA>(&a_tile[q.m * COOP_A_STRIDE + kk], COOP_A_STRIDE);
        let a1 = coopLoadT<MatA>(&a_tile[(q.m + COOP_MMA) * COOP_A_STRIDE + kk], COOP_A_STRIDE);
        let b0 = coopLoadT<MatB>(&b_tile[kk * COOP_B_STRIDE + q.n], COOP_B_STRIDE);
        let b1 = coopLoadT<MatB>(&b_tile[kk * COOP_B_STRIDE + q.n + COOP_MMA], COOP_B_STRIDE);
        r.c00 = coopMultiplyAdd(a0, b0, r.c00);
        r.c01 = coopMultiplyAdd(a0, b1, r.c01);
        r.c10 = coopMultiplyAdd(a1, b0, r.c10);
        r.c11 = coopMultiplyAdd(a1, b1, r.c11);
    }
    return r;
}

// The finished sums into c_tile (by the quarter's own subgroup alone), then a barrier: c_tile is ready to read.
fn store_sums(sg: u32, q: Quarter, s: Sums) {
    if (sg < COOP_QUARTERS) {
        let at = q.m * COOP_C_STRIDE + q.n;
        coopStoreT(s.c00, &c_tile[at], COOP_C_STRIDE);
        coopStoreT(s.c01, &c_tile[at + COOP_MMA], COOP_C_STRIDE);
        coopStoreT(s.c10, &c_tile[at + COOP_MMA * COOP_C_STRIDE], COOP_C_STRIDE);
        coopStoreT(s.c11, &c_tile[at + COOP_MMA * COOP_C_STRIDE + COOP_MMA], COOP_C_STRIDE);
    }
    workgroupBarrier();
}
