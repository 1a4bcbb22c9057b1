//! The run loop: a Transfer (coarse to fine when asked) driven in batches of about 50 ms, two in flight so that the
//! GPU never waits for the page, each awaited on the GPU so that the page stays live; previews, progress, stage and
//! time left, pause/resume/stop.

use std::fmt::Write;

use image::RgbaImage;
use wasm_bindgen::JsCast;

use super::app::App;
use super::dom;
use super::pacing::{BatchSize, TwoInFlight, WorkClock, work_done};
use super::ui::sentence;
use crate::{Error, Gpu, Transfer};

/// What one run reports when it ends: its closing status line.
type Outcome = Result<String, Error>;

/// The photo a run started with: its size (for the run's rate) and its thumbnail (the comparison under the result).
struct RunPhoto {
    size: (u32, u32),
    url: Option<String>,
}

/// Steps of a run after which its own rate replaces the short timing's in the estimate.
const REFINE_AFTER_STEPS: u32 = 3;
/// How often a run asks for a new preview of its picture, in ms.
const PREVIEW_EVERY_MS: f64 = 400.0;

impl App {
    /// Starts a transfer with the current photo, paintings and settings. Does nothing while a run is going on (a
    /// second Start is ignored); the photo and paintings are read once here, so a photo chosen while the run goes
    /// on is kept for the next run and does not disturb this one.
    pub async fn run(&self) {
        let ui = &self.ui;
        let params = match self.params() {
            Ok(p) => p,
            Err(e) => return ui.show_error(&e, None),
        };
        let paintings = self.paintings.chosen();
        if self.run_control.is_running() {
            return;
        }
        let content = self.photo.borrow().clone();
        let (gpu, weights, content) = match (self.engine.ready(), content, paintings.is_empty()) {
            (Some((g, w)), Some(c), false) => (g, w, c),
            _ => {
                return ui.show_error(
                    "Choose a photo and a painting, and wait for the GPU and weights to load.",
                    None,
                );
            }
        };
        if !self.run_control.begin(self.picture_name()) {
            return;
        }
        ui.clear_error();
        self.caption_choices();
        ui.progress.set_value(0.0);
        self.refresh_buttons();
        let what = if paintings.len() > 1 {
            format!("the {} paintings", paintings.len())
        } else {
            "the painting".to_string()
        };
        self.set_status(&format!("Preparing: analysing the photo and {what} ..."));
        let started = dom::now_ms();
        // this run's photo as the comparison shows it (another may be chosen while the run goes on)
        let photo = RunPhoto {
            size: (content.image.width(), content.image.height()),
            url: self.photo_url(),
        };
        // at once: choosing another photo while this one is analysed frees this one's thumbnail
        if let Some(url) = &photo.url {
            ui.compare_with(url);
        }
        let styles: Vec<(RgbaImage, f32)> = paintings.into_iter().map(|(p, share)| (p.image, share)).collect();
        let result = match Transfer::new(&gpu, &weights, &content.image, &styles, &params).await {
            Ok(mut transfer) => match self.optimise(&gpu, &mut transfer, &photo, started).await {
                // The run went wrong: the best picture it saw replaces the preview and stays downloadable.
                Err(e @ Error::Diverged { .. }) => {
                    if let Ok(best) = transfer.best_image().await {
                        self.show_picture(best, started);
                    }
                    Err(e)
                }
                other => other,
            },
            Err(e) => Err(e),
        };
        self.run_control.end();
        self.refresh_buttons();
        match result {
            Ok(message) => self.set_status(&message),
            Err(Error::TooLarge { largest_fitting, .. }) => {
                self.set_status("");
                ui.show_error(
                    &format!(
                        "{} px is too big for this GPU. The largest size that fits is {largest_fitting} px.",
                        params.size
                    ),
                    None,
                );
                ui.controls
                    .size
                    .set_value(&largest_fitting.min(params.size).to_string());
            }
            Err(Error::DeviceLost(m)) => self.device_lost(&m),
            Err(e) => {
                self.set_status("");
                ui.show_error(&sentence(&e.to_string()), None);
            }
        }
    }

