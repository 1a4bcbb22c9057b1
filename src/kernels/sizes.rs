//! The one source of the kernels' tile and workgroup sizes: the Rust constants the shaders are generated with
//! (as a header of WGSL `const`s), the shared WGSL pieces in shaders/common/, and the grids computed from both.

/// Threads per workgroup of every one-thread-per-item kernel and of the workgroup tree sums.
pub const WORKGROUP_SIZE: u32 = 256;

/// Output tile side of the GEMM kernels (conv3x3, gram, gram_backward): a workgroup computes TILE x TILE.
pub const TILE: u32 = 64;
/// Depth of one K step of the GEMM kernels, staged through workgroup memory.
pub const TILE_K: u32 = 16;
/// Threads per side of a GEMM workgroup: each thread owns a 4 x 4 register block (common/gemm_tile.wgsl).
pub const TILE_THREADS: u32 = TILE / 4;

// The GEMM loaders stage one vec4 of A and one of B per thread per K step, so both operands' tiles must hold
// exactly one vec4 per thread.
const _: () = assert!(TILE_K * TILE / 4 == TILE_THREADS * TILE_THREADS);
const _: () = assert!(TILE_THREADS * TILE_THREADS <= WORKGROUP_SIZE);

/// The generated constants every 1D kernel uses.
pub const WORKGROUP_CONSTANTS: &[(&str, u32)] = &[("WORKGROUP_SIZE", WORKGROUP_SIZE)];
/// The generated constants of the GEMM kernels.
pub const GEMM_CONSTANTS: &[(&str, u32)] = &[
    ("WORKGROUP_SIZE", WORKGROUP_SIZE),
    ("TILE", TILE),
    ("TILE_K", TILE_K),
    ("TILE_THREADS", TILE_THREADS),
];

/// `flat_index(gid, nwg)`: a thread's item in a `grid_1d` launch.
pub const FLAT_INDEX_WGSL: &str = include_str!("../../shaders/common/flat_index.wgsl");
/// `sum_lanes(lid, value)`: the workgroup tree sum (the including module declares `alias Lane`).
pub const TREE_SUM_WGSL: &str = include_str!("../../shaders/common/tree_sum.wgsl");
/// The GEMM kernels' register-blocked tile product: `Acc`, `a_tile`/`b_tile`, `stage_a_transposed`,
/// `multiply_staged`.
pub const GEMM_TILE_WGSL: &str = include_str!("../../shaders/common/gemm_tile.wgsl");

/// The tiled convolutions' register block (common/register_block.wgsl): `Block`, `block_multiply`, `block_emit`.
pub const REGISTER_BLOCK_WGSL: &str = include_str!("../../shaders/common/register_block.wgsl");

const MAX_GROUPS: u32 = 65535;

/// Workgroups for `threads` threads in groups of WORKGROUP_SIZE, as a 2D grid that the kernels flatten row by
/// row (`flat_index`).
pub fn grid_1d(threads: usize) -> [u32; 3] {
    let groups = threads.div_ceil(WORKGROUP_SIZE as usize).max(1) as u32;
    if groups <= MAX_GROUPS {
        [groups, 1, 1]
    } else {
        [MAX_GROUPS, groups.div_ceil(MAX_GROUPS), 1]
    }
}

/// Workgroups for a tiled GEMM over `n` columns and `m` rows: ceil(n / TILE) tiles along x, ceil(m / TILE) split
/// over y and z (`tile = wid.y + wid.z * nwg.y`). Tiles past the end in the last z slice find no rows and store
/// nothing.
pub fn grid_tiles(n: u32, m: u32) -> [u32; 3] {
    grid_2d_tiles(n, m, TILE, TILE)
}

/// `grid_tiles` for tiles of `tile_n` columns x `tile_m` rows.
pub fn grid_2d_tiles(n: u32, m: u32, tile_n: u32, tile_m: u32) -> [u32; 3] {
    let (n_tiles, m_tiles) = (n.div_ceil(tile_n), m.div_ceil(tile_m));
    if m_tiles <= MAX_GROUPS {
        [n_tiles, m_tiles.max(1), 1]
    } else {
        let z = m_tiles.div_ceil(MAX_GROUPS);
        [n_tiles, m_tiles.div_ceil(z), z]
    }
}
