//! Saved filters on the page: save the current paintings and settings, the gallery of cards (apply with one click,
//! export, delete), and importing filter files by picker or drop.

use std::rc::Rc;

use web_sys::{DragEvent, Event};

use super::app::App;
use super::dom::{el, on, text};
use super::files;
use super::filter_store::FilterStore;
use super::ui::button;
use crate::{Filter, FilterStyle};

impl App {
    /// Opens the filter database `name` and shows what it holds.
    pub async fn open_gallery(&self, name: &str) {
        match FilterStore::open(name).await {
            Ok(store) => {
                self.state().filters = Some(Rc::new(store));
                self.refresh_gallery().await;
            }
            Err(e) => {
                self.ui()
                    .gallery
                    .note
                    .set_text_content(Some(&format!("Saved filters are unavailable: {e}.")));
                self.ui().gallery.save.set_disabled(true);
            }
        }
    }

    fn store(&self) -> Result<Rc<FilterStore>, String> {
        self.inner
            .state
            .borrow()
            .filters
            .clone()
            .ok_or_else(|| "Saved filters are unavailable in this browser.".into())
    }

    /// Lists the stored filters again and redraws the gallery.
    pub async fn refresh_gallery(&self) {
        let Ok(store) = self.store() else { return };
        match store.list().await {
            Ok(saved) => {
                self.state().saved = saved;
                self.draw_gallery();
            }
            Err(e) => self
                .ui()
                .show_error(&format!("Could not read the saved filters: {e}."), None),
        }
    }

