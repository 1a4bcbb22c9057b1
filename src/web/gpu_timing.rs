//! A short timing of this GPU when the weights are ready, so the estimate beside Start has a figure before any run.

use image::RgbaImage;

use super::app::App;
use super::dom;
use super::pacing::WorkDone;
use crate::{Gpu, GpuWeights, Params, Transfer};

/// The longer sides tried, smallest first: a step that takes this long at a size is timed there; a faster one
/// (a real GPU, where small sizes cost mostly the fixed work of a step) moves up to the next size, so that the
/// rate per pixel is not inflated by that fixed work. Software renderers stay at the first.
const TIMING_SIZES: [u32; 3] = [64, 128, 256];
const SLOW_STEP_MS: f64 = 30.0;
/// At one size, steps are timed until this much time has passed or this many steps are timed.
const TIMING_MS: f64 = 300.0;
const MOST_STEPS: u32 = 5;

impl App {
    /// Starts timing this GPU in the background, unless a rate for it is known already.
    pub(super) fn time_gpu_soon(&self) {
        let app = self.clone();
        wasm_bindgen_futures::spawn_local(async move { app.time_gpu().await });
    }

    /// Times a few steps at a small size and keeps the rate as a rough one (a run's own rate replaces it). Gives up
    /// without a rate as soon as a run or a training begins, the GPU goes away, or anything fails: the timing
    /// must never stand in the way of what the user asked for.
    async fn time_gpu(&self) {
        self.show_estimate(); // takes a rate kept from an earlier visit, if there is one
        if self.estimate.rate().is_some() || self.estimate.timing() {
            return;
        }
        let Some((gpu, weights)) = self.engine.ready() else {
            return;
        };
        let runs_before = self.run_control.runs_begun();
        let interrupted = || self.run_control.runs_begun() != runs_before || self.run_control.is_running();
        self.estimate.set_timing(true);
        self.show_estimate();
        let settings = self.params().unwrap_or_default();
        let mut rate = None;
        for size in TIMING_SIZES {
            match time_steps(&gpu, &weights, &settings, size, &interrupted).await {
                Some((ms_per_step, pixels)) => {
                    rate = Some(ms_per_step / pixels);
                    if ms_per_step >= SLOW_STEP_MS {
                        break;
                    }
                }
                None => break,
            }
        }
        self.estimate.set_timing(false);
        if let Some(rate) = rate.filter(|_| !interrupted() && gpu.check_alive().is_ok()) {
            self.keep_rate(rate, false);
        }
        self.show_estimate();
    }
}

/// Milliseconds per step and pixels per step of a transfer between made-up pictures at `size` with the page's
/// `settings` (their optimiser and layers cost what they cost). Steps go one at a time, so that a run begun
/// meanwhile waits for at most one of them; None once `interrupted` or if anything fails.
async fn time_steps(
    gpu: &Gpu,
    weights: &std::sync::Arc<GpuWeights>,
    settings: &Params,
    size: u32,
    interrupted: &impl Fn() -> bool,
) -> Option<(f64, f64)> {
    if interrupted() {
        return None;
    }
    let params = Params {
        size,
        iterations: MOST_STEPS,
        multiscale: false,
        ..settings.clone()
    };
    let (photo, painting) = made_up_pictures(size);
    let mut transfer = Transfer::new(gpu, weights, &photo, &[(painting, 1.0)], &params)
        .await
        .ok()?;
    let mut times = Vec::new();
    while times.len() < MOST_STEPS as usize && times.iter().sum::<f64>() < TIMING_MS {
        if interrupted() {
            return None;
        }
        let started = dom::now_ms();
        transfer.run(1).ok()?;
        WorkDone::after_submitted(gpu).wait().await;
        times.push(dom::now_ms() - started);
    }
    // The first step at a size may pay for first uses; it counts only when it is all there is.
    let timed = if times.len() > 1 { &times[1..] } else { &times[..] };
    let ms_per_step = timed.iter().sum::<f64>() / timed.len() as f64;
    Some((ms_per_step, transfer.width() as f64 * transfer.height() as f64))
}

/// A photo and a painting of `size` px with some structure (a flat picture would give the optimiser nothing to do).
fn made_up_pictures(size: u32) -> (RgbaImage, RgbaImage) {
    let photo = RgbaImage::from_fn(size, size, |x, y| {
        image::Rgba([(x * 2) as u8, (y * 2) as u8, ((x ^ y) * 2) as u8, 255])
    });
    let painting = RgbaImage::from_fn(size, size, |x, y| {
        image::Rgba([
            ((x * 7 + y * 13) % 256) as u8,
            ((x * y) % 256) as u8,
            ((x + 3 * y) % 64 * 4) as u8,
            255,
        ])
    });
    (photo, painting)
}
