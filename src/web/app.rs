//! The page's behaviour: choosing images, loading the GPU and weights, and the run loop that drives a Session in
//! batches that yield to the browser, with a live preview, progress, pause/resume/stop and downloads.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use image::RgbaImage;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ClipboardEvent, DragEvent, Element, Event, HtmlInputElement};

use super::dom::{self, on};
use super::files;
use super::ui::{DropZone, Ui};
use crate::{Error, Gpu, GpuWeights, Init, Params, Session, VggWeights};

const WEIGHTS_FILE: &str = "vgg19-conv-u8.safetensors";
const DEFAULT_CONTENT: &str = "content_astronaut.png";
const DEFAULT_STYLE: &str = "style_starry_night_vangogh.jpg";
/// The largest side kept of a chosen image (outputs are at most this big).
const MAX_KEPT_SIDE: u32 = 4096;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Slot {
    Content,
    Style,
}

#[derive(Clone)]
struct Picked {
    name: String,
    image: RgbaImage,
}

#[derive(Default)]
struct State {
    gpu: Option<Gpu>,
    weights_cpu: Option<VggWeights>,
    weights: Option<Arc<GpuWeights>>,
    content: Option<Picked>,
    style: Option<Picked>,
    /// Where a paste goes: the zone last clicked or dropped on.
    paste_target: Option<Slot>,
    running: bool,
    paused: bool,
    stop_requested: bool,
    /// The newest picture shown; stays downloadable after errors.
    last_image: Option<RgbaImage>,
    /// Counters for the page's own diagnostics and tests.
    previews: u32,
    first_preview_ms: Option<f64>,
    steps_per_second: f64,
    last_download: Option<(String, Vec<u8>)>,
    status: String,
}

struct Inner {
    ui: Ui,
    state: RefCell<State>,
}

/// The mounted page. Cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Rc<Inner>,
}

impl App {
    /// Builds the page inside `root` and wires every control. Nothing is loaded yet: call `boot`.
    pub fn mount(root: &Element) -> App {
        let app = App {
            inner: Rc::new(Inner {
                ui: Ui::build(root),
                state: RefCell::new(State::default()),
            }),
        };
        app.wire_zone(Slot::Content);
        app.wire_zone(Slot::Style);
        app.wire_paste();
        app.wire_weights_drop();
        app.wire_buttons();
        app
    }

    fn ui(&self) -> &Ui {
        &self.inner.ui
    }

    fn zone(&self, slot: Slot) -> &DropZone {
        match slot {
            Slot::Content => &self.ui().content,
            Slot::Style => &self.ui().style,
        }
    }

    /// Opens the GPU, loads the weights (cache first) and the sample images from `base` (e.g. "data/").
    pub async fn boot(&self, base: &str) {
        self.open_gpu().await;
        self.load_weights(&format!("{base}{WEIGHTS_FILE}")).await;
        for (slot, name) in [(Slot::Content, DEFAULT_CONTENT), (Slot::Style, DEFAULT_STYLE)] {
            let url = format!("{base}{name}");
            match files::fetch_bytes(&url).await {
                Ok(Some(bytes)) => {
                    let _ = self.set_image(slot, name, &bytes).await;
                }
                Ok(None) => {}
                Err(e) => self.ui().show_error(&e, None),
            }
        }
        self.refresh_buttons();
    }

    async fn open_gpu(&self) {
        let has_webgpu = js_sys::Reflect::get(&dom::window().navigator(), &"gpu".into())
            .map(|g| !g.is_undefined())
            .unwrap_or(false);
        if !has_webgpu {
            self.ui().gpu_info.set_text_content(Some("No WebGPU in this browser."));
            self.ui().show_error(
                "This browser has no WebGPU, which Artsy needs to run on your GPU. Use Chrome or Edge 113 or newer \
                 (on Linux, start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan), or Safari 26.",
                None,
            );
            return;
        }
        match Gpu::new().await {
            Ok(gpu) => {
                let (label, software) = describe_adapter(&gpu).await;
                let text = if software {
                    format!(
                        "GPU: {label}. This is a software renderer: it works, but slowly; small sizes (128 px) are best."
                    )
                } else {
                    format!("GPU: {label}")
                };
                self.ui().gpu_info.set_text_content(Some(&text));
                self.ui()
                    .gpu_info
                    .class_list()
                    .toggle_with_force("warning", software)
                    .ok();
                if software {
                    self.ui().controls.size.set_value("128");
                }
                self.inner.state.borrow_mut().gpu = Some(gpu);
            }
            Err(e) => {
                self.ui().gpu_info.set_text_content(Some("No usable GPU."));
                self.ui().show_error(
                    &format!("{e}. Artsy needs a WebGPU-capable GPU; try Chrome or Edge 113 or newer."),
                    None,
                );
            }
        }
        if let Some(w) = self.inner.state.borrow().weights_cpu.clone() {
            self.upload_weights(w);
        }
    }

