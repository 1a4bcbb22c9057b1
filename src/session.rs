//! A style-transfer session: the optimisation of one picture at one size (the page and the CLI drive it through
//! `Transfer`, which runs one session per coarse-to-fine stage). Create it from a photo, one or more paintings and
//! Params; `run` queues steps; `poll_losses` reports without waiting; `image` reads the current picture and
//! `request_image`/`take_image` get one without waiting.

use std::sync::Arc;

use image::RgbaImage;

use crate::error::{Error, Result};
use crate::gpu::{Dispatch, Gpu, InFlight, LossReadback, SetUpErrors, StagedRead};
use crate::kernels::keep_best::{self, BestPicture};
use crate::kernels::loss_reduce::{LOSS_VALUES, TOTAL};
use crate::loss::{content_terms, style_size_of, style_terms, tv_scale};
use crate::network::Network;
use crate::params::{Init, Optimizer, Params};
use crate::step::{LossInputs, Step, StepInputs, Update};
use crate::vgg::{LAYERS, Layer, MIN_SIDE};
use crate::weights::GpuWeights;

/// The losses after some step (the value computed during that step, before its update).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Losses {
    /// Steps done when these were measured (1 = the first step's losses).
    pub iteration: u32,
    pub content: f32,
    pub style: f32,
    pub tv: f32,
    pub total: f32,
}

impl Losses {
    /// From the LOSS_VALUES values the loss_reduce kernel writes: content, style, tv, total.
    pub(crate) fn from_values(iteration: u32, v: &[f32]) -> Losses {
        Losses {
            iteration,
            content: v[0],
            style: v[1],
            tv: v[2],
            total: v[TOTAL as usize],
        }
    }
}

pub struct Session {
    gpu: Gpu,
    pub width: u32,
    pub height: u32,
    pixels: wgpu::Buffer,
    /// Where `image` and the previews read the pixels back to, made once.
    picture_read: StagedRead,
    net: Network,
    step: Step,
    readback: LossReadback<LOSS_VALUES>,
    /// Submitted batches not yet known to be finished.
    in_flight: InFlight,
    iteration: u32,
    latest: Option<Losses>,
    params: Params,
    // The content targets are bound by the step and kept alive by it; held here for memory accounting.
    target_bytes: u64,
    /// The picture with the lowest finite loss so far, kept on the GPU once per batch.
    best: BestPicture,
    keep_best: [Dispatch; 2],
    watch: DivergenceWatch,
    /// The step at which the run was stopped and why, once it has been.
    diverged: Option<(u32, String)>,
}

/// A reported loss this many times its best so far, and above the first one, means the optimisation is running
/// away rather than exploring.
const RUNAWAY_FACTOR: f32 = 10.0;

/// Watches the reported losses of one session for a run that has gone wrong.
#[derive(Clone, Copy, Debug)]
struct DivergenceWatch {
    first: Option<f32>,
    best: f32,
}

impl DivergenceWatch {
    fn new() -> DivergenceWatch {
        DivergenceWatch {
            first: None,
            best: f32::INFINITY,
        }
    }

    /// What is wrong with a run whose latest total loss is `total`, if anything.
    fn observe(&mut self, total: f32) -> Option<String> {
        if !total.is_finite() {
            return Some(format!("the loss became {total} (not a finite number)"));
        }
        let first = *self.first.get_or_insert(total);
        if total > RUNAWAY_FACTOR * self.best && total > first {
            return Some(format!(
                "the loss rose to {total:.3e}, more than {RUNAWAY_FACTOR} times its best ({:.3e}): the optimisation \
                 is running away",
                self.best
            ));
        }
        self.best = self.best.min(total);
        None
    }
}

/// Bytes of the largest single buffer a network of `w` x `h` allocates (conv1_x's feature maps).
fn largest_buffer_bytes(w: u32, h: u32) -> u64 {
    w as u64 * h as u64 * LAYERS[0].cout as u64 * 4
}

/// The side at which paintings are analysed for an output of longer side `size`.
fn style_side(size: u32, style_scale: f32) -> u32 {
    (size as f32 * style_scale).round() as u32
}

