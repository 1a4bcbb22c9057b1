//! The benchmark's measurement, shared by the native bench (src/bin/bench.rs) and the wasm one (src/web/bench.rs):
//! the real step at one square size on synthetic pictures, timed end to end, with GPU time per kernel family; and a
//! filter network's forward pass at one size.

use std::collections::BTreeMap;
use std::sync::Arc;

use image::{Rgba, RgbaImage};
use serde_json::{Value, json};

use crate::filter_net::{Activations, Architecture};
use crate::gpu::Dispatch;
use crate::kernels::precision::Precision;
use crate::vgg::{LAYERS, feature_sizes};
use crate::{Error, Gpu, GpuWeights, Losses, Optimizer, Params, Result, Session};

/// Side of the synthetic photo and painting; the session resizes them to each benchmarked size.
const SAMPLE_SIDE: u32 = 64;

/// The synthetic photo: smooth gradients.
pub fn photo() -> RgbaImage {
    RgbaImage::from_fn(SAMPLE_SIDE, SAMPLE_SIDE, |x, y| {
        Rgba([(x * 4) as u8, (y * 4) as u8, 128, 255])
    })
}

/// The synthetic painting: an xor pattern, rich in edges.
pub fn painting() -> RgbaImage {
    RgbaImage::from_fn(SAMPLE_SIDE, SAMPLE_SIDE, |x, y| {
        Rgba([((x ^ y) * 4) as u8, 90, (y * 3) as u8, 255])
    })
}

/// The largest square size this GPU's limits allow for the synthetic pair.
pub fn largest_size(gpu: &Gpu) -> u32 {
    let side = (SAMPLE_SIDE, SAMPLE_SIDE);
    Session::largest_size(gpu, side, &[side], Params::default().style_scale)
}

/// Whether `e` means that a size does not fit this GPU (its limits or its memory): skipped, not fatal.
pub fn does_not_fit(e: &Error) -> bool {
    matches!(e, Error::TooLarge { .. } | Error::Gpu(_) | Error::DeviceLost(_))
}

/// Convolution FLOPs of one step at `size` x `size`: forward and input gradient of conv1_1 .. conv5_1.
pub fn conv_flops(size: u32) -> f64 {
    feature_sizes(size, size)
        .iter()
        .zip(LAYERS.iter())
        .map(|(&(h, w), l)| 2.0 * 2.0 * 9.0 * (h * w) as f64 * l.cin as f64 * l.cout as f64)
        .sum()
}

/// The kernel family a dispatch named `kernel` belongs to.
pub fn family(kernel: &str) -> &'static str {
    match kernel {
        k if k.starts_with("conv3x3_forward") => "conv forward",
        k if k.starts_with("conv3x3_backward") => "conv backward",
        k if k.contains("pool") => "pooling",
        k if k.starts_with("gram") => "gram",
        k if k.starts_with("adam") || k.starts_with("lbfgs") => "optimiser",
        k if k.starts_with("preprocess") => "preprocess",
        _ => "losses",
    }
}

/// What one size measured.
pub struct Measurement {
    pub size: u32,
    /// Wall time per timed step, from the first submission to the GPU's end of the last step.
    pub ms_per_step: f64,
    /// The losses after the timed steps.
    pub losses: Losses,
    /// GPU milliseconds of one step per kernel family (empty without timestamp queries).
    pub families: BTreeMap<&'static str, f64>,
    /// The convolutions' achieved GFLOP/s (None without timestamp queries).
    pub conv_gflops: Option<f64>,
    /// GPU memory the session holds.
    pub gpu_bytes: u64,
    /// GPU milliseconds of each dispatch of one step, in order (empty without timestamp queries).
    pub dispatches: Vec<(&'static str, f64)>,
}

impl Measurement {
    pub fn steps_per_s(&self) -> f64 {
        1000.0 / self.ms_per_step
    }

