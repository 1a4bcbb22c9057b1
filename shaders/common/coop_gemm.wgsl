// The implicit GEMM both tensor-core convolutions run (conv3x3_coop.wgsl, conv_coop.wgsl): a workgroup's tile of
// COOP_TILE_M pixels x COOP_TILE_N output channels, K walked COOP_TILE_K depths per step through workgroup memory
// as f16, each subgroup multiplying its quarter of the tile into f32 accumulators. What A and B are, the including
// shader says by defining:
//   fn origin(tile_m: u32, m: u32) -> vec2<i32>      the pixel of tile row m as load_a wants it (found once)
//   fn load_a(o: vec2<i32>, d: Depth) -> vec4<f32>   A at that pixel, depths d .. d + 3 (one tap, 4 channels)
//   fn load_b(k: u32, col4: u32) -> vec4<f32>        B[k][vec4 column col4], zero past K and past COUT
// Prepended before this: the COOP_* constants (src/kernels/sizes.rs: CoopTiling) and the matrix types.
//
// Staged tiles (row-major, strides padded against bank conflicts, every row and block 16-byte aligned):
//   a_tile [COOP_TILE_M][COOP_A_STRIDE] f16   row m: pixel tile_m + m, depths k0 .. k0 + COOP_TILE_K
//   b_tile [COOP_TILE_K][COOP_B_STRIDE] f16   row k: depth k0 + k, channels tile_n .. tile_n + COOP_TILE_N
//   c_tile [COOP_TILE_M][COOP_C_STRIDE] f32   the finished tile, for the including shader's epilogue
// Loads: each thread stages the same vec4 depth column of A_LOADS rows of A every step (COOP_THREADS is a multiple
// of the columns per row), so its rows' pixels are found once and its place along K, a Depth, advances by additions:
// nothing divides inside the loop. Likewise one vec4 column of B_LOADS rows of B. The next step's operands are
// loaded into registers before this step's products, so their latency hides behind the matrix units.
// Products: each subgroup owns the COOP_SUB x COOP_SUB quarter sg % COOP_QUARTERS of the tile as 2 x 2
// accumulators; extra (narrower) subgroups compute a quarter again and do not store it, which keeps every
// cooperative operation in uniform control flow.

const GROUPS: u32 = COOP_TILE_K / 4u;                          // vec4 depth columns per A row
const A_LOADS: u32 = COOP_TILE_M * GROUPS / COOP_THREADS;      // 1 (8x8 matrices) or 4 (16x16)
const A_ROWS_APART: u32 = COOP_THREADS / GROUPS;                // between one thread's A rows
const B_COLS: u32 = COOP_TILE_N / 4u;                           // vec4 columns per B row
const B_LOADS: u32 = COOP_TILE_K * B_COLS / COOP_THREADS;      // 1 or 4
const B_ROWS_APART: u32 = COOP_THREADS / B_COLS;
const C_STORES: u32 = COOP_TILE_M * COOP_TILE_N / 4u / COOP_THREADS;   // vec4s per thread in the epilogue

var<workgroup> a_tile: array<f16, COOP_TILE_M * COOP_A_STRIDE>;
var<workgroup> b_tile: array<f16, COOP_TILE_K * COOP_B_STRIDE>;
var<workgroup> c_tile: array<f32, COOP_TILE_M * COOP_C_STRIDE>;

// A depth k = (ky * K + kx) * CIN + ci as its tap and channel: ci the first of 4 channels.
struct Depth {
    kx: u32,
    ky: u32,
    ci: u32,
}

// The depth of vec4 column `g` of an A row at the first step (the one division).
fn first_depth(g: u32, cin: u32, kernel: u32) -> Depth {
    let k = 4u * g;
    let tap = k / cin;
    return Depth(tap % kernel, tap / kernel, k % cin);
}

// `d` one step (COOP_TILE_K depths) on; past K, ky passes the kernel.
fn next_depth(d: Depth, cin: u32, kernel: u32) -> Depth {
    var n = d;
    n.ci += COOP_TILE_K;
    while (n.ci >= cin) {
        n.ci -= cin;
        n.kx += 1u;
        if (n.kx == kernel) {
            n.kx = 0u;
            n.ky += 1u;
        }
    }
    return n;
}

// One step's operands as one thread loads them (a1..a3, b1..b3 only where A_LOADS, B_LOADS are 4), and the
// pixels of its A rows.
struct Loaded {
    a0: vec4<f32>,
    a1: vec4<f32>,
    a2: vec4<f32>,
    a3: vec4<f32>,
    b0: vec4<f32>,
    b1: vec4<f32>,
    b2: vec4<f32>,
    b3: vec4<f32>,
}

struct Origins {
    o0: vec2<i32>,
    o1: vec2<i32>,
    o2: vec2<i32>,
    o3: vec2<i32>,
}

// The step at depth k0: this thread's A rows at depth `d`, its B rows from k0 + kb in vec4 column col4.
fn load_step(o: Origins, d: Depth, k0: u32, kb: u32, col4: u32) -> Loaded {
    var l: Loaded;
    l.a0 = load_a(o.o0, d);
    l.b0 = load_b(k0 + kb, col4);
    if (A_LOADS > 1u) {
        l.a1 = load_a(o.o1, d);
        l.a2 = load_a(o.o2, d);
        l.a3 = load_a(o.o3, d);
    }
    if (B_LOADS > 1u) {
        l.b1 = load_b(k0 + kb + B_ROWS_APART, col4);
        l.b2 = load_b(k0 + kb + 2u * B_ROWS_APART, col4);
        l.b3 = load_b(k0 + kb + 3u * B_ROWS_APART, col4);
    }
    return l;
}

