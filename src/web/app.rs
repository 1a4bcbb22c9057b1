//! The page's core: the feature states it is made of (each in its own file), mounting and wiring them, starting up
//! (GPU, weights, samples and saved filters at once), the weights, the buttons and the download. Choosing images
//! (choose.rs), the run loop (run.rs), settings (settings.rs), saved filters (gallery.rs), the first estimate
//! (estimate.rs, gpu_timing.rs), live filters (make_filter.rs, live_mode.rs, network_apply.rs) add `impl App` blocks.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DragEvent, Element, Event};

use super::camera::Camera;
use super::dom::{self, on};
use super::engine::Engine;
use super::files;
use super::live_state::LiveState;
use super::paintings::Paintings;
use super::picked::{Picked, Slot};
use super::run_control::RunControl;
use super::saved_filters::SavedFilters;
use super::ui::Ui;
use crate::{Gpu, VggWeights};

const WEIGHTS_FILE: &str = "vgg19-conv-u8.safetensors";
const SAMPLE_PHOTO: &str = "content_astronaut.png";
const SAMPLE_PAINTING: &str = "style_starry_night_vangogh.jpg";

/// The page: its elements and one state per feature. Each feature's state guards its own fields, so no borrow
/// spans two features.
pub struct Page {
    pub ui: Ui,
    /// The GPU and the weights on it.
    pub engine: Engine,
    /// The photo, once chosen.
    pub photo: RefCell<Option<Picked>>,
    pub paintings: Paintings,
    /// The photo camera (Use camera) while its panel is open.
    pub camera: RefCell<Option<Camera>>,
    /// Counts the photo camera's panel closings: a camera that opens after its panel was closed (Cancel while the
    /// browser still asked for access) is turned off again rather than left running unseen.
    pub camera_closings: Cell<u32>,
    /// Where a paste goes: the zone last clicked or dropped on.
    pub paste_target: Cell<Option<Slot>>,
    /// The saved filters and their gallery.
    pub filters: SavedFilters,
    pub run_control: RunControl,
    /// The live filters: training photos and the live camera.
    pub live: LiveState,
    /// The newest download offered (name and bytes), for the page's own tests.
    pub last_download: RefCell<Option<(String, Vec<u8>)>>,
    /// Where the weights are fetched from and kept under in the cache (a built site names them by content hash).
    pub weights_url: RefCell<String>,
    /// The newest choice of an image per place (slot, serial) and the last serial given: decoding takes a while,
    /// and a choice decoded late must not replace one made after it.
    pub latest_choice: RefCell<Vec<(Slot, u64)>>,
    pub choice_serial: Cell<u64>,
    /// How long a run takes on this GPU, for the estimate beside Start.
    pub estimate: super::estimate::Estimate,
    /// The output size this GPU suggests over the engine's default (a software renderer's smaller one), if any.
    pub suggested_size: Cell<Option<u32>>,
}

/// The mounted page. Cheap to clone; derefs to its `Page`.
#[derive(Clone)]
pub struct App(Rc<Page>);

impl std::ops::Deref for App {
    type Target = Page;
    fn deref(&self) -> &Page {
        &self.0
    }
}

impl App {
    /// Builds the page inside `root` and wires every control. Nothing is loaded yet: call `boot`.
    pub fn mount(root: &Element) -> App {
        let ui = Ui::build(root);
        let paintings = Paintings::new(ui.paintings.clone(), ui.add_painting.clone());
        let app = App(Rc::new(Page {
            ui,
            engine: Engine::default(),
            photo: RefCell::new(None),
            paintings,
            camera: RefCell::new(None),
            camera_closings: Cell::new(0),
            paste_target: Cell::new(None),
            filters: SavedFilters::default(),
            run_control: RunControl::default(),
            live: LiveState::default(),
            last_download: RefCell::new(None),
            weights_url: RefCell::new(format!("data/{WEIGHTS_FILE}")),
            latest_choice: RefCell::new(Vec::new()),
            choice_serial: Cell::new(0),
            estimate: Default::default(),
            suggested_size: Cell::new(None),
        }));
        app.wire_zone(&app.ui.content.clone(), Slot::Content);
        app.add_painting_slot();
        app.wire_paintings();
        app.wire_paste();
        app.wire_camera();
        app.wire_weights_drop();
        app.wire_buttons();
        app.wire_settings();
        app.wire_gallery();
        app.wire_live();
        app.wire_estimate();
        app
    }

    /// Opens the GPU, loads the weights (cache first), the sample images and the saved filters from `base` (e.g.
    /// "data/"), all at once: the samples are shown as soon as they arrive, not after the weights, and only where
    /// the user has not chosen an image yet. Resolves when everything is loaded.
    pub async fn boot(&self, base: &str) {
        self.boot_with_weights(base, &format!("{base}{WEIGHTS_FILE}")).await
    }

