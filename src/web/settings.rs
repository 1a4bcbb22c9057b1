//! The settings controls and engine Params, both ways: reading the page into Params (with clear messages for bad
//! values), writing Params back (when a filter is applied), the sliders kept in step with the advanced numbers, and
//! the size control capped by what this GPU allows.

use web_sys::{Event, HtmlInputElement};

use super::app::App;
use super::dom::on;
use super::ui::{LayerRow, layer_row};
use crate::vgg::Layer;
use crate::{Init, Optimizer, Params, Pooling, Session};

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
        .ok_or_else(|| format!("{what} must be a number."))
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

impl App {
    /// Reads the controls into engine parameters, checked by `Params::validate`.
    pub fn params(&self) -> Result<Params, String> {
        let c = &self.ui().controls;
        let a = &self.ui().advanced;
        let size = number(&c.size, "Output size")?;
        let iterations = number(&c.iterations, "Iterations")?;
        let largest = self.largest_size();
        if size < 16.0 || size > largest.unwrap_or(8192) as f64 {
            return Err(match largest {
                Some(l) => format!("Output size must be between 16 and {l} px (the most this GPU allows)."),
                None => "Output size must be between 16 and 8192 px.".into(),
            });
        }
        if !(1.0..=100_000.0).contains(&iterations) {
            return Err("Iterations must be between 1 and 100000.".into());
        }
        let mut content_layers = Vec::new();
        let mut style_layers = Vec::new();
        for row in a.layers.borrow().iter() {
            let layer = || row.name.parse::<Layer>().map_err(|e| e.to_string());
            if row.content.checked() {
                let w = number(&row.content_weight, &format!("The content weight of {}", row.name))?;
                content_layers.push((layer()?, w as f32));
            }
            if row.style.checked() {
                let w = number(&row.style_weight, &format!("The style weight of {}", row.name))?;
                style_layers.push((layer()?, w as f32));
            }
        }
        let params = Params {
            size: size as u32,
            iterations: iterations as u32,
            content_weight: number(&a.content_weight, "Content weight")? as f32,
            style_weight: number(&a.style_weight, "Style weight")? as f32,
            tv_weight: number(&a.tv_weight, "Smoothness weight")? as f32,
            learning_rate: number(&a.learning_rate, "Learning rate")? as f32,
            content_layers,
            style_layers,
            optimizer: if c.optimizer.value() == "lbfgs" {
                Optimizer::Lbfgs
            } else {
                Optimizer::Adam
            },
            init: if a.init.value() == "noise" {
                Init::Noise {
                    seed: number(&a.seed, "Seed")?.max(0.0) as u64,
                }
            } else {
                Init::Content
            },
            pooling: if a.pooling.value() == "average" {
                Pooling::Average
            } else {
                Pooling::Max
            },
            style_scale: number(&c.style_scale, "Style scale")? as f32,
            multiscale: c.multiscale.checked(),
            multiscale_start: number(&a.multiscale_start, "Coarsest size")?.max(0.0) as u32,
            original_colors: c.original_colors.checked(),
        };
        params.validate().map_err(|e| crate::error::sentence(&e.to_string()))?;
        Ok(params)
    }

    /// Shows `p` in the controls (the size is capped at what this GPU allows).
    pub fn apply_params(&self, p: &Params) {
        let c = &self.ui().controls;
        let a = &self.ui().advanced;
        let size = self.largest_size().map_or(p.size, |l| p.size.min(l));
        c.size.set_value(&size.to_string());
        c.iterations.set_value(&p.iterations.to_string());
        c.optimizer.set_value(match p.optimizer {
            Optimizer::Adam => "adam",
            Optimizer::Lbfgs => "lbfgs",
        });
        c.multiscale.set_checked(p.multiscale);
        c.original_colors.set_checked(p.original_colors);
        c.style_scale.set_value(&p.style_scale.to_string());
        a.pooling.set_value(match p.pooling {
            Pooling::Max => "max",
            Pooling::Average => "average",
        });
        a.content_weight.set_value(&shown(p.content_weight));
        a.style_weight.set_value(&shown(p.style_weight));
        a.tv_weight.set_value(&shown(p.tv_weight));
        a.learning_rate.set_value(&shown(p.learning_rate));
        a.multiscale_start.set_value(&p.multiscale_start.to_string());
        match p.init {
            Init::Content => a.init.set_value("content"),
            Init::Noise { seed } => {
                a.init.set_value("noise");
                a.seed.set_value(&seed.to_string());
            }
        }
        // Layers: a filter may name layers the table does not offer; they get rows of their own.
        for (layer, _) in p.content_layers.iter().chain(&p.style_layers) {
            let name = layer.name();
            if !a.layers.borrow().iter().any(|r| r.name == name) {
                let row = layer_row(&a.layers_body, name);
                wire_layer_row(&row);
                a.layers.borrow_mut().push(row);
            }
        }
        for row in a.layers.borrow().iter() {
            let find = |list: &[(Layer, f32)]| list.iter().find(|(l, _)| l.name() == row.name).map(|(_, w)| *w);
            let content = find(&p.content_layers);
            row.content.set_checked(content.is_some());
            row.content_weight.set_value(&shown(content.unwrap_or(1.0)));
            let style = find(&p.style_layers);
            row.style.set_checked(style.is_some());
            row.style_weight.set_value(&shown(style.unwrap_or(1.0)));
            row.enable_weights();
        }
        a.learning_rate.set_disabled(p.optimizer == Optimizer::Lbfgs);
        a.multiscale_start.set_disabled(!p.multiscale);
        a.seed.set_disabled(p.init == Init::Content);
        self.sync_sliders();
        self.show_style_scale();
    }

    /// The largest output size this GPU allows for the current photo (None before the GPU is open).
    pub(super) fn largest_size(&self) -> Option<u32> {
        let s = self.inner.state.borrow();
        let gpu = s.gpu.as_ref()?;
        let (w, h) = s
            .content
            .as_ref()
            .map_or((4, 3), |c| (c.image.width(), c.image.height()));
        Some(Session::largest_size(gpu, w, h))
    }

    /// Caps the size control at what this GPU allows for the current photo, and says so.
    pub(super) fn update_size_limit(&self) {
        let Some(largest) = self.largest_size() else { return };
        let c = &self.ui().controls;
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

    /// Slider positions from the advanced weight fields.
    fn sync_sliders(&self) {
        let c = &self.ui().controls;
        let a = &self.ui().advanced;
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
        let c = &self.ui().controls;
        c.style_scale_value
            .set_text_content(Some(&format!("{:.2}×", c.style_scale.value_as_number())));
    }

    pub(super) fn wire_settings(&self) {
        let c = &self.ui().controls;
        let a = &self.ui().advanced;
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
        on(c.style_scale.as_ref(), "input", move |_: Event| app.show_style_scale());
        // The optimizer decides whether the learning rate means anything.
        let (optimizer, rate) = (c.optimizer.clone(), a.learning_rate.clone());
        on(c.optimizer.as_ref(), "change", move |_: Event| {
            rate.set_disabled(optimizer.value() == "lbfgs");
        });
        for row in a.layers.borrow().iter() {
            wire_layer_row(row);
        }
        let (multiscale, start) = (c.multiscale.clone(), a.multiscale_start.clone());
        on(c.multiscale.as_ref(), "change", move |_: Event| {
            start.set_disabled(!multiscale.checked());
        });
        let (init, seed) = (a.init.clone(), a.seed.clone());
        on(a.init.as_ref(), "change", move |_: Event| {
            seed.set_disabled(init.value() != "noise");
        });
        self.apply_params(&Params::default());
    }
}
