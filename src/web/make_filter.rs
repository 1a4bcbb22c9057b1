//! Making a live filter: the training settings read from the page, the training photos (the samples served with
//! the page, the user's photo and, with the camera on, its frame, renewed every few seconds), the training loop in
//! batches sized by time (two in flight, so the GPU never waits and the page never freezes) with the loss, step,
//! time left and the network's current output on the photo every few seconds (and on the live camera, every
//! frame), and the network kept in the gallery when training ends or is stopped.

use std::fmt::Write;

use image::RgbaImage;

use super::app::App;
use super::dom;
use super::files;
use super::live_filter::{LiveFilter, seconds_left};
use super::pacing::{BatchSize, TwoInFlight, WorkClock};
use super::picked::Picked;
use super::run::{format_seconds, write_losses};
use super::settings::whole;
use super::ui::sentence;
use crate::filter::FilterNetwork;
use crate::training::TrainSettings;
use crate::{Error, Filter, FilterStyle, Gpu};

/// The sample photos a live filter learns from besides the user's photo (served beside the page): people, a
/// cat, objects, a rocket launch and two textures, some in grey (more kinds of photo made filters that suit photos
/// they never saw: trained on eight varied photos instead of two, their style losses on held-out photos were 1.4
/// to 2.6 times lower).
pub const TRAINING_PHOTOS: [&str; 8] = [
    "content_astronaut.png",
    "content_chelsea_cat.png",
    "content_coffee.png",
    "content_grace_hopper.jpg",
    "content_rocket.jpg",
    "content_camera.png",
    "content_brick.png",
    "content_grass.png",
];
/// How often the network's current output is shown while it trains.
const PREVIEW_EVERY_MS: f64 = 3000.0;
/// How often, with the camera on, its newest frame takes the place of the one learned from so far.
const CAMERA_FRAME_EVERY_MS: f64 = 5000.0;

/// What a training run ends with: the network (if it got that far) and the closing status line.
type Trained = Result<(FilterNetwork, String), Error>;

impl App {
    /// The training settings shown in the live filter section, checked by the engine.
    pub fn train_settings(&self) -> Result<TrainSettings, String> {
        let l = &self.ui.live;
        let settings = TrainSettings {
            steps: whole(&l.steps, "Training steps")?,
            crop: whole(&l.crop, "Crop size")?,
            batch: whole(&l.batch, "Batch")?,
            width: l
                .width
                .value()
                .parse()
                .map_err(|_| "Choose a network width.".to_string())?,
            ..super::live_filter::browser_defaults()
        };
        settings.validate().map_err(|e| sentence(&e.to_string()))?;
        Ok(settings)
    }

    /// The sample photos (fetched once; those the server lacks are left out) and the user's photo.
    async fn training_photos(&self, photo: Option<&Picked>) -> Vec<RgbaImage> {
        if self.live.samples.borrow().is_none() {
            let base = self.live.base.borrow().clone();
            let mut samples = Vec::new();
            for name in TRAINING_PHOTOS {
                if let Ok(Some(bytes)) = files::fetch_bytes(&format!("{base}{name}")).await
                    && let Ok(p) = Picked::read(name, &bytes).await
                {
                    samples.push((name.to_string(), p.image));
                }
            }
            *self.live.samples.borrow_mut() = Some(samples);
        }
        let samples = self.live.samples.borrow().clone().unwrap_or_default();
        let mut photos: Vec<RgbaImage> = samples.iter().map(|(_, image)| image.clone()).collect();
        // the user's photo, unless it is one of the samples already there
        if let Some(p) = photo
            && !samples.iter().any(|(name, _)| *name == p.name)
        {
            photos.push(p.image.clone());
        }
        photos
    }