fn put_a(at: u32, v: vec4<f32>) {
    let h = vec4<f16>(v);
    a_tile[at] = h.x;
    a_tile[at + 1u] = h.y;
    a_tile[at + 2u] = h.z;
    a_tile[at + 3u] = h.w;
}

fn put_b(at: u32, v: vec4<f32>) {
    let h = vec4<f16>(v);
    b_tile[at] = h.x;
    b_tile[at + 1u] = h.y;
    b_tile[at + 2u] = h.z;
    b_tile[at + 3u] = h.w;
}

// Stages a loaded step: A rows m_a + i * A_ROWS_APART at column ka, B rows kb + i * B_ROWS_APART at column nb.
fn stage(l: Loaded, m_a: u32, ka: u32, kb: u32, nb: u32) {
    put_a(m_a * COOP_A_STRIDE + ka, l.a0);
    put_b(kb * COOP_B_STRIDE + nb, l.b0);
    if (A_LOADS > 1u) {
        put_a((m_a + A_ROWS_APART) * COOP_A_STRIDE + ka, l.a1);
        put_a((m_a + 2u * A_ROWS_APART) * COOP_A_STRIDE + ka, l.a2);
        put_a((m_a + 3u * A_ROWS_APART) * COOP_A_STRIDE + ka, l.a3);
    }
    if (B_LOADS > 1u) {
        put_b((kb + B_ROWS_APART) * COOP_B_STRIDE + nb, l.b1);
        put_b((kb + 2u * B_ROWS_APART) * COOP_B_STRIDE + nb, l.b2);
        put_b((kb + 3u * B_ROWS_APART) * COOP_B_STRIDE + nb, l.b3);
    }
}

// The top-left corner of a subgroup's quarter, and its accumulators: rows (0, 1) x columns (0, 1) of COOP_MMA-wide
// blocks.
struct Quarter {
    m: u32,
    n: u32,
}

struct Sums {
    c00: MatC,
    c01: MatC,
    c10: MatC,
    c11: MatC,
}

fn quarter_of(sg: u32) -> Quarter {
    let q = sg % COOP_QUARTERS;
    return Quarter((q / (COOP_TILE_N / COOP_SUB)) * COOP_SUB, (q % (COOP_TILE_N / COOP_SUB)) * COOP_SUB);
}

// `s` plus the quarter's products over the depths staged in a_tile and b_tile.
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

// The tile at (tile_m, tile_n) of the product of A and B over K = kernel^2 * cin depths, into c_tile (ready to read
// when this returns). `lid` is the thread's index, `sg` its subgroup's.
fn gemm_tile(lid: u32, sg: u32, tile_m: u32, tile_n: u32, cin: u32, kernel: u32) {
    let k_total = kernel * kernel * cin;
    // this thread's A rows and depth column, B rows and column
    let m_a = lid / GROUPS;
    let ka = 4u * (lid % GROUPS);
    let kb = lid / B_COLS;
    let nb = 4u * (lid % B_COLS);
    let col4 = tile_n / 4u + lid % B_COLS;
    var o: Origins;
    o.o0 = origin(tile_m, m_a);
    if (A_LOADS > 1u) {
        o.o1 = origin(tile_m, m_a + A_ROWS_APART);
        o.o2 = origin(tile_m, m_a + 2u * A_ROWS_APART);
        o.o3 = origin(tile_m, m_a + 3u * A_ROWS_APART);
    }

    let quarter = quarter_of(sg);
    var sums = Sums(MatC(), MatC(), MatC(), MatC());
    var depth = first_depth(lid % GROUPS, cin, kernel);
    var next = load_step(o, depth, 0u, kb, col4);
    for (var k0 = 0u; k0 < k_total; k0 += COOP_TILE_K) {
        stage(next, m_a, ka, kb, nb);
        workgroupBarrier();
        if (k0 + COOP_TILE_K < k_total) {
            depth = next_depth(depth, cin, kernel);
            next = load_step(o, depth, k0 + COOP_TILE_K, kb, col4);
        }
        sums = multiply_staged(quarter, sums);
        workgroupBarrier();
    }
    if (sg < COOP_QUARTERS) {
        let at = quarter.m * COOP_C_STRIDE + quarter.n;
        coopStoreT(sums.c00, &c_tile[at], COOP_C_STRIDE);
        coopStoreT(sums.c01, &c_tile[at + COOP_MMA], COOP_C_STRIDE);
        coopStoreT(sums.c10, &c_tile[at + COOP_MMA * COOP_C_STRIDE], COOP_C_STRIDE);
        coopStoreT(sums.c11, &c_tile[at + COOP_MMA * COOP_C_STRIDE + COOP_MMA], COOP_C_STRIDE);
    }
    workgroupBarrier();
}

// vec4 `n4` of row `m` of the finished tile.
fn finished(m: u32, n4: u32) -> vec4<f32> {
    let at = m * COOP_C_STRIDE + n4 * 4u;
    return vec4<f32>(c_tile[at], c_tile[at + 1u], c_tile[at + 2u], c_tile[at + 3u]);
}