    /// Asks a running transfer to stop and waits until it has.
    pub async fn stop_and_wait(&self) {
        if !self.is_running() {
            return;
        }
        self.run_control.request_stop();
        while self.is_running() {
            dom::sleep(50).await;
        }
    }

    async fn optimise(&self, gpu: &Gpu, transfer: &mut Transfer, photo: &RunPhoto, started: f64) -> Outcome {
        let ui = &self.ui;
        ui.size_preview(transfer.width(), transfer.height(), photo.url.as_deref());
        let total = transfer.total_iterations();
        let mut clock = WorkClock::start();
        // (working ms, step) where this stage began
        let mut stage_start = (0.0, transfer.iteration());
        let mut batch = BatchSize::new();
        let mut text = String::new();
        let mut last_preview = f64::NEG_INFINITY;
        // whether the picture at the step a pause stopped at has been asked for
        let mut paused_picture_asked = false;
        let mut stopped = false;
        let mut in_flight = TwoInFlight::default();
        while !transfer.is_done() {
            if self.run_control.stop_requested() {
                stopped = true;
                break;
            }
            if self.run_control.is_paused() {
                in_flight.drain().await;
                let paused = format!("Paused at step {}/{total}.", transfer.iteration());
                if self.status() != paused {
                    self.set_status(&paused);
                }
                // the picture shown while paused is the one at that step (a preview asked for earlier comes first)
                if let Some(picture) = transfer.take_preview() {
                    self.show_picture(picture?, started);
                }
                if !paused_picture_asked {
                    paused_picture_asked = transfer.request_preview();
                }
                clock.pause();
                dom::sleep(100).await;
                batch.restart_clock();
                continue;
            }
            clock.run();
            paused_picture_asked = false;
            if transfer.run(batch.steps())? == 0 {
                // This stage is queued in full: show its last picture, then set up the next, larger one.
                in_flight.drain().await;
                work_done(gpu).await;
                self.show_preview(transfer, started).await?;
                let next = transfer.stages()[transfer.stage() + 1];
                self.set_status(&format!(
                    "Step {}/{total} · moving up to {} px ({}) ...",
                    transfer.iteration(),
                    next.size,
                    stage_label(transfer.stage() + 1, transfer.stages().len())
                ));
                transfer.next_stage().await?;
                ui.size_preview(transfer.width(), transfer.height(), photo.url.as_deref());
                stage_start = (clock.elapsed_ms(), transfer.iteration());
                batch = BatchSize::new();
                last_preview = f64::NEG_INFINITY;
                continue;
            }
            if !in_flight.submitted(gpu).await {
                // the first batch of a stage: queue a second one before waiting
                continue;
            }
            gpu.check_alive()?;
            batch.batch_done();

            let done = transfer.iteration();
            let stage_seconds = (clock.elapsed_ms() - stage_start.0) / 1000.0;
            let rate = (done - stage_start.1) as f64 / stage_seconds.max(1e-3);
            self.run_control.set_steps_per_second(rate);
            if self.estimate.is_rough() && done - stage_start.1 >= REFINE_AFTER_STEPS {
                // the first steps of a real run refine the short timing's rate (the finished run replaces it)
                let pixels = transfer.width() as f64 * transfer.height() as f64;
                self.keep_rate(1000.0 / (rate * pixels), true);
            }
            ui.progress.set_value(done as f64 / total as f64);
            let losses = transfer.poll_losses().or(transfer.latest_losses());
            // written into one String kept across batches: the status allocates nothing once it has grown
            text.clear();
            let _ = write!(text, "Step {done}/{total}");
            if transfer.stages().len() > 1 {
                let _ = write!(
                    text,
                    " · {} px ({})",
                    transfer.stages()[transfer.stage()].size,
                    stage_label(transfer.stage(), transfer.stages().len())
                );
            }
            let _ = write!(
                text,
                " · {rate:.1} steps/s · {} left",
                format_seconds(seconds_left(transfer, rate))
            );
            if let Some(l) = losses {
                write_losses(&mut text, &l);
            }
            self.set_status(&text);
            // The preview is asked for now and drawn once the GPU has copied it, at a later batch: the loop never
            // waits for it, so the GPU always has the next batch.
            if let Some(picture) = transfer.take_preview() {
                self.show_picture(picture?, started);
            }
            if dom::now_ms() - last_preview > PREVIEW_EVERY_MS && transfer.request_preview() {
                last_preview = dom::now_ms();
            }
            dom::sleep(0).await;
        }
        in_flight.drain().await;
        if !stopped {
            // The last losses, checked like every earlier report (a run that went wrong at its end stops here).
            transfer.finish().await?;
        }
        self.show_preview(transfer, started).await?;
        let seconds = clock.elapsed_ms() / 1000.0;
        let done = transfer.iteration();
        if !stopped {
            // this run's own rate, for the next estimate
            let (w, h) = photo.size;
            let work: f64 = transfer
                .stages()
                .iter()
                .map(|s| {
                    let (sw, sh) = crate::image::fit(w, h, s.size);
                    s.iterations as f64 * sw as f64 * sh as f64
                })
                .sum();
            self.learn_from_run(seconds * 1000.0, work);
        }
        Ok(if stopped {
            format!("Stopped at step {done}/{total} after {}.", format_seconds(seconds))
        } else {
            format!(
                "Done: {done} steps in {} ({:.1} steps/s).",
                format_seconds(seconds),
                done as f64 / seconds.max(1e-3)
            )
        })
    }