    fn draw_gallery(&self) {
        let g = &self.ui().gallery;
        let old_urls = std::mem::take(&mut self.state().gallery_urls);
        for url in old_urls {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
        g.cards.set_inner_html("");
        let saved = self.inner.state.borrow().saved.clone();
        g.note.set_text_content(Some(if saved.is_empty() {
            "No saved filters yet. Save the current paintings and settings above, or import a .artsy-filter.json \
             file (or drop one here)."
        } else {
            ""
        }));
        for (key, filter) in saved {
            let card = el(&g.cards, "article", "filter-card");
            card.set_attribute("data-key", &key.to_string()).unwrap();
            let thumb = el(&card, "img", "filter-thumb");
            thumb.set_attribute("alt", "").unwrap();
            if let Some(first) = filter.styles.first()
                && let Ok(url) = files::object_url(&first.data, "application/octet-stream")
            {
                thumb.set_attribute("src", &url).unwrap();
                self.state().gallery_urls.push(url);
            }
            let info = el(&card, "div", "filter-info");
            text(&info, "h3", "filter-title", &filter.name);
            text(&info, "p", "filter-summary", &summary(&filter));
            let actions = el(&card, "div", "filter-actions");
            let apply = button(&actions, "Apply", "primary apply");
            apply.set_title("Load these paintings and settings and repaint the photo");
            let export = button(&actions, "Export", "export");
            export.set_title("Download this filter as a file");
            let delete = button(&actions, "Delete", "delete");
            let app = self.clone();
            on(apply.as_ref(), "click", move |_: Event| {
                let app = app.clone();
                wasm_bindgen_futures::spawn_local(async move { app.apply_filter(key).await });
            });
            let app = self.clone();
            on(export.as_ref(), "click", move |_: Event| app.export_filter(key));
            // Deleting takes a second click within a few seconds: one stray click loses nothing.
            let app = self.clone();
            let confirm = delete.clone();
            on(delete.as_ref(), "click", move |_: Event| {
                if confirm.class_list().contains("confirm") {
                    let app = app.clone();
                    wasm_bindgen_futures::spawn_local(async move { app.delete_filter(key).await });
                    return;
                }
                confirm.class_list().add_1("confirm").ok();
                confirm.set_text_content(Some("Really delete?"));
                let button = confirm.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    super::dom::sleep(4000).await;
                    button.class_list().remove_1("confirm").ok();
                    button.set_text_content(Some("Delete"));
                });
            });
        }
    }

    /// Stores the current paintings (their original files), blend and settings as a filter named `name` (a name
    /// is made from the paintings when it is blank).
    pub async fn save_filter(&self, name: &str) -> Result<(), String> {
        let result = self.save_filter_inner(name).await;
        if let Err(e) = &result {
            self.ui().show_error(e, None);
        }
        result
    }

    async fn save_filter_inner(&self, name: &str) -> Result<(), String> {
        let store = self.store()?;
        let params = self.params()?;
        let paintings = self.chosen_paintings();
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
        self.ui().gallery.name.set_value("");
        self.ui().clear_error();
        self.refresh_gallery().await;
        Ok(())
    }

    /// Checks a filter file and adds it to the gallery; a bad file gets a message and changes nothing.
    pub async fn import_filter(&self, file_name: &str, bytes: &[u8]) -> Result<(), String> {
        let result = match Filter::from_json(bytes) {
            Ok(filter) => match self.store() {
                Ok(store) => store.put(&filter).await.map(|_| ()),
                Err(e) => Err(e),
            },
            Err(e) => Err(format!("{file_name}: {e}.")),
        };
        match &result {
            Ok(()) => {
                self.ui().clear_error();
                self.refresh_gallery().await;
            }
            Err(e) => self.ui().show_error(e, None),
        }
        result
    }

    async fn import_file(&self, file: web_sys::File) {
        match files::blob_bytes(&file).await {
            Ok(bytes) => {
                let _ = self.import_filter(&file.name(), &bytes).await;
            }
            Err(e) => self.ui().show_error(&e, None),
        }
    }

    fn saved_filter(&self, key: u32) -> Option<Filter> {
        let s = self.inner.state.borrow();
        s.saved.iter().find(|(k, _)| *k == key).map(|(_, f)| f.clone())
    }

    /// Loads the filter's paintings and settings into the page and starts a run on the current photo.
    pub async fn apply_filter(&self, key: u32) {
        let Some(filter) = self.saved_filter(key) else { return };
        self.stop_and_wait().await;
        // The page has no choices of its own on top of an applied filter: it takes the filter's whole.
        let (params, styles) = match filter.merged(&crate::filter::Overrides::default()) {
            Ok(merged) => merged,
            Err(e) => return self.ui().show_error(&crate::error::sentence(&e.to_string()), None),
        };
        let paintings: Vec<(String, Vec<u8>, f32)> = styles
            .iter()
            .map(|s| (s.name.clone(), s.data.clone(), s.blend))
            .collect();
        if self.set_paintings(&paintings).await.is_err() {
            return; // set_image has shown why
        }
        self.apply_params(&params);
        self.set_status(&format!("Filter \u{201c}{}\u{201d} applied.", filter.name));
        self.run().await;
    }

    /// Downloads the filter as a `.artsy-filter.json` file.
    pub fn export_filter(&self, key: u32) {
        let Some(filter) = self.saved_filter(key) else { return };
        let (name, bytes) = (filter.file_name(), filter.to_json());
        if let Err(e) = files::download(&bytes, "application/json", &name) {
            self.ui().show_error(&format!("The export failed: {e:?}"), None);
        }
        self.state().last_download = Some((name, bytes));
    }

    pub async fn delete_filter(&self, key: u32) {
        let Ok(store) = self.store() else { return };
        if let Err(e) = store.delete(key).await {
            self.ui()
                .show_error(&format!("Could not delete the filter: {e}."), None);
        }
        self.refresh_gallery().await;
    }

    pub(super) fn wire_gallery(&self) {
        let g = &self.ui().gallery;
        let app = self.clone();
        let save = move || {
            let app = app.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let name = app.ui().gallery.name.value();
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
            app.ui().gallery.section.class_list().remove_1("over").ok();
            if let Some(file) = files::first_file(e.data_transfer()) {
                let app = app.clone();
                wasm_bindgen_futures::spawn_local(async move { app.import_file(file).await });
            }
        });
    }
}

/// "2 paintings · 512 px · 500 steps · L-BFGS · coarse to fine · photo's colours"
fn summary(filter: &Filter) -> String {
    let p = &filter.params;
    let mut parts = vec![
        if filter.styles.len() == 1 {
            "1 painting".to_string()
        } else {
            format!("{} paintings", filter.styles.len())
        },
        format!("{} px", p.size),
        format!("{} steps", p.iterations),
    ];
    if p.optimizer == crate::Optimizer::Lbfgs {
        parts.push("L-BFGS".into());
    }
    if p.multiscale {
        parts.push("coarse to fine".into());
    }
    if p.original_colors {
        parts.push("photo's colours".into());
    }
    if p.style_scale != 1.0 {
        parts.push(format!("style scale {:.2}×", p.style_scale));
    }
    // Lines break only between the parts, never inside one ("L-BFGS", "photo's colours").
    parts
        .iter()
        .map(|p| p.replace(' ', "\u{a0}").replace('-', "\u{2011}"))
        .collect::<Vec<_>>()
        .join(" · ")
}