    pub fn to_json(&self) -> Value {
        let round = |v: f64, digits: i32| (v * 10f64.powi(digits)).round() / 10f64.powi(digits);
        let l = &self.losses;
        json!({
            "size": self.size,
            "ms_per_step": round(self.ms_per_step, 3),
            "steps_per_s": round(self.steps_per_s(), 3),
            "conv_gflops": self.conv_gflops.map(|g| round(g, 1)),
            "gpu_bytes": self.gpu_bytes,
            "gpu_ms": self.families.iter().map(|(k, v)| (k.to_string(), json!(round(*v, 3)))).collect::<serde_json::Map<_, _>>(),
            "losses": {"content": l.content, "style": l.style, "tv": l.tv, "total": l.total},
        })
    }
}

/// Sets up a session at `size` x `size` with the default settings and `optimizer`, runs `warmup` steps, then times
/// `steps` steps (queued as one batch, as a run does) until the GPU has finished them, by `clock` (milliseconds);
/// then times one step per kernel where the GPU has timestamp queries.
pub async fn measure(
    gpu: &Gpu,
    weights: &Arc<GpuWeights>,
    size: u32,
    optimizer: Optimizer,
    warmup: u32,
    steps: u32,
    clock: impl Fn() -> f64,
) -> Result<Measurement> {
    let params = Params {
        size,
        optimizer,
        ..Params::default()
    };
    let mut session = Session::new(gpu, weights, &photo(), &[(painting(), 1.0)], &params).await?;
    if warmup > 0 {
        // (finishing before any step would report the zeroed losses of step 0 as the first ones)
        session.run(warmup)?;
        session.finish().await?;
    }
    let steps = steps.max(1);
    let start = clock();
    session.run(steps)?;
    let losses = session.finish().await?;
    let ms_per_step = (clock() - start) / steps as f64;
    let mut families = BTreeMap::new();
    let profile = session.profile_step().await?;
    if let Some(p) = &profile {
        for (name, ms) in p {
            *families.entry(family(name)).or_insert(0.0) += ms;
        }
    }
    let conv_ms =
        families.get("conv forward").copied().unwrap_or(0.0) + families.get("conv backward").copied().unwrap_or(0.0);
    let conv_gflops = profile.as_ref().map(|_| conv_flops(size) / (conv_ms / 1000.0) / 1e9);
    Ok(Measurement {
        size,
        ms_per_step,
        losses,
        families,
        conv_gflops,
        gpu_bytes: session.gpu_bytes(),
        dispatches: profile.unwrap_or_default(),
    })
}

/// One forward pass of a filter network at one size: what applying a live filter to a frame costs.
pub struct ApplyMeasurement {
    pub width: u32,
    pub height: u32,
    /// The activations' format.
    pub precision: Precision,
    pub ms_per_frame: f64,
    pub gpu_bytes: u64,
    /// GPU milliseconds of one pass per kernel (its dispatches summed) and how many dispatches it has, slowest
    /// first (empty without timestamp queries): where a frame's time goes.
    pub kernels: Vec<(&'static str, f64, u32)>,
    /// Each convolution of one pass in the network's order (empty without timestamp queries): which layer's kernel
    /// is slow.
    pub convs: Vec<ConvTime>,
}

/// One convolution layer's GPU time in a forward pass.
pub struct ConvTime {
    /// The layer, as "9x9 3->16 /2 at 1280x720" (stride when 2, then the output's size).
    pub layer: String,
    pub kernel: &'static str,
    pub ms: f64,
    pub gflops: f64,
}

impl ApplyMeasurement {
    pub fn to_json(&self) -> Value {
        let convs: Vec<Value> = self
            .convs
            .iter()
            .map(|c| json!({"layer": c.layer, "kernel": c.kernel, "ms": c.ms, "gflops": c.gflops}))
            .collect();
        json!({"width": self.width, "height": self.height, "precision": self.precision.name(),
               "ms_per_frame": self.ms_per_frame,
               "gpu_bytes": self.gpu_bytes, "kernels": kernels_json(&self.kernels), "convs": convs})
    }
}

/// Pairs the convolution dispatches of one forward pass (one `conv_forward*` per layer, in order; the folding of
/// an upsampled layer's weights before it is not one) with the network's layers and their output sizes. GFLOP/s
/// count a layer's own convolution, also where the upsampled kernel computes it with 4 taps of its 9.
fn conv_times(
    arch: &Architecture,
    (height, width): (u32, u32),
    dispatches: &[Dispatch],
    times: &[f64],
) -> Vec<ConvTime> {
    let convs = dispatches
        .iter()
        .zip(times)
        .filter(|(d, _)| d.name.starts_with("conv_forward"));
    arch.layers
        .iter()
        .zip(arch.sizes(height, width))
        .zip(convs)
        .map(|((l, (oh, ow)), (d, &ms))| {
            let flops = 2.0 * (oh * ow) as f64 * (l.cout * l.cin * l.kernel * l.kernel) as f64;
            let stride = if l.stride > 1 {
                format!(" /{}", l.stride)
            } else {
                String::new()
            };
            ConvTime {
                layer: format!("{0}x{0} {1}->{2}{stride} at {ow}x{oh}", l.kernel, l.cin, l.cout),
                kernel: d.name,
                ms,
                gflops: flops / (ms.max(1e-9) * 1e6),
            }
        })
        .collect()
}

/// Per-kernel times (as `per_kernel` gives them) as JSON rows.
pub fn kernels_json(kernels: &[(&'static str, f64, u32)]) -> Value {
    let rows: Vec<Value> = kernels
        .iter()
        .map(|(name, ms, dispatches)| json!({"kernel": name, "ms": ms, "dispatches": dispatches}))
        .collect();
    Value::Array(rows)
}

/// Sums the GPU milliseconds `times` of `dispatches` per kernel name, with each kernel's dispatch count, slowest
/// kernel first.
pub fn per_kernel(dispatches: &[Dispatch], times: &[f64]) -> Vec<(&'static str, f64, u32)> {
    let mut sums: BTreeMap<&'static str, (f64, u32)> = BTreeMap::new();
    for (d, ms) in dispatches.iter().zip(times) {
        let entry = sums.entry(d.name).or_insert((0.0, 0));
        entry.0 += ms;
        entry.1 += 1;
    }
    let mut kernels: Vec<_> = sums.into_iter().map(|(name, (ms, n))| (name, ms, n)).collect();
    kernels.sort_by(|a, b| b.1.total_cmp(&a.1));
    kernels
}

/// Times the forward pass of the network `arch` with `params` at `width` x `height` (rounded as applying rounds
/// it) with activations in `precision`: `warmup` passes, then `frames` passes queued together until the GPU has
/// finished them, by `clock` (ms); then one more pass timed per kernel where the GPU has timestamp queries.
#[allow(clippy::too_many_arguments)]
pub async fn measure_apply(
    gpu: &Gpu,
    arch: &Architecture,
    params: &wgpu::Buffer,
    (width, height): (u32, u32),
    precision: Precision,
    warmup: u32,
    frames: u32,
    clock: impl Fn() -> f64,
) -> Result<ApplyMeasurement> {
    let (width, height) = Architecture::run_size(width, height);
    let acts = Activations::for_inference(gpu, arch, height, width, precision);
    let forward = acts.forward(gpu, arch, params);
    let frames = frames.max(1);
    let queued: Vec<_> = (0..frames).flat_map(|_| forward.iter().cloned()).collect();
    for _ in 0..warmup {
        gpu.run(&forward);
    }
    // a read waits for everything queued before it
    gpu.read_f32(&acts.layers[0].stats).await?;
    let start = clock();
    gpu.run(&queued);
    gpu.read_f32(&acts.layers[0].stats).await?;
    let ms_per_frame = (clock() - start) / frames as f64;
    let times = crate::gpu::time_dispatches(gpu, &forward).await?;
    Ok(ApplyMeasurement {
        width,
        height,
        precision,
        ms_per_frame,
        gpu_bytes: acts.bytes(),
        kernels: times.as_ref().map(|t| per_kernel(&forward, t)).unwrap_or_default(),
        convs: times
            .map(|t| conv_times(arch, (height, width), &forward, &t))
            .unwrap_or_default(),
    })
}
