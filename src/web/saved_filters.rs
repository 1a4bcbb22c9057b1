//! The gallery's state and its cards: the open filter store, the filters as last listed with their keys, and their
//! thumbnails; each card drawn with its Apply, Export and Delete buttons (a delete takes a second click), a live
//! filter's (one with a network) marked as such with its file's size.

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::Event;

use super::dom::{el, on, sleep, text};
use super::files;
use super::filter_store::FilterStore;
use super::ui::{self, button};
use crate::Filter;

/// What a card's button asks for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CardAction {
    Apply,
    Export,
    Delete,
}

#[derive(Default)]
pub struct SavedFilters {
    store: RefCell<Option<Rc<FilterStore>>>,
    listed: RefCell<Vec<(u32, Filter)>>,
    /// Object URLs of the thumbnails, revoked when the gallery is drawn again.
    thumb_urls: RefCell<Vec<String>>,
}

impl SavedFilters {
    pub fn set_store(&self, store: FilterStore) {
        *self.store.borrow_mut() = Some(Rc::new(store));
    }

    /// The open store, or a message saying there is none.
    pub fn store(&self) -> Result<Rc<FilterStore>, String> {
        self.store
            .borrow()
            .clone()
            .ok_or_else(|| "Saved filters are unavailable in this browser.".into())
    }

    /// The filter with key `key`, as last listed.
    pub fn get(&self, key: u32) -> Option<Filter> {
        self.listed
            .borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, f)| f.clone())
    }

    /// The (key, name) of the listed filters that carry a network, in gallery order.
    pub fn live(&self) -> Vec<(u32, String)> {
        self.listed
            .borrow()
            .iter()
            .filter(|(_, f)| f.network.is_some())
            .map(|(k, f)| (*k, f.name.clone()))
            .collect()
    }

    /// The names of the listed filters, in gallery order.
    pub fn names(&self) -> Vec<String> {
        self.listed.borrow().iter().map(|(_, f)| f.name.clone()).collect()
    }

    /// Shows `listed` as the gallery's cards; a card's buttons call `act` with its key.
    pub fn show(&self, listed: Vec<(u32, Filter)>, gallery: &ui::Gallery, act: Rc<dyn Fn(u32, CardAction)>) {
        for url in self.thumb_urls.take() {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
        gallery.cards.set_inner_html("");
        gallery.note.set_text_content(Some(if listed.is_empty() {
            "No saved filters yet. Save the current paintings and settings above, or import a .artsy-filter.json \
             file (or drop one here)."
        } else {
            ""
        }));
        for (key, filter) in &listed {
            let key = *key;
            let card = el(&gallery.cards, "article", "filter-card");
            let live = filter.network.is_some();
            card.class_list().toggle_with_force("live", live).ok();
            card.set_attribute("data-key", &key.to_string()).unwrap();
            let thumb = el(&card, "img", "filter-thumb");
            thumb.set_attribute("alt", "").unwrap();
            if let Some(first) = filter.styles.first()
                && let Ok(url) = files::object_url(&first.data, "application/octet-stream")
            {
                thumb.set_attribute("src", &url).unwrap();
                self.thumb_urls.borrow_mut().push(url);
            }
            let info = el(&card, "div", "filter-info");
            let title = text(&info, "h3", "filter-title", &filter.name);
            title.set_attribute("title", &filter.name).ok();
            if live {
                let badge = text(&info, "span", "filter-badge", "live");
                badge
                    .set_attribute(
                        "title",
                        "This filter carries a trained network: it repaints a photo at once, and the camera live",
                    )
                    .ok();
            }
            text(&info, "p", "filter-summary", &summary(filter));
            let actions = el(&card, "div", "filter-actions");
            let apply = button(&actions, "Apply", "primary apply");
            apply.set_title(if live {
                "Repaint the photo at once with this filter's network, at the output size set above"
            } else {
                "Load these paintings and settings and repaint the photo, at the output size set above (it depends \
                 on the photo and this GPU)"
            });
            let export = button(&actions, "Export", "export");
            export.set_title("Download this filter as a file");
            let delete = button(&actions, "Delete", "delete");
            let a = act.clone();
            on(apply.as_ref(), "click", move |_: Event| a(key, CardAction::Apply));
            let a = act.clone();
            on(export.as_ref(), "click", move |_: Event| a(key, CardAction::Export));
            // Deleting takes a second click within a few seconds: one stray click loses nothing.
            let a = act.clone();
            let confirm = delete.clone();
            on(delete.as_ref(), "click", move |_: Event| {
                if confirm.class_list().contains("confirm") {
                    return a(key, CardAction::Delete);
                }
                confirm.class_list().add_1("confirm").ok();
                confirm.set_text_content(Some("Really delete?"));
                let button = confirm.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    sleep(4000).await;
                    button.class_list().remove_1("confirm").ok();
                    button.set_text_content(Some("Delete"));
                });
            });
        }
        *self.listed.borrow_mut() = listed;
    }
}

/// "2 paintings · 512 px · 500 steps · L-BFGS · coarse to fine · photo's colours" (the optimiser by its label);
/// for a live filter "1 painting · live · 8 channels · 1000 steps trained · 1.1 MB".
fn summary(filter: &Filter) -> String {
    let p = &filter.params;
    if let Some(n) = &filter.network {
        let parts = [
            if filter.styles.len() == 1 {
                "1 painting".to_string()
            } else {
                format!("{} paintings", filter.styles.len())
            },
            "live".into(),
            format!("{} channels", n.width),
            format!("{} steps trained", n.training.steps),
            file_size(filter.to_json().len()),
        ];
        return parts.map(|p| p.replace(' ', "\u{a0}")).join(" · ");
    }
    let mut parts = vec![
        if filter.styles.len() == 1 {
            "1 painting".to_string()
        } else {
            format!("{} paintings", filter.styles.len())
        },
        format!("{} px", p.size),
        format!("{} steps", p.iterations),
    ];
    parts.push(p.optimizer.label().into());
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

/// "1.2 MB", "340 kB": a file's size for people.
pub fn file_size(bytes: usize) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{} kB", bytes.div_ceil(1000))
    }
}
