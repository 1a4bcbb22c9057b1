//! The painting slots: one or more paintings, each with a blend slider; shares shown normalised to 100%.

use web_sys::{Element, Event, HtmlButtonElement, HtmlInputElement};

use super::app::{App, Picked, Slot};
use super::dom::{cast, el, on, text};
use super::ui::{DropZone, button, drop_zone};

/// At most this many paintings are blended (each adds its Gram matrices to the set-up).
pub const MAX_PAINTINGS: usize = 4;

/// One painting: its card, drop zone, blend slider and share, and the image chosen for it.
pub struct PaintingSlot {
    pub id: u32,
    pub card: Element,
    pub zone: DropZone,
    pub blend: HtmlInputElement,
    pub share: Element,
    pub remove: HtmlButtonElement,
    pub picked: Option<Picked>,
}

/// Each weight's share of their sum; equal shares when the sum is zero.
pub fn shares(weights: &[f32]) -> Vec<f32> {
    let sum: f32 = weights.iter().map(|w| w.max(0.0)).sum();
    if sum <= 0.0 {
        return vec![1.0 / weights.len().max(1) as f32; weights.len()];
    }
    weights.iter().map(|w| w.max(0.0) / sum).collect()
}

/// Percentages that add up to exactly 100 (largest remainders get the rounding).
pub fn percentages(shares: &[f32]) -> Vec<u32> {
    let raw: Vec<f64> = shares.iter().map(|s| *s as f64 * 100.0).collect();
    let mut out: Vec<u32> = raw.iter().map(|r| r.floor() as u32).collect();
    let missing = 100u32.saturating_sub(out.iter().sum());
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by(|&a, &b| (raw[b] - raw[b].floor()).total_cmp(&(raw[a] - raw[a].floor())));
    for &i in order.iter().take(missing as usize) {
        out[i] += 1;
    }
    out
}

impl App {
    /// Appends an empty painting slot and returns its id.
    pub fn add_painting_slot(&self) -> u32 {
        let id = {
            let mut s = self.state();
            s.next_slot_id += 1;
            s.next_slot_id - 1
        };
        let card = el(&self.ui().paintings, "div", "painting");
        let zone = drop_zone(&card, "style", "Painting");
        zone.zone.set_attribute("data-slot", &id.to_string()).unwrap();
        let remove = button(&card, "×", "remove-painting");
        remove.set_title("Remove this painting");
        remove.set_attribute("aria-label", "Remove this painting").unwrap();
        let row = el(&card, "label", "blend");
        text(&row, "span", "name", "Blend");
        let blend: HtmlInputElement = cast(&el(&row, "input", ""));
        blend.set_type("range");
        blend.set_min("0");
        blend.set_max("100");
        blend.set_value("50");
        blend
            .set_attribute("aria-label", "Blend weight of this painting")
            .unwrap();
        let share = text(&row, "output", "share", "100%");
        self.wire_zone(&zone, Slot::Style(id));
        let app = self.clone();
        on(blend.as_ref(), "input", move |_: Event| app.refresh_shares());
        let app = self.clone();
        on(remove.as_ref(), "click", move |e: Event| {
            e.stop_propagation();
            app.remove_painting_slot(id);
        });
        self.state().paintings.push(PaintingSlot {
            id,
            card,
            zone,
            blend,
            share,
            remove,
            picked: None,
        });
        self.refresh_shares();
        self.refresh_buttons();
        id
    }

    pub fn remove_painting_slot(&self, id: u32) {
        let removed = {
            let mut s = self.state();
            if s.paintings.len() <= 1 {
                return;
            }
            let Some(i) = s.paintings.iter().position(|p| p.id == id) else {
                return;
            };
            s.paintings.remove(i)
        };
        removed.card.remove();
        let thumb = removed.zone.thumb.src();
        if thumb.starts_with("blob:") {
            let _ = web_sys::Url::revoke_object_url(&thumb);
        }
        self.refresh_shares();
        self.refresh_buttons();
    }

    /// Replaces every slot with `paintings` (name, original bytes, blend weight), e.g. from a filter.
    pub async fn set_paintings(&self, paintings: &[(String, Vec<u8>, f32)]) -> Result<(), String> {
        let old: Vec<u32> = self.painting_slots();
        let mut ids = Vec::new();
        for _ in paintings {
            ids.push(self.add_painting_slot());
        }
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
            if let Some(p) = self.state().paintings.iter().find(|p| p.id == *id) {
                p.blend.set_value(&value.to_string());
            }
        }
        self.refresh_shares();
        Ok(())
    }

    /// The chosen paintings with their normalised blend shares, in page order.
    pub(super) fn chosen_paintings(&self) -> Vec<(Picked, f32)> {
        let s = self.inner.state.borrow();
        let filled: Vec<&PaintingSlot> = s.paintings.iter().filter(|p| p.picked.is_some()).collect();
        let weights: Vec<f32> = filled.iter().map(|p| p.blend.value_as_number() as f32).collect();
        filled
            .iter()
            .zip(shares(&weights))
            .map(|(p, share)| (p.picked.clone().unwrap(), share))
            .collect()
    }

    /// Shows each filled slot's share of the blend (summing to 100%), hides the blend row and the remove button
    /// while there is only one painting, and the add button once there are MAX_PAINTINGS.
    pub(super) fn refresh_shares(&self) {
        let s = self.inner.state.borrow();
        let single = s.paintings.len() <= 1;
        let filled: Vec<&PaintingSlot> = s.paintings.iter().filter(|p| p.picked.is_some()).collect();
        let weights: Vec<f32> = filled.iter().map(|p| p.blend.value_as_number() as f32).collect();
        let percents = percentages(&shares(&weights));
        for p in &s.paintings {
            let shown = match filled.iter().position(|f| f.id == p.id) {
                Some(i) => format!("{}%", percents[i]),
                None => "empty".into(),
            };
            p.share.set_text_content(Some(&shown));
            p.blend.set_disabled(p.picked.is_none());
            super::dom::set_hidden(&p.blend.parent_element().unwrap(), single);
            p.remove.set_hidden(single);
        }
        self.ui().add_painting.set_hidden(s.paintings.len() >= MAX_PAINTINGS);
        self.ui()
            .paintings
            .class_list()
            .toggle_with_force("several", !single)
            .ok();
    }

    pub(super) fn wire_paintings(&self) {
        let app = self.clone();
        on(self.ui().add_painting.as_ref(), "click", move |_: Event| {
            let id = app.add_painting_slot();
            // open the file chooser of the new slot straight away
            app.state().paste_target = Some(Slot::Style(id));
            if let Some(zone) = app.zone(Slot::Style(id)) {
                zone.input.click();
            }
        });
    }
}
