//! The settings controls and engine Params, both ways: reading the page into Params (the engine's `validate` gives
//! the messages for values out of range), writing Params back (when a filter is applied), the sliders kept in step
//! with the advanced numbers, and the size control capped by what this GPU allows. The controls' option lists and
//! limits are the engine's (ui.rs builds them from params::limits and the settings types' ALL).

use std::str::FromStr;

use web_sys::{Event, HtmlInputElement, HtmlSelectElement};

use super::app::App;
use super::dom::{local_storage, on};
use super::ui::{LayerRow, sentence};
use crate::params::{InitKind, limits};
use crate::vgg::Layer;
use crate::{Error, Optimizer, Params, Session};

/// Sliders are logarithmic around the defaults: 50 is the default weight, each 25 is a factor of 10.
fn slider_to_weight(slider: f64, default: f32) -> f32 {
    default * 10f32.powf(((slider - 50.0) / 25.0) as f32)
}

fn weight_to_slider(weight: f32, default: f32) -> f64 {
    if weight <= 0.0 {
        return 0.0;
    }
    (50.0 + 25.0 * (weight / default).log10() as f64).clamp(0.0, 100.0)
}

/// A number typed into `input`, or a message naming `what`.
fn number(input: &HtmlInputElement, what: &str) -> Result<f64, String> {
    input
        .value()
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        // (a number field whose text is not a number reads as empty)
        .ok_or_else(|| format!("{what} must be a number: the field is empty or holds something else."))
}

/// A whole number >= 0 typed into `input`, or a message naming `what` (its range is the engine's to check).
pub(super) fn whole<T: TryFrom<u64>>(input: &HtmlInputElement, what: &str) -> Result<T, String> {
    let v = number(input, what)?;
    if v < 0.0 {
        return Err(format!("{what} cannot be negative ({v})."));
    }
    Some(v)
        .filter(|v| v.fract() == 0.0 && *v <= u64::MAX as f64)
        .and_then(|v| T::try_from(v as u64).ok())
        .ok_or_else(|| format!("{what} must be a whole number, not {v}."))
}

/// The value of a `<select>` listing a settings type (its options are the type's tokens).
fn choice<T: FromStr<Err = Error>>(select: &HtmlSelectElement) -> Result<T, String> {
    select.value().parse().map_err(|e: Error| sentence(&e.to_string()))
}

/// A layer's weight fields are live only while the layer is in use.
fn wire_layer_row(row: &LayerRow) {
    for (check, weight) in [(&row.content, &row.content_weight), (&row.style, &row.style_weight)] {
        let (c, w) = (check.clone(), weight.clone());
        on(check.as_ref(), "change", move |_: Event| w.set_disabled(!c.checked()));
    }
}

/// A short, readable form of a weight for a number field ("500", "0.02", "1e-5").
fn shown(v: f32) -> String {
    let s = format!("{v}");
    if s.len() > 10 { format!("{v:.3e}") } else { s }
}

/// Where this browser keeps the settings last chosen (as JSON `Params`), so that a reload or a later visit starts
/// from them.
const KEPT_SETTINGS: &str = "artsy-settings";

impl App {
    /// Keeps the settings shown (when the engine accepts them) for the next visit.
    fn keep_settings(&self) {
        if let (Ok(params), Some(storage)) = (self.params(), local_storage())
            && let Ok(json) = serde_json::to_string(&params)
        {
            let _ = storage.set_item(KEPT_SETTINGS, &json);
        }
    }

    /// Shows the settings an earlier visit kept, if there are any and the engine accepts them (others are
    /// forgotten).
    pub fn restore_settings(&self) {
        let Some(storage) = local_storage() else { return };
        let Ok(Some(json)) = storage.get_item(KEPT_SETTINGS) else {
            return;
        };
        match serde_json::from_str::<Params>(&json) {
            Ok(params) if params.validate().is_ok() => self.apply_params(&params),
            _ => {
                let _ = storage.remove_item(KEPT_SETTINGS);
            }
        }
    }

    /// Back to the defaults (with the size this GPU suggests), and the kept settings forgotten.
    pub fn reset_settings(&self) {
        if let Some(storage) = local_storage() {
            let _ = storage.remove_item(KEPT_SETTINGS);
        }
        self.apply_params(&Params::default());
        if let Some(size) = self.suggested_size.get() {
            self.suggest_size(size);
        }
        self.update_size_limit();
        self.ui.clear_error();
        self.show_estimate();
    }

