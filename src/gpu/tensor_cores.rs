//! Whether a device runs its convolutions on tensor cores (cooperative matrices): what the adapter must offer for
//! the coop kernels (VGG's conv3x3_coop, the filter network's conv_coop), the device features that turn them on,
//! and the state shown to the user.

use crate::kernels::sizes::{COOP8, COOP16, CoopTiling};

/// Tensor cores in use on a device, or why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TensorCores {
    /// The conv3x3_coop kernels run: `size` x `size` x `size` multiplies, f16 inputs, f32 accumulation.
    On { size: u32 },
    /// The f32 kernels run; the reason, for display.
    Off(String),
}

impl TensorCores {
    pub fn is_on(&self) -> bool {
        matches!(self, TensorCores::On { .. })
    }

    /// The tiling of the conv3x3_coop kernels for this state, when on.
    pub fn tiling(&self) -> Option<&'static CoopTiling> {
        match self {
            TensorCores::On { size: 16 } => Some(&COOP16),
            TensorCores::On { size: 8 } => Some(&COOP8),
            _ => None,
        }
    }
}

impl std::fmt::Display for TensorCores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TensorCores::On { size: n } => write!(f, "on ({n}x{n}x{n} f16->f32)"),
            TensorCores::Off(why) => write!(f, "off ({why})"),
        }
    }
}

/// The features the conv3x3_coop kernels use: cooperative matrices, f16 in shaders, subgroup builtins.
#[cfg(not(target_arch = "wasm32"))]
const FEATURES: wgpu::Features = wgpu::Features::EXPERIMENTAL_COOPERATIVE_MATRIX
    .union(wgpu::Features::SHADER_F16)
    .union(wgpu::Features::SUBGROUP);

/// Decides whether `adapter` can run the coop kernels (when `wanted`); returns the state and the extra device
/// features to request for it (empty when off).
#[cfg(not(target_arch = "wasm32"))]
pub fn probe(adapter: &wgpu::Adapter, wanted: bool) -> (TensorCores, wgpu::Features) {
    match usable_size(adapter, wanted) {
        Ok(size) => (TensorCores::On { size }, FEATURES),
        Err(why) => (TensorCores::Off(why), wgpu::Features::empty()),
    }
}

/// Tensor cores are a native-only wgpu feature: the browser always runs the f32 kernels.
#[cfg(target_arch = "wasm32")]
pub fn probe(_adapter: &wgpu::Adapter, _wanted: bool) -> (TensorCores, wgpu::Features) {
    (TensorCores::Off("not in the browser".into()), wgpu::Features::empty())
}

/// The cooperative-matrix size the coop kernels would use on `adapter` (16 where listed, else 8), or why none.
#[cfg(not(target_arch = "wasm32"))]
fn usable_size(adapter: &wgpu::Adapter, wanted: bool) -> Result<u32, String> {
    use wgpu::CooperativeScalarType::{F16, F32};
    if !wanted {
        return Err("turned off".into());
    }
    let missing = FEATURES - adapter.features();
    if missing.contains(wgpu::Features::EXPERIMENTAL_COOPERATIVE_MATRIX) {
        return Err("this adapter has no cooperative matrices".into());
    }
    if !missing.is_empty() {
        return Err(format!("this adapter lacks {missing}"));
    }
    let configs = adapter.cooperative_matrix_properties();
    let listed = |n: u32| {
        configs
            .iter()
            .any(|p| (p.m_size, p.n_size, p.k_size) == (n, n, n) && p.ab_type == F16 && p.cr_type == F32)
    };
    let tiling = [&COOP16, &COOP8]
        .into_iter()
        .find(|t| listed(t.mma))
        .ok_or("no 16x16x16 or 8x8x8 f16->f32 cooperative matrix on this adapter")?;
    // every quarter of the tile needs a subgroup of its own
    let subgroup = adapter.get_info().subgroup_max_size;
    if subgroup > tiling.max_subgroup() {
        return Err(format!(
            "subgroups of up to {subgroup} lanes, the kernel needs at most {}",
            tiling.max_subgroup()
        ));
    }
    let storage = adapter.limits().max_compute_workgroup_storage_size;
    if storage < tiling.workgroup_bytes() {
        return Err(format!(
            "{storage} bytes of workgroup memory, the kernel needs {}",
            tiling.workgroup_bytes()
        ));
    }
    Ok(tiling.mma)
}
