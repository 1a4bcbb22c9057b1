//! The page's core: its state, choosing images (drop, click, paste, camera), loading the GPU and weights, buttons
//! and downloads. The run loop (run.rs), painting slots (paintings.rs), settings (settings.rs) and saved filters
//! (gallery.rs) add their own `impl App` blocks.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use image::RgbaImage;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ClipboardEvent, DragEvent, Element, Event};

use super::camera::Camera;
use super::dom::{self, on};
use super::files;
use super::filter_store::FilterStore;
use super::paintings::PaintingSlot;
use super::ui::{DropZone, Ui};
use crate::{Filter, Gpu, GpuWeights, VggWeights};

const WEIGHTS_FILE: &str = "vgg19-conv-u8.safetensors";
const DEFAULT_CONTENT: &str = "content_astronaut.png";
const DEFAULT_STYLE: &str = "style_starry_night_vangogh.jpg";
/// The largest side kept of a chosen image (outputs are at most this big).
const MAX_KEPT_SIDE: u32 = 4096;

/// Where an image goes: the photo, or the painting slot with this id (ids stay put when other slots go).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Slot {
    Content,
    Style(u32),
}

/// A chosen image: its file name and original bytes (a saved filter keeps those) and the decoded picture.
#[derive(Clone)]
pub(super) struct Picked {
    pub name: String,
    pub bytes: Rc<[u8]>,
    pub image: RgbaImage,
}

#[derive(Default)]
pub(super) struct State {
    pub gpu: Option<Gpu>,
    pub weights_cpu: Option<VggWeights>,
    pub weights: Option<Arc<GpuWeights>>,
    pub content: Option<Picked>,
    pub paintings: Vec<PaintingSlot>,
    pub next_slot_id: u32,
    /// Where a paste goes: the zone last clicked or dropped on.
    pub paste_target: Option<Slot>,
    pub camera: Option<Camera>,
    pub filters: Option<Rc<FilterStore>>,
    /// The gallery's filters as last listed, with their keys.
    pub saved: Vec<(u32, Filter)>,
    /// Object URLs of the gallery's thumbnails, revoked when it is drawn again.
    pub gallery_urls: Vec<String>,
    pub running: bool,
    pub paused: bool,
    pub stop_requested: bool,
    /// The newest picture shown; stays downloadable after errors.
    pub last_image: Option<RgbaImage>,
    /// Counters for the page's own diagnostics and tests.
    pub previews: u32,
    pub first_preview_ms: Option<f64>,
    pub steps_per_second: f64,
    pub last_download: Option<(String, Vec<u8>)>,
    pub status: String,
}

pub(super) struct Inner {
    pub ui: Ui,
    pub state: RefCell<State>,
}

