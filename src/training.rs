//! Training a filter network on the GPU (Johnson, Alahi and Fei-Fei 2016). Each step takes a batch of random
//! crops of the training photos (random position, scale and mirroring); each crop goes through the network, and
//! VGG19 measures the results, several crops in one pass, against the crops' own features (content) and the
//! painting's Gram matrices (style) with the same loss terms and weights as the optimisation (step.rs's
//! Objective). The gradient goes on back through the network, summed over the batch, and Adam moves the network's
//! parameters.

use std::sync::Arc;

use image::RgbaImage;

use crate::error::{Error, Result};
use crate::filter_net::{Activations, Architecture, Backward};
use crate::gpu::{Dispatch, Gpu, InFlight, LossReadback, SetUpErrors};
use crate::kernels::loss_reduce::LOSS_VALUES;
use crate::kernels::{adam, crop, crop::Crop, pointwise};
use crate::loss::{ContentTerm, style_terms};
use crate::network::Network;
use crate::params::{DEFAULT_CONTENT_LAYER, Params};
use crate::random::Random;
use crate::session::Losses;
use crate::step::{LossInputs, Objective};
use crate::vgg::{LAYERS, Layer};
use crate::weights::GpuWeights;

/// The content layer a network learns to keep: an early layer keeps the photo's edges and shapes without its
/// textures (at relu4_2, the optimisation's layer, the networks washed detail out).
pub const CONTENT_LAYER: Layer = Layer::at(3); // relu2_2
/// The content weight that goes with it at the optimisation's default weight: it puts a training batch's content
/// loss on the order of its style loss. (At 5, the optimisation's weight, the content loss at relu2_2 was about
/// 1/300 of the style loss and the networks painted the style over the photos without keeping them.)
pub const CONTENT_WEIGHT: f32 = 500.0;

/// The loss settings a network trains with, from settings made for the optimisation (the page's, a filter's):
/// a content term at the optimisation's layer (relu4_2) moves to CONTENT_LAYER, its weight scaled by
/// CONTENT_WEIGHT over the optimisation's default (so 5 trains at 500, and 10, "keep the photo more", at 1000).
/// Any other content layer was chosen for training and is kept as given, so settings already made for training
/// (a network filter's) come back unchanged.
pub fn training_params(params: &Params) -> Params {
    let optimisation = Params::default();
    if params.content_layers != [(DEFAULT_CONTENT_LAYER, 1.0)] {
        return params.clone();
    }
    Params {
        content_layers: vec![(CONTENT_LAYER, 1.0)],
        content_weight: params.content_weight * CONTENT_WEIGHT / optimisation.content_weight,
        ..params.clone()
    }
}

/// The size filters are made for: the page's and the CLI's default output size.
pub const STYLE_SIZE: u32 = 512;

/// How a network is trained (the loss itself comes from the filter's Params).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TrainSettings {
    /// Adam steps, each over one batch.
    pub steps: u32,
    /// Crops per step (their gradients are summed).
    pub batch: u32,
    /// Side of the square crops the network is trained on, in pixels.
    pub crop: u32,
    pub learning_rate: f32,
    /// Channels of the network's first layer (filter_net::WIDTHS).
    pub width: u32,
    /// Seed of the first weights and of the crops.
    pub seed: u64,
    /// The longer side, in pixels, the paintings are analysed at (times the style scale): the network learns the
    /// strokes an optimised picture of this size has, whatever the crop size. At the crop's side (256) the strokes
    /// came out half as big as in a 512 px picture, and a 512 px result's style loss was 5 times its crops'.
    pub style_size: u32,
}

impl Default for TrainSettings {
    fn default() -> TrainSettings {
        TrainSettings {
            steps: 2000,
            batch: 4,
            crop: 256,
            learning_rate: 1e-3,
            width: crate::filter_net::DEFAULT_WIDTH,
            seed: 1,
            style_size: STYLE_SIZE,
        }
    }
}

/// Ranges the settings must lie in.
pub mod limits {
    pub const STEPS: std::ops::RangeInclusive<u32> = 1..=200_000;
    pub const BATCH: std::ops::RangeInclusive<u32> = 1..=16;
    pub const CROP: std::ops::RangeInclusive<u32> = 32..=1024;
    pub const LEARNING_RATE: std::ops::RangeInclusive<f32> = 1e-6..=0.1;
    pub const STYLE_SIZE: std::ops::RangeInclusive<u32> = 32..=2048;
}

