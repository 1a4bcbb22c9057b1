//! The page's elements, built once: drop zones, the camera panel, controls with their explanations, the advanced
//! settings, buttons, preview, progress and the filter gallery. Painting slots come and go: see paintings.rs; the
//! live filter section is live_ui.rs.

use std::fmt::Display;
use std::ops::RangeInclusive;

use web_sys::{
    Element, HtmlButtonElement, HtmlCanvasElement, HtmlImageElement, HtmlInputElement, HtmlProgressElement,
    HtmlSelectElement, HtmlVideoElement,
};

use super::dom::{cast, el, name_and_describe, text};
use crate::params::{InitKind, limits};
use crate::vgg::Layer;
use crate::{Optimizer, Params, Pooling};

/// One drop zone: a thumbnail, a caption and a hidden file input.
#[derive(Clone)]
pub struct DropZone {
    pub zone: Element,
    pub thumb: HtmlImageElement,
    pub caption: Element,
    pub input: HtmlInputElement,
}

/// One row of the layer table: whether the layer is a content and/or a style layer, and with which weight.
pub struct LayerRow {
    pub layer: Layer,
    pub content: HtmlInputElement,
    pub content_weight: HtmlInputElement,
    pub style: HtmlInputElement,
    pub style_weight: HtmlInputElement,
}

impl LayerRow {
    /// Greys out the weight of a use (content, style) that is switched off.
    pub fn enable_weights(&self) {
        self.content_weight.set_disabled(!self.content.checked());
        self.style_weight.set_disabled(!self.style.checked());
    }
}

pub struct Controls {
    pub size: HtmlInputElement,
    pub size_help: Element,
    pub iterations: HtmlInputElement,
    pub strength: HtmlInputElement,
    pub smoothness: HtmlInputElement,
    pub style_scale: HtmlInputElement,
    pub style_scale_value: Element,
    pub optimizer: HtmlSelectElement,
    pub multiscale: HtmlInputElement,
    pub original_colors: HtmlInputElement,
}

pub struct Advanced {
    /// Puts every setting back to its default (and forgets those kept for the next visit).
    pub reset: HtmlButtonElement,
    pub pooling: HtmlSelectElement,
    /// One row per layer the engine offers, in network order.
    pub layers: Vec<LayerRow>,
    pub content_weight: HtmlInputElement,
    pub style_weight: HtmlInputElement,
    pub tv_weight: HtmlInputElement,
    pub learning_rate: HtmlInputElement,
    pub multiscale_start: HtmlInputElement,
    pub init: HtmlSelectElement,
    pub seed: HtmlInputElement,
}

pub struct CameraPanel {
    pub open: HtmlButtonElement,
    pub panel: Element,
    pub video: HtmlVideoElement,
    pub message: Element,
    pub take: HtmlButtonElement,
    pub cancel: HtmlButtonElement,
}

pub struct Gallery {
    pub section: Element,
    pub name: HtmlInputElement,
    pub save: HtmlButtonElement,
    pub import: HtmlButtonElement,
    pub import_input: HtmlInputElement,
    pub note: Element,
    pub cards: Element,
}

pub struct Ui {
    pub root: Element,
    pub gpu_info: Element,
    pub alert: Element,
    pub alert_text: Element,
    pub alert_action: HtmlButtonElement,
    pub content: DropZone,
    pub camera: CameraPanel,
    pub paintings: Element,
    pub add_painting: HtmlButtonElement,
    pub weights_box: Element,
    pub weights_progress: HtmlProgressElement,
    pub weights_text: Element,
    pub weights_input: HtmlInputElement,
    pub controls: Controls,
    pub advanced: Advanced,
    /// The sections holding the settings (the main ones and the advanced ones).
    pub settings_panels: [Element; 2],
    pub start: HtmlButtonElement,
    pub pause: HtmlButtonElement,
    pub stop: HtmlButtonElement,
    pub download: HtmlButtonElement,
    /// How long a run would take, beside Start.
    pub estimate: Element,
    pub canvas: HtmlCanvasElement,
    /// The comparison of the result with the photo.
    pub result: super::result_view::ResultView,
    pub progress: HtmlProgressElement,
    pub stats: Element,
    pub live: super::live_ui::LivePanel,
    pub gallery: Gallery,
}