    /// `boot`, with the weights at `weights_url` instead of in `base` (a built site names them by content hash so
    /// that they can be cached forever).
    pub async fn boot_with_weights(&self, base: &str, weights_url: &str) {
        // the settings of the last visit, before anything else can change them
        self.restore_settings();
        *self.live.base.borrow_mut() = base.to_string();
        *self.weights_url.borrow_mut() = weights_url.to_string();
        let (samples_done, samples_finished) = futures_channel::oneshot::channel();
        let app = self.clone();
        let samples_base = base.to_string();
        wasm_bindgen_futures::spawn_local(async move {
            app.load_samples(&samples_base, SAMPLE_PHOTO, SAMPLE_PAINTING).await;
            let _ = samples_done.send(());
        });
        self.open_gpu().await;
        self.load_weights(weights_url).await;
        let _ = samples_finished.await;
        self.open_gallery(super::filter_store::DATABASE).await;
        self.refresh_buttons();
    }

    async fn open_gpu(&self) {
        let has_webgpu = js_sys::Reflect::get(&dom::window().navigator(), &"gpu".into())
            .map(|g| !g.is_undefined())
            .unwrap_or(false);
        if !has_webgpu {
            self.ui.gpu_info.set_text_content(Some("No WebGPU in this browser."));
            self.ui.show_error(
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
                self.ui.gpu_info.set_text_content(Some(&text));
                self.ui
                    .gpu_info
                    .class_list()
                    .toggle_with_force("warning", software)
                    .ok();
                if software {
                    self.suggested_size.set(Some(128));
                    self.suggest_size(128);
                }
                self.engine.set_gpu(gpu);
                self.update_size_limit();
            }
            Err(e) => {
                self.ui.gpu_info.set_text_content(Some("No usable GPU."));
                self.ui.show_error(
                    &format!("{e}. Artsy needs a WebGPU-capable GPU; try Chrome or Edge 113 or newer."),
                    None,
                );
            }
        }
    }

    pub(super) fn device_lost(&self, message: &str) {
        self.engine.lose_gpu();
        self.run_control.request_stop();
        self.stop_live();
        self.ui.show_error(
            &format!("The GPU device was lost ({message}). Your last preview is still downloadable."),
            Some("Restart the GPU"),
        );
        self.refresh_buttons();
    }

    async fn load_weights(&self, url: &str) {
        let ui = &self.ui;
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
            Ok(Some(served)) => match VggWeights::from_safetensors(&served.bytes) {
                Ok(w) => {
                    super::weights::remember(url, &served.bytes, &served.version).await;
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
        if self.engine.has_weights_file() {
            return; // the user gave the weights while the download went on: they are in place
        }
        self.ui.weights_text.set_text_content(Some(&format!(
            "{why} Serve the page with ./build.sh serve, or drop {WEIGHTS_FILE} here (or click to choose it)."
        )));
        let b = &self.ui.weights_box;
        b.class_list().add_1("missing").ok();
        // reachable by keyboard while it asks for the file (Enter or Space opens the picker)
        b.set_attribute("tabindex", "0").ok();
        b.set_attribute("role", "button").ok();
        self.refresh_buttons();
    }

    fn accept_weights(&self, w: VggWeights) {
        let b = &self.ui.weights_box;
        b.class_list().remove_1("missing").ok();
        b.remove_attribute("tabindex").ok();
        b.remove_attribute("role").ok();
        self.ui.weights_progress.set_value(1.0);
        self.engine.set_weights(w);
        self.refresh_buttons();
        self.time_gpu_soon();
    }

    fn wire_weights_drop(&self) {
        let ui = &self.ui;
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
            if !app.engine.has_weights_file() {
                app.ui.weights_input.click();
            }
        });
        let app = self.clone();
        on(target, "keydown", move |e: web_sys::KeyboardEvent| {
            if (e.key() == "Enter" || e.key() == " ") && !app.engine.has_weights_file() {
                e.prevent_default();
                app.ui.weights_input.click();
            }
        });
        let app = self.clone();
        on(ui.weights_input.as_ref(), "change", move |_: Event| {
            if let Some(file) = app.ui.weights_input.files().and_then(|f| f.get(0)) {
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
                    let url = self.weights_url.borrow().clone();
                    super::weights::remember(&url, &bytes, "").await;
                    self.ui
                        .weights_text
                        .set_text_content(Some("VGG19 weights: ready (from your file)"));
                    self.accept_weights(w);
                }
                Err(e) => self.weights_missing(&format!("{}: {e}.", file.name())),
            },
            Err(e) => self.weights_missing(&e),
        }
    }