impl TrainSettings {
    pub fn validate(&self) -> Result<Architecture> {
        use crate::params::check;
        check("the training steps", self.steps, &limits::STEPS, "")?;
        check("the batch", self.batch, &limits::BATCH, "")?;
        check("the crop size", self.crop, &limits::CROP, " px")?;
        if !self.crop.is_multiple_of(crate::filter_net::SIDE_MULTIPLE) {
            return Err(Error::InvalidParams(format!(
                "the crop size must be a multiple of {}, not {} px",
                crate::filter_net::SIDE_MULTIPLE,
                self.crop
            )));
        }
        check(
            "the training learning rate",
            self.learning_rate,
            &limits::LEARNING_RATE,
            "",
        )?;
        check(
            "the painting's analysis size",
            self.style_size,
            &limits::STYLE_SIZE,
            " px",
        )?;
        Architecture::new(self.width)
    }
}

/// The most pixels one VGG19 pass measures: a 512 x 512 picture's, the optimisation's default size, whose memory
/// the GPUs it runs on hold. One 256 px crop alone fills a fraction of a large GPU (conv5_1 is 16 x 16 pixels):
/// on an H200 VGG19's convolutions took 30.7 ms for four crops one at a time, 17.5 ms for one picture of their
/// pixels.
const VGG_PASS_PIXELS: u32 = 512 * 512;

/// How many crops of a batch VGG19 measures in one pass: as many as VGG_PASS_PIXELS hold, and a divisor of the
/// batch so that every pass is alike. Crops stack along the rows, which VGG's four poolings halve alike only for
/// sides that are multiples of 16; other sides go one at a time.
pub fn crops_per_pass(batch: u32, crop: u32) -> u32 {
    if !crop.is_multiple_of(16) {
        return 1;
    }
    let fit = (VGG_PASS_PIXELS / (crop * crop)).clamp(1, batch);
    (1..=fit).rev().find(|k| batch.is_multiple_of(*k)).unwrap_or(1)
}

/// Parameters far outside anything a network reaches (Adam's clamp is not meant to bind for weights), and the
/// largest a filter file's f16 holds: a network that got there is still saved as it is.
const PARAM_BOUND: f32 = half::f16::MAX.to_f32_const();

/// Refuses training photo `index` (0-based) when it has no pixels.
fn has_pixels(index: usize, photo: &RgbaImage) -> Result<()> {
    if photo.width() == 0 || photo.height() == 0 {
        return Err(Error::Image {
            name: format!("training photo {}", index + 1),
            reason: "has no pixels".into(),
        });
    }
    Ok(())
}

/// A training photo as training keeps it, with its shorter side between one and two crops of `crop` px: a caller
/// with many large photos shrinks each as it is read, so that they never all sit in memory at full size. Refuses a
/// photo too narrow to keep so (`check_kept_size`).
pub fn kept_photo(photo: &RgbaImage, crop: u32) -> Result<RgbaImage> {
    check_kept_size(photo, crop)?;
    let (w, h) = stored_size(photo, crop);
    Ok(crate::image::resize(photo, w, h))
}

/// The longest side a kept training photo may have: a strip whose shorter side is enlarged to a crop must not grow
/// into a picture no decoder would have read.
pub const MAX_KEPT_SIDE: u32 = crate::image::MAX_DECODE_SIDE;

/// Refuses a photo whose kept picture (its shorter side enlarged to one crop) would have a side over
/// MAX_KEPT_SIDE: a 1 x 16384 strip would become 256 x 4 million pixels.
pub fn check_kept_size(photo: &RgbaImage, crop: u32) -> Result<()> {
    let (w, h) = stored_size(photo, crop);
    if w.max(h) > MAX_KEPT_SIDE {
        return Err(Error::InvalidParams(format!(
            "a training photo of {} x {} px is too narrow to train on at {crop} px crops: its shorter side \
             enlarged to a crop would make its longer side {} px, more than {MAX_KEPT_SIDE}",
            photo.width(),
            photo.height(),
            w.max(h)
        )));
    }
    Ok(())
}

