//! Choosing the images: the drop zones (drop, click, keyboard, file input), paste, the camera, the painting slots'
//! buttons, replacing the paintings (a filter), and the sample pair, which only ever fills what the user left empty.

use web_sys::{ClipboardEvent, DragEvent, Event};

use super::app::App;
use super::camera::Camera;
use super::dom::{self, on};
use super::files;
use super::picked::{Picked, Slot};
use super::ui::DropZone;

/// Who chose an image: a choice the user made always replaces what is there; a sample only fills an empty place.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Chooser {
    User,
    Sample,
}

/// Added to the caption of an image chosen while a run goes on.
const NEXT_RUN_NOTE: &str = " \u{b7} for the next run";

impl App {
    /// Captions the chosen images without NEXT_RUN_NOTE: at a run's start they are all its own.
    pub(super) fn caption_choices(&self) {
        if let Some(photo) = self.photo.borrow().as_ref() {
            self.ui.content.caption.set_text_content(Some(&photo.caption()));
        }
        for id in self.paintings.ids() {
            if let (Some(zone), Some(caption)) = (self.paintings.zone(id), self.paintings.caption(id)) {
                zone.caption.set_text_content(Some(&caption));
            }
        }
    }

    /// The drop zone of `slot`, if it still exists.
    pub(super) fn zone(&self, slot: Slot) -> Option<DropZone> {
        match slot {
            Slot::Content => Some(self.ui.content.clone()),
            Slot::Style(id) => self.paintings.zone(id),
        }
    }

    /// Whether `slot` holds an image.
    pub fn has_image(&self, slot: Slot) -> bool {
        match slot {
            Slot::Content => self.photo.borrow().is_some(),
            Slot::Style(id) => self.paintings.is_filled(id),
        }
    }

    /// The ids of the painting slots, in page order.
    pub fn painting_slots(&self) -> Vec<u32> {
        self.paintings.ids()
    }

    /// Decodes `bytes` as the photo or a painting, shows its thumbnail, and keeps it. Errors are shown and returned.
    pub async fn set_image(&self, slot: Slot, name: &str, bytes: &[u8]) -> Result<(), String> {
        self.choose_image(slot, name, bytes, Chooser::User).await.map(|_| ())
    }

    /// Decodes `bytes` and keeps the picture in `slot` unless a sample would take the place of an image already
    /// there, or the user has chosen again for the same place meanwhile (then nothing changes and the result is
    /// Ok(false)). The checks and the change happen in one go after decoding, with no await between them, so a
    /// choice made meanwhile cannot be overwritten.
    pub(super) async fn choose_image(&self, slot: Slot, name: &str, bytes: &[u8], by: Chooser) -> Result<bool, String> {
        let serial = self.choice_serial.get() + 1;
        if by == Chooser::User {
            self.choice_serial.set(serial);
            let mut latest = self.latest_choice.borrow_mut();
            latest.retain(|(s, _)| *s != slot);
            latest.push((slot, serial));
        }
        let picked = Picked::read(name, bytes).await;
        if by == Chooser::User && !self.latest_choice.borrow().contains(&(slot, serial)) {
            return Ok(false); // the user's later choice for this place wins, whichever decoded first
        }
        let picked = picked.inspect_err(|message| self.ui.show_error(message, None))?;
        let Some(zone) = self.zone(slot) else {
            return Ok(false); // the slot was removed while its file was read
        };
        let taken = match slot {
            Slot::Content => self.photo.borrow().is_some(),
            Slot::Style(_) => self.paintings.any_filled(),
        };
        if by == Chooser::Sample && taken {
            return Ok(false);
        }
        // The thumbnail shows the file as the browser sees it; a big photo is only downscaled by the engine.
        if let Ok(url) = files::object_url(bytes, "application/octet-stream") {
            let old = zone.thumb.src();
            zone.thumb.set_src(&url);
            if old.starts_with("blob:") {
                let _ = web_sys::Url::revoke_object_url(&old);
            }
        }
        // a choice made during a run is the next run's (this one goes on with what it started with)
        let note = if self.run_control.is_running() {
            NEXT_RUN_NOTE
        } else {
            ""
        };
        zone.caption
            .set_text_content(Some(&format!("{}{note}", picked.caption())));
        zone.zone.class_list().add_1("filled").ok();
        match slot {
            Slot::Content => {
                *self.photo.borrow_mut() = Some(picked);
                self.update_size_limit();
            }
            Slot::Style(id) => {
                self.paintings.set_picked(id, picked);
                // paintings analysed at size x style scale count towards the size limit too
                self.update_size_limit();
            }
        }
        if by == Chooser::User {
            self.ui.clear_error();
        }
        self.refresh_buttons();
        Ok(true)
    }

