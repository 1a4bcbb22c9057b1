//! Saved filters on the page: save the current paintings and settings, apply one with a click (its paintings and
//! settings, then a run; a live filter's network straight away), export (its size said), delete, and import filter
//! files by picker or drop. The gallery's state and cards are saved_filters.rs.

use std::rc::Rc;

use web_sys::{DragEvent, Event};

use super::app::App;
use super::dom::on;
use super::files;
use super::filter_store::FilterStore;
use super::saved_filters::CardAction;
use super::ui::sentence;
use crate::filter::Overrides;
use crate::params::ParamsPatch;
use crate::{Filter, FilterStyle};

impl App {
    /// Opens the filter database `name` and shows what it holds.
    pub async fn open_gallery(&self, name: &str) {
        match FilterStore::open(name).await {
            Ok(store) => {
                self.filters.set_store(store);
                self.refresh_gallery().await;
            }
            Err(e) => {
                self.ui
                    .gallery
                    .note
                    .set_text_content(Some(&format!("Saved filters are unavailable: {e}.")));
                self.ui.gallery.save.set_disabled(true);
            }
        }
    }

    /// Lists the stored filters again and redraws the gallery.
    pub async fn refresh_gallery(&self) {
        let Ok(store) = self.filters.store() else { return };
        match store.list().await {
            Ok(listed) => {
                let app = self.clone();
                let act = Rc::new(move |key: u32, action: CardAction| match action {
                    CardAction::Apply => {
                        let app = app.clone();
                        wasm_bindgen_futures::spawn_local(async move { app.apply_filter(key).await });
                    }
                    CardAction::Export => app.export_filter(key),
                    CardAction::Delete => {
                        let app = app.clone();
                        wasm_bindgen_futures::spawn_local(async move { app.delete_filter(key).await });
                    }
                });
                self.filters.show(listed, &self.ui.gallery, act);
                self.refresh_live_filters();
            }
            Err(e) => self
                .ui
                .show_error(&format!("Could not read the saved filters: {e}."), None),
        }
    }

    /// Stores the current paintings (their original files), blend and settings as a filter named `name` (a name
    /// is made from the paintings when it is blank).
    pub async fn save_filter(&self, name: &str) -> Result<(), String> {
        let result = self.save_filter_inner(name).await;
        if let Err(e) = &result {
            self.ui.show_error(e, None);
        }
        result
    }

    async fn save_filter_inner(&self, name: &str) -> Result<(), String> {
        let store = self.filters.store()?;
        let params = self.params()?;
        let paintings = self.paintings.chosen();
        if paintings.is_empty() {
            return Err("Choose a painting first: a filter keeps the paintings and the settings.".into());
        }
        let name = name.trim();
        let name = if name.is_empty() {
            paintings
                .iter()
                .map(|(p, _)| files::stem(&p.name).replace('_', " "))
                .collect::<Vec<_>>()
                .join(" + ")
        } else {
            name.to_string()
        };
        let styles = paintings
            .into_iter()
            .map(|(p, share)| FilterStyle {
                name: p.name.clone(),
                blend: share,
                data: p.bytes.to_vec(),
            })
            .collect();
        store.put(&Filter::new(&name, &params, styles)).await?;
        self.ui.gallery.name.set_value("");
        self.ui.clear_error();
        self.refresh_gallery().await;
        Ok(())
    }

    /// Checks a filter file and adds it to the gallery; a bad file gets a message and changes nothing.
    pub async fn import_filter(&self, file_name: &str, bytes: &[u8]) -> Result<(), String> {
        let checked = match Filter::parse(bytes) {
            Ok(filter) => paintings_decode(&filter).await.map(|()| filter),
            Err(e) => Err(e.to_string()),
        };
        let result = match checked {
            Ok(filter) => match self.filters.store() {
                Ok(store) => store.put(&filter).await.map(|_| ()),
                Err(e) => Err(e),
            },
            Err(e) => Err(format!("{file_name}: {e}.")),
        };
        match &result {
            Ok(()) => {
                self.ui.clear_error();
                self.set_status(&format!(
                    "Imported {file_name} ({}).",
                    super::saved_filters::file_size(bytes.len())
                ));
                self.refresh_gallery().await;
            }
            Err(e) => self.ui.show_error(e, None),
        }
        result
    }

    async fn import_file(&self, file: web_sys::File) {
        // a file over the limit is refused before it is read into memory
        if let Err(e) = crate::filter::check_file_size(file.size() as u64) {
            self.ui.show_error(&format!("{}: {e}.", file.name()), None);
            return;
        }
        match files::blob_bytes(&file).await {
            Ok(bytes) => {
                let _ = self.import_filter(&file.name(), &bytes).await;
            }
            Err(e) => self.ui.show_error(&e, None),
        }
    }