    fn device_lost(&self, message: &str) {
        {
            let mut s = self.inner.state.borrow_mut();
            s.gpu = None;
            s.weights = None;
            s.stop_requested = true;
        }
        self.ui().show_error(
            &format!("The GPU device was lost ({message}). Your last preview is still downloadable."),
            Some("Restart the GPU"),
        );
        self.refresh_buttons();
    }

    async fn load_weights(&self, url: &str) {
        let ui = self.ui();
        if let Some(bytes) = super::weights::cached(url).await {
            match VggWeights::from_safetensors(&bytes) {
                Ok(w) => {
                    ui.weights_text
                        .set_text_content(Some("VGG19 weights: ready (from this browser's cache)"));
                    ui.weights_progress.set_value(1.0);
                    self.accept_weights(w);
                    return;
                }
                Err(_) => super::weights::forget(url).await,
            }
        }
        ui.weights_text.set_text_content(Some("VGG19 weights: downloading ..."));
        let progress = ui.weights_progress.clone();
        let label = ui.weights_text.clone();
        let result = super::weights::download(url, move |got, total| {
            let mb = got / 1e6;
            match total {
                Some(t) => {
                    progress.set_value(got / t);
                    label.set_text_content(Some(&format!("VGG19 weights: {mb:.1} of {:.1} MB", t / 1e6)));
                }
                None => label.set_text_content(Some(&format!("VGG19 weights: {mb:.1} MB"))),
            }
        })
        .await;
        match result {
            Ok(Some(bytes)) => match VggWeights::from_safetensors(&bytes) {
                Ok(w) => {
                    super::weights::remember(url, &bytes).await;
                    ui.weights_text
                        .set_text_content(Some("VGG19 weights: ready (kept for your next visit)"));
                    self.accept_weights(w);
                }
                Err(e) => self.weights_missing(&format!("The served weights are damaged: {e}.")),
            },
            Ok(None) => self.weights_missing("The VGG19 weights are not on this server."),
            Err(e) => self.weights_missing(&e),
        }
    }

    fn weights_missing(&self, why: &str) {
        self.ui().weights_text.set_text_content(Some(&format!(
            "{why} Run ./build.sh serve beside the shared data, or drop {WEIGHTS_FILE} here (or click to choose it)."
        )));
        self.ui().weights_box.class_list().add_1("missing").ok();
        self.refresh_buttons();
    }

    fn accept_weights(&self, w: VggWeights) {
        self.ui().weights_box.class_list().remove_1("missing").ok();
        self.ui().weights_progress.set_value(1.0);
        self.inner.state.borrow_mut().weights_cpu = Some(w.clone());
        self.upload_weights(w);
        self.refresh_buttons();
    }

    fn upload_weights(&self, w: VggWeights) {
        let gpu = self.inner.state.borrow().gpu.clone();
        if let Some(gpu) = gpu {
            self.inner.state.borrow_mut().weights = Some(Arc::new(GpuWeights::upload(&gpu, &w)));
        }
    }