    /// Runs `action` (an async method of the app) as a task of its own for every `event` on `target`.
    pub(super) fn on_async<F>(&self, target: &web_sys::EventTarget, event: &str, action: impl Fn(App) -> F + 'static)
    where
        F: std::future::Future<Output = ()> + 'static,
    {
        let app = self.clone();
        on(target, event, move |_: Event| {
            wasm_bindgen_futures::spawn_local(action(app.clone()))
        });
    }

    fn wire_buttons(&self) {
        let ui = &self.ui;
        self.on_async(ui.start.as_ref(), "click", |app| async move { app.run().await });
        let app = self.clone();
        on(ui.pause.as_ref(), "click", move |_: Event| app.toggle_pause());
        let app = self.clone();
        on(ui.stop.as_ref(), "click", move |_: Event| {
            app.run_control.request_stop()
        });
        let app = self.clone();
        on(ui.download.as_ref(), "click", move |_: Event| app.download());
        let app = self.clone();
        on(ui.alert_action.as_ref(), "click", move |_: Event| {
            let app = app.clone();
            wasm_bindgen_futures::spawn_local(async move {
                app.ui.clear_error();
                app.open_gpu().await;
                app.refresh_buttons();
                app.time_gpu_soon();
            });
        });
    }

    fn toggle_pause(&self) {
        let paused = self.run_control.toggle_pause();
        self.ui
            .pause
            .set_text_content(Some(if paused { "Resume" } else { "Pause" }));
    }

    pub(super) fn refresh_buttons(&self) {
        let ready = self.engine.ready().is_some() && self.has_image(Slot::Content) && self.paintings.any_filled();
        let running = self.run_control.is_running();
        let ui = &self.ui;
        ui.start.set_disabled(running || !ready);
        ui.pause.set_disabled(!running);
        ui.stop.set_disabled(!running);
        ui.download.set_disabled(!self.run_control.has_image());
        if !running {
            ui.pause.set_text_content(Some("Pause"));
        }
        self.refresh_live_buttons();
        self.show_estimate();
    }

    /// The file name for a picture made from the photo and paintings chosen now: artsy-PHOTO-PAINTING+PAINTING.png.
    pub(super) fn picture_name(&self) -> String {
        let content = self
            .photo
            .borrow()
            .as_ref()
            .map_or("image".to_string(), |p| files::stem(&p.name));
        let styles: Vec<String> = self
            .paintings
            .chosen()
            .iter()
            .map(|(p, _)| files::stem(&p.name))
            .collect();
        let styles = if styles.is_empty() {
            "image".to_string()
        } else {
            styles.join("+")
        };
        format!("artsy-{content}-{styles}.png")
    }

    fn download(&self) {
        // named after the inputs of the run that made the picture, not what was chosen since
        let Some(image) = self.run_control.last_image() else {
            return;
        };
        let name = self.run_control.picture_name();
        match files::png_bytes(&image) {
            Ok(bytes) => {
                if let Err(e) = files::download(&bytes, "image/png", &name) {
                    self.ui.show_error(&format!("The download failed: {e:?}"), None);
                }
                *self.last_download.borrow_mut() = Some((name, bytes));
            }
            Err(e) => self.ui.show_error(&e, None),
        }
    }

    pub(super) fn set_status(&self, text: &str) {
        self.ui.stats.set_text_content(Some(text));
        self.run_control.set_status(text);
    }

    // What the page's own tests read.
    pub fn is_running(&self) -> bool {
        self.run_control.is_running()
    }
    pub fn previews(&self) -> u32 {
        self.run_control.previews()
    }
    pub fn first_preview_ms(&self) -> Option<f64> {
        self.run_control.first_preview_ms()
    }
    pub fn steps_per_second(&self) -> f64 {
        self.run_control.steps_per_second()
    }
    pub fn status(&self) -> String {
        self.run_control.status()
    }
    pub fn runs_begun(&self) -> u32 {
        self.run_control.runs_begun()
    }
    pub fn last_download(&self) -> Option<(String, Vec<u8>)> {
        self.last_download.borrow().clone()
    }
    /// The GPU the page runs on, if one is open.
    pub fn gpu(&self) -> Option<Gpu> {
        self.engine.gpu()
    }
    pub fn has_weights(&self) -> bool {
        self.engine.has_weights()
    }
    /// The names of the saved filters, as the gallery shows them.
    pub fn saved_filters(&self) -> Vec<String> {
        self.filters.names()
    }
    pub fn root(&self) -> Element {
        self.ui.root.clone()
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
