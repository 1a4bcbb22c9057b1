//! The live camera with a network filter: its controls wired, the choice of filter (the gallery's live ones) and
//! size, starting and stopping the camera, the frame loop (one frame in flight behind the one being drawn, paced
//! by the browser's animation frames), the frame rate shown, snapshots saved as PNG and filters switched while live.

use wasm_bindgen::JsCast;
use web_sys::Event;

use super::app::App;
use super::camera::Camera;
use super::dom::{self, on};
use super::files;
use super::frame_source::{self, FrameSource};
use super::live_pipeline::LivePipeline;
use super::live_ui::LIVE_SIZES;
use super::pacing::TwoInFlight;
use super::ui::sentence;
use crate::filter_net::{Architecture, Stylizer};
use crate::{Error, Gpu};

/// "640x480" -> (640, 480).
fn parse_size(value: &str) -> Option<(u32, u32)> {
    let (w, h) = value.split_once('x')?;
    Some((w.parse().ok()?, h.parse().ok()?))
}

impl App {
    pub(super) fn wire_live(&self) {
        let l = &self.ui.live;
        self.on_async(
            l.make.as_ref(),
            "click",
            |app| async move { app.make_live_filter().await },
        );
        self.on_async(l.start.as_ref(), "click", |app| async move { app.start_live().await });
        let app = self.clone();
        on(l.stop.as_ref(), "click", move |_: Event| app.stop_live());
        let app = self.clone();
        on(l.snapshot.as_ref(), "click", move |_: Event| {
            app.live.snapshot_requested.set(true)
        });
        self.on_async(l.filter.as_ref(), "change", |app| async move {
            app.switch_live_filter().await
        });
        let app = self.clone();
        on(l.size.as_ref(), "change", move |_: Event| {
            // a new size needs a new camera stream and new buffers: start again at the new size
            if app.live.running.get() {
                let app = app.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    app.stop_live_and_wait().await;
                    app.start_live().await;
                });
            }
        });
    }

    /// Lists the gallery's filters that carry a network in the live filter choice, keeping the current choice.
    pub(super) fn refresh_live_filters(&self) {
        let l = &self.ui.live;
        let chosen = l.filter.value();
        l.filter.set_inner_html("");
        let live = self.filters.live();
        for (key, name) in &live {
            let o = dom::text(l.filter.as_ref(), "option", "", name);
            o.set_attribute("value", &key.to_string()).unwrap();
        }
        if live.is_empty() {
            // an empty choice says why it is empty (its value "" means no filter)
            let o = dom::text(l.filter.as_ref(), "option", "", super::live_ui::NO_LIVE_FILTER);
            o.set_attribute("value", "").unwrap();
        }
        l.filter.set_disabled(live.is_empty());
        if live.iter().any(|(k, _)| k.to_string() == chosen) {
            l.filter.set_value(&chosen);
        } else if let Some((k, _)) = live.last() {
            l.filter.set_value(&k.to_string()); // the newest
        }
        // the filter shown live was deleted: the view follows the choice, or ends where no live filter is left
        let shown = self.live.filter_key.get().map(|k| k.to_string());
        if self.live.running.get() && shown.is_some_and(|k| k != l.filter.value()) {
            if live.is_empty() {
                self.stop_live();
            } else {
                let app = self.clone();
                wasm_bindgen_futures::spawn_local(async move { app.switch_live_filter().await });
            }
        }
        if !self.live.running.get() {
            l.message.set_text_content(Some(if live.is_empty() {
                "Make a live filter (or import one) to use it on the camera."
            } else {
                "Choose a live filter and a size, then start the camera."
            }));
        }
        self.refresh_live_buttons();
    }

    pub(super) fn refresh_live_buttons(&self) {
        let l = &self.ui.live;
        let running = self.live.running.get();
        let has_filter = !l.filter.value().is_empty();
        l.start
            .set_disabled(running || !has_filter || self.engine.gpu().is_none());
        l.stop.set_disabled(!running);
        l.snapshot.set_disabled(!running);
        l.make.set_disabled(!self.can_make_live_filter());
    }

    /// The chosen live filter's layout and parameters on the GPU.
    fn chosen_network(&self, gpu: &Gpu) -> Result<(u32, Architecture, Stylizer), String> {
        let key: u32 = self
            .ui
            .live
            .filter
            .value()
            .parse()
            .map_err(|_| "Choose a live filter first (make one, or import one).".to_string())?;
        let filter = self
            .filters
            .get(key)
            .ok_or("That filter is no longer in the gallery.")?;
        let network = filter
            .network
            .as_ref()
            .ok_or("That filter has no network: only live filters work on the camera.")?;
        let (arch, params) = network.decode().map_err(|e| sentence(&e.to_string()))?;
        let stylizer = Stylizer::new(gpu, arch.clone(), &params).map_err(|e| sentence(&e.to_string()))?;
        Ok((key, arch, stylizer))
    }

    /// Turns the camera on and shows it through the chosen live filter.
    pub async fn start_live(&self) {
        let (ui, l) = (&self.ui, &self.ui.live);
        if self.live.running.get() {
            return;
        }
        let Some(gpu) = self.engine.gpu() else {
            return ui.show_error("Wait for the GPU to open, then start the camera.", None);
        };
        let (key, arch, stylizer) = match self.chosen_network(&gpu) {
            Ok(chosen) => chosen,
            Err(e) => return ui.show_error(&e, None),
        };
        let size = parse_size(&l.size.value()).unwrap_or(LIVE_SIZES[0]);
        self.live.filter_key.set(Some(key));
        self.live.running.set(true);
        self.live.stop_requested.set(false);
        // a snapshot asked for just before an earlier Stop is not taken unasked now
        self.live.snapshot_requested.set(false);
        self.live.frames.set(0);
        self.live.fps.set(0.0);
        self.refresh_live_buttons();
        l.message.set_text_content(Some("Starting the camera ..."));
        let started = self.open_live(&gpu, size, &arch, &stylizer).await;
        let (pipeline, source) = match started {
            Ok(p) => p,
            Err(e) => {
                self.close_live_camera();
                self.live.running.set(false);
                // a filter chosen while the camera was starting waits for the next Start, as when not live
                self.live.switch_to.take();
                self.refresh_live_buttons();
                l.message.set_text_content(Some(""));
                return ui.show_error(&e, None);
            }
        };
        ui.clear_error();
        // the size asked for (the camera may deliver another shape: the view keeps the camera's)
        l.fps.set_attribute("data-size", &format!("{}x{}", size.0, size.1)).ok();
        let (w, h) = pipeline.size();
        l.message.set_text_content(Some(&format!(
            "Live at {w} × {h}: every frame goes through the filter on the GPU ({}).",
            source.describe()
        )));
        dom::set_hidden(&l.canvas.parent_element().unwrap(), false);
        let result = self.live_loop(&gpu, pipeline, source, stylizer).await;
        self.close_live_camera();
        self.live.running.set(false);
        self.live.switch_to.take();
        self.refresh_live_buttons();
        match result {
            Ok(()) => {
                l.message
                    .set_text_content(Some(&format!("Camera off. {} frames drawn.", self.live.frames.get())));
            }
            Err(Error::DeviceLost(m)) => self.device_lost(&m),
            Err(e) => {
                l.message.set_text_content(Some(""));
                ui.show_error(&sentence(&e.to_string()), None);
            }
        }
    }

    /// Opens the camera at about `size` and builds the pipeline for it.
    async fn open_live(
        &self,
        gpu: &Gpu,
        size: (u32, u32),
        arch: &Architecture,
        stylizer: &Stylizer,
    ) -> Result<(LivePipeline, FrameSource), String> {
        let l = &self.ui.live;
        let camera = Camera::open_sized(&l.video, Some(size)).await?;
        *self.live.camera.borrow_mut() = Some(camera);
        let waited = dom::now_ms();
        while l.video.video_width() == 0 || l.video.ready_state() < 2 {
            if dom::now_ms() - waited > 10_000.0 {
                return Err("The camera has not delivered a picture; try again or choose another size.".into());
            }
            dom::sleep(30).await;
        }
        // the camera's own shape, fitted into the chosen size
        let (vw, vh) = (l.video.video_width() as f64, l.video.video_height() as f64);
        let scale = (size.0 as f64 / vw).min(size.1 as f64 / vh);
        let fitted = (
            ((vw * scale).round() as u32).max(1),
            ((vh * scale).round() as u32).max(1),
        );
        let mut pipeline = LivePipeline::new(gpu, &l.canvas, &l.video, fitted, arch, stylizer.params_buffer())
            .await
            .map_err(|e| sentence(&e.to_string()))?;
        pipeline.prepare(&l.video).await.map_err(|e| sentence(&e.to_string()))?;
        Ok((pipeline, frame_source::probe(&l.video).await))
    }

    /// Draws frames until Stop; switches networks and takes snapshots between two frames.
    async fn live_loop(
        &self,
        gpu: &Gpu,
        mut pipeline: LivePipeline,
        source: FrameSource,
        stylizer: Stylizer,
    ) -> Result<(), Error> {
        let l = &self.ui.live;
        let (w, h) = pipeline.size();
        // The network's parameters live as long as it is shown.
        let mut _shown = stylizer;
        let mut in_flight = TwoInFlight::default();
        let (mut window_start, mut window_frames) = (dom::now_ms(), 0u32);
        // Whether the network's output holds a frame drawn since the pipeline was last set up (new buffers hold
        // none): a snapshot waits for one rather than saving a black picture.
        let mut drawn = false;
        while !self.live.stop_requested.get() {
            let switch = self.live.switch_to.borrow_mut().take();
            if let Some((arch, next)) = switch {
                in_flight.drain().await;
                match pipeline.set_network(&arch, next.params_buffer()).await {
                    Ok(()) => _shown = next,
                    Err(e) => self.ui.show_error(&sentence(&e.to_string()), None),
                }
                drawn = false;
            }
            if !pipeline.ready_for(&l.video) {
                if l.video.video_width() == 0 || l.video.ready_state() < 2 {
                    dom::sleep(30).await;
                    continue;
                }
                in_flight.drain().await;
                pipeline.prepare(&l.video).await?;
                drawn = false;
            }
            if drawn && self.live.snapshot_requested.replace(false) {
                in_flight.drain().await;
                self.save_snapshot(&pipeline.snapshot().await?);
            }
            dom::next_frame().await;
            let bitmap = match source {
                FrameSource::Video => None,
                FrameSource::Bitmap => Some(frame_source::bitmap(&l.video).await.map_err(Error::Gpu)?),
            };
            // false: no canvas texture to draw into, or the camera's frame changed size during the awaits above
            // (a phone turned); the next pass sets up for the new size
            if !pipeline.draw(bitmap)? {
                continue;
            }
            drawn = true;
            // One frame may be queued behind the one the GPU is on; wait for the older before drawing more.
            if in_flight.submitted(gpu).await {
                self.live.frames.set(self.live.frames.get() + 1);
                window_frames += 1;
            }
            let now = dom::now_ms();
            if now - window_start >= 1000.0 {
                let fps = window_frames as f64 * 1000.0 / (now - window_start);
                self.live.fps.set(fps);
                // two decimals below 10 fps: a software GPU's rate still reads as more than 0
                let shown = if fps < 10.0 {
                    format!("{fps:.2}")
                } else {
                    format!("{fps:.1}")
                };
                l.fps.set_text_content(Some(&format!(
                    "{shown} fps · {w} × {h} · {} frames",
                    self.live.frames.get()
                )));
                (window_start, window_frames) = (now, 0);
            }
        }
        in_flight.drain().await;
        Ok(())
    }

    fn save_snapshot(&self, image: &image::RgbaImage) {
        let name = format!("artsy-live-{}.png", js_sys::Date::now() as u64);
        match files::png_bytes(image) {
            Ok(bytes) => {
                if let Err(e) = files::download(&bytes, "image/png", &name) {
                    self.ui
                        .show_error(&format!("The snapshot could not be saved: {e:?}"), None);
                }
                *self.last_download.borrow_mut() = Some((name, bytes));
            }
            Err(e) => self.ui.show_error(&e, None),
        }
    }

    /// Switches the live view to the chosen filter (when live; otherwise the choice waits for Start).
    pub async fn switch_live_filter(&self) {
        if !self.live.running.get() {
            return;
        }
        let Some(gpu) = self.engine.gpu() else { return };
        match self.chosen_network(&gpu) {
            Ok((key, arch, stylizer)) => {
                self.live.filter_key.set(Some(key));
                *self.live.switch_to.borrow_mut() = Some((arch, stylizer));
            }
            Err(e) => self.ui.show_error(&e, None),
        }
    }

    /// Asks the live view to stop; the camera goes off once the frame in flight is done.
    pub fn stop_live(&self) {
        self.live.stop_requested.set(true);
    }

    /// Stops the live view and waits until the camera is off.
    pub async fn stop_live_and_wait(&self) {
        self.stop_live();
        while self.live.running.get() {
            dom::sleep(30).await;
        }
    }

    fn close_live_camera(&self) {
        if let Some(camera) = self.live.camera.borrow_mut().take() {
            camera.stop();
        }
        let l = &self.ui.live;
        l.fps.set_text_content(Some(""));
        l.fps.remove_attribute("data-size").ok();
        dom::set_hidden(&l.canvas.parent_element().unwrap(), true);
    }

    // What the page's own tests read.
    pub fn is_live(&self) -> bool {
        self.live.running.get()
    }
    pub fn live_fps(&self) -> f64 {
        self.live.fps.get()
    }
    pub fn live_frames(&self) -> u32 {
        self.live.frames.get()
    }
    /// The live view's canvas (its drawn frames).
    pub fn live_canvas(&self) -> web_sys::HtmlCanvasElement {
        self.ui.live.canvas.clone().unchecked_into()
    }
}