    /// Fetches the sample photo and painting from `base` and shows each as soon as it arrives, in the places the
    /// user has left empty (the painting in the first slot, when no slot holds one).
    pub(super) async fn load_samples(&self, base: &str, photo: &str, painting: &str) {
        for (is_photo, name) in [(true, photo), (false, painting)] {
            let url = format!("{base}{name}");
            match files::fetch_bytes(&url).await {
                Ok(Some(bytes)) => {
                    let slot = if is_photo {
                        Some(Slot::Content)
                    } else {
                        self.paintings.ids().first().map(|id| Slot::Style(*id))
                    };
                    if let Some(slot) = slot {
                        let _ = self.choose_image(slot, name, &bytes, Chooser::Sample).await;
                    }
                }
                Ok(None) => {}
                Err(e) => self.ui.show_error(&e, None),
            }
        }
    }

    async fn set_image_from_file(&self, slot: Slot, file: web_sys::File) {
        match files::blob_bytes(&file).await {
            Ok(bytes) => {
                let _ = self.set_image(slot, &file.name(), &bytes).await;
            }
            Err(e) => self.ui.show_error(&e, None),
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
            app.paste_target.set(Some(slot));
            if let Some(file) = files::first_file(e.data_transfer()) {
                let app = app.clone();
                wasm_bindgen_futures::spawn_local(async move { app.set_image_from_file(slot, file).await });
            }
        });
        let app = self.clone();
        let input = zone.input.clone();
        on(target, "click", move |_: Event| {
            app.paste_target.set(Some(slot));
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

    pub(super) fn wire_paste(&self) {
        let app = self.clone();
        on(dom::document().as_ref(), "paste", move |e: ClipboardEvent| {
            let Some(file) = files::first_file(e.clipboard_data()) else {
                return;
            };
            e.prevent_default();
            let target = app.paste_target.get().filter(|t| match t {
                Slot::Content => true,
                Slot::Style(id) => app.paintings.exists(*id),
            });
            let first_painting = app.paintings.ids().first().copied();
            let slot = target.unwrap_or(match (app.has_image(Slot::Content), first_painting) {
                (true, Some(id)) => Slot::Style(id),
                _ => Slot::Content,
            });
            let app = app.clone();
            wasm_bindgen_futures::spawn_local(async move { app.set_image_from_file(slot, file).await });
        });
    }

    /// Appends an empty painting slot, wires its zone, blend slider and remove button, and returns its id.
    pub fn add_painting_slot(&self) -> u32 {
        let slot = self.paintings.add();
        let id = slot.id;
        self.wire_zone(&slot.zone, Slot::Style(id));
        let app = self.clone();
        on(slot.blend.as_ref(), "input", move |_: Event| {
            app.paintings.refresh_shares()
        });
        let app = self.clone();
        on(slot.remove.as_ref(), "click", move |e: Event| {
            e.stop_propagation();
            app.remove_painting_slot(id);
        });
        self.refresh_buttons();
        id
    }

    pub fn remove_painting_slot(&self, id: u32) {
        if self.paintings.remove(id) {
            self.refresh_buttons();
        }
    }

    /// Replaces every slot with `paintings` (name, original bytes, blend weight), e.g. from a filter.
    pub async fn set_paintings(&self, paintings: &[(String, Vec<u8>, f32)]) -> Result<(), String> {
        let old = self.paintings.ids();
        let ids: Vec<u32> = paintings.iter().map(|_| self.add_painting_slot()).collect();
        for id in old {
            self.remove_painting_slot(id);
        }
        let largest = paintings.iter().map(|p| p.2).fold(0.0f32, f32::max);
        for (id, (name, bytes, blend)) in ids.iter().zip(paintings) {
            self.set_image(Slot::Style(*id), name, bytes).await?;
            let value = if largest > 0.0 {
                (blend / largest * 100.0).round()
            } else {
                50.0
            };
            self.paintings.set_blend(*id, value);
        }
        Ok(())
    }

    pub(super) fn wire_paintings(&self) {
        let app = self.clone();
        on(self.ui.add_painting.as_ref(), "click", move |_: Event| {
            let id = app.add_painting_slot();
            // open the file chooser of the new slot straight away
            app.paste_target.set(Some(Slot::Style(id)));
            if let Some(zone) = app.zone(Slot::Style(id)) {
                zone.input.click();
            }
        });
    }

    /// The camera: open shows the live preview, "Take photo" makes the frame the photo, cancel stops the camera.
    pub(super) fn wire_camera(&self) {
        let camera = &self.ui.camera;
        self.on_async(
            camera.open.as_ref(),
            "click",
            |app| async move { app.open_camera().await },
        );
        self.on_async(
            camera.take.as_ref(),
            "click",
            |app| async move { app.take_photo().await },
        );
        let app = self.clone();
        on(camera.cancel.as_ref(), "click", move |_: Event| app.close_camera());
    }

    pub async fn open_camera(&self) {
        let camera = &self.ui.camera;
        if self.camera.borrow().is_some() {
            return;
        }
        dom::set_hidden(&camera.panel, false);
        camera.panel.class_list().remove_1("failed").ok();
        camera.message.set_text_content(Some("Starting the camera ..."));
        camera.take.set_disabled(true);
        // keyboard focus moves into the panel before its opener is disabled under it
        camera.cancel.focus().ok();
        camera.open.set_disabled(true);
        let closings = self.camera_closings.get();
        let opened = Camera::open(&camera.video).await;
        if self.camera_closings.get() != closings {
            // Cancel was pressed while the browser asked for the camera: it stays off
            if let Ok(c) = opened {
                c.stop();
            }
            return;
        }
        match opened {
            Ok(c) => {
                *self.camera.borrow_mut() = Some(c);
                camera.message.set_text_content(Some("Frame your photo, then take it."));
                camera.take.set_disabled(false);
                camera.take.focus().ok();
            }
            Err(message) => {
                camera.panel.class_list().add_1("failed").ok();
                camera.message.set_text_content(Some(&message));
                camera.open.set_disabled(false);
                self.ui.show_error(&message, None);
            }
        }
    }

    async fn take_photo(&self) {
        let shot = match self.camera.borrow().as_ref() {
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
            Err(message) => self.ui.show_error(&message, None),
        }
    }

    pub fn close_camera(&self) {
        self.camera_closings.set(self.camera_closings.get().wrapping_add(1));
        if let Some(c) = self.camera.borrow_mut().take() {
            c.stop();
        }
        let camera = &self.ui.camera;
        // focus inside the panel goes back to its opener rather than out of the page's flow
        let had_focus = camera
            .panel
            .contains(dom::document().active_element().as_ref().map(|e| e.as_ref()));
        dom::set_hidden(&camera.panel, true);
        camera.open.set_disabled(false);
        if had_focus {
            camera.open.focus().ok();
        }
    }
}
