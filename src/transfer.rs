//! A whole style transfer as the faces see it: one Session per size of the coarse-to-fine plan, each started from
//! the last one's picture upscaled, and the photo's colours put back on the way out when asked.

use std::sync::Arc;

use image::RgbaImage;

use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::params::Params;
use crate::session::{Losses, Session};
use crate::weights::GpuWeights;

/// One size of the plan and the steps spent at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stage {
    pub size: u32,
    pub iterations: u32,
}

/// The sizes a transfer goes through. Without `multiscale`, just the requested size. With it: the requested size
/// halved while the half is at least `multiscale_start` (default 256: below that VGG's deeper layers see too
/// little), coarsest first, and the steps shared so that each
/// stage gets twice the steps of the next finer one (a fine step costs four coarse ones, and a good start needs
/// little refining). Every stage gets at least one step when there are enough steps to go round.
pub fn plan(params: &Params) -> Vec<Stage> {
    let mut sizes = vec![params.size];
    if params.multiscale {
        while sizes[0] / 2 >= params.multiscale_start {
            sizes.insert(0, sizes[0] / 2);
        }
    }
    // Fewer steps than sizes: drop the coarsest sizes.
    let excess = sizes.len().saturating_sub(params.iterations.max(1) as usize);
    sizes.drain(..excess);
    let n = sizes.len();
    // Weights 2^(n-1), ..., 2, 1 from coarse to fine.
    let weight_sum = (1u64 << n) - 1;
    let mut stages: Vec<Stage> = sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| Stage {
            size,
            iterations: ((params.iterations as u64 * (1u64 << (n - 1 - i))) / weight_sum).max(1) as u32,
        })
        .collect();
    // Rounding: the coarsest stage takes up the difference so the total is exactly what was asked for.
    let assigned: u32 = stages.iter().map(|s| s.iterations).sum();
    stages[0].iterations = (stages[0].iterations + params.iterations)
        .saturating_sub(assigned)
        .max(1);
    stages
}

pub struct Transfer {
    gpu: Gpu,
    weights: Arc<GpuWeights>,
    photo: RgbaImage,
    paintings: Vec<(RgbaImage, f32)>,
    params: Params,
    stages: Vec<Stage>,
    stage: usize,
    /// None only after building a stage failed (the transfer is over then).
    session: Option<Session>,
    width: u32,
    height: u32,
    /// Steps of the stages before the current one.
    done_before: u32,
    /// The photo at the current stage's size, when its colours are to be kept.
    color_source: Option<RgbaImage>,
    /// The current stage's finished picture, kept when the next stage could not be built (out of GPU memory, say):
    /// `best_image` gives it then.
    kept_picture: Option<RgbaImage>,
    /// Makes the next `next_stage` fail as running out of GPU memory would (memory cannot be made to run out
    /// on purpose on every machine).
    #[cfg(test)]
    fail_next_stage: bool,
}

impl Transfer {
    /// Plans the stages and builds the first one (see `Session::new` for what that computes and what can fail).
    pub async fn new(
        gpu: &Gpu,
        weights: &Arc<GpuWeights>,
        photo: &RgbaImage,
        paintings: &[(RgbaImage, f32)],
        params: &Params,
    ) -> Result<Transfer> {
        params.validate()?;
        let stages = plan(params);
        // the last stage is the largest: one that cannot be built is refused now, not after the smaller ones ran
        let last = *stages.last().expect("a plan has a stage");
        Session::fitting_size(gpu, photo, paintings, &stage_params(params, last))?;
        let session = Session::new(gpu, weights, photo, paintings, &stage_params(params, stages[0])).await?;
        let mut t = Transfer {
            gpu: gpu.clone(),
            weights: weights.clone(),
            photo: photo.clone(),
            paintings: paintings.to_vec(),
            params: params.clone(),
            stages,
            stage: 0,
            width: session.width,
            height: session.height,
            session: Some(session),
            done_before: 0,
            color_source: None,
            kept_picture: None,
            #[cfg(test)]
            fail_next_stage: false,
        };
        t.update_color_source();
        Ok(t)
    }

    fn update_color_source(&mut self) {
        self.color_source = self
            .params
            .original_colors
            .then(|| crate::image::resize(&self.photo, self.width, self.height));
    }

    fn live(&self) -> Result<&Session> {
        self.session.as_ref().ok_or_else(stage_failed)
    }