    /// Trains a filter network on the current painting(s) and settings and keeps it in the gallery (also when
    /// stopped early). Does nothing while a run or training is going on.
    pub async fn make_live_filter(&self) {
        let ui = &self.ui;
        if self.run_control.is_running() {
            return;
        }
        let (params, settings) = match (self.params(), self.train_settings()) {
            (Ok(p), Ok(s)) => (p, s),
            (Err(e), _) | (_, Err(e)) => return ui.show_error(&e, None),
        };
        let paintings = self.paintings.chosen();
        let photo = self.photo.borrow().clone();
        let (gpu, weights) = match (self.engine.ready(), paintings.is_empty()) {
            (Some(ready), false) => ready,
            _ => {
                return ui.show_error(
                    "Choose a painting, and wait for the GPU and weights to load, to make a live filter.",
                    None,
                );
            }
        };
        if !self.run_control.begin(self.picture_name()) {
            return;
        }
        ui.clear_error();
        ui.progress.set_value(0.0);
        self.refresh_buttons();
        self.set_status("Preparing the live filter: loading the training photos ...");
        let mut photos = self.training_photos(photo.as_ref()).await;
        // with the camera on, what it sees now is learned from too
        let camera_frame = self.live.camera.borrow().as_ref().and_then(|c| c.snapshot().ok());
        let from_camera = camera_frame.is_some();
        photos.extend(camera_frame);
        if photos.is_empty() {
            self.run_control.end();
            self.refresh_buttons();
            self.set_status("");
            return ui.show_error(
                "A live filter learns from photos: choose a photo first (the sample photos are not on this server).",
                None,
            );
        }
        self.set_status(&format!(
            "Preparing the live filter: analysing the painting(s) and {} photos{} ...",
            photos.len(),
            if from_camera {
                " (one of them the camera's frame)"
            } else {
                ""
            }
        ));
        let styles: Vec<(RgbaImage, f32)> = paintings.iter().map(|(p, share)| (p.image.clone(), *share)).collect();
        let preview_photo = photo.map(|p| {
            let size = self.current_size().unwrap_or(params.size);
            let (w, h) = crate::image::fit(p.image.width(), p.image.height(), size);
            crate::image::resize(&p.image, w, h)
        });
        if let Some(p) = &preview_photo {
            ui.size_preview(p.width(), p.height(), self.photo_url().as_deref());
        }
        // The page's settings are the optimisation's; the network trains with their training form. The filter
        // keeps the page's own, so that it re-runs the optimisation as chosen and trains again the same way.
        let training = crate::training::training_params(&params);
        let result = match LiveFilter::new(&gpu, &weights, &photos, &styles, &training, &settings).await {
            Ok(mut live) => {
                let camera_slot = from_camera.then(|| photos.len() - 1);
                self.train(&gpu, &mut live, preview_photo.as_ref(), camera_slot).await
            }
            Err(e) => Err(e),
        };
        self.keep_trained(result, &paintings, &params).await;
        // the live camera goes back to the filter chosen for it (it showed the network learning)
        self.switch_live_filter().await;
        // the run ends only once its outcome is in place: whoever waits for it sees the final status
        self.run_control.end();
        self.refresh_buttons();
    }

    /// Stores a trained network as a live filter in the gallery, or reports why training ended without one.
    async fn keep_trained(&self, result: Trained, paintings: &[(Picked, f32)], params: &crate::Params) {
        let ui = &self.ui;
        match result {
            Ok((network, message)) => {
                let name = paintings
                    .iter()
                    .map(|(p, _)| files::stem(&p.name).replace('_', " "))
                    .collect::<Vec<_>>()
                    .join(" + ");
                let styles = paintings
                    .iter()
                    .map(|(p, share)| FilterStyle {
                        name: p.name.clone(),
                        blend: *share,
                        data: p.bytes.to_vec(),
                    })
                    .collect();
                let mut filter = Filter::new(&format!("{name} (live)"), params, styles);
                filter.network = Some(network);
                let stored = match self.filters.store() {
                    Ok(store) => store.put(&filter).await.map(|_| ()),
                    Err(e) => Err(e),
                };
                match stored {
                    Ok(()) => {
                        self.set_status(&format!("{message} The live filter is in the gallery."));
                        self.refresh_gallery().await;
                    }
                    // the browser would not keep it: the trained network is not lost, it goes to the user as a file
                    Err(e) => self.download_unkept(&filter, &message, &e),
                }
            }
            Err(Error::DeviceLost(m)) => self.device_lost(&m),
            Err(e) => {
                self.set_status("");
                ui.show_error(&sentence(&e.to_string()), None);
            }
        }
    }

    /// Offers a trained filter the gallery could not keep (`why`) as a download, to import later.
    fn download_unkept(&self, filter: &Filter, message: &str, why: &str) {
        let (name, bytes) = (filter.file_name(), filter.to_json());
        let why = why.trim_end_matches('.');
        match files::download(&bytes, "application/json", &name) {
            Ok(()) => {
                self.set_status(&format!(
                    "{message} The browser could not keep the live filter ({why}), so it was downloaded as {name}: \
                     import it to use it."
                ));
                *self.last_download.borrow_mut() = Some((name, bytes));
            }
            Err(e) => self.ui.show_error(
                &format!("The live filter could not be kept ({why}) nor downloaded ({e:?})."),
                None,
            ),
        }
    }

