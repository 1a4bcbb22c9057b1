//! A filter network trained in the page: the Trainer with a Stylizer sharing its parameters (to show the
//! network's current output), steps counted against the total, speed and time left; knows nothing of the DOM.

use std::sync::Arc;

use image::RgbaImage;

use crate::filter::FilterNetwork;
use crate::filter_net::{Architecture, Stylizer};
use crate::training::{TrainSettings, Trainer};
use crate::{Error, Gpu, GpuWeights, Losses, Params};

/// Training settings suited to a browser tab: small crops and batches, a thousand steps, a narrow network.
pub fn browser_defaults() -> TrainSettings {
    TrainSettings {
        steps: 1000,
        batch: 2,
        crop: 128,
        width: 8,
        ..TrainSettings::default()
    }
}

/// One training run of a live filter.
pub struct LiveFilter {
    trainer: Trainer,
    /// Reads the trainer's parameter buffer: a preview is the network as it is now.
    preview: Stylizer,
    /// A preview too large for one pass, made in tiles at its request (waiting), until `take_preview`.
    tiled_preview: Option<Result<RgbaImage, Error>>,
    settings: TrainSettings,
}

impl LiveFilter {
    /// Sets up training on `photos` towards `paintings` (image, blend share) with the loss of `params`.
    pub async fn new(
        gpu: &Gpu,
        weights: &Arc<GpuWeights>,
        photos: &[RgbaImage],
        paintings: &[(RgbaImage, f32)],
        params: &Params,
        settings: &TrainSettings,
    ) -> Result<LiveFilter, Error> {
        let trainer = Trainer::new(gpu, weights, photos, paintings, params, settings, None).await?;
        let preview = Stylizer::sharing(gpu, trainer.architecture().clone(), trainer.params_buffer());
        Ok(LiveFilter {
            trainer,
            preview,
            tiled_preview: None,
            settings: settings.clone(),
        })
    }

    /// Queues up to `steps` more steps (never past the total); returns how many were queued. Never waits.
    pub fn queue(&mut self, steps: u32) -> Result<u32, Error> {
        let steps = steps.min(self.remaining());
        if steps > 0 {
            self.trainer.run(steps)?;
        }
        Ok(steps)
    }

    /// Learns from `photo` instead of training photo `index` from the next queued step on (a newer camera frame).
    pub fn replace_photo(&self, index: usize, photo: &RgbaImage) -> Result<(), Error> {
        self.trainer.replace_photo(index, photo)
    }

    /// Steps queued so far.
    pub fn step(&self) -> u32 {
        self.trainer.step()
    }

    pub fn total(&self) -> u32 {
        self.settings.steps
    }

    pub fn remaining(&self) -> u32 {
        self.total().saturating_sub(self.step())
    }

    pub fn is_done(&self) -> bool {
        self.remaining() == 0
    }

    /// The newest losses reported by the GPU (without waiting), or the last ones seen.
    pub fn losses(&mut self) -> Option<Losses> {
        self.trainer.poll_losses().or(self.trainer.latest_losses())
    }

    /// GPU memory the training holds, in bytes.
    pub fn gpu_bytes(&self) -> u64 {
        self.trainer.gpu_bytes()
    }

    /// The network as it learns, for the live camera: a stylizer reading the trainer's own parameters, so every
    /// frame shows the latest step without copying anything.
    pub fn learning_network(&self, gpu: &Gpu) -> (Architecture, Stylizer) {
        let arch = self.trainer.architecture().clone();
        (arch.clone(), Stylizer::sharing(gpu, arch, self.trainer.params_buffer()))
    }

    /// Asks for the network's output on `photo` after the steps queued so far, without waiting: `take_preview`
    /// hands it over once the GPU has made it. Ok(false) while an earlier request is on its way.
    pub async fn request_preview(&mut self, photo: &RgbaImage) -> Result<bool, Error> {
        if !self.preview.fits_one_pass(photo.width(), photo.height()) {
            // rare (a size beyond this GPU's buffers for one pass): tiles, which wait
            self.tiled_preview = Some(self.preview.apply(photo).await);
            return Ok(true);
        }
        self.preview.request(photo).await
    }

    /// The output `request_preview` asked for, once the GPU has made it (never waits).
    pub fn take_preview(&mut self) -> Option<Result<RgbaImage, Error>> {
        self.tiled_preview.take().or_else(|| self.preview.take())
    }

    /// The network's current output on `photo`, at the photo's size (waits for the queued steps).
    pub async fn preview(&mut self, photo: &RgbaImage) -> Result<RgbaImage, Error> {
        self.preview.apply(photo).await
    }

    /// The network as it is now, ready to be kept in a filter (its settings record the steps actually done).
    pub async fn network(&self) -> Result<FilterNetwork, Error> {
        let params = self.trainer.params().await?;
        let settings = TrainSettings {
            steps: self.step(),
            ..self.settings.clone()
        };
        Ok(FilterNetwork::new(self.trainer.architecture(), settings, &params))
    }
}

/// Seconds left at `rate` steps per second.
pub fn seconds_left(remaining: u32, rate: f64) -> f64 {
    remaining as f64 / rate.max(1e-6)
}