/// Training photos are kept with their shorter side between one and two crops.
fn stored_size(photo: &RgbaImage, crop: u32) -> (u32, u32) {
    let (w, h) = (photo.width(), photo.height());
    let short = w.min(h);
    let target = short.clamp(crop, 2 * crop);
    let k = target as f64 / short.max(1) as f64;
    // (saturating: a strip's longer side may pass u32 before check_kept_size refuses it)
    (
        ((w as f64 * k).round().min(u32::MAX as f64) as u32).max(target),
        ((h as f64 * k).round().min(u32::MAX as f64) as u32).max(target),
    )
}

/// A training run in progress: every buffer and dispatch made once; `run` only records and submits.
pub struct Trainer {
    gpu: Gpu,
    arch: Architecture,
    settings: TrainSettings,
    params: wgpu::Buffer,
    /// Every training photo, one after another (RGBA f32 pixels), and (pixel offset, height, width) of each.
    photo_buffer: wgpu::Buffer,
    photos: Vec<(u32, u32, u32)>,
    /// One crop parameter block per picture of the batch, rewritten before each step.
    crops: Vec<wgpu::Buffer>,
    /// The dispatches of one step: each picture of the batch, then Adam.
    step: Vec<Dispatch>,
    losses: wgpu::Buffer,
    readback: LossReadback<LOSS_VALUES>,
    random: Random,
    step_count: u32,
    in_flight: InFlight,
    latest: Option<Losses>,
    diverged: Option<(u32, String)>,
    bytes: u64,
    /// Crops per VGG19 pass: the losses read back are their sum.
    per_pass: u32,
    // Held for the bind groups' sake.
    _held: (
        Vec<Activations>,
        Vec<Backward>,
        Objective,
        Network,
        Network,
        Vec<wgpu::Buffer>,
    ),
}