    /// Reads the controls into engine parameters. `Params::validate` checks every range (its message names the
    /// range); the page adds only what the engine cannot know: the largest size this GPU allows for this photo.
    pub fn params(&self) -> Result<Params, String> {
        let c = &self.ui.controls;
        let a = &self.ui.advanced;
        let size: u32 = whole(&c.size, "Output size")?;
        if let Some(largest) = self.largest_size()
            && !(*limits::SIZE.start()..=largest).contains(&size)
        {
            return Err(format!(
                "Output size must be between {} px and {largest} px (the most this GPU allows for this photo), not \
                 {size} px.",
                limits::SIZE.start()
            ));
        }
        let mut content_layers = Vec::new();
        let mut style_layers = Vec::new();
        for row in &a.layers {
            if row.content.checked() {
                let w = number(&row.content_weight, &format!("The content weight of {}", row.layer))?;
                content_layers.push((row.layer, w as f32));
            }
            if row.style.checked() {
                let w = number(&row.style_weight, &format!("The style weight of {}", row.layer))?;
                style_layers.push((row.layer, w as f32));
            }
        }
        let init: InitKind = choice(&a.init)?;
        let seed = match init {
            InitKind::Noise => whole(&a.seed, "Seed")?,
            InitKind::Content => 0,
        };
        let params = Params {
            size,
            iterations: whole(&c.iterations, "Iterations")?,
            content_weight: number(&a.content_weight, "Content weight")? as f32,
            style_weight: number(&a.style_weight, "Style weight")? as f32,
            tv_weight: number(&a.tv_weight, "Smoothness weight")? as f32,
            learning_rate: number(&a.learning_rate, "Learning rate")? as f32,
            content_layers,
            style_layers,
            optimizer: choice(&c.optimizer)?,
            init: init.with_seed(seed),
            pooling: choice(&a.pooling)?,
            style_scale: number(&c.style_scale, "Style scale")? as f32,
            multiscale: c.multiscale.checked(),
            multiscale_start: whole(&a.multiscale_start, "Coarsest size")?,
            original_colors: c.original_colors.checked(),
        };
        params.validate().map_err(|e| sentence(&e.to_string()))?;
        Ok(params)
    }

    /// The output size the page shows now, if it is a whole number (capped at what this GPU allows).
    pub(super) fn current_size(&self) -> Option<u32> {
        let size: u32 = whole(&self.ui.controls.size, "").ok()?;
        Some(self.largest_size().map_or(size, |l| size.min(l)))
    }

    /// Shows `p` in the controls (the size is capped at what this GPU allows).
    pub fn apply_params(&self, p: &Params) {
        let c = &self.ui.controls;
        let a = &self.ui.advanced;
        let size = self.largest_size().map_or(p.size, |l| p.size.min(l));
        c.size.set_value(&size.to_string());
        c.iterations.set_value(&p.iterations.to_string());
        c.optimizer.set_value(&p.optimizer.to_string());
        c.multiscale.set_checked(p.multiscale);
        c.original_colors.set_checked(p.original_colors);
        c.style_scale.set_value(&p.style_scale.to_string());
        a.pooling.set_value(&p.pooling.to_string());
        a.content_weight.set_value(&shown(p.content_weight));
        a.style_weight.set_value(&shown(p.style_weight));
        a.tv_weight.set_value(&shown(p.tv_weight));
        a.learning_rate.set_value(&shown(p.learning_rate));
        a.multiscale_start.set_value(&p.multiscale_start.to_string());
        a.init.set_value(&p.init.kind().to_string());
        if let Some(seed) = p.init.seed() {
            a.seed.set_value(&seed.to_string());
        }
        for row in &a.layers {
            let find = |list: &[(Layer, f32)]| list.iter().find(|(l, _)| *l == row.layer).map(|(_, w)| *w);
            let content = find(&p.content_layers);
            row.content.set_checked(content.is_some());
            row.content_weight.set_value(&shown(content.unwrap_or(1.0)));
            let style = find(&p.style_layers);
            row.style.set_checked(style.is_some());
            row.style_weight.set_value(&shown(style.unwrap_or(1.0)));
            row.enable_weights();
        }
        a.learning_rate.set_disabled(!p.optimizer.uses_learning_rate());
        a.multiscale_start.set_disabled(!p.multiscale);
        a.seed.set_disabled(p.init.kind() == InitKind::Content);
        self.sync_sliders();
        self.show_style_scale();
    }

