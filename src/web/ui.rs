//! The page's elements, built once: drop zones, controls with their explanations, buttons, preview and progress.

use web_sys::{
    Element, HtmlButtonElement, HtmlCanvasElement, HtmlImageElement, HtmlInputElement, HtmlProgressElement,
    HtmlSelectElement,
};

use super::dom::{cast, el, text};

/// One drop zone: a thumbnail, a caption and a hidden file input.
pub struct DropZone {
    pub zone: Element,
    pub thumb: HtmlImageElement,
    pub caption: Element,
    pub input: HtmlInputElement,
}

pub struct Controls {
    pub size: HtmlInputElement,
    pub iterations: HtmlInputElement,
    pub strength: HtmlInputElement,
    pub smoothness: HtmlInputElement,
    pub learning_rate: HtmlInputElement,
    pub init: HtmlSelectElement,
    pub seed: HtmlInputElement,
}

pub struct Ui {
    pub root: Element,
    pub gpu_info: Element,
    pub alert: Element,
    pub alert_text: Element,
    pub alert_action: HtmlButtonElement,
    pub content: DropZone,
    pub style: DropZone,
    pub weights_box: Element,
    pub weights_progress: HtmlProgressElement,
    pub weights_text: Element,
    pub weights_input: HtmlInputElement,
    pub controls: Controls,
    pub start: HtmlButtonElement,
    pub pause: HtmlButtonElement,
    pub stop: HtmlButtonElement,
    pub download: HtmlButtonElement,
    pub canvas: HtmlCanvasElement,
    pub progress: HtmlProgressElement,
    pub stats: Element,
}

fn drop_zone(parent: &Element, kind: &str, title: &str) -> DropZone {
    let zone = el(parent, "div", "drop");
    zone.set_attribute("data-kind", kind).unwrap();
    zone.set_attribute("tabindex", "0").unwrap();
    zone.set_attribute("role", "button").unwrap();
    zone.set_attribute(
        "aria-label",
        &format!("{title}: drop an image, click to choose one, or paste"),
    )
    .unwrap();
    text(&zone, "h2", "", title);
    let thumb: HtmlImageElement = cast(&el(&zone, "img", "thumb"));
    thumb.set_alt(title);
    let caption = text(&zone, "p", "caption", "Drop an image here, click to choose, or paste");
    let input: HtmlInputElement = cast(&el(&zone, "input", ""));
    input.set_type("file");
    input.set_accept("image/*");
    input.set_hidden(true);
    DropZone {
        zone,
        thumb,
        caption,
        input,
    }
}

fn input(
    parent: &Element,
    label: &str,
    help: &str,
    kind: &str,
    value: &str,
    attrs: &[(&str, &str)],
) -> HtmlInputElement {
    let row = el(parent, "label", "control");
    text(&row, "span", "name", label);
    let i: HtmlInputElement = cast(&el(&row, "input", ""));
    i.set_type(kind);
    for (k, v) in attrs {
        i.set_attribute(k, v).unwrap();
    }
    i.set_value(value);
    text(&row, "small", "help", help);
    i
}

fn button(parent: &Element, label: &str, class: &str) -> HtmlButtonElement {
    let b: HtmlButtonElement = cast(&text(parent, "button", class, label));
    b.set_type("button");
    b
}