/// Bytes of the largest single buffer of a session at `size`: the photo's network or a painting's, whichever is
/// bigger (with a style scale above 1 the paintings are analysed at more than the output size).
fn session_buffer_bytes(photo: (u32, u32), paintings: &[(u32, u32)], size: u32, style_scale: f32) -> u64 {
    let (w, h) = crate::image::fit(photo.0, photo.1, size);
    paintings
        .iter()
        .map(|&p| {
            let (pw, ph) = style_size_of(p, style_side(size, style_scale));
            largest_buffer_bytes(pw, ph)
        })
        .fold(largest_buffer_bytes(w, h), u64::max)
}

/// `session_buffer_bytes` of a session of `params` over these pictures.
fn largest_buffer_of(photo: &RgbaImage, paintings: &[(RgbaImage, f32)], params: &Params) -> u64 {
    session_buffer_bytes(
        (photo.width(), photo.height()),
        &sizes_of(paintings),
        params.size,
        params.style_scale,
    )
}

/// The (width, height) of each painting.
fn sizes_of(paintings: &[(RgbaImage, f32)]) -> Vec<(u32, u32)> {
    paintings.iter().map(|(p, _)| (p.width(), p.height())).collect()
}

impl Session {
    /// Builds every buffer, bind group and target for one transfer of `paintings` (image, blend weight) onto
    /// `photo`. Computes the photo's features and the paintings' Gram matrices on the GPU before returning.
    pub async fn new(
        gpu: &Gpu,
        weights: &Arc<GpuWeights>,
        photo: &RgbaImage,
        paintings: &[(RgbaImage, f32)],
        params: &Params,
    ) -> Result<Session> {
        gpu.check_alive()?;
        let layers = params.validate()?;
        for (what, img) in std::iter::once(("photo", photo)).chain(paintings.iter().map(|(p, _)| ("painting", p))) {
            if img.width() == 0 || img.height() == 0 {
                return Err(Error::Image {
                    name: format!("the {what}"),
                    reason: "has no pixels".into(),
                });
            }
        }
        let (width, height) = Self::fitting_size(gpu, photo, paintings, params)?;
        let too_large = Self::too_large(gpu, photo, paintings, params);

        let deepest = layers
            .content
            .iter()
            .chain(&layers.style)
            .map(|&(l, _)| l)
            .max()
            .unwrap();
        // A set-up that breaks a GPU rule or runs out of memory is reported as such and leaves the device usable.
        let scopes = gpu.set_up_scopes().await;

        // The photo's features, through the same network the step will use.
        let resized = crate::image::resize(photo, width, height);
        let photo_pixels = crate::image::to_pixels(&resized);
        let pixels = gpu.storage_from("pixels", &photo_pixels);
        let net = Network::new(gpu, height, width, deepest);
        gpu.run(&net.forward(gpu, weights, params.pooling, &pixels));
        let content = content_terms(gpu, &net, &layers.content, params.content_weight);

        let style = style_terms(
            gpu,
            weights,
            params.pooling,
            paintings,
            style_side(params.size, params.style_scale),
            &layers.style,
            params.style_weight,
        )
        .await?;

        if let Init::Noise { seed } = params.init {
            let noise = crate::image::noise_pixels((width * height) as usize, seed);
            gpu.queue.write_buffer(&pixels, 0, bytemuck::cast_slice(&noise));
        }
        let step = Step::new(
            gpu,
            &StepInputs {
                loss: LossInputs {
                    net: &net,
                    weights,
                    pooling: params.pooling,
                    content: &content,
                    style: &style,
                    tv_scale: tv_scale(params.tv_weight, width * height),
                    pixels: &pixels,
                },
                optimizer: params.optimizer,
                learning_rate: params.learning_rate,
            },
        );
        let count = (width * height) as usize;
        let best = BestPicture::new(gpu, count);
        let keep_best = keep_best::keep(gpu, count, &step.losses, &pixels, &best);
        let SetUpErrors { out_of_memory, invalid } = scopes.finish().await;
        // A buffer that could not be allocated makes every later use of it invalid too: memory is the cause then.
        if out_of_memory.is_some() {
            // Within the buffer limits but not in memory: about half the pixels should fit.
            return Err(too_large(params.size * 7 / 10));
        }
        if let Some(e) = invalid {
            return Err(Error::Gpu(format!("setting up {width}x{height}: {e}")));
        }
        gpu.check_alive()?;
        let target_bytes =
            content.iter().map(|t| t.target.size()).sum::<u64>() + style.iter().map(|t| t.target.size()).sum::<u64>();
        let readback = LossReadback::new(gpu);
        copy_whole(gpu, &pixels, &best.pixels);
        Ok(Session {
            gpu: gpu.clone(),
            width,
            height,
            picture_read: StagedRead::new(gpu, pixels.size()),
            pixels,
            net,
            step,
            readback,
            in_flight: InFlight::default(),
            iteration: 0,
            latest: None,
            params: params.clone(),
            target_bytes,
            best,
            keep_best,
            watch: DivergenceWatch::new(),
            diverged: None,
        })
    }