    fn live_mut(&mut self) -> Result<&mut Session> {
        self.session.as_mut().ok_or_else(stage_failed)
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Index of the stage being optimised.
    pub fn stage(&self) -> usize {
        self.stage
    }

    /// The session of the current stage (its size and memory); None after a failed stage change.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Width of the current stage's picture.
    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Steps of the current stage queued so far.
    fn stage_iteration(&self) -> u32 {
        self.session.as_ref().map_or(0, |s| s.iteration())
    }

    /// Steps queued so far, over all stages.
    pub fn iteration(&self) -> u32 {
        self.done_before + self.stage_iteration()
    }

    /// Steps in all stages together (= params.iterations).
    pub fn total_iterations(&self) -> u32 {
        self.stages.iter().map(|s| s.iterations).sum()
    }

    /// Steps still to queue in the current stage.
    pub fn stage_remaining(&self) -> u32 {
        self.stages[self.stage]
            .iterations
            .saturating_sub(self.stage_iteration())
    }

    /// True once every step of every stage is queued.
    pub fn is_done(&self) -> bool {
        self.stage + 1 == self.stages.len() && self.stage_remaining() == 0
    }

    /// Queues up to `steps` steps of the current stage (never past its end) and returns how many it queued.
    /// When it returns 0 and `is_done` is false, call `next_stage`.
    pub fn run(&mut self, steps: u32) -> Result<u32> {
        let n = steps.min(self.stage_remaining());
        self.live_mut()?.run(n)?;
        Ok(n)
    }

    /// When the current stage has queued all its steps and a finer one follows: waits for the GPU, upscales the
    /// picture and builds the next stage's session from it (the old one is freed first). Returns whether it moved on.
    pub async fn next_stage(&mut self) -> Result<bool> {
        if self.stage_remaining() > 0 || self.stage + 1 == self.stages.len() {
            return Ok(false);
        }
        // the stage's last steps are checked like the others: a run that went wrong at a stage's end stops here,
        // with this stage's best picture to keep, rather than carrying its broken picture into the next
        self.live_mut()?.finish().await?;
        let picture = self.live()?.image().await?;
        self.done_before += self.stage_iteration();
        let params = stage_params(&self.params, self.stages[self.stage + 1]);
        // Free this stage before building the next: at large sizes both would not fit together.
        self.session = None;
        let session = match self.start_stage(&params, &picture).await {
            Ok(session) => session,
            Err(e) => {
                // the run is over, but the stages it went through are not lost
                self.kept_picture = Some(picture);
                return Err(e);
            }
        };
        self.stage += 1;
        (self.width, self.height) = (session.width, session.height);
        self.session = Some(session);
        self.update_color_source();
        Ok(true)
    }

    /// The session of the stage `params` describes, starting from `picture` upscaled.
    async fn start_stage(&self, params: &Params, picture: &RgbaImage) -> Result<Session> {
        #[cfg(test)]
        if self.fail_next_stage {
            return Err(Error::Gpu("Out of Memory (as a test asked)".into()));
        }
        let mut session = Session::new(&self.gpu, &self.weights, &self.photo, &self.paintings, params).await?;
        let start = crate::image::resize(picture, session.width, session.height);
        session.set_pixels(&crate::image::to_pixels(&start))?;
        Ok(session)
    }

    /// Steps submitted whose completion has not been observed yet (current stage).
    pub fn steps_in_flight(&self) -> u32 {
        self.session.as_ref().map_or(0, |s| s.steps_in_flight())
    }

    /// Blocks until the oldest submitted batch is done (native only).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn wait_oldest(&mut self) -> Result<()> {
        self.live_mut()?.wait_oldest()
    }

    /// The newest losses the GPU has finished, if any arrived since the last call, counted over all stages.
    pub fn poll_losses(&mut self) -> Option<Losses> {
        let before = self.done_before;
        self.session.as_mut()?.poll_losses().map(|l| Losses {
            iteration: l.iteration + before,
            ..l
        })
    }

    /// The newest losses received so far (current stage).
    pub fn latest_losses(&self) -> Option<Losses> {
        self.session.as_ref()?.latest_losses().map(|l| Losses {
            iteration: l.iteration + self.done_before,
            ..l
        })
    }

    /// The current picture as RGBA8, with the photo's colours when `original_colors` is set. Waits for the GPU.
    pub async fn image(&self) -> Result<RgbaImage> {
        Ok(self.with_colors(self.live()?.image().await?))
    }

    /// Asks for the current stage's picture without waiting (see `Session::request_image`); `take_preview`
    /// collects it. False while an earlier request is on its way, or when no stage is set up.
    pub fn request_preview(&self) -> bool {
        self.session.as_ref().is_some_and(Session::request_image)
    }

    /// The picture `request_preview` asked for, with the photo's colours when asked for, once the GPU has copied it
    /// (never waits). A request made before a stage change is dropped with that stage.
    pub fn take_preview(&self) -> Option<Result<RgbaImage>> {
        let picture = self.session.as_ref()?.take_image()?;
        Some(picture.map(|p| self.with_colors(p)))
    }