    /// The training loop; ends with the network as it is when the steps are done or Stop is pressed. With
    /// `camera_slot` (the training photo that is the camera's frame), the camera's newest frame takes its place
    /// every few seconds while the camera runs.
    async fn train(
        &self,
        gpu: &Gpu,
        live: &mut LiveFilter,
        photo: Option<&RgbaImage>,
        camera_slot: Option<usize>,
    ) -> Trained {
        let ui = &self.ui;
        let total = live.total();
        let started = dom::now_ms();
        let mut clock = WorkClock::start();
        let mut batch = BatchSize::new();
        let mut last_preview = dom::now_ms();
        let mut last_frame = dom::now_ms();
        // (training photo that is the camera's frame, frames learned from so far)
        let mut camera = camera_slot.map(|slot| (slot, 1u32));
        let mut stopped = false;
        let mut in_flight = TwoInFlight::default();
        let mut text = String::new();
        // whether the network's picture at the step a pause stopped at has been asked for
        let mut paused_picture_asked = false;
        if self.live.running.get() {
            // the live camera shows the network as it learns, every frame
            *self.live.switch_to.borrow_mut() = Some(live.learning_network(gpu));
        }
        while !live.is_done() {
            if self.run_control.stop_requested() {
                stopped = true;
                break;
            }
            if self.run_control.is_paused() {
                in_flight.drain().await;
                let paused = format!("Live filter paused at step {}/{total}.", live.step());
                if self.status() != paused {
                    self.set_status(&paused);
                }
                // the picture shown while paused is the network's at that step (one asked for earlier comes first)
                if let Some(picture) = live.take_preview() {
                    self.show_picture(picture?, started);
                }
                if !paused_picture_asked && let Some(photo) = photo {
                    paused_picture_asked = live.request_preview(photo).await?;
                }
                clock.pause();
                dom::sleep(100).await;
                batch.restart_clock();
                continue;
            }
            clock.run();
            paused_picture_asked = false;
            live.queue(batch.steps())?;
            if !in_flight.submitted(gpu).await {
                continue;
            }
            gpu.check_alive()?;
            let now = batch.batch_done();

            let done = live.step();
            let rate = done as f64 / (clock.elapsed_ms() / 1000.0).max(1e-3);
            self.run_control.set_steps_per_second(rate);
            ui.progress.set_value(done as f64 / total as f64);
            // written into one String kept across batches: the status allocates nothing once it has grown
            text.clear();
            let _ = write!(
                text,
                "Training the live filter: step {done}/{total} · {rate:.1} steps/s · {} left · {} MB on the GPU",
                format_seconds(seconds_left(live.remaining(), rate)),
                live.gpu_bytes() >> 20
            );
            if let Some((slot, frames)) = camera.as_mut() {
                if now - last_frame > CAMERA_FRAME_EVERY_MS {
                    last_frame = now;
                    let frame = self.live.camera.borrow().as_ref().and_then(|c| c.snapshot().ok());
                    if let Some(frame) = frame {
                        live.replace_photo(*slot, &frame)?;
                        *frames += 1;
                    }
                }
                let _ = write!(text, " · camera frames learned from: {frames}");
            }
            if let Some(l) = live.losses() {
                write_losses(&mut text, &l);
            }
            self.set_status(&text);
            // asked for now, drawn at a later batch once the GPU has made it: training never waits for a preview
            if let Some(picture) = live.take_preview() {
                self.show_picture(picture?, started);
            }
            if now - last_preview > PREVIEW_EVERY_MS
                && let Some(photo) = photo
                && live.request_preview(photo).await?
            {
                last_preview = dom::now_ms();
            }
            dom::sleep(0).await;
        }
        in_flight.drain().await;
        // a loss that stopped being a number ends here: the network's parameters are checked before it is kept
        live.losses();
        if let Some(photo) = photo {
            self.show_picture(live.preview(photo).await?, started);
        }
        let network = live.network().await?;
        let seconds = clock.elapsed_ms() / 1000.0;
        let message = if stopped {
            format!(
                "Live filter stopped at step {}/{total} after {}.",
                live.step(),
                format_seconds(seconds)
            )
        } else {
            format!("Live filter trained: {total} steps in {}.", format_seconds(seconds))
        };
        Ok((network, message))
    }

    /// Whether the live section's button can make a filter now.
    pub(super) fn can_make_live_filter(&self) -> bool {
        self.engine.ready().is_some() && self.paintings.any_filled() && !self.run_control.is_running()
    }
}