    /// The largest output size this GPU allows for the current photo, paintings and style scale (None before the
    /// GPU is open).
    pub(super) fn largest_size(&self) -> Option<u32> {
        let gpu = self.engine.gpu()?;
        let photo = self
            .photo
            .borrow()
            .as_ref()
            .map_or((4, 3), |c| (c.image.width(), c.image.height()));
        let paintings: Vec<(u32, u32)> = self
            .paintings
            .chosen()
            .iter()
            .map(|(p, _)| (p.image.width(), p.image.height()))
            .collect();
        let style_scale = self.ui.controls.style_scale.value_as_number() as f32;
        let style_scale = if style_scale.is_finite() { style_scale } else { 1.0 };
        Some(Session::largest_size(&gpu, photo, &paintings, style_scale))
    }

    /// Caps the size control at what this GPU allows for the current photo, and says so.
    pub(super) fn update_size_limit(&self) {
        let Some(largest) = self.largest_size() else { return };
        let c = &self.ui.controls;
        c.size.set_max(&largest.to_string());
        c.size_help.set_text_content(Some(&format!(
            "Longer side in pixels, up to {largest} px on this GPU. Bigger is slower: time grows with the pixel count."
        )));
        if let Ok(v) = c.size.value().trim().parse::<u32>()
            && v > largest
        {
            c.size.set_value(&largest.to_string());
        }
    }

    /// Sets the output size to `size` unless the user has changed it from the default: a choice the user made wins.
    pub(super) fn suggest_size(&self, size: u32) {
        let field = &self.ui.controls.size;
        if field.value().trim() == Params::default().size.to_string() {
            field.set_value(&size.to_string());
        }
    }

    /// Slider positions from the advanced weight fields.
    fn sync_sliders(&self) {
        let c = &self.ui.controls;
        let a = &self.ui.advanced;
        let d = Params::default();
        if let Ok(w) = number(&a.style_weight, "") {
            c.strength
                .set_value_as_number(weight_to_slider(w as f32, d.style_weight));
        }
        if let Ok(w) = number(&a.tv_weight, "") {
            c.smoothness
                .set_value_as_number(weight_to_slider(w as f32, d.tv_weight));
        }
    }

    fn show_style_scale(&self) {
        let c = &self.ui.controls;
        c.style_scale_value
            .set_text_content(Some(&format!("{:.2}×", c.style_scale.value_as_number())));
    }

    pub(super) fn wire_settings(&self) {
        let c = &self.ui.controls;
        let a = &self.ui.advanced;
        let d = Params::default();
        let (strength, field) = (c.strength.clone(), a.style_weight.clone());
        on(c.strength.as_ref(), "input", move |_: Event| {
            field.set_value(&shown(slider_to_weight(strength.value_as_number(), d.style_weight)));
        });
        let (smoothness, field) = (c.smoothness.clone(), a.tv_weight.clone());
        on(c.smoothness.as_ref(), "input", move |_: Event| {
            let v = smoothness.value_as_number();
            let w = if v <= 0.0 {
                0.0
            } else {
                slider_to_weight(v, d.tv_weight)
            };
            field.set_value(&shown(w));
        });
        for field in [&a.style_weight, &a.tv_weight] {
            let app = self.clone();
            on(field.as_ref(), "input", move |_: Event| app.sync_sliders());
        }
        let app = self.clone();
        on(c.style_scale.as_ref(), "input", move |_: Event| {
            app.show_style_scale();
            app.update_size_limit();
        });
        // The optimizer decides whether the learning rate means anything.
        let (optimizer, rate) = (c.optimizer.clone(), a.learning_rate.clone());
        on(c.optimizer.as_ref(), "change", move |_: Event| {
            rate.set_disabled(choice::<Optimizer>(&optimizer).is_ok_and(|o| !o.uses_learning_rate()));
        });
        for row in &a.layers {
            wire_layer_row(row);
        }
        let (multiscale, start) = (c.multiscale.clone(), a.multiscale_start.clone());
        on(c.multiscale.as_ref(), "change", move |_: Event| {
            start.set_disabled(!multiscale.checked());
        });
        let (init, seed) = (a.init.clone(), a.seed.clone());
        on(a.init.as_ref(), "change", move |_: Event| {
            seed.set_disabled(choice(&init).ok() != Some(InitKind::Noise));
        });
        self.apply_params(&Params::default());
        // what the user sets is kept for the next visit (a change by the page itself fires no event)
        for panel in &self.ui.settings_panels {
            for event in ["input", "change"] {
                let app = self.clone();
                on(panel.as_ref(), event, move |_: Event| app.keep_settings());
            }
        }
        let app = self.clone();
        on(self.ui.advanced.reset.as_ref(), "click", move |_: Event| {
            app.reset_settings()
        });
    }
}