impl Trainer {
    /// Sets up training on `photos` towards `paintings` (image, blend weight) with the loss of `params`, starting
    /// from `start` (a network's parameters) or from fresh weights.
    pub async fn new(
        gpu: &Gpu,
        weights: &Arc<GpuWeights>,
        photos: &[RgbaImage],
        paintings: &[(RgbaImage, f32)],
        params: &Params,
        settings: &TrainSettings,
        start: Option<&[f32]>,
    ) -> Result<Trainer> {
        gpu.check_alive()?;
        let arch = settings.validate()?;
        let layers = params.validate()?;
        if photos.is_empty() {
            return Err(Error::InvalidParams("give at least one training photo".into()));
        }
        for (i, photo) in photos.iter().enumerate() {
            has_pixels(i, photo)?;
            check_kept_size(photo, settings.crop)?;
        }
        let initial = match start {
            Some(p) if p.len() != arch.param_count => {
                return Err(Error::InvalidParams(format!(
                    "the network to continue from has {} parameters; width {} needs {}",
                    p.len(),
                    arch.width,
                    arch.param_count
                )));
            }
            Some(p) => p.to_vec(),
            None => arch.initial_params(settings.seed),
        };
        let size = settings.crop;
        // Every photo goes in one buffer (so that one crop kernel with one bind group reads any of them): it must
        // fit the GPU's largest.
        let kept_bytes: u64 = photos
            .iter()
            .map(|p| {
                let (w, h) = stored_size(p, size);
                16 * w as u64 * h as u64
            })
            .sum();
        let limit = gpu.largest_buffer();
        if kept_bytes > limit {
            return Err(Error::InvalidParams(format!(
                "the {} training photos take {} MB on the GPU at {size} px crops (each kept with its shorter side \
                 between one and two crops), more than its largest buffer holds ({} MB): use fewer photos or \
                 smaller crops",
                photos.len(),
                kept_bytes.div_ceil(1 << 20),
                limit >> 20
            )));
        }
        let scopes = gpu.set_up_scopes().await;

        let mut pixels = Vec::new();
        let mut placed = Vec::new();
        for photo in photos {
            let (w, h) = stored_size(photo, size);
            placed.push(((pixels.len() / 4) as u32, h, w));
            pixels.extend(crate::image::to_pixels(&crate::image::resize(photo, w, h)));
        }
        let photo_buffer = gpu.storage_from("training photos", &pixels);
        drop(pixels);

        let params_buffer = gpu.storage_from("filter params", &initial);
        let grads = gpu.storage("filter grads", arch.param_count);
        let adam_state = adam::AdamState::new(gpu, arch.param_count / 4);

        // The network runs crop by crop; VGG19 measures `per_pass` crops at once, stacked along the rows: the
        // crops (for their content features) and the network's pictures of them.
        let per_pass = crops_per_pass(settings.batch, size);
        let crop_len = (size * size * 4) as usize;
        let acts: Vec<Activations> = (0..per_pass)
            .map(|_| Activations::new(gpu, &arch, size, size))
            .collect();
        let crops_stacked = gpu.storage("training crops", per_pass as usize * crop_len);
        let pictures = gpu.storage("network pictures", per_pass as usize * crop_len);
        let crop_grad = gpu.storage("crop picture grad", crop_len);

        // The crops' own features are their content targets.
        let content_last = layers.content.iter().map(|&(l, _)| l).max().unwrap_or(0);
        let crop_net = Network::batch(gpu, per_pass, size, size, content_last);
        let content: Vec<ContentTerm> = layers
            .content
            .iter()
            .map(|&(layer, w)| ContentTerm {
                layer,
                target: crop_net.features[layer].clone(),
                scale: params.content_weight * w / (crop_net.pixels(layer) * LAYERS[layer].cout) as f32,
            })
            .collect();
        let style = style_terms(
            gpu,
            weights,
            params.pooling,
            paintings,
            (settings.style_size as f32 * params.style_scale).round() as u32,
            &layers.style,
            params.style_weight,
        )
        .await?;
        let deepest = layers
            .content
            .iter()
            .chain(&layers.style)
            .map(|&(l, _)| l)
            .max()
            .unwrap();
        let out_net = Network::batch(gpu, per_pass, size, size, deepest);
        let objective = Objective::new(
            gpu,
            &LossInputs {
                net: &out_net,
                weights,
                pooling: params.pooling,
                content: &content,
                style: &style,
                tv_scale: crate::loss::tv_scale(params.tv_weight, size * size),
                pixels: &pictures,
            },
        );
        // One backward pass per crop of a pass (each reads its own activations), all writing one scratch.
        let first = Backward::new(gpu, &arch, &acts[0], &params_buffer, &crop_grad, &grads, None);
        let mut backward = vec![first];
        for a in &acts[1..] {
            let b = Backward::new(gpu, &arch, a, &params_buffer, &crop_grad, &grads, Some(&backward[0]));
            backward.push(b);
        }

        let crops: Vec<wgpu::Buffer> = (0..settings.batch).map(|_| crop::params_buffer(gpu)).collect();
        let mut step = Vec::new();
        for (pass, pass_crops) in crops.chunks(per_pass as usize).enumerate() {
            for (j, (crop_params, a)) in pass_crops.iter().zip(&acts).enumerate() {
                let at = j * crop_len;
                step.push(crop::sample(gpu, crop_params, size, &photo_buffer, &a.input));
                step.push(pointwise::copy_range(
                    gpu,
                    crop_len,
                    (&a.input, 0),
                    (&crops_stacked, at),
                ));
                step.extend(a.forward(gpu, &arch, &params_buffer));
                step.push(pointwise::copy_range(gpu, crop_len, (a.output(), 0), (&pictures, at)));
            }
            step.extend(crop_net.forward(gpu, weights, params.pooling, &crops_stacked));
            step.extend(objective.dispatches.iter().cloned());
            for (j, b) in backward.iter().enumerate() {
                let grad = (&objective.grad_pixels, j * crop_len);
                step.push(pointwise::copy_range(gpu, crop_len, grad, (&crop_grad, 0)));
                step.extend(
                    if pass == 0 && j == 0 { &b.first } else { &b.accumulate }
                        .iter()
                        .cloned(),
                );
            }
        }
        step.extend(adam::step_bounded(
            gpu,
            arch.param_count / 4,
            settings.learning_rate,
            &adam_state,
            &grads,
            &params_buffer,
            -PARAM_BOUND,
            PARAM_BOUND,
        ));

        let SetUpErrors { out_of_memory, invalid } = scopes.finish().await;
        if out_of_memory.is_some() {
            return Err(Error::InvalidParams(format!(
                "training on {size} px crops in batches of {} does not fit in this GPU's memory: choose smaller \
                 crops or a smaller batch",
                settings.batch
            )));
        }
        if let Some(e) = invalid {
            return Err(Error::Gpu(format!("setting up training: {e}")));
        }
        gpu.check_alive()?;
        let bytes = acts.iter().map(Activations::bytes).sum::<u64>()
            + backward[0].bytes()
            + crops_stacked.size()
            + pictures.size()
            + crop_grad.size()
            + objective.bytes()
            + out_net.bytes()
            + crop_net.bytes()
            + photo_buffer.size()
            + params_buffer.size()
            + grads.size()
            + adam_state.bytes()
            + style.iter().map(|t| t.target.size()).sum::<u64>();
        let mut held_buffers = vec![
            grads,
            adam_state.m,
            adam_state.v,
            adam_state.state,
            crops_stacked,
            pictures,
            crop_grad,
        ];
        held_buffers.extend(style.into_iter().map(|t| t.target));
        Ok(Trainer {
            gpu: gpu.clone(),
            arch,
            settings: settings.clone(),
            params: params_buffer,
            photo_buffer,
            photos: placed,
            crops,
            step,
            losses: objective.losses.clone(),
            readback: LossReadback::new(gpu),
            random: Random::new(settings.seed ^ 0x5eed),
            step_count: 0,
            in_flight: InFlight::default(),
            latest: None,
            diverged: None,
            bytes,
            per_pass,
            _held: (acts, backward, objective, out_net, crop_net, held_buffers),
        })
    }

