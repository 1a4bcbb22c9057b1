//! The live filter section's elements, built once: the training settings and the button that makes a live filter,
//! and the live camera (filter and size choices, start, snapshot, stop, frame rate, its canvas and camera view).

use web_sys::{Element, HtmlButtonElement, HtmlCanvasElement, HtmlInputElement, HtmlSelectElement, HtmlVideoElement};

use super::dom::{cast, el, name_and_describe, text};
use super::live_filter::browser_defaults;
use super::ui::button;
use crate::filter_net::WIDTHS;
use crate::training::limits;

/// The camera sizes offered, (width, height); the first is the default.
pub const LIVE_SIZES: [(u32, u32); 3] = [(640, 480), (320, 240), (1280, 720)];
/// What the live filter choice shows while the gallery holds no filter with a network.
pub const NO_LIVE_FILTER: &str = "none yet";

pub struct LivePanel {
    pub section: Element,
    pub steps: HtmlInputElement,
    pub crop: HtmlInputElement,
    pub batch: HtmlInputElement,
    pub width: HtmlSelectElement,
    pub make: HtmlButtonElement,
    pub filter: HtmlSelectElement,
    pub size: HtmlSelectElement,
    pub start: HtmlButtonElement,
    pub snapshot: HtmlButtonElement,
    pub stop: HtmlButtonElement,
    pub fps: Element,
    pub message: Element,
    pub canvas: HtmlCanvasElement,
    pub video: HtmlVideoElement,
}

fn number(parent: &Element, label: &str, help: &str, value: u32, range: (u32, u32), step: u32) -> HtmlInputElement {
    let row = el(parent, "label", "control");
    let name = text(&row, "span", "name", label);
    let i: HtmlInputElement = cast(&el(&row, "input", ""));
    i.set_type("number");
    i.set_min(&range.0.to_string());
    i.set_max(&range.1.to_string());
    i.set_step(&step.to_string());
    i.set_value(&value.to_string());
    let help = text(&row, "small", "help", help);
    name_and_describe(&i, &name, Some(&help));
    i
}

fn select(parent: &Element, label: &str, class: &str, options: &[(String, String)]) -> HtmlSelectElement {
    let row = el(parent, "label", "control");
    let name = text(&row, "span", "name", label);
    let s: HtmlSelectElement = cast(&el(&row, "select", class));
    for (value, shown) in options {
        let o = text(s.as_ref(), "option", "", shown);
        o.set_attribute("value", value).unwrap();
    }
    name_and_describe(&s, &name, None);
    s
}

pub fn build(root: &Element) -> LivePanel {
    let d = browser_defaults();
    let section = el(root, "section", "live");
    text(&section, "h2", "", "Live filter");
    text(
        &section,
        "p",
        "help",
        "Train a small network on your GPU to paint like the painting(s) above, once; then it repaints any photo at \
         once and your camera live. It learns from the sample photos and your photo, with the settings above. \
         Pause and Stop work as for a picture; a filter stopped early is kept and works, just less polished.",
    );
    let form = el(&section, "div", "live-train");
    let steps = number(
        &form,
        "Training steps",
        "More steps, a more faithful filter.",
        d.steps,
        (*limits::STEPS.start(), *limits::STEPS.end()),
        1,
    );
    let crop = number(
        &form,
        "Crop size",
        "Side of the photo pieces it learns from (px, a multiple of 4).",
        d.crop,
        (*limits::CROP.start(), *limits::CROP.end()),
        4,
    );
    let batch = number(
        &form,
        "Batch",
        "Pieces per step.",
        d.batch,
        (*limits::BATCH.start(), *limits::BATCH.end()),
        1,
    );
    let widths: Vec<(String, String)> = WIDTHS
        .iter()
        .map(|w| (w.to_string(), format!("{w} channels")))
        .collect();
    let width = select(&form, "Network width", "live-width", &widths);
    width.set_value(&d.width.to_string());
    let make = button(&form, "Make live filter", "primary make-live");

    let camera = el(&section, "div", "live-camera");
    let row = el(&camera, "div", "live-controls");
    let filter = select(&row, "Filter", "live-filter", &[(String::new(), NO_LIVE_FILTER.into())]);
    filter.set_disabled(true);
    let sizes: Vec<(String, String)> = LIVE_SIZES
        .iter()
        .map(|(w, h)| (format!("{w}x{h}"), format!("{w} × {h}")))
        .collect();
    let size = select(&row, "Size", "live-size", &sizes);
    // the three buttons wrap as one group, never leaving one alone on a line
    let buttons = el(&row, "div", "live-buttons");
    let start = button(&buttons, "Live camera", "primary live-start");
    let snapshot = button(&buttons, "Snapshot", "live-snapshot");
    let stop = button(&buttons, "Stop camera", "live-stop");
    start.set_disabled(true);
    snapshot.set_disabled(true);
    stop.set_disabled(true);
    let fps = text(&row, "span", "live-fps", "");
    let message = text(
        &camera,
        "p",
        "live-message",
        "Make a live filter (or import one) to use it on the camera.",
    );
    let view = el(&camera, "div", "live-view");
    let canvas: HtmlCanvasElement = cast(&el(&view, "canvas", "live-canvas"));
    canvas.set_width(0);
    canvas.set_height(0);
    let video: HtmlVideoElement = cast(&el(&view, "video", "live-video"));
    video.set_attribute("aria-label", "The camera's own picture").unwrap();
    super::dom::set_hidden(&view, true);
    LivePanel {
        section,
        steps,
        crop,
        batch,
        width,
        make,
        filter,
        size,
        start,
        snapshot,
        stop,
        fps,
        message,
        canvas,
        video,
    }
}