    /// The chosen photo as its zone shows it (for the comparison under the result), if there is one.
    pub(super) fn photo_url(&self) -> Option<String> {
        self.photo.borrow().is_some().then(|| self.ui.content.thumb.src())
    }

    async fn show_preview(&self, transfer: &Transfer, started: f64) -> Result<(), Error> {
        self.show_picture(transfer.image().await?, started);
        Ok(())
    }

    /// Draws `image` as the newest picture of the run that began at `started` and keeps it downloadable.
    pub(super) fn show_picture(&self, image: RgbaImage, started: f64) {
        self.draw(&image);
        self.run_control.preview_shown(image, dom::now_ms() - started);
        self.ui.download.set_disabled(false);
    }

    fn draw(&self, image: &RgbaImage) {
        let canvas = &self.ui.canvas;
        let Ok(Some(ctx)) = canvas.get_context("2d") else {
            return;
        };
        let ctx: web_sys::CanvasRenderingContext2d = ctx.unchecked_into();
        if let Ok(data) = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
            wasm_bindgen::Clamped(image.as_raw()),
            image.width(),
            image.height(),
        ) {
            let _ = ctx.put_image_data(&data, 0.0, 0.0);
        }
    }
}

/// "stage 2 of 3" (stages counted from 1).
fn stage_label(index: usize, count: usize) -> impl std::fmt::Display {
    StageLabel(index + 1, count)
}

struct StageLabel(usize, usize);

impl std::fmt::Display for StageLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stage {} of {}", self.0, self.1)
    }
}

/// " · loss 1.234e5 (content ..., style ..., smoothness ...)", the status line's losses.
pub(super) fn write_losses(text: &mut String, l: &crate::Losses) {
    let _ = write!(
        text,
        " · loss {:.3e} (content {:.2e}, style {:.2e}, smoothness {:.2e})",
        l.total, l.content, l.style, l.tv
    );
}

/// Time left: this stage's steps at the measured rate, and each later stage's steps at that rate slowed by its
/// larger pixel count.
fn seconds_left(transfer: &Transfer, rate: f64) -> f64 {
    let here = transfer.stages()[transfer.stage()].size as f64;
    let later: f64 = transfer.stages()[transfer.stage() + 1..]
        .iter()
        .map(|s| s.iterations as f64 * (s.size as f64 / here).powi(2))
        .sum();
    (transfer.stage_remaining() as f64 + later) / rate.max(1e-6)
}

/// "45s", "12m 05s" ("?" for no number), written where it is formatted (the status lines allocate nothing).
pub(super) fn format_seconds(s: f64) -> impl std::fmt::Display {
    Seconds(s)
}

struct Seconds(f64);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.0.is_finite() {
            return f.write_str("?");
        }
        let s = self.0.round() as u64;
        if s >= 60 {
            write!(f, "{}m {:02}s", s / 60, s % 60)
        } else {
            write!(f, "{s}s")
        }
    }
}