    /// A random crop of a random photo: a square of between one crop and the photo's shorter side, mirrored
    /// half the time.
    fn next_crop(&mut self) -> Crop {
        let size = self.settings.crop;
        let (offset, height, width) = self.photos[self.random.below(self.photos.len())];
        let short = height.min(width) as f32;
        let side = self.random.range(size as f32, short.max(size as f32));
        Crop {
            offset,
            height,
            width,
            size,
            x0: self.random.range(0.0, (width as f32 - side).max(0.0)),
            y0: self.random.range(0.0, (height as f32 - side).max(0.0)),
            step: side / size as f32,
            flip: (self.random.next_f32() < 0.5) as u32,
        }
    }

    /// Queues `steps` training steps (one submission each, since every step writes its own crops first) and a
    /// copy of the last one's losses for `poll_losses`. Returns at once; creates no buffers or bind groups.
    pub fn run(&mut self, steps: u32) -> Result<()> {
        self.gpu.check_alive()?;
        if let Some((step, reason)) = &self.diverged {
            return Err(Error::Diverged {
                iteration: *step,
                reason: reason.clone(),
            });
        }
        for k in 0..steps {
            for b in 0..self.crops.len() {
                let c = self.next_crop();
                crop::write(&self.gpu, &self.crops[b], &c);
            }
            let mut encoder = self
                .gpu
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("train") });
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("training step"),
                    timestamp_writes: None,
                });
                for d in &self.step {
                    d.record(&mut pass);
                }
            }
            self.step_count += 1;
            if k == steps - 1 {
                self.readback.record(&mut encoder, &self.losses, self.step_count);
            }
            let submission = self.gpu.queue.submit([encoder.finish()]);
            self.in_flight.push(self.step_count, submission);
        }
        self.readback.arm();
        Ok(())
    }

    /// Blocks until the oldest queued step has finished (native only; the page watches `poll_losses`).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait_oldest(&mut self) -> Result<()> {
        self.in_flight.wait_oldest(&self.gpu)
    }

    /// Puts `photo` in the place of training photo `index` (resized to that place's size) for the steps queued
    /// from now on: how the page keeps learning from a live camera's newest frame. Steps already queued are not
    /// affected (the queue orders the write after them).
    pub fn replace_photo(&self, index: usize, photo: &RgbaImage) -> Result<()> {
        let Some(&(offset, height, width)) = self.photos.get(index) else {
            return Err(Error::InvalidParams(format!(
                "there is no training photo {} to replace (there are {})",
                index + 1,
                self.photos.len()
            )));
        };
        has_pixels(index, photo)?;
        let pixels = crate::image::to_pixels(&crate::image::resize(photo, width, height));
        let bytes = offset as u64 * 16;
        self.gpu
            .queue
            .write_buffer(&self.photo_buffer, bytes, bytemuck::cast_slice(&pixels));
        Ok(())
    }

    /// Steps queued whose completion has not been seen.
    pub fn steps_in_flight(&self) -> u32 {
        self.in_flight.steps()
    }

    /// The newest losses (per picture: the mean over the last VGG19 pass of a batch) since the last call, without
    /// waiting. A loss that is not a finite number stops training: `run` then fails with `Error::Diverged`.
    pub fn poll_losses(&mut self) -> Option<Losses> {
        let (step, mut v) = self.readback.poll(&self.gpu)?;
        v.iter_mut().for_each(|sum| *sum /= self.per_pass as f32);
        self.in_flight.mark_done(step);
        let l = Losses::from_values(step, &v);
        if !l.total.is_finite() && self.diverged.is_none() {
            self.diverged = Some((
                step,
                format!(
                    "the loss became {} (not a finite number); lower the training learning rate or a loss weight",
                    l.total
                ),
            ));
        }
        self.latest = Some(l);
        Some(l)
    }

    pub fn latest_losses(&self) -> Option<Losses> {
        self.latest
    }

    /// Steps queued so far.
    pub fn step(&self) -> u32 {
        self.step_count
    }

    pub fn settings(&self) -> &TrainSettings {
        &self.settings
    }

    /// The dispatches of one step (each picture of the batch, then Adam), for the benchmark's per-kernel times.
    pub fn step_dispatches(&self) -> &[Dispatch] {
        &self.step
    }

    pub fn architecture(&self) -> &Architecture {
        &self.arch
    }

    /// The network's parameters buffer (a Stylizer can share it to show the network's current output).
    pub fn params_buffer(&self) -> &wgpu::Buffer {
        &self.params
    }

    /// The network's current parameters (waits for the queued steps).
    pub async fn params(&self) -> Result<Vec<f32>> {
        let mut p = self.gpu.read_f32(&self.params).await?;
        p.truncate(self.arch.param_count);
        if p.iter().any(|v| !v.is_finite()) {
            return Err(Error::Diverged {
                iteration: self.step_count,
                reason: "the network's parameters stopped being finite numbers".into(),
            });
        }
        Ok(p)
    }

    /// GPU memory the training holds, in bytes.
    pub fn gpu_bytes(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vgg_measures_as_many_crops_at_once_as_a_512_px_picture_holds() {
        // the CLI's default (4 of 256 px) and the page's (2 of 128 px): the whole batch in one pass
        assert_eq!(crops_per_pass(4, 256), 4);
        assert_eq!(crops_per_pass(2, 128), 2);
        // more than a 512 px picture's pixels: passes of a divisor of the batch
        assert_eq!(crops_per_pass(16, 256), 4);
        assert_eq!(crops_per_pass(6, 256), 3);
        assert_eq!(crops_per_pass(5, 256), 1);
        assert_eq!(crops_per_pass(4, 512), 1);
        assert_eq!(crops_per_pass(3, 1024), 1);
        // sides VGG's poolings would not halve alike: one crop at a time
        assert_eq!(crops_per_pass(4, 36), 1);
        assert_eq!(crops_per_pass(1, 256), 1);
    }

    #[test]
    fn optimisation_settings_train_at_relu2_2_and_training_settings_stay() {
        let trained = training_params(&Params::default());
        assert_eq!(trained.content_layers, vec![(CONTENT_LAYER, 1.0)]);
        assert_eq!(CONTENT_LAYER.name(), "relu2_2");
        assert_eq!(trained.content_weight, CONTENT_WEIGHT);
        assert_eq!(trained.style_weight, Params::default().style_weight);
        // filters are made for the default output size
        assert_eq!(STYLE_SIZE, Params::default().size);
        // "keep the photo more" on the page keeps it more in training too
        let more = Params {
            content_weight: 10.0,
            ..Params::default()
        };
        assert_eq!(training_params(&more).content_weight, 2.0 * CONTENT_WEIGHT);
        // settings already in training form (a network filter's, the CLI's flags) come back as they are
        assert_eq!(training_params(&trained), trained);
        let chosen = Params {
            content_layers: vec![("relu3_1".parse().unwrap(), 1.0)],
            content_weight: 7.0,
            ..Params::default()
        };
        assert_eq!(training_params(&chosen), chosen);
    }
}
