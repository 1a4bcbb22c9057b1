//! The painting slots: one or more paintings, each with a drop zone, a blend slider and its share (shown normalised to
//! 100%), and the image chosen for it. The slots' events are wired by the page (choose.rs).

use std::cell::{Cell, RefCell};

use web_sys::{Element, HtmlButtonElement, HtmlInputElement};

use super::dom::{cast, el, set_hidden, text};
use super::picked::Picked;
use super::ui::{DropZone, button, drop_zone};

/// At most this many paintings are blended (each adds its Gram matrices to the set-up); a filter holds as many.
pub const MAX_PAINTINGS: usize = crate::filter::MAX_PAINTINGS;

/// One painting: its card, drop zone, blend slider and share, and the image chosen for it.
#[derive(Clone)]
pub struct PaintingSlot {
    pub id: u32,
    pub card: Element,
    pub zone: DropZone,
    pub blend: HtmlInputElement,
    pub share: Element,
    pub remove: HtmlButtonElement,
    pub picked: Option<Picked>,
}

/// The slots in page order, inside the list element, with the button that adds one.
pub struct Paintings {
    list: Element,
    add_button: HtmlButtonElement,
    slots: RefCell<Vec<PaintingSlot>>,
    next_id: Cell<u32>,
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

impl Paintings {
    /// No slots yet: slots are appended to `list`; `add_button` is hidden once there are MAX_PAINTINGS.
    pub fn new(list: Element, add_button: HtmlButtonElement) -> Paintings {
        Paintings {
            list,
            add_button,
            slots: RefCell::new(Vec::new()),
            next_id: Cell::new(0),
        }
    }

    /// Appends an empty slot and returns it (its events are not wired yet).
    pub fn add(&self) -> PaintingSlot {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let card = el(&self.list, "div", "painting");
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
        let slot = PaintingSlot {
            id,
            card,
            zone,
            blend,
            share,
            remove,
            picked: None,
        };
        self.slots.borrow_mut().push(slot.clone());
        self.refresh_shares();
        slot
    }

    /// Removes slot `id` and its card; the last slot stays. Returns whether one was removed.
    pub fn remove(&self, id: u32) -> bool {
        let removed = {
            let mut slots = self.slots.borrow_mut();
            match slots.iter().position(|p| p.id == id) {
                Some(i) if slots.len() > 1 => slots.remove(i),
                _ => return false,
            }
        };
        removed.card.remove();
        let thumb = removed.zone.thumb.src();
        if thumb.starts_with("blob:") {
            let _ = web_sys::Url::revoke_object_url(&thumb);
        }
        self.refresh_shares();
        true
    }

    /// The ids of the slots, in page order.
    pub fn ids(&self) -> Vec<u32> {
        self.slots.borrow().iter().map(|p| p.id).collect()
    }

    /// The drop zone of slot `id`, if it still exists.
    pub fn zone(&self, id: u32) -> Option<DropZone> {
        self.slots.borrow().iter().find(|p| p.id == id).map(|p| p.zone.clone())
    }

    pub fn exists(&self, id: u32) -> bool {
        self.slots.borrow().iter().any(|p| p.id == id)
    }

    /// Whether slot `id` holds a painting.
    pub fn is_filled(&self, id: u32) -> bool {
        self.slots.borrow().iter().any(|p| p.id == id && p.picked.is_some())
    }

    /// Whether any slot holds a painting.
    pub fn any_filled(&self) -> bool {
        self.slots.borrow().iter().any(|p| p.picked.is_some())
    }

    /// Keeps `picked` as slot `id`'s painting (nothing happens when the slot is gone) and shows the shares.
    pub fn set_picked(&self, id: u32, picked: Picked) {
        if let Some(p) = self.slots.borrow_mut().iter_mut().find(|p| p.id == id) {
            p.picked = Some(picked);
        }
        self.refresh_shares();
    }

    /// Slot `id`'s painting's caption (`Picked::caption`), if it holds one.
    pub fn caption(&self, id: u32) -> Option<String> {
        let slots = self.slots.borrow();
        slots.iter().find(|p| p.id == id)?.picked.as_ref().map(Picked::caption)
    }

    /// Sets slot `id`'s blend slider (0..100).
    pub fn set_blend(&self, id: u32, value: f32) {
        if let Some(p) = self.slots.borrow().iter().find(|p| p.id == id) {
            p.blend.set_value(&value.to_string());
        }
        self.refresh_shares();
    }

    /// The chosen paintings with their normalised blend shares, in page order.
    pub fn chosen(&self) -> Vec<(Picked, f32)> {
        let slots = self.slots.borrow();
        let filled: Vec<&PaintingSlot> = slots.iter().filter(|p| p.picked.is_some()).collect();
        let weights: Vec<f32> = filled.iter().map(|p| p.blend.value_as_number() as f32).collect();
        filled
            .iter()
            .zip(shares(&weights))
            .map(|(p, share)| (p.picked.clone().unwrap(), share))
            .collect()
    }

    /// Shows each filled slot's share of the blend (summing to 100%), hides the blend row and the remove button
    /// while there is only one painting, and the add button once there are MAX_PAINTINGS.
    pub fn refresh_shares(&self) {
        let slots = self.slots.borrow();
        let single = slots.len() <= 1;
        let filled: Vec<&PaintingSlot> = slots.iter().filter(|p| p.picked.is_some()).collect();
        let weights: Vec<f32> = filled.iter().map(|p| p.blend.value_as_number() as f32).collect();
        let percents = percentages(&shares(&weights));
        for p in slots.iter() {
            let shown = match filled.iter().position(|f| f.id == p.id) {
                Some(i) => format!("{}%", percents[i]),
                None => "empty".into(),
            };
            p.share.set_text_content(Some(&shown));
            p.blend.set_disabled(p.picked.is_none());
            set_hidden(&p.blend.parent_element().unwrap(), single);
            p.remove.set_hidden(single);
        }
        self.add_button.set_hidden(slots.len() >= MAX_PAINTINGS);
        self.list.class_list().toggle_with_force("several", !single).ok();
    }
}
