//! The one source of the kernels' tile and workgroup sizes: the Rust constants the shaders are generated with
//! (as a header of WGSL `const`s), the shared WGSL pieces in shaders/common/, and the grids computed from both.

use crate::gpu::Gpu;

/// Threads per workgroup of every one-thread-per-item kernel and of the workgroup tree sums.
pub const WORKGROUP_SIZE: u32 = 256;

/// Output pixels (consecutive in a row) per thread of the filter network's convolution (conv_forward.wgsl `forward`):
/// each input vec4 and its 4 weight vec4s are loaded once for them all. The kernel names their 4 accumulators.
pub const CONV_PIXELS: u32 = 4;
const _: () = assert!(
    CONV_PIXELS == 4,
    "conv_forward.wgsl's forward names one accumulator per pixel: acc0..acc3"
);

/// Threads per workgroup of the filter network's tiled convolution (conv_tiled.wgsl).
pub const CONV_TILED_THREADS: u32 = 256;

/// One tiling of the filter network's tiled convolution (conv_tiled.wgsl): CONV_TILED_THREADS threads, each 4
/// pixels x one vec4 of output channels, cover `tile_m` pixels x `tile_n` channels; K advances `tile_k` depths per
/// step through workgroup memory.
pub struct ConvTiling {
    pub tile_n: u32,
    pub tile_m: u32,
    pub tile_k: u32,
}

impl ConvTiling {
    const fn new(tile_n: u32, tile_k: u32) -> ConvTiling {
        let t = ConvTiling {
            tile_n,
            tile_m: 4 * CONV_TILED_THREADS / (tile_n / 4),
            tile_k,
        };
        // A: one or two vec4 loads per thread per step; B: at most one; both tiles in WebGPU's 16 KiB
        let a_loads = t.tile_m * t.tile_k / 4;
        assert!(a_loads == CONV_TILED_THREADS || a_loads == 2 * CONV_TILED_THREADS);
        assert!(t.tile_k * t.tile_n / 4 <= CONV_TILED_THREADS);
        assert!((t.tile_m + t.tile_n) * t.tile_k * 4 <= 16384);
        t
    }

    /// The generated WGSL constants.
    pub const fn constants(&self) -> [(&'static str, u32); 4] {
        [
            ("THREADS", CONV_TILED_THREADS),
            ("TILE_N", self.tile_n),
            ("TILE_M", self.tile_m),
            ("TILE_K", self.tile_k),
        ]
    }
}

/// The tiled convolution's tilings, 16, 32 and 64 channels wide. The 16-wide tiles (256 pixels) step 8 depths:
/// at 16, their staged input alone would fill WebGPU's 16 KiB of workgroup memory.
pub const CONV_TILED: [ConvTiling; 3] = [ConvTiling::new(16, 8), ConvTiling::new(32, 16), ConvTiling::new(64, 16)];
pub const CONV_TILED_16_CONSTANTS: &[(&str, u32)] = &CONV_TILED[0].constants();
pub const CONV_TILED_32_CONSTANTS: &[(&str, u32)] = &CONV_TILED[1].constants();
pub const CONV_TILED_64_CONSTANTS: &[(&str, u32)] = &CONV_TILED[2].constants();

/// The narrow convolution (conv_narrow.wgsl: stride 1, the filter network's 9x9 first and last layers): a
/// workgroup covers NARROW_TILE_W x NARROW_TILE_H output pixels x 4 channels, a thread 4 of a row; kernels up to
/// NARROW_MAX_KERNEL, whose input patch (one vec4 per pixel) must fit WebGPU's 16 KiB of workgroup memory.
pub const NARROW_TILE_W: u32 = 32;
pub const NARROW_TILE_H: u32 = 16;
pub const NARROW_MAX_KERNEL: u32 = 9;
const _: () = assert!((NARROW_TILE_W + NARROW_MAX_KERNEL - 1) * (NARROW_TILE_H + NARROW_MAX_KERNEL - 1) * 16 <= 16384);
pub const NARROW_CONSTANTS: &[(&str, u32)] = &[
    ("NARROW_TILE_W", NARROW_TILE_W),
    ("NARROW_TILE_H", NARROW_TILE_H),
    ("NARROW_MAX_KERNEL", NARROW_MAX_KERNEL),
];

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

/// The tiling of the tensor-core convolution (shaders/conv3x3_coop.wgsl) for one cooperative-matrix size `mma`
/// (an mma x mma x mma multiply of f16 inputs into f32 accumulators): 16 on NVIDIA and AMD GPUs, 8 where that is
/// all the adapter has (lavapipe). A workgroup of `threads` computes `tile_m` pixels x `tile_n` channels; each
/// subgroup owns a `sub` x `sub` quarter of it as 2 x 2 accumulators; K advances `tile_k` depths per step.
pub struct CoopTiling {
    pub mma: u32,
    pub tile_m: u32,
    pub tile_n: u32,
    pub tile_k: u32,
    pub threads: u32,
    pub sub: u32,
    /// Row strides (elements) of the staged tiles in workgroup memory: padded against bank conflicts, every row
    /// start and every block start stays 16-byte aligned for the cooperative loads and stores.
    pub a_stride: u32,
    pub b_stride: u32,
    pub c_stride: u32,
    /// Quarters of the tile, one per subgroup: a workgroup needs at least this many subgroups.
    pub quarters: u32,
}

impl CoopTiling {
    const fn new(mma: u32) -> CoopTiling {
        let (sub, tile_k) = (2 * mma, 2 * mma);
        let (tile_m, tile_n) = (2 * sub, 2 * sub);
        let t = CoopTiling {
            mma,
            tile_m,
            tile_n,
            tile_k,
            threads: COOP_THREADS,
            sub,
            a_stride: tile_k + 8,
            b_stride: tile_n + 8,
            c_stride: tile_n + 4,
            quarters: (tile_m / sub) * (tile_n / sub),
        };
        // the loaders stage whole vec4s, the same number per thread; the epilogue stores whole vec4s
        assert!((t.tile_m * t.tile_k / 4).is_multiple_of(t.threads));
        assert!((t.tile_k * t.tile_n / 4).is_multiple_of(t.threads));
        assert!((t.tile_m * t.tile_n / 4).is_multiple_of(t.threads));
        // common/coop_gemm.wgsl: a thread keeps one vec4 column of A and of B every step, and loads 1 or 4 of each
        assert!(t.threads.is_multiple_of(t.tile_k / 4) && t.threads.is_multiple_of(t.tile_n / 4));
        let (a_loads, b_loads) = (t.tile_m * t.tile_k / 4 / t.threads, t.tile_k * t.tile_n / 4 / t.threads);
        assert!((a_loads == 1 || a_loads == 4) && (b_loads == 1 || b_loads == 4));
        assert!(t.a_stride.is_multiple_of(8) && t.b_stride.is_multiple_of(8) && t.c_stride.is_multiple_of(4));
        t
    }