    /// Decodes `bytes` as the photo or painting, shows its thumbnail, and keeps it. Errors are shown and returned.
    pub async fn set_image(&self, slot: Slot, name: &str, bytes: &[u8]) -> Result<(), String> {
        let zone = self.zone(slot);
        match crate::image::decode(name, bytes) {
            Ok(image) => {
                // Keep at most MAX_KEPT_SIDE: a 50-megapixel photo is downscaled once here, not held in full.
                let image = if image.width().max(image.height()) > MAX_KEPT_SIDE {
                    let (w, h) = crate::image::fit(image.width(), image.height(), MAX_KEPT_SIDE);
                    crate::image::resize(&image, w, h)
                } else {
                    image
                };
                // The thumbnail shows the file as the browser sees it; a big photo is only downscaled by the engine.
                if let Ok(url) = files::object_url(bytes, "application/octet-stream") {
                    let old = zone.thumb.src();
                    zone.thumb.set_src(&url);
                    if old.starts_with("blob:") {
                        let _ = web_sys::Url::revoke_object_url(&old);
                    }
                }
                zone.caption
                    .set_text_content(Some(&format!("{name} ({}x{})", image.width(), image.height())));
                zone.zone.class_list().add_1("filled").ok();
                let picked = Picked {
                    name: name.to_string(),
                    image,
                };
                let mut s = self.inner.state.borrow_mut();
                match slot {
                    Slot::Content => s.content = Some(picked),
                    Slot::Style => s.style = Some(picked),
                }
                drop(s);
                self.ui().clear_error();
                self.refresh_buttons();
                Ok(())
            }
            Err(e) => {
                let message = format!("{e}. Your previous choice is kept.");
                self.ui().show_error(&message, None);
                Err(message)
            }
        }
    }

    async fn set_image_from_file(&self, slot: Slot, file: web_sys::File) {
        match files::blob_bytes(&file).await {
            Ok(bytes) => {
                let _ = self.set_image(slot, &file.name(), &bytes).await;
            }
            Err(e) => self.ui().show_error(&e, None),
        }
    }