    /// `picture` with the photo's colours when `original_colors` is set.
    fn with_colors(&self, picture: RgbaImage) -> RgbaImage {
        match &self.color_source {
            Some(photo) => crate::image::keep_colors(&picture, photo),
            None => picture,
        }
    }

    /// The best picture of the current stage (lowest finite loss; its starting picture before any step), with the
    /// photo's colours when asked for: what to keep after `Error::Diverged`. After `next_stage` failed, the last
    /// finished stage's picture. Waits for the GPU.
    pub async fn best_image(&self) -> Result<RgbaImage> {
        if let (None, Some(kept)) = (&self.session, &self.kept_picture) {
            return Ok(self.with_colors(kept.clone()));
        }
        Ok(self.with_colors(self.live()?.best_image().await?))
    }

    /// Waits until every queued step is done and returns the last losses.
    pub async fn finish(&mut self) -> Result<Losses> {
        let l = self.live_mut()?.finish().await?;
        Ok(Losses {
            iteration: l.iteration + self.done_before,
            ..l
        })
    }
}

fn stage_failed() -> Error {
    Error::Gpu("this transfer stopped when its next size could not be set up".into())
}

/// The params of one stage: its size and its step count.
fn stage_params(params: &Params, stage: Stage) -> Params {
    Params {
        size: stage.size,
        iterations: stage.iterations,
        ..params.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages(size: u32, iterations: u32, multiscale: bool) -> Vec<(u32, u32)> {
        let p = Params {
            size,
            iterations,
            multiscale,
            ..Params::default()
        };
        plan(&p).iter().map(|s| (s.size, s.iterations)).collect()
    }

    #[test]
    fn single_scale_is_one_stage() {
        assert_eq!(stages(2048, 500, false), [(2048, 500)]);
    }

    #[test]
    fn multiscale_halves_down_to_the_coarsest_side_and_keeps_the_step_count() {
        assert_eq!(
            stages(2048, 500, true),
            [(256, 268), (512, 133), (1024, 66), (2048, 33)]
        );
        assert_eq!(stages(512, 300, true), [(256, 200), (512, 100)]);
        assert_eq!(stages(511, 300, true), [(511, 300)]);
        assert_eq!(stages(128, 10, true), [(128, 10)]);
        let p = Params {
            size: 128,
            iterations: 12,
            multiscale: true,
            multiscale_start: 32,
            ..Params::default()
        };
        assert_eq!(
            plan(&p),
            [(32, 8), (64, 3), (128, 1)].map(|(size, iterations)| Stage { size, iterations })
        );
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn a_stage_that_cannot_be_built_keeps_the_picture_of_the_stage_before() {
        use crate::{Gpu, GpuWeights, VggWeights};
        let gpu = pollster::block_on(Gpu::new()).expect("a GPU adapter");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let bytes = std::fs::read(root.join("vgg19/vgg19-conv-u8.safetensors")).expect("weights (in assets/)");
        let weights = Arc::new(GpuWeights::upload(&gpu, &VggWeights::from_safetensors(&bytes).unwrap()));
        let photo = RgbaImage::from_fn(40, 40, |x, y| image::Rgba([(x * 6) as u8, (y * 6) as u8, 90, 255]));
        let painting = RgbaImage::from_fn(24, 24, |x, y| image::Rgba([200, (x * 10) as u8, (y * 10) as u8, 255]));
        let params = Params {
            size: 32,
            multiscale: true,
            multiscale_start: 16,
            iterations: 3,
            ..Params::default()
        };
        let mut transfer =
            pollster::block_on(Transfer::new(&gpu, &weights, &photo, &[(painting, 1.0)], &params)).unwrap();
        assert_eq!(transfer.stages().len(), 2);
        while transfer.run(10).unwrap() > 0 {}
        let finished = pollster::block_on(transfer.image()).unwrap();
        transfer.fail_next_stage = true;
        let e = pollster::block_on(transfer.next_stage()).expect_err("the next stage fails");
        assert!(e.to_string().contains("Out of Memory"), "{e}");
        assert_eq!(
            (transfer.stage(), transfer.iteration()),
            (0, 2),
            "the run ends at the stage it finished"
        );
        let kept = pollster::block_on(transfer.best_image()).expect("the finished stage's picture is kept");
        assert_eq!(kept, finished, "the picture kept is the finished stage's last");
        assert!(transfer.run(1).is_err(), "the run is over");
    }

    #[test]
    fn few_steps_give_fewer_stages_but_every_stage_gets_one() {
        assert_eq!(stages(1024, 2, true), [(512, 1), (1024, 1)]);
        assert_eq!(stages(1024, 1, true), [(1024, 1)]);
    }
}
