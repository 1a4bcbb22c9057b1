//! The result on the page: the preview canvas drawn at whole device pixels (sharp at the screen's pixel ratio, not
//! stretched by CSS), the before/after comparison with the photo (a slider, or press and hold), and the full-size
//! view (the picture at its own size, scrolled, instead of fitted to the page).

use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlButtonElement, HtmlElement, HtmlImageElement, HtmlInputElement, PointerEvent};

use super::dom::{self, on};
use super::ui::Ui;

/// A preview smaller than this (in CSS pixels) is enlarged by a whole factor, its pixels kept square and crisp.
const SMALLEST_VIEW: f64 = 256.0;

/// The elements of the comparison: the photo under the preview, the slider that uncovers it, and the full-size
/// switch.
#[derive(Clone)]
pub struct ResultView {
    pub compare: Element,
    pub before: HtmlImageElement,
    pub slider: HtmlInputElement,
    pub full_size: HtmlButtonElement,
}

/// Builds the comparison box (photo under the canvas) in `parent`, with the canvas `canvas` moved into it, and
/// its slider below.
pub fn build(parent: &Element, canvas: &Element) -> ResultView {
    let compare = dom::el(parent, "div", "compare");
    compare
        .set_attribute("title", "Press and hold to see the photo")
        .unwrap();
    let before: HtmlImageElement = dom::cast(&dom::el(&compare, "img", "before"));
    before.set_alt("The photo, before repainting");
    compare.append_child(canvas).unwrap();
    let row = dom::el(parent, "div", "result-row");
    let label = dom::el(&row, "label", "compare-slider");
    dom::text(&label, "span", "", "Before");
    let slider: HtmlInputElement = dom::cast(&dom::el(&label, "input", ""));
    slider.set_type("range");
    for (name, value) in [("min", "0"), ("max", "100"), ("step", "1")] {
        slider.set_attribute(name, value).unwrap();
    }
    slider.set_value("0");
    slider
        .set_attribute(
            "aria-label",
            "Compare with the photo: the share of the picture, from the left, showing the photo",
        )
        .unwrap();
    dom::text(&label, "span", "", "After");
    dom::set_hidden(&label, true);
    let full_size = super::ui::button(&row, "Full size", "full-size");
    full_size.set_attribute("aria-pressed", "false").unwrap();
    full_size
        .set_attribute("title", "Show the picture at its own size (scroll to see all of it)")
        .unwrap();
    let view = ResultView {
        compare,
        before,
        slider,
        full_size,
    };
    view.wire(label);
    view
}

impl ResultView {
    fn wire(&self, label: Element) {
        let compare: HtmlElement = self.compare.clone().unchecked_into();
        let slider = self.slider.clone();
        on(self.slider.as_ref(), "input", move |_: Event| {
            let _ = compare.style().set_property("--split", &format!("{}%", slider.value()));
        });
        for (event, holding) in [
            ("pointerdown", true),
            ("pointerup", false),
            ("pointerleave", false),
            ("pointercancel", false),
        ] {
            let compare = self.compare.clone();
            on(self.compare.as_ref(), event, move |_: PointerEvent| {
                compare.class_list().toggle_with_force("holding", holding).ok();
            });
        }
        let (compare, full) = (self.compare.clone(), self.full_size.clone());
        on(self.full_size.as_ref(), "click", move |_: Event| {
            let on = compare.class_list().toggle("full").unwrap_or(false);
            full.set_attribute("aria-pressed", if on { "true" } else { "false" })
                .ok();
            full.set_text_content(Some(if on { "Fit to page" } else { "Full size" }));
        });
        // the slider and Full size show once a run has begun (its photo is under the picture): before, there is
        // nothing to compare or enlarge
        let (slider_row, full) = (label, self.full_size.clone());
        dom::set_hidden(&full, true);
        on(self.before.as_ref(), "load", move |_: Event| {
            dom::set_hidden(&slider_row, false);
            full.set_hidden(false);
        });
    }
}

impl Ui {
    /// Gives the preview canvas `width` x `height` pixels and a CSS size of whole device pixels per pixel: one per
    /// pixel when that is at least SMALLEST_VIEW CSS pixels on its longer side, a whole number more otherwise (the
    /// page's width may still shrink it). The photo at `photo_url`, when given, goes under it for the comparison.
    pub fn size_preview(&self, width: u32, height: u32, photo_url: Option<&str>) {
        let canvas = &self.canvas;
        canvas.set_width(width);
        canvas.set_height(height);
        let ratio = dom::window().device_pixel_ratio().max(1.0);
        let longer = width.max(height) as f64 / ratio;
        let factor = if longer >= SMALLEST_VIEW || longer == 0.0 {
            1.0
        } else {
            (SMALLEST_VIEW / longer).ceil()
        };
        let style = canvas.style();
        let _ = style.set_property("width", &format!("{}px", width as f64 * factor / ratio));
        let _ = style.set_property("height", &format!("{}px", height as f64 * factor / ratio));
        canvas.class_list().toggle_with_force("pixelated", factor > 1.0).ok();
        if let Some(url) = photo_url {
            self.compare_with(url);
        }
    }

    /// Shows the photo at `url` under the result, for the comparison.
    pub fn compare_with(&self, url: &str) {
        if self.result.before.src() != url {
            self.result.before.set_src(url);
        }
    }
}