    /// Subgroups of at most this many lanes give every quarter a subgroup.
    pub const fn max_subgroup(&self) -> u32 {
        self.threads / self.quarters
    }

    /// Workgroup memory: f16 A and B tiles, the f32 output tile, one f32 per thread for the tile's scale.
    pub const fn workgroup_bytes(&self) -> u32 {
        self.tile_m * self.a_stride * 2
            + self.tile_k * self.b_stride * 2
            + self.tile_m * self.c_stride * 4
            + self.threads * 4
    }

    /// The generated WGSL constants.
    pub const fn constants(&self) -> [(&'static str, u32); 10] {
        [
            ("COOP_MMA", self.mma),
            ("COOP_TILE_M", self.tile_m),
            ("COOP_TILE_N", self.tile_n),
            ("COOP_TILE_K", self.tile_k),
            ("COOP_THREADS", self.threads),
            ("COOP_SUB", self.sub),
            ("COOP_A_STRIDE", self.a_stride),
            ("COOP_B_STRIDE", self.b_stride),
            ("COOP_C_STRIDE", self.c_stride),
            ("COOP_QUARTERS", self.quarters),
        ]
    }

    /// Workgroups for `n` output channels and `m` pixels: as `grid_tiles`, in this tiling's tiles.
    pub fn grid(&self, gpu: &Gpu, n: u32, m: u32) -> [u32; 3] {
        split_tiles(n.div_ceil(self.tile_n), m.div_ceil(self.tile_m), gpu.max_groups())
    }
}

/// Threads per tensor-core workgroup (4 subgroups of 32 on NVIDIA).
pub const COOP_THREADS: u32 = 128;
/// 16x16x16 multiplies: a 64 x 64 tile, K steps of 32.
pub const COOP16: CoopTiling = CoopTiling::new(16);
/// 8x8x8 multiplies: a 32 x 32 tile, K steps of 16.
pub const COOP8: CoopTiling = CoopTiling::new(8);
pub const COOP16_CONSTANTS: &[(&str, u32)] = &COOP16.constants();
pub const COOP8_CONSTANTS: &[(&str, u32)] = &COOP8.constants();
/// The matrix types of each size, as the tensor-core shaders name them (A: pixels x depths, B: depths x channels,
/// C: the f32 accumulators).
pub const COOP16_MATRICES_WGSL: &str = "alias MatA = coop_mat16x16<f16, A>;
alias MatB = coop_mat16x16<f16, B>;
alias MatC = coop_mat16x16<f32, C>;
";
pub const COOP8_MATRICES_WGSL: &str = "alias MatA = coop_mat8x8<f16, A>;
alias MatB = coop_mat8x8<f16, B>;
alias MatC = coop_mat8x8<f32, C>;
";

/// `flat_index(gid, nwg)`: a thread's item in a `grid_1d` launch.
pub const FLAT_INDEX_WGSL: &str = include_str!("../../shaders/common/flat_index.wgsl");
/// `sum_lanes(lid, value)`: the workgroup tree sum (the including module declares `alias Lane`).
pub const TREE_SUM_WGSL: &str = include_str!("../../shaders/common/tree_sum.wgsl");
/// The GEMM kernels' register-blocked tile product: `Acc`, `a_tile`/`b_tile`, `stage_a_transposed`,
/// `multiply_staged`.
pub const GEMM_TILE_WGSL: &str = include_str!("../../shaders/common/gemm_tile.wgsl");

/// The parameter block, bindings and `reflect` of the filter network's convolutions (conv.wgsl,
/// conv_forward.wgsl, conv_tiled*.wgsl, conv_narrow.wgsl, conv_upsampled.wgsl, conv_coop.wgsl).
pub const FILTER_CONV_WGSL: &str = include_str!("../../shaders/common/filter_conv.wgsl");
/// The output tiling and store of the forward kernels with 4 pixels x one vec4 of channels per thread
/// (conv_forward.wgsl, conv_upsampled.wgsl).
pub const PIXEL_GROUP_WGSL: &str = include_str!("../../shaders/common/pixel_group.wgsl");
/// The filter network's tiled GEMM (after a CONV_TILED tiling's constants; the including shader defines A and B):
/// `tiled_gemm`, `stage_a_transposed`.
pub const CONV_TILED_GEMM_WGSL: &str = include_str!("../../shaders/common/conv_tiled_gemm.wgsl");
/// The tensor-core convolutions' implicit GEMM: staging, loads and each subgroup's products (after the COOP_*
/// constants and the matrix types; the including shader defines origin, load_a and load_b).
pub const COOP_GEMM_WGSL: &str = include_str!("../../shaders/common/coop_gemm.wgsl");
/// The parameter block and bindings of every 3x3 convolution kernel (`params`, `src`, `weights`, `aux`, `dst`),
/// and `load_b`, the weights as a GEMM operand.
pub const CONV_BINDINGS_WGSL: &str = include_str!("../../shaders/common/conv_bindings.wgsl");
/// The tiled convolutions' register block (common/register_block.wgsl): `Block`, `block_multiply`, `block_emit`.
pub const REGISTER_BLOCK_WGSL: &str = include_str!("../../shaders/common/register_block.wgsl");

/// Workgroups for `threads` threads in groups of WORKGROUP_SIZE, as a 2D grid that the kernels flatten row by
/// row (`flat_index`): one row while the device's limit per dimension (`Gpu::max_groups`, 65535 on most GPUs)
/// allows, else full rows of that many. Past about 4 million threads per 64-channel image (1024 px) a row no
/// longer suffices.
pub fn grid_1d(gpu: &Gpu, threads: usize) -> [u32; 3] {
    items_grid(threads, gpu.max_groups())
}

fn items_grid(threads: usize, max_groups: u32) -> [u32; 3] {
    let groups = threads.div_ceil(WORKGROUP_SIZE as usize).max(1) as u32;
    if groups <= max_groups {
        [groups, 1, 1]
    } else {
        [max_groups, groups.div_ceil(max_groups), 1]
    }
}

/// Workgroups for a tiled GEMM over `n` columns and `m` rows: ceil(n / TILE) tiles along x, ceil(m / TILE) split
/// over y and z (`tile = wid.y + wid.z * nwg.y`) as the device's limit per dimension requires. Tiles past the end
/// in the last z slice find no rows and store nothing.
pub fn grid_tiles(gpu: &Gpu, n: u32, m: u32) -> [u32; 3] {
    grid_2d_tiles(gpu, n, m, TILE, TILE)
}

/// `grid_tiles` for tiles of `tile_n` columns x `tile_m` rows.
pub fn grid_2d_tiles(gpu: &Gpu, n: u32, m: u32, tile_n: u32, tile_m: u32) -> [u32; 3] {
    split_tiles(n.div_ceil(tile_n), m.div_ceil(tile_m), gpu.max_groups())
}

fn split_tiles(n_tiles: u32, m_tiles: u32, max_groups: u32) -> [u32; 3] {
    if m_tiles <= max_groups {
        [n_tiles, m_tiles.max(1), 1]
    } else {
        let z = m_tiles.div_ceil(max_groups);
        [n_tiles, m_tiles.div_ceil(z), z]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_cover_every_item_within_the_limit() {
        for (threads, limit) in [(1, 7), (256 * 7, 7), (256 * 7 + 1, 7), (256 * 49, 7), (1 << 30, 65535)] {
            let [x, y, z] = items_grid(threads, limit);
            assert!(
                x <= limit && y <= limit && z == 1,
                "{threads} threads in {limit}: [{x}, {y}, {z}]"
            );
            let covered = x as usize * y as usize * WORKGROUP_SIZE as usize;
            assert!(covered >= threads && covered - threads < x as usize * WORKGROUP_SIZE as usize);
        }
        for (m_tiles, limit) in [(1, 7), (7, 7), (8, 7), (43, 7), (49, 7), (200_000, 65535)] {
            let [x, y, z] = split_tiles(3, m_tiles, limit);
            assert!(
                x == 3 && y <= limit && z <= limit,
                "{m_tiles} tiles in {limit}: [{x}, {y}, {z}]"
            );
            assert!(
                y * z >= m_tiles && y * (z - 1) < m_tiles,
                "{m_tiles} tiles in [{y}, {z}]"
            );
        }
    }
}