impl Ui {
    pub fn build(root: &Element) -> Ui {
        root.set_inner_html("");
        let header = el(root, "header", "");
        text(&header, "h1", "", "Artsy");
        text(
            &header,
            "p",
            "tagline",
            "Repaint a photo in the style of a painting, on your own GPU. Nothing leaves your computer.",
        );
        let gpu_info = text(root, "p", "gpu", "Looking for a GPU ...");
        gpu_info.set_attribute("role", "status").unwrap();

        let alert = el(root, "div", "alert");
        alert.set_attribute("role", "alert").unwrap();
        let alert_text = el(&alert, "span", "");
        let alert_action = button(&alert, "Restart", "secondary");
        alert_action.set_hidden(true);
        super::dom::set_hidden(&alert, true);

        let inputs = el(root, "section", "inputs");
        let content = drop_zone(&inputs, "content", "Photo");
        let style = drop_zone(&inputs, "style", "Painting");

        let weights_box = el(root, "section", "weights");
        let weights_text = text(&weights_box, "span", "", "VGG19 weights: loading ...");
        let weights_progress: HtmlProgressElement = cast(&el(&weights_box, "progress", ""));
        weights_progress.set_max(1.0);
        let weights_input: HtmlInputElement = cast(&el(&weights_box, "input", ""));
        weights_input.set_type("file");
        weights_input.set_accept(".safetensors");
        weights_input.set_hidden(true);

        let panel = el(root, "section", "controls");
        let controls = Controls {
            size: input(
                &panel,
                "Output size",
                "Longer side in pixels. Bigger is slower: time grows with the pixel count.",
                "number",
                "512",
                &[("min", "64"), ("max", "2048"), ("step", "32")],
            ),
            iterations: input(
                &panel,
                "Iterations",
                "Optimisation steps; 300 to 500 give a finished picture.",
                "number",
                "500",
                &[("min", "1"), ("max", "5000")],
            ),
            strength: input(
                &panel,
                "Style strength",
                "Balance of the painting's style against the photo's structure.",
                "range",
                "50",
                &[("min", "0"), ("max", "100")],
            ),
            smoothness: input(
                &panel,
                "Smoothness",
                "Total-variation weight: higher removes fine noise, lower keeps crisp strokes.",
                "range",
                "50",
                &[("min", "0"), ("max", "100")],
            ),
            learning_rate: input(
                &panel,
                "Learning rate",
                "How far each step moves the pixels (0.005 to 0.05).",
                "number",
                "0.02",
                &[("min", "0.001"), ("max", "0.2"), ("step", "0.001")],
            ),
            init: {
                let row = el(&panel, "label", "control");
                text(&row, "span", "name", "Start from");
                let s: HtmlSelectElement = cast(&el(&row, "select", ""));
                s.set_inner_html("<option value=\"content\">the photo</option><option value=\"noise\">noise</option>");
                text(
                    &row,
                    "small",
                    "help",
                    "The photo keeps its structure best; noise gives more varied results.",
                );
                s
            },
            seed: input(
                &panel,
                "Seed",
                "Which noise to start from (with \"noise\").",
                "number",
                "0",
                &[("min", "0")],
            ),
        };

        let actions = el(root, "section", "actions");
        let start = button(&actions, "Start", "primary");
        let pause = button(&actions, "Pause", "");
        let stop = button(&actions, "Stop", "");
        let download = button(&actions, "Download PNG", "");
        pause.set_disabled(true);
        stop.set_disabled(true);
        download.set_disabled(true);

        let output = el(root, "section", "output");
        let canvas: HtmlCanvasElement = cast(&el(&output, "canvas", "preview"));
        canvas.set_width(0);
        canvas.set_height(0);
        let progress: HtmlProgressElement = cast(&el(&output, "progress", ""));
        progress.set_max(1.0);
        progress.set_value(0.0);
        let stats = text(&output, "p", "stats", "");
        stats.set_attribute("aria-live", "polite").unwrap();

        Ui {
            root: root.clone(),
            gpu_info,
            alert,
            alert_text,
            alert_action,
            content,
            style,
            weights_box,
            weights_progress,
            weights_text,
            weights_input,
            controls,
            start,
            pause,
            stop,
            download,
            canvas,
            progress,
            stats,
        }
    }

    /// Shows a message the user can act on; `action` labels the button that offers the fix, if any.
    pub fn show_error(&self, message: &str, action: Option<&str>) {
        self.alert_text.set_text_content(Some(message));
        match action {
            Some(label) => {
                self.alert_action.set_text_content(Some(label));
                self.alert_action.set_hidden(false);
            }
            None => self.alert_action.set_hidden(true),
        }
        super::dom::set_hidden(&self.alert, false);
    }

    pub fn clear_error(&self) {
        super::dom::set_hidden(&self.alert, true);
    }
}