    /// Loads the filter's paintings and settings into the page and starts a run on the current photo. The filter
    /// and the page's output size (what fits depends on this photo and GPU) are combined by `Filter::merged`, the
    /// engine's one merge of a saved filter with what is chosen on top of it.
    pub async fn apply_filter(&self, key: u32) {
        let Some(filter) = self.filters.get(key) else { return };
        if filter.network.is_some() {
            return self.apply_network(&filter).await;
        }
        let kept = Overrides {
            params: ParamsPatch {
                size: self.current_size(),
                ..ParamsPatch::default()
            },
            ..Overrides::default()
        };
        let (params, styles) = match filter.merged(&kept) {
            Ok(merged) => merged,
            Err(e) => return self.ui.show_error(&sentence(&e.to_string()), None),
        };
        self.stop_and_wait().await;
        let paintings: Vec<(String, Vec<u8>, f32)> = styles.into_iter().map(|s| (s.name, s.data, s.blend)).collect();
        if self.set_paintings(&paintings).await.is_err() {
            return; // set_image has shown why
        }
        self.apply_params(&params);
        self.set_status(&format!("Filter \u{201c}{}\u{201d} applied.", filter.name));
        self.run().await;
    }

    /// Downloads the filter as a `.artsy-filter.json` file.
    pub fn export_filter(&self, key: u32) {
        let Some(filter) = self.filters.get(key) else { return };
        let (name, bytes) = (filter.file_name(), filter.to_json());
        if let Err(e) = files::download(&bytes, "application/json", &name) {
            self.ui.show_error(&format!("The export failed: {e:?}"), None);
        }
        self.set_status(&format!(
            "Exported \u{201c}{}\u{201d} as {name} ({}).",
            filter.name,
            super::saved_filters::file_size(bytes.len())
        ));
        *self.last_download.borrow_mut() = Some((name, bytes));
    }

    pub async fn delete_filter(&self, key: u32) {
        let Ok(store) = self.filters.store() else { return };
        if let Err(e) = store.delete(key).await {
            self.ui.show_error(&format!("Could not delete the filter: {e}."), None);
        }
        self.refresh_gallery().await;
    }

    pub(super) fn wire_gallery(&self) {
        let g = &self.ui.gallery;
        let app = self.clone();
        let save = move || {
            let app = app.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let name = app.ui.gallery.name.value();
                let _ = app.save_filter(&name).await;
            });
        };
        let on_save = save.clone();
        on(g.save.as_ref(), "click", move |_: Event| on_save());
        on(g.name.as_ref(), "keydown", move |e: web_sys::KeyboardEvent| {
            if e.key() == "Enter" {
                save();
            }
        });
        let input = g.import_input.clone();
        on(g.import.as_ref(), "click", move |_: Event| input.click());
        let app = self.clone();
        let input = g.import_input.clone();
        on(g.import_input.as_ref(), "change", move |_: Event| {
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                let app = app.clone();
                wasm_bindgen_futures::spawn_local(async move { app.import_file(file).await });
            }
            input.set_value("");
        });
        let target: &web_sys::EventTarget = g.section.as_ref();
        let section = g.section.clone();
        on(target, "dragover", move |e: DragEvent| {
            e.prevent_default();
            section.class_list().add_1("over").ok();
        });
        let section = g.section.clone();
        on(target, "dragleave", move |_: DragEvent| {
            section.class_list().remove_1("over").ok();
        });
        let app = self.clone();
        on(target, "drop", move |e: DragEvent| {
            e.prevent_default();
            app.ui.gallery.section.class_list().remove_1("over").ok();
            if let Some(file) = files::first_file(e.data_transfer()) {
                let app = app.clone();
                wasm_bindgen_futures::spawn_local(async move { app.import_file(file).await });
            }
        });
    }
}

/// Checks that every painting of `filter` decodes, with the browser's decoders where they can (the page took the
/// painting through them when it was saved: AVIF and others the image crate lacks), else with the image crate.
async fn paintings_decode(filter: &Filter) -> Result<(), String> {
    // a small picture is enough to know that it decodes
    const CHECK_SIDE: u32 = 64;
    for style in &filter.styles {
        if super::browser_decode::decode(&style.data, CHECK_SIDE).await.is_err() {
            crate::image::decode(&style.name, &style.data)
                .map_err(|e| format!("this is not a usable Artsy filter: {e}"))?;
        }
    }
    Ok(())
}