    /// The output's size for `params`, or why no session of that size can be built on `gpu`: a side too small for
    /// VGG19, or a buffer past the GPU's limit (`Error::TooLarge`, with the largest size that fits). Nothing is
    /// made: `Transfer::new` checks its last, largest stage so before it spends time on the smaller ones.
    pub fn fitting_size(
        gpu: &Gpu,
        photo: &RgbaImage,
        paintings: &[(RgbaImage, f32)],
        params: &Params,
    ) -> Result<(u32, u32)> {
        let (width, height) = crate::image::fit(photo.width(), photo.height(), params.size);
        if width.min(height) < MIN_SIDE {
            return Err(Error::InvalidParams(format!(
                "at {} px the photo becomes {width}x{height}: VGG19 needs at least {MIN_SIDE} px on each side; \
                 choose a larger size or a less elongated photo",
                params.size
            )));
        }
        if largest_buffer_of(photo, paintings, params) > gpu.largest_buffer() {
            let largest = Self::largest_size(
                gpu,
                (photo.width(), photo.height()),
                &sizes_of(paintings),
                params.style_scale,
            );
            return Err(Self::too_large(gpu, photo, paintings, params)(largest));
        }
        Ok((width, height))
    }

    /// The `Error::TooLarge` for a session of `params`, given the largest size that fits.
    fn too_large(
        gpu: &Gpu,
        photo: &RgbaImage,
        paintings: &[(RgbaImage, f32)],
        params: &Params,
    ) -> impl Fn(u32) -> Error {
        let (width, height) = crate::image::fit(photo.width(), photo.height(), params.size);
        let needed = largest_buffer_of(photo, paintings, params);
        let (needed_mb, limit_mb) = (
            Self::estimate_bytes(width, height, params.optimizer) >> 20,
            gpu.largest_buffer() >> 20,
        );
        move |largest_fitting| Error::TooLarge {
            width,
            height,
            needed_mb,
            buffer_mb: needed >> 20,
            limit_mb,
            largest_fitting,
        }
    }