/// A drop zone for `kind` ("content" or "style") titled `title`, appended to `parent`.
pub fn drop_zone(parent: &Element, kind: &str, title: &str) -> DropZone {
    let zone = el(parent, "div", "drop");
    zone.set_attribute("data-kind", kind).unwrap();
    zone.set_attribute("tabindex", "0").unwrap();
    zone.set_attribute("role", "button").unwrap();
    // Named by what it shows (its title and caption: a button's name comes from its text, so the spoken name is the
    // visible one), described by what it does.
    text(&zone, "h2", "", title);
    let thumb: HtmlImageElement = cast(&el(&zone, "img", "thumb"));
    thumb.set_alt(""); // the caption names the picture
    let caption = text(&zone, "p", "caption", "Drop an image here, click to choose, or paste");
    zone.set_attribute("title", "Drop an image, press Enter or click to choose one, or paste")
        .unwrap();
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

/// The `min` and `max` attributes of an input for the engine's `range`.
fn limit<T: Display>(range: &RangeInclusive<T>) -> [(&'static str, String); 2] {
    [("min", range.start().to_string()), ("max", range.end().to_string())]
}

/// The options of a `<select>` for every value of a settings type: its token as the value, its label as the text.
fn choices<T: Display>(all: &[T], label: impl Fn(&T) -> &'static str) -> Vec<(String, &'static str)> {
    all.iter().map(|v| (v.to_string(), label(v))).collect()
}

fn input(
    parent: &Element,
    label: &str,
    help: &str,
    kind: &str,
    value: &str,
    attrs: &[(&str, String)],
) -> HtmlInputElement {
    let row = el(parent, "label", "control");
    let name = text(&row, "span", "name", label);
    let i: HtmlInputElement = cast(&el(&row, "input", ""));
    i.set_type(kind);
    for (k, v) in attrs {
        i.set_attribute(k, v).unwrap();
    }
    i.set_value(value);
    let help = text(&row, "small", "help", help);
    name_and_describe(&i, &name, Some(&help));
    i
}

/// A checkbox with its label and a line of help.
fn checkbox(parent: &Element, label: &str, help: &str, name: &str) -> HtmlInputElement {
    let row = el(parent, "label", "control check");
    let i: HtmlInputElement = cast(&el(&row, "input", ""));
    i.set_type("checkbox");
    i.set_name(name);
    let name = text(&row, "span", "name", label);
    let help = text(&row, "small", "help", help);
    name_and_describe(&i, &name, Some(&help));
    i
}

fn select(parent: &Element, label: &str, help: &str, options: &[(String, &str)]) -> HtmlSelectElement {
    let row = el(parent, "label", "control");
    let name = text(&row, "span", "name", label);
    let s: HtmlSelectElement = cast(&el(&row, "select", ""));
    for (value, shown) in options {
        let o = text(s.as_ref(), "option", "", shown);
        o.set_attribute("value", value).unwrap();
    }
    let help = text(&row, "small", "help", help);
    name_and_describe(&s, &name, Some(&help));
    s
}

pub fn button(parent: &Element, label: &str, class: &str) -> HtmlButtonElement {
    let b: HtmlButtonElement = cast(&text(parent, "button", class, label));
    b.set_type("button");
    b
}

/// A small number input for a layer weight.
fn weight_input(parent: &Element, label: &str) -> HtmlInputElement {
    let i: HtmlInputElement = cast(&el(parent, "input", "weight"));
    i.set_type("number");
    for (k, v) in limit(&limits::LAYER_WEIGHT) {
        i.set_attribute(k, &v).unwrap();
    }
    i.set_attribute("step", "0.1").unwrap();
    i.set_attribute("aria-label", label).unwrap();
    i.set_value("1");
    i
}

/// Appends a row for `layer` to the layer table body.
fn layer_row(body: &Element, layer: Layer) -> LayerRow {
    let name = layer.name();
    let tr = el(body, "tr", "");
    tr.set_attribute("data-layer", name).unwrap();
    text(&tr, "th", "", name);
    let cell = el(&tr, "td", "");
    let content: HtmlInputElement = cast(&el(&cell, "input", "content"));
    content.set_type("checkbox");
    content
        .set_attribute("aria-label", &format!("{name} as a content layer"))
        .unwrap();
    let content_weight = weight_input(&cell, &format!("weight of {name} as a content layer"));
    let cell = el(&tr, "td", "");
    let style: HtmlInputElement = cast(&el(&cell, "input", "style"));
    style.set_type("checkbox");
    style
        .set_attribute("aria-label", &format!("{name} as a style layer"))
        .unwrap();
    let style_weight = weight_input(&cell, &format!("weight of {name} as a style layer"));
    LayerRow {
        layer,
        content,
        content_weight,
        style,
        style_weight,
    }
}

fn build_controls(panel: &Element) -> Controls {
    let d = Params::default();
    let size = input(
        panel,
        "Output size",
        "Longer side in pixels. Bigger is slower: time grows with the pixel count.",
        "number",
        &d.size.to_string(),
        &[
            limit(&limits::SIZE).as_slice(),
            &[("step", limits::SIZE.start().to_string())],
        ]
        .concat(),
    );
    let size_help = size.parent_element().unwrap().last_element_child().unwrap();
    let iterations = input(
        panel,
        "Iterations",
        "Optimisation steps; 300 to 500 give a finished picture.",
        "number",
        &d.iterations.to_string(),
        &limit(&limits::ITERATIONS),
    );
    let strength = input(
        panel,
        "Style strength",
        "Balance of the painting's style against the photo's structure.",
        "range",
        "50",
        &[("min", "0".into()), ("max", "100".into())],
    );
    let smoothness = input(
        panel,
        "Smoothness",
        "Total-variation weight: higher removes fine noise, lower keeps crisp strokes.",
        "range",
        "50",
        &[("min", "0".into()), ("max", "100".into())],
    );
    let style_scale = input(
        panel,
        "Style scale",
        "The size at which the painting is read: smaller carries its big shapes (stars, swirls) over as bold \
         motifs, larger picks up its individual brush strokes.",
        "range",
        &d.style_scale.to_string(),
        &[limit(&limits::STYLE_SCALE).as_slice(), &[("step", "0.05".into())]].concat(),
    );
    let style_scale_value = text(&style_scale.parent_element().unwrap(), "output", "value", "1.00×");
    style_scale
        .parent_element()
        .unwrap()
        .insert_before(&style_scale_value, style_scale.next_sibling().as_ref())
        .unwrap();
    let optimizer = select(
        panel,
        "Optimizer",
        "L-BFGS uses curvature and gets further in the same time; Adam takes steady small steps.",
        &choices(&Optimizer::ALL, |o| o.label()),
    );
    let multiscale = checkbox(
        panel,
        "Coarse to fine",
        "Paint at smaller sizes first, then refine: bolder strokes, faster at large sizes.",
        "multiscale",
    );
    let original_colors = checkbox(
        panel,
        "Keep the photo's colours",
        "Take the painting's strokes and texture, but keep the photo's own colours.",
        "original_colors",
    );
    Controls {
        size,
        size_help,
        iterations,
        strength,
        smoothness,
        style_scale,
        style_scale_value,
        optimizer,
        multiscale,
        original_colors,
    }
}

fn build_advanced(root: &Element) -> Advanced {
    let details = el(root, "details", "advanced");
    text(&details, "summary", "", "Advanced settings");
    let body = el(&details, "div", "advanced-body");
    let d = Params::default();
    let left = el(&body, "div", "advanced-column");
    let pooling = select(
        &left,
        "Pooling",
        "How VGG19 shrinks its feature maps: max keeps sharp detail, average gives softer, smoother results.",
        &choices(&Pooling::ALL, |p| p.label()),
    );
    let content_weight = input(
        &left,
        "Content weight",
        "How much the photo's structure counts.",
        "number",
        &d.content_weight.to_string(),
        &[limit(&limits::CONTENT_WEIGHT).as_slice(), &[("step", "any".into())]].concat(),
    );
    let style_weight = input(
        &left,
        "Style weight",
        "How much the painting's style counts (the style strength slider sets this too).",
        "number",
        &d.style_weight.to_string(),
        &[limit(&limits::STYLE_WEIGHT).as_slice(), &[("step", "any".into())]].concat(),
    );
    let tv_weight = input(
        &left,
        "Smoothness weight",
        "Total-variation weight (the smoothness slider sets this too).",
        "number",
        &d.tv_weight.to_string(),
        &[limit(&limits::TV_WEIGHT).as_slice(), &[("step", "any".into())]].concat(),
    );
    let learning_rate = input(
        &left,
        "Learning rate",
        "How far each Adam step moves the pixels (0.005 to 0.05); L-BFGS ignores it.",
        "number",
        &d.learning_rate.to_string(),
        &[limit(&limits::LEARNING_RATE).as_slice(), &[("step", "any".into())]].concat(),
    );
    let multiscale_start = input(
        &left,
        "Coarsest size",
        "Where coarse to fine starts: the output size is halved while the half is at least this (px).",
        "number",
        &d.multiscale_start.to_string(),
        &[
            limit(&limits::MULTISCALE_START).as_slice(),
            &[("step", limits::MULTISCALE_START.start().to_string())],
        ]
        .concat(),
    );
    let init = select(
        &left,
        "Start from",
        "The photo keeps its structure best; noise gives more varied results.",
        &choices(&InitKind::ALL, |k| k.label()),
    );
    let seed = input(
        &left,
        "Seed",
        "Which noise to start from (when starting from noise).",
        "number",
        "0",
        &[("min", "0".into())],
    );
    let reset = button(&left, "Reset all settings", "reset-settings");
    reset.set_title("Put every setting back to its default (settings are kept in this browser for your next visit)");
    let right = el(&body, "div", "advanced-column");
    text(&right, "h3", "", "Layers");
    text(
        &right,
        "p",
        "help",
        "Which VGG19 layers compare the picture with the photo (content) and with the painting (style), and how \
         much each counts. Deeper layers see larger shapes.",
    );
    let table = el(&right, "table", "layers");
    table.set_inner_html("<thead><tr><th>Layer</th><th>Content</th><th>Style</th></tr></thead>");
    let layers_body = el(&table, "tbody", "");
    let layers = Layer::ALL
        .into_iter()
        .map(|layer| layer_row(&layers_body, layer))
        .collect();
    Advanced {
        reset,
        pooling,
        layers,
        content_weight,
        style_weight,
        tv_weight,
        learning_rate,
        multiscale_start,
        init,
        seed,
    }
}

fn build_camera(parent: &Element) -> CameraPanel {
    let tools = el(parent, "div", "source-tools");
    let open = button(&tools, "Use camera", "camera-open");
    open.set_title("Take the photo with your camera");
    let panel = el(parent, "div", "camera");
    panel.set_attribute("role", "dialog").unwrap();
    panel.set_attribute("aria-label", "Camera").unwrap();
    let video: HtmlVideoElement = cast(&el(&panel, "video", ""));
    let message = text(&panel, "p", "camera-message", "Starting the camera ...");
    let row = el(&panel, "div", "camera-actions");
    let take = button(&row, "Take photo", "primary");
    let cancel = button(&row, "Cancel", "");
    take.set_disabled(true);
    super::dom::set_hidden(&panel, true);
    CameraPanel {
        open,
        panel,
        video,
        message,
        take,
        cancel,
    }
}

fn build_gallery(root: &Element) -> Gallery {
    let section = el(root, "section", "filters");
    let head = el(&section, "div", "filters-head");
    text(&head, "h2", "", "Filters");
    text(
        &head,
        "p",
        "help",
        "A filter keeps the paintings, their blend and every setting, to repaint any photo the same way with one \
         click, at the output size set above (the largest that fits depends on the photo and this GPU). Filters \
         stay in this browser; export one to share it.",
    );
    let form = el(&section, "div", "filters-form");
    let name: HtmlInputElement = cast(&el(&form, "input", "filter-name"));
    name.set_type("text");
    name.set_placeholder("Name this filter");
    name.set_max_length(80);
    name.set_attribute("aria-label", "Filter name").unwrap();
    let save = button(&form, "Save as filter", "save-filter");
    let import = button(&form, "Import filter ...", "import-filter");
    let import_input: HtmlInputElement = cast(&el(&form, "input", ""));
    import_input.set_type("file");
    import_input.set_accept(".json,application/json");
    import_input.set_hidden(true);
    let note = text(&section, "p", "gallery-note", "");
    let cards = el(&section, "div", "gallery");
    Gallery {
        section,
        name,
        save,
        import,
        import_input,
        note,
        cards,
    }
}

/// An engine message ("the size must be ...") as a sentence for the page: capitalised, with a full stop.
pub fn sentence(message: &str) -> String {
    let mut chars = message.trim_end_matches('.').chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
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
        // the message stays in view as the page scrolls (style.css): it can be put away
        let dismiss = button(&alert, "\u{d7}", "dismiss");
        dismiss.set_attribute("aria-label", "Dismiss this message").unwrap();
        dismiss.set_title("Dismiss this message");
        let shown = alert.clone();
        super::dom::on(dismiss.as_ref(), "click", move |_: web_sys::Event| {
            super::dom::set_hidden(&shown, true)
        });
        super::dom::set_hidden(&alert, true);

        let inputs = el(root, "section", "inputs");
        let photo_column = el(&inputs, "div", "column photo-column");
        let content = drop_zone(&photo_column, "content", "Photo");
        let camera = build_camera(&photo_column);
        let painting_column = el(&inputs, "div", "column painting-column");
        let paintings = el(&painting_column, "div", "paintings");
        let add_painting = button(&painting_column, "+ Add another painting", "add-painting");
        add_painting.set_title("Blend the styles of several paintings");

        let weights_box = el(root, "section", "weights");
        let weights_text = text(&weights_box, "span", "", "VGG19 weights: loading ...");
        weights_text.set_attribute("role", "status").unwrap();
        let weights_progress: HtmlProgressElement = cast(&el(&weights_box, "progress", ""));
        weights_progress
            .set_attribute("aria-label", "VGG19 weights downloaded")
            .unwrap();
        weights_progress.set_max(1.0);
        let weights_input: HtmlInputElement = cast(&el(&weights_box, "input", ""));
        weights_input.set_type("file");
        weights_input.set_accept(".safetensors");
        weights_input.set_hidden(true);

        let controls_panel = el(root, "section", "controls");
        let controls = build_controls(&controls_panel);
        let advanced = build_advanced(root);
        let settings_panels = [
            controls_panel,
            root.last_element_child().expect("the advanced settings"),
        ];

        let actions = el(root, "section", "actions");
        let start = button(&actions, "Start", "primary");
        let pause = button(&actions, "Pause", "");
        let stop = button(&actions, "Stop", "");
        let download = button(&actions, "Download PNG", "");
        let estimate = text(&actions, "span", "estimate", "");
        pause.set_disabled(true);
        stop.set_disabled(true);
        download.set_disabled(true);

        let output = el(root, "section", "output");
        let canvas: HtmlCanvasElement = cast(&el(&output, "canvas", "preview"));
        let result = super::result_view::build(&output, &canvas);
        canvas.set_attribute("role", "img").unwrap();
        canvas.set_attribute("aria-label", "The repainted photo").unwrap();
        canvas.set_width(0);
        canvas.set_height(0);
        let progress: HtmlProgressElement = cast(&el(&output, "progress", ""));
        progress.set_attribute("aria-label", "Run progress").unwrap();
        progress.set_max(1.0);
        progress.set_value(0.0);
        let stats = text(&output, "p", "stats", "");
        stats.set_attribute("role", "status").unwrap();
        stats.set_attribute("aria-live", "polite").unwrap();

        let live = super::live_ui::build(root);
        let gallery = build_gallery(root);

        Ui {
            root: root.clone(),
            gpu_info,
            alert,
            alert_text,
            alert_action,
            content,
            camera,
            paintings,
            add_painting,
            weights_box,
            weights_progress,
            weights_text,
            weights_input,
            controls,
            advanced,
            settings_panels,
            start,
            pause,
            stop,
            download,
            estimate,
            canvas,
            result,
            progress,
            stats,
            live,
            gallery,
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