/// The mounted page. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub(super) inner: Rc<Inner>,
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
        app.wire_zone(&app.ui().content.clone(), Slot::Content);
        app.add_painting_slot();
        app.wire_paintings();
        app.wire_paste();
        app.wire_camera();
        app.wire_weights_drop();
        app.wire_buttons();
        app.wire_settings();
        app.wire_gallery();
        app
    }

    pub(super) fn ui(&self) -> &Ui {
        &self.inner.ui
    }

    pub(super) fn state(&self) -> std::cell::RefMut<'_, State> {
        self.inner.state.borrow_mut()
    }

    /// The drop zone of `slot`, if it still exists.
    pub(super) fn zone(&self, slot: Slot) -> Option<DropZone> {
        match slot {
            Slot::Content => Some(self.ui().content.clone()),
            Slot::Style(id) => self
                .inner
                .state
                .borrow()
                .paintings
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.zone.clone()),
        }
    }

    /// Opens the GPU, loads the weights (cache first), the saved filters and the sample images from `base`
    /// (e.g. "data/").
    pub async fn boot(&self, base: &str) {
        self.open_gpu().await;
        self.load_weights(&format!("{base}{WEIGHTS_FILE}")).await;
        let first_painting = self.inner.state.borrow().paintings.first().map(|p| p.id);
        let defaults = [
            (Some(Slot::Content), DEFAULT_CONTENT),
            (first_painting.map(Slot::Style), DEFAULT_STYLE),
        ];
        for (slot, name) in defaults {
            let Some(slot) = slot else { continue };
            let url = format!("{base}{name}");
            match files::fetch_bytes(&url).await {
                Ok(Some(bytes)) => {
                    let _ = self.set_image(slot, name, &bytes).await;
                }
                Ok(None) => {}
                Err(e) => self.ui().show_error(&e, None),
            }
        }
        self.open_gallery(super::filter_store::DATABASE).await;
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
                self.update_size_limit();
            }
            Err(e) => {
                self.ui().gpu_info.set_text_content(Some("No usable GPU."));
                self.ui().show_error(
                    &format!("{e}. Artsy needs a WebGPU-capable GPU; try Chrome or Edge 113 or newer."),
                    None,
                );
            }
        }
        // (the state's borrow ends with this statement: uploading borrows it again)
        let weights = self.inner.state.borrow().weights_cpu.clone();
        if let Some(w) = weights {
            self.upload_weights(w);
        }
    }

    pub(super) fn device_lost(&self, message: &str) {
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

    /// Decodes `bytes` as the photo or a painting, shows its thumbnail, and keeps it. Errors are shown and returned.
    pub async fn set_image(&self, slot: Slot, name: &str, bytes: &[u8]) -> Result<(), String> {
        let Some(zone) = self.zone(slot) else {
            return Ok(()); // the slot was removed while its file was read
        };
        let image = match crate::image::decode(name, bytes) {
            Ok(image) => image,
            Err(e) => {
                let message = format!("{e}. Your previous choice is kept.");
                self.ui().show_error(&message, None);
                return Err(message);
            }
        };
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
            bytes: bytes.into(),
            image,
        };
        {
            let mut s = self.state();
            match slot {
                Slot::Content => s.content = Some(picked),
                Slot::Style(id) => {
                    if let Some(p) = s.paintings.iter_mut().find(|p| p.id == id) {
                        p.picked = Some(picked);
                    }
                }
            }
        }
        if slot == Slot::Content {
            self.update_size_limit();
        } else {
            self.refresh_shares();
        }
        self.ui().clear_error();
        self.refresh_buttons();
        Ok(())
    }

    async fn set_image_from_file(&self, slot: Slot, file: web_sys::File) {
        match files::blob_bytes(&file).await {
            Ok(bytes) => {
                let _ = self.set_image(slot, &file.name(), &bytes).await;
            }
            Err(e) => self.ui().show_error(&e, None),
        }
    }

    /// Drop, click, keyboard and file-input handling for one zone.
    pub(super) fn wire_zone(&self, zone: &DropZone, slot: Slot) {
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
        let z = zone.zone.clone();
        on(target, "drop", move |e: DragEvent| {
            e.prevent_default();
            z.class_list().remove_1("over").ok();
            app.state().paste_target = Some(slot);
            if let Some(file) = files::first_file(e.data_transfer()) {
                let app = app.clone();
                wasm_bindgen_futures::spawn_local(async move { app.set_image_from_file(slot, file).await });
            }
        });
        let app = self.clone();
        let input = zone.input.clone();
        on(target, "click", move |_: Event| {
            app.state().paste_target = Some(slot);
            input.click();
        });
        let input = zone.input.clone();
        on(target, "keydown", move |e: web_sys::KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                input.click();
            }
        });
        let app = self.clone();
        let input = zone.input.clone();
        on(zone.input.as_ref(), "change", move |_: Event| {
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                let app = app.clone();
                wasm_bindgen_futures::spawn_local(async move { app.set_image_from_file(slot, file).await });
            }
            // choosing the same file again must fire again
            input.set_value("");
        });
        // clicks on the hidden input itself must not bubble back into the zone
        on(zone.input.as_ref(), "click", move |e: Event| e.stop_propagation());
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
                let target = s.paste_target.filter(|t| match t {
                    Slot::Content => true,
                    Slot::Style(id) => s.paintings.iter().any(|p| p.id == *id),
                });
                target.unwrap_or(match (&s.content, s.paintings.first()) {
                    (None, _) | (_, None) => Slot::Content,
                    (Some(_), Some(p)) => Slot::Style(p.id),
                })
            };
            let app = app.clone();
            wasm_bindgen_futures::spawn_local(async move { app.set_image_from_file(slot, file).await });
        });
    }

    /// The camera: open shows the live preview, "Take photo" makes the frame the photo, cancel stops the camera.
    fn wire_camera(&self) {
        let camera = &self.ui().camera;
        let app = self.clone();
        on(camera.open.as_ref(), "click", move |_: Event| {
            let app = app.clone();
            wasm_bindgen_futures::spawn_local(async move { app.open_camera().await });
        });
        let app = self.clone();
        on(camera.take.as_ref(), "click", move |_: Event| {
            let app = app.clone();
            wasm_bindgen_futures::spawn_local(async move { app.take_photo().await });
        });
        let app = self.clone();
        on(camera.cancel.as_ref(), "click", move |_: Event| app.close_camera());
    }

    pub async fn open_camera(&self) {
        let camera = &self.ui().camera;
        if self.inner.state.borrow().camera.is_some() {
            return;
        }
        dom::set_hidden(&camera.panel, false);
        camera.panel.class_list().remove_1("failed").ok();
        camera.message.set_text_content(Some("Starting the camera ..."));
        camera.take.set_disabled(true);
        camera.open.set_disabled(true);
        match Camera::open(&camera.video).await {
            Ok(c) => {
                self.state().camera = Some(c);
                camera.message.set_text_content(Some("Frame your photo, then take it."));
                camera.take.set_disabled(false);
            }
            Err(message) => {
                camera.panel.class_list().add_1("failed").ok();
                camera.message.set_text_content(Some(&message));
                camera.open.set_disabled(false);
                self.ui().show_error(&message, None);
            }
        }
    }

    async fn take_photo(&self) {
        let shot = match self.inner.state.borrow().camera.as_ref() {
            Some(c) => c.snapshot(),
            None => return,
        };
        match shot.and_then(|image| files::png_bytes(&image)) {
            Ok(png) => {
                self.close_camera();
                let name = format!(
                    "camera-{}.png",
                    js_sys::Date::new_0().to_iso_string().as_string().unwrap_or_default()
                )
                .replace([':', '.'], "-")
                .replace("-png", ".png");
                let _ = self.set_image(Slot::Content, &name, &png).await;
            }
            Err(message) => self.ui().show_error(&message, None),
        }
    }

    pub fn close_camera(&self) {
        if let Some(c) = self.state().camera.take() {
            c.stop();
        }
        let camera = &self.ui().camera;
        dom::set_hidden(&camera.panel, true);
        camera.open.set_disabled(false);
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

    pub(super) fn refresh_buttons(&self) {
        let s = self.inner.state.borrow();
        let has_painting = s.paintings.iter().any(|p| p.picked.is_some());
        let ready = s.gpu.is_some() && s.weights.is_some() && s.content.is_some() && has_painting;
        let ui = self.ui();
        ui.start.set_disabled(s.running || !ready);
        ui.pause.set_disabled(!s.running);
        ui.stop.set_disabled(!s.running);
        ui.download.set_disabled(s.last_image.is_none());
        if !s.running {
            ui.pause.set_text_content(Some("Pause"));
        }
    }

    fn download(&self) {
        let (image, name) = {
            let s = self.inner.state.borrow();
            let Some(image) = s.last_image.clone() else { return };
            let content = s.content.as_ref().map_or("image".to_string(), |p| files::stem(&p.name));
            let styles: Vec<String> = s
                .paintings
                .iter()
                .filter_map(|p| p.picked.as_ref().map(|p| files::stem(&p.name)))
                .collect();
            let styles = if styles.is_empty() {
                "image".to_string()
            } else {
                styles.join("+")
            };
            (image, format!("artsy-{content}-{styles}.png"))
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

    pub(super) fn set_status(&self, text: &str) {
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
    /// The GPU the page runs on, if one is open.
    pub fn gpu(&self) -> Option<Gpu> {
        self.inner.state.borrow().gpu.clone()
    }
    pub fn has_weights(&self) -> bool {
        self.inner.state.borrow().weights.is_some()
    }
    pub fn has_image(&self, slot: Slot) -> bool {
        let s = self.inner.state.borrow();
        match slot {
            Slot::Content => s.content.is_some(),
            Slot::Style(id) => s.paintings.iter().any(|p| p.id == id && p.picked.is_some()),
        }
    }
    /// The ids of the painting slots, in page order.
    pub fn painting_slots(&self) -> Vec<u32> {
        self.inner.state.borrow().paintings.iter().map(|p| p.id).collect()
    }
    /// The names of the saved filters, as the gallery shows them.
    pub fn saved_filters(&self) -> Vec<String> {
        self.inner
            .state
            .borrow()
            .saved
            .iter()
            .map(|(_, f)| f.name.clone())
            .collect()
    }
    pub fn root(&self) -> Element {
        self.ui().root.clone()
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