    fn wire_zone(&self, slot: Slot) {
        let zone = self.zone(slot);
        let target: &web_sys::EventTarget = zone.zone.as_ref();
        for event in ["dragenter", "dragover"] {
            let z = zone.zone.clone();
            on(target, event, move |e: DragEvent| {
                e.prevent_default();
                z.class_list().add_1("over").ok();
            });
        }
        let z = zone.zone.clone();
        on(target, "dragleave", move |_: DragEvent| {
            z.class_list().remove_1("over").ok();
        });
        let app = self.clone();
        on(target, "drop", move |e: DragEvent| {
            e.prevent_default();
            app.zone(slot).zone.class_list().remove_1("over").ok();
            app.inner.state.borrow_mut().paste_target = Some(slot);
            if let Some(file) = files::first_file(e.data_transfer()) {
                let app = app.clone();
                wasm_bindgen_futures::spawn_local(async move { app.set_image_from_file(slot, file).await });
            }
        });
        let app = self.clone();
        on(target, "click", move |_: Event| {
            app.inner.state.borrow_mut().paste_target = Some(slot);
            app.zone(slot).input.click();
        });
        let app = self.clone();
        on(target, "keydown", move |e: web_sys::KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                app.zone(slot).input.click();
            }
        });
        let app = self.clone();
        let input = zone.input.clone();
        on(input.as_ref(), "change", move |_: Event| {
            if let Some(file) = app.zone(slot).input.files().and_then(|f| f.get(0)) {
                let app = app.clone();
                wasm_bindgen_futures::spawn_local(async move { app.set_image_from_file(slot, file).await });
            }
        });
        // clicks on the hidden input itself must not bubble back into the zone
        on(input.as_ref(), "click", move |e: Event| e.stop_propagation());
    }

    fn wire_paste(&self) {
        let app = self.clone();
        on(dom::document().as_ref(), "paste", move |e: ClipboardEvent| {
            let Some(file) = files::first_file(e.clipboard_data()) else {
                return;
            };
            e.prevent_default();
            let slot = {
                let s = app.inner.state.borrow();
                s.paste_target.unwrap_or(if s.content.is_none() {
                    Slot::Content
                } else {
                    Slot::Style
                })
            };
            let app = app.clone();
            wasm_bindgen_futures::spawn_local(async move { app.set_image_from_file(slot, file).await });
        });
    }

    fn wire_weights_drop(&self) {
        let ui = self.ui();
        let target: &web_sys::EventTarget = ui.weights_box.as_ref();
        on(target, "dragover", |e: DragEvent| e.prevent_default());
        let app = self.clone();
        on(target, "drop", move |e: DragEvent| {
            e.prevent_default();
            if let Some(file) = files::first_file(e.data_transfer()) {
                let app = app.clone();
                wasm_bindgen_futures::spawn_local(async move { app.weights_from_file(file).await });
            }
        });
        let app = self.clone();
        on(target, "click", move |_: Event| {
            if app.inner.state.borrow().weights_cpu.is_none() {
                app.ui().weights_input.click();
            }
        });
        let app = self.clone();
        on(ui.weights_input.as_ref(), "change", move |_: Event| {
            if let Some(file) = app.ui().weights_input.files().and_then(|f| f.get(0)) {
                let app = app.clone();
                wasm_bindgen_futures::spawn_local(async move { app.weights_from_file(file).await });
            }
        });
        on(ui.weights_input.as_ref(), "click", |e: Event| e.stop_propagation());
    }

    /// Accepts a weights file the user dropped or chose (and caches it like a downloaded one).
    pub async fn weights_from_file(&self, file: web_sys::File) {
        match files::blob_bytes(&file).await {
            Ok(bytes) => match VggWeights::from_safetensors(&bytes) {
                Ok(w) => {
                    super::weights::remember(&format!("data/{WEIGHTS_FILE}"), &bytes).await;
                    self.ui()
                        .weights_text
                        .set_text_content(Some("VGG19 weights: ready (from your file)"));
                    self.accept_weights(w);
                }
                Err(e) => self.weights_missing(&format!("{}: {e}.", file.name())),
            },
            Err(e) => self.weights_missing(&e),
        }
    }

    fn wire_buttons(&self) {
        let ui = self.ui();
        let app = self.clone();
        on(ui.start.as_ref(), "click", move |_: Event| {
            let app = app.clone();
            wasm_bindgen_futures::spawn_local(async move { app.run().await });
        });
        let app = self.clone();
        on(ui.pause.as_ref(), "click", move |_: Event| app.toggle_pause());
        let app = self.clone();
        on(ui.stop.as_ref(), "click", move |_: Event| {
            app.inner.state.borrow_mut().stop_requested = true;
        });
        let app = self.clone();
        on(ui.download.as_ref(), "click", move |_: Event| app.download());
        let app = self.clone();
        on(ui.alert_action.as_ref(), "click", move |_: Event| {
            let app = app.clone();
            wasm_bindgen_futures::spawn_local(async move {
                app.ui().clear_error();
                app.open_gpu().await;
                app.refresh_buttons();
            });
        });
    }

    fn toggle_pause(&self) {
        let paused = {
            let mut s = self.inner.state.borrow_mut();
            s.paused = !s.paused;
            s.paused
        };
        self.ui()
            .pause
            .set_text_content(Some(if paused { "Resume" } else { "Pause" }));
    }

    fn refresh_buttons(&self) {
        let s = self.inner.state.borrow();
        let ready = s.gpu.is_some() && s.weights.is_some() && s.content.is_some() && s.style.is_some();
        let ui = self.ui();
        ui.start.set_disabled(s.running || !ready);
        ui.pause.set_disabled(!s.running);
        ui.stop.set_disabled(!s.running);
        ui.download.set_disabled(s.last_image.is_none());
        if !s.running {
            ui.pause.set_text_content(Some("Pause"));
        }
    }

    /// Reads the controls into engine parameters.
    pub fn params(&self) -> Result<Params, String> {
        let c = &self.ui().controls;
        let number = |i: &HtmlInputElement, what: &str| -> Result<f64, String> {
            i.value()
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{what} must be a number"))
        };
        let size = number(&c.size, "Output size")?;
        let iterations = number(&c.iterations, "Iterations")?;
        if !(16.0..=8192.0).contains(&size) {
            return Err("Output size must be between 16 and 8192 px".into());
        }
        if !(1.0..=100_000.0).contains(&iterations) {
            return Err("Iterations must be between 1 and 100000".into());
        }
        let defaults = Params::default();
        // Sliders are logarithmic around the defaults: 50 is the default, each 25 is a factor of 10.
        let strength = number(&c.strength, "Style strength")?;
        let smooth = number(&c.smoothness, "Smoothness")?;
        let tv_weight = if smooth <= 0.0 {
            0.0
        } else {
            defaults.tv_weight * 10f32.powf(((smooth - 50.0) / 25.0) as f32)
        };
        Ok(Params {
            size: size as u32,
            iterations: iterations as u32,
            style_weight: defaults.style_weight * 10f32.powf(((strength - 50.0) / 25.0) as f32),
            tv_weight,
            learning_rate: number(&c.learning_rate, "Learning rate")? as f32,
            init: if c.init.value() == "noise" {
                Init::Noise {
                    seed: number(&c.seed, "Seed")?.max(0.0) as u64,
                }
            } else {
                Init::Content
            },
            ..defaults
        })
    }

    /// The optimisation: a Session driven in small batches, each awaited on the GPU so the page stays live.
    pub async fn run(&self) {
        let ui = self.ui();
        let params = match self.params() {
            Ok(p) => p,
            Err(e) => return ui.show_error(&e, None),
        };
        let (gpu, weights, content, style) = {
            let s = self.inner.state.borrow();
            if s.running {
                return;
            }
            match (&s.gpu, &s.weights, &s.content, &s.style) {
                (Some(g), Some(w), Some(c), Some(st)) => (g.clone(), w.clone(), c.clone(), st.clone()),
                _ => {
                    return ui.show_error(
                        "Choose a photo and a painting, and wait for the GPU and weights to load.",
                        None,
                    );
                }
            }
        };
        {
            let mut s = self.inner.state.borrow_mut();
            s.running = true;
            s.paused = false;
            s.stop_requested = false;
            s.previews = 0;
            s.first_preview_ms = None;
        }
        ui.clear_error();
        self.refresh_buttons();
        self.set_status("Preparing: analysing the photo and the painting ...");
        let started = dom::now_ms();
        let result = self.optimise(&gpu, &weights, &content, &style, &params, started).await;
        self.inner.state.borrow_mut().running = false;
        self.refresh_buttons();
        match result {
            Ok(message) => self.set_status(&message),
            Err(Error::TooLarge { largest_fitting, .. }) => {
                self.set_status("");
                ui.show_error(
                    &format!(
                        "{} px is too big for this GPU's limits. The largest size that fits is {largest_fitting} px.",
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
                ui.show_error(&format!("{e}"), None);
            }
        }
    }

    async fn optimise(
        &self,
        gpu: &Gpu,
        weights: &Arc<GpuWeights>,
        content: &Picked,
        style: &Picked,
        params: &Params,
        started: f64,
    ) -> Result<String, Error> {
        let mut session = Session::new(gpu, weights, &content.image, &[(style.image.clone(), 1.0)], params).await?;
        let ui = self.ui();
        ui.canvas.set_width(session.width);
        ui.canvas.set_height(session.height);
        let total = params.iterations;
        let loop_start = dom::now_ms();
        let mut batch = 1u32;
        let mut last_preview = f64::NEG_INFINITY;
        let mut stopped = false;
        while session.iteration() < total {
            if self.inner.state.borrow().stop_requested {
                stopped = true;
                break;
            }
            if self.inner.state.borrow().paused {
                let paused = format!("Paused at step {}/{total}.", session.iteration());
                if self.status() != paused {
                    self.set_status(&paused);
                }
                dom::sleep(100).await;
                continue;
            }
            let t0 = dom::now_ms();
            session.run(batch.min(total - session.iteration()))?;
            work_done(gpu).await;
            gpu.check_alive()?;
            // Aim for about 50 ms of GPU work per batch: smooth progress, responsive buttons.
            let dt = (dom::now_ms() - t0).max(1.0);
            batch = ((batch as f64 * 50.0 / dt).round() as u32).clamp(1, 20);

            let done = session.iteration();
            let elapsed = (dom::now_ms() - loop_start) / 1000.0;
            let rate = done as f64 / elapsed.max(1e-3);
            self.inner.state.borrow_mut().steps_per_second = rate;
            ui.progress.set_value(done as f64 / total as f64);
            let losses = session.poll_losses().or(session.latest_losses());
            let mut text = format!(
                "Step {done}/{total} · {rate:.1} steps/s · {} left",
                format_seconds((total - done) as f64 / rate.max(1e-6))
            );
            if let Some(l) = losses {
                text += &format!(
                    " · loss {:.3e} (content {:.2e}, style {:.2e}, smoothness {:.2e})",
                    l.total, l.content, l.style, l.tv
                );
            }
            self.set_status(&text);
            if dom::now_ms() - last_preview > 400.0 {
                self.show_preview(&session, started).await?;
                last_preview = dom::now_ms();
            }
            dom::sleep(0).await;
        }
        self.show_preview(&session, started).await?;
        let seconds = (dom::now_ms() - loop_start) / 1000.0;
        let done = session.iteration();
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

    async fn show_preview(&self, session: &Session, started: f64) -> Result<(), Error> {
        let image = session.image().await?;
        self.draw(&image);
        let mut s = self.inner.state.borrow_mut();
        s.previews += 1;
        s.first_preview_ms.get_or_insert(dom::now_ms() - started);
        s.last_image = Some(image);
        drop(s);
        self.ui().download.set_disabled(false);
        Ok(())
    }

    fn draw(&self, image: &RgbaImage) {
        let canvas = &self.ui().canvas;
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

    fn download(&self) {
        let (image, name) = {
            let s = self.inner.state.borrow();
            let Some(image) = s.last_image.clone() else { return };
            let stem = |p: &Option<Picked>| p.as_ref().map_or("image".to_string(), |p| files::stem(&p.name));
            (image, format!("artsy-{}-{}.png", stem(&s.content), stem(&s.style)))
        };
        match files::png_bytes(&image) {
            Ok(bytes) => {
                if let Err(e) = files::download(&bytes, "image/png", &name) {
                    self.ui().show_error(&format!("The download failed: {e:?}"), None);
                }
                self.inner.state.borrow_mut().last_download = Some((name, bytes));
            }
            Err(e) => self.ui().show_error(&e, None),
        }
    }

    fn set_status(&self, text: &str) {
        self.ui().stats.set_text_content(Some(text));
        self.inner.state.borrow_mut().status = text.to_string();
    }

    // What the page's own tests read.
    pub fn is_running(&self) -> bool {
        self.inner.state.borrow().running
    }
    pub fn previews(&self) -> u32 {
        self.inner.state.borrow().previews
    }
    pub fn first_preview_ms(&self) -> Option<f64> {
        self.inner.state.borrow().first_preview_ms
    }
    pub fn steps_per_second(&self) -> f64 {
        self.inner.state.borrow().steps_per_second
    }
    pub fn status(&self) -> String {
        self.inner.state.borrow().status.clone()
    }
    pub fn last_download(&self) -> Option<(String, Vec<u8>)> {
        self.inner.state.borrow().last_download.clone()
    }
    pub fn has_weights(&self) -> bool {
        self.inner.state.borrow().weights.is_some()
    }
    pub fn has_image(&self, slot: Slot) -> bool {
        let s = self.inner.state.borrow();
        match slot {
            Slot::Content => s.content.is_some(),
            Slot::Style => s.style.is_some(),
        }
    }
    pub fn root(&self) -> Element {
        self.ui().root.clone()
    }
}

/// Resolves when the GPU has finished everything submitted so far (a callback, never a busy wait).
async fn work_done(gpu: &Gpu) {
    let (sender, receiver) = futures_channel::oneshot::channel();
    gpu.queue.on_submitted_work_done(move || {
        let _ = sender.send(());
    });
    let _ = receiver.await;
}

fn format_seconds(s: f64) -> String {
    if !s.is_finite() {
        return "?".into();
    }
    let s = s.round() as u64;
    if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// A readable adapter name and whether it is a software renderer, from navigator.gpu's own adapter info.
async fn describe_adapter(gpu: &Gpu) -> (String, bool) {
    let fallback = (gpu.adapter.name.clone(), gpu.adapter.is_software);
    let get = |o: &JsValue, k: &str| {
        js_sys::Reflect::get(o, &k.into())
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    };
    let Some(navigator_gpu) = get(&dom::window().navigator().into(), "gpu") else {
        return fallback;
    };
    let Some(request) = get(&navigator_gpu, "requestAdapter").and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    else {
        return fallback;
    };
    let Ok(promise) = request.call0(&navigator_gpu) else {
        return fallback;
    };
    let Ok(adapter) = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise)).await else {
        return fallback;
    };
    let Some(info) = get(&adapter, "info") else {
        return fallback;
    };
    let field = |k: &str| get(&info, k).and_then(|v| v.as_string()).unwrap_or_default();
    let (vendor, arch, description) = (field("vendor"), field("architecture"), field("description"));
    let software =
        fallback.1 || arch.to_lowercase().contains("swiftshader") || description.to_lowercase().contains("swiftshader");
    let label = [description, vendor, arch]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
    (
        if label.is_empty() {
            "WebGPU adapter".into()
        } else {
            label
        },
        software,
    )
}