    /// The largest output size (longer side, px) this GPU's limits allow for a photo of `photo` = (width, height)
    /// and paintings of `paintings` sizes analysed at `style_scale` times the output size: the biggest single
    /// buffer (conv1_x's feature maps, of the photo's network or a painting's) must fit the adapter's largest
    /// storage binding. GPU memory itself is not reported by WebGPU; a size that passes this test but exhausts
    /// memory fails at set-up with `Error::TooLarge` instead.
    pub fn largest_size(gpu: &Gpu, photo: (u32, u32), paintings: &[(u32, u32)], style_scale: f32) -> u32 {
        let limit = gpu.largest_buffer();
        let (mut lo, mut hi) = (MIN_SIDE, 1u32 << 15);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if session_buffer_bytes(photo, paintings, mid, style_scale) <= limit {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// An estimate of the GPU memory a session at `w` x `h` needs, in bytes (the benchmark measures 1956 B/px
    /// with Adam and 2148 B/px with L-BFGS at 512 px, fixed costs included).
    pub fn estimate_bytes(w: u32, h: u32, optimizer: Optimizer) -> u64 {
        // f32 per pixel: ReLU outputs 128 + 64 + 64 + 32 + 2 (blocks 1..5), two gradient buffers of 64, the pooled
        // scratch 16, the VGG input 4, pixels, gradient, the best picture and the read-back copy 4 each; then the
        // optimiser's state.
        let floats_per_pixel = (128 + 64 + 64 + 32 + 2) + 2 * 64 + 16 + 4 + 4 * 4;
        w as u64 * h as u64 * (floats_per_pixel * 4 + Update::bytes_per_pixel(optimizer)) + (32 << 20)
    }

    /// GPU memory this session holds, in bytes.
    pub fn gpu_bytes(&self) -> u64 {
        self.net.bytes() + self.step.bytes() + self.pixels.size() + self.target_bytes + self.best.bytes()
    }

    /// Queues `steps` steps in one submission and a copy of the last step's losses for `poll_losses`.
    /// Returns at once: the GPU works in the background. Creates no buffers and no bind groups.
    /// After a divergence (see `poll_losses`) it refuses with that error.
    pub fn run(&mut self, steps: u32) -> Result<()> {
        self.gpu.check_alive()?;
        self.check_diverged()?;
        if steps == 0 {
            return Ok(());
        }
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("steps") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("steps"),
                timestamp_writes: None,
            });
            let last = self.iteration + steps - 1;
            for k in self.iteration..=last {
                for d in &self.step.dispatches {
                    d.record(&mut pass);
                }
                // The batch's last loss is the one read back: keep the pixels it was computed on if they are best.
                if k == last {
                    for d in &self.keep_best {
                        d.record(&mut pass);
                    }
                }
                for d in self.step.update.dispatches(k) {
                    d.record(&mut pass);
                }
            }
        }
        self.iteration += steps;
        self.readback.record(&mut encoder, &self.step.losses, self.iteration);
        let submission = self.gpu.queue.submit([encoder.finish()]);
        self.readback.arm();
        self.in_flight.push(self.iteration, submission);
        Ok(())
    }

    /// Steps submitted whose completion has not been observed (by `wait_oldest` or a loss report).
    pub fn steps_in_flight(&self) -> u32 {
        self.in_flight.steps()
    }

    /// Blocks the calling thread until the oldest submitted batch has finished (the GPU keeps working on the
    /// ones queued after it). Native only: in the browser, await `image` or watch `poll_losses` instead.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait_oldest(&mut self) -> Result<()> {
        self.in_flight.wait_oldest(&self.gpu)
    }

    /// The newest losses the GPU has finished, if any arrived since the last call. Never waits.
    /// A loss that is not a finite number, or one far above the best so far, stops the run: `run` and `finish`
    /// then fail with `Error::Diverged`, and `best_image` still gives the best picture.
    pub fn poll_losses(&mut self) -> Option<Losses> {
        if let Some((iteration, v)) = self.readback.poll(&self.gpu) {
            let l = Losses::from_values(iteration, &v);
            self.latest = Some(l);
            self.in_flight.mark_done(iteration);
            self.watch(&l);
            return Some(l);
        }
        None
    }

    /// Notes a divergence in `l` (the run is stopped then), or a new best loss.
    fn watch(&mut self, l: &Losses) {
        if self.diverged.is_some() {
            return;
        }
        if let Some(what) = self.watch.observe(l.total) {
            let cause = match self.params.optimizer {
                Optimizer::Adam => {
                    "the learning rate is probably too high or a weight too large for this picture: lower it, or \
                     choose L-BFGS"
                }
                Optimizer::Lbfgs => {
                    "a weight is probably too large for this picture: lower the style, content or smoothness (TV) \
                     weight, or choose Adam with a small learning rate"
                }
            };
            self.diverged = Some((l.iteration, format!("{what}; {cause}")));
        }
    }

    fn check_diverged(&self) -> Result<()> {
        match &self.diverged {
            Some((iteration, reason)) => Err(Error::Diverged {
                iteration: *iteration,
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    /// The picture with the lowest finite loss seen at the end of a batch (the starting picture before any), as
    /// RGBA8. What to show and save after `Error::Diverged`. Waits for the queued steps to finish.
    pub async fn best_image(&self) -> Result<RgbaImage> {
        self.read_picture(&self.best.pixels).await
    }

    /// The newest losses received so far.
    pub fn latest_losses(&self) -> Option<Losses> {
        self.latest
    }

    /// Steps queued so far.
    pub fn iteration(&self) -> u32 {
        self.iteration
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The current picture as RGBA8 (waits for the queued steps to finish).
    pub async fn image(&self) -> Result<RgbaImage> {
        self.read_picture(&self.pixels).await
    }

    /// Asks for the current picture (as it will be after the steps queued so far) without waiting: `take_image`
    /// collects it. False while an earlier request is still on its way.
    pub fn request_image(&self) -> bool {
        self.picture_read.request(&self.gpu, &self.pixels)
    }

    /// The picture `request_image` asked for, once the GPU has copied it (never waits); None before that, or when
    /// nothing was asked for (an `image` or `best_image` in between drops a request).
    pub fn take_image(&self) -> Option<Result<RgbaImage>> {
        let bytes = self.picture_read.try_take(&self.gpu)?;
        Some(bytes.map(|b| self.picture_of(&b)))
    }

    /// A picture buffer of this session's size ([H][W] vec4 in 0..1) as RGBA8, through the one staging buffer.
    async fn read_picture(&self, buffer: &wgpu::Buffer) -> Result<RgbaImage> {
        let bytes = self.picture_read.read(&self.gpu, buffer).await?;
        Ok(self.picture_of(&bytes))
    }

    fn picture_of(&self, bytes: &[u8]) -> RgbaImage {
        crate::image::from_pixels(self.width, self.height, &bytemuck::pod_collect_to_vec::<u8, f32>(bytes))
    }

    /// The GPU buffer of the picture being optimised: [H][W] quadruples (r, g, b, 0) in 0..1, for tests that read
    /// it or plant values in it; `set_pixels` is the way to replace it, `image` to read it.
    pub fn pixels_buffer(&self) -> &wgpu::Buffer {
        &self.pixels
    }

    /// Replaces the picture being optimised: [H][W] quadruples (r, g, b, 0) in 0..1.
    pub fn set_pixels(&mut self, pixels: &[f32]) -> Result<()> {
        let expected = (self.width * self.height * 4) as usize;
        if pixels.len() != expected {
            return Err(Error::InvalidParams(format!(
                "expected {expected} pixel values, got {}",
                pixels.len()
            )));
        }
        self.gpu
            .queue
            .write_buffer(&self.pixels, 0, bytemuck::cast_slice(pixels));
        // A new start: it is the best picture until a step finds a better one.
        self.gpu
            .queue
            .write_buffer(&self.best.pixels, 0, bytemuck::cast_slice(pixels));
        self.best.reset(&self.gpu);
        self.watch = DivergenceWatch::new();
        Ok(())
    }

    /// The losses of `picture`, made elsewhere (by a filter network, say), as a painting of `photo` in the style of
    /// `paintings` under `params`, at the picture's own size: the optimisation's own measure of it, nothing updated;
    /// with its style loss layer by layer (`style_by_layer`).
    pub async fn losses_of(
        gpu: &Gpu,
        weights: &Arc<GpuWeights>,
        photo: &RgbaImage,
        paintings: &[(RgbaImage, f32)],
        params: &Params,
        picture: &RgbaImage,
    ) -> Result<(Losses, Vec<(Layer, f32)>)> {
        let params = Params {
            size: picture.width().max(picture.height()),
            ..params.clone()
        };
        let mut session = Session::new(gpu, weights, photo, paintings, &params).await?;
        if (session.width, session.height) != picture.dimensions() {
            return Err(Error::InvalidParams(format!(
                "a {}x{} picture cannot be measured against a photo of another shape ({}x{} at that size)",
                picture.width(),
                picture.height(),
                session.width,
                session.height
            )));
        }
        session.set_pixels(&crate::image::to_pixels(picture))?;
        let losses = session.loss_and_gradient().await?.0;
        Ok((losses, session.style_by_layer().await?))
    }

    /// Each style layer with its part of the latest step's style loss (the parts sum to it): which layers' Gram
    /// matrices the picture matches and which not. Reads the GPU; for reports, not for a loop.
    pub async fn style_by_layer(&self) -> Result<Vec<(Layer, f32)>> {
        self.step.style_report.read(&self.gpu).await
    }

    /// The loss of the current picture and its gradient with respect to the pixels ([H][W] vec4), without
    /// updating anything. For tests and for optimisers that need the gradient itself.
    pub async fn loss_and_gradient(&mut self) -> Result<(Losses, Vec<f32>)> {
        self.gpu.check_alive()?;
        self.gpu.run(&self.step.dispatches);
        let values = self.gpu.read_f32(&self.step.losses).await?;
        let grad = self.gpu.read_f32(&self.step.grad_pixels).await?;
        let l = Losses::from_values(self.iteration, &values);
        Ok((l, grad))
    }

    /// One step's dispatches with the GPU milliseconds of each (None without timestamp queries). Runs a step.
    pub async fn profile_step(&mut self) -> Result<Option<Vec<(&'static str, f64)>>> {
        let step: Vec<Dispatch> = self
            .step
            .dispatches
            .iter()
            .chain(self.step.update.dispatches(self.iteration))
            .cloned()
            .collect();
        let times = crate::gpu::time_dispatches(&self.gpu, &step).await?;
        self.iteration += 1;
        // time_dispatches waited for this step, and so for every earlier one
        self.in_flight.mark_done(self.iteration);
        Ok(times.map(|t| step.iter().map(|d| d.name).zip(t).collect()))
    }

    /// Waits until every queued step is done and returns their last losses (`Error::Diverged` if the run went
    /// wrong, now or earlier).
    pub async fn finish(&mut self) -> Result<Losses> {
        let values = self.gpu.read_f32(&self.step.losses).await?;
        let l = Losses::from_values(self.iteration, &values);
        self.latest = Some(l);
        self.in_flight.mark_done(self.iteration);
        self.watch(&l);
        self.check_diverged()?;
        Ok(l)
    }
}

/// Copies all of `from` into `to` (same size) on the GPU.
fn copy_whole(gpu: &Gpu, from: &wgpu::Buffer, to: &wgpu::Buffer) {
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("copy") });
    encoder.copy_buffer_to_buffer(from, 0, to, 0, from.size());
    gpu.queue.submit([encoder.finish()]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_falling_or_wobbling_loss_is_fine() {
        let mut w = DivergenceWatch::new();
        for total in [100.0, 60.0, 80.0, 30.0, 31.0, 20.0, 150.0] {
            assert_eq!(w.observe(total), None, "{total}");
        }
    }

    #[test]
    fn a_loss_that_is_not_a_number_or_runs_away_is_caught() {
        let mut w = DivergenceWatch::new();
        assert!(w.observe(f32::NAN).unwrap().contains("not a finite number"));
        let mut w = DivergenceWatch::new();
        assert!(w.observe(f32::INFINITY).is_some());
        let mut w = DivergenceWatch::new();
        for total in [100.0, 50.0, 9.0] {
            assert_eq!(w.observe(total), None);
        }
        assert_eq!(w.observe(89.0), None, "below ten times the best");
        assert!(w.observe(101.0).unwrap().contains("running away"));
    }

    #[test]
    fn a_run_that_starts_near_zero_may_rise_to_where_it_started() {
        // Content-only runs start at a loss near 0; a rise that stays below the first loss is no runaway.
        let mut w = DivergenceWatch::new();
        for total in [1e-3, 1e-7, 5e-4] {
            assert_eq!(w.observe(total), None);
        }
    }
}
