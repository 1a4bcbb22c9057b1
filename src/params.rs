//! The user's knobs for one style transfer, with defaults that give a clean, clearly stylised picture.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::kernels::pool2x2::Pooling;
use crate::vgg::{MIN_SIDE, layer_index};

/// Where the optimisation starts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// The photo itself: converges fastest and keeps its structure.
    Content,
    /// Uniform noise from a seed: more varied results.
    Noise { seed: u64 },
}

/// How the pixels are updated from the gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Optimizer {
    /// Adam with `learning_rate`: steady, cheap per step.
    Adam,
    /// L-BFGS with a short history and a fixed unit step: uses curvature, so it converges in fewer steps.
    Lbfgs,
}

/// Every knob of one transfer. Serialisable, so that a saved filter carries its settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Params {
    /// Output size: the longer side in pixels; the other side keeps the photo's aspect ratio.
    pub size: u32,
    pub content_weight: f32,
    pub style_weight: f32,
    /// Content layers and their weights (default relu4_2).
    pub content_layers: Vec<(String, f32)>,
    /// Style layers and their weights (default relu1_1 .. relu5_1, all 1).
    pub style_layers: Vec<(String, f32)>,
    /// Total-variation weight: higher is smoother.
    pub tv_weight: f32,
    /// Adam's step size (L-BFGS takes unit steps and ignores it).
    pub learning_rate: f32,
    /// Steps in all (shared between the sizes when `multiscale` is on).
    pub iterations: u32,
    pub optimizer: Optimizer,
    pub init: Init,
    pub pooling: Pooling,
    /// The size at which the painting is analysed, relative to the output: larger gives larger brush strokes.
    pub style_scale: f32,
    /// Coarse to fine: optimise at a quarter, then half, ... of `size`, each start upscaled from the last result.
    pub multiscale: bool,
    /// The smallest size multi-scale starts from: `size` is halved while the half is at least this.
    pub multiscale_start: u32,
    /// Keep the photo's colours: only the luminance of the stylised picture is used.
    pub original_colors: bool,
}

pub const DEFAULT_STYLE_LAYERS: [&str; 5] = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"];

impl Default for Params {
    fn default() -> Params {
        Params {
            size: 512,
            content_weight: 5.0,
            style_weight: 500.0,
            content_layers: vec![("relu4_2".into(), 1.0)],
            style_layers: DEFAULT_STYLE_LAYERS.iter().map(|s| (s.to_string(), 1.0)).collect(),
            tv_weight: 1000.0,
            learning_rate: 0.02,
            iterations: 500,
            optimizer: Optimizer::Adam,
            init: Init::Content,
            pooling: Pooling::Max,
            style_scale: 1.0,
            multiscale: false,
            multiscale_start: 256,
            original_colors: false,
        }
    }
}

/// Loss layers resolved to indices into vgg::LAYERS.
pub struct ResolvedLayers {
    pub content: Vec<(usize, f32)>,
    pub style: Vec<(usize, f32)>,
}

fn resolve(kind: &str, layers: &[(String, f32)]) -> Result<Vec<(usize, f32)>> {
    layers
        .iter()
        .map(|(name, w)| match layer_index(name) {
            Some(i) if w.is_finite() && *w >= 0.0 => Ok((i, *w)),
            Some(_) => Err(Error::InvalidParams(format!(
                "{kind} layer {name} has weight {w}; weights must be finite and >= 0"
            ))),
            None => Err(Error::InvalidParams(format!(
                "unknown {kind} layer `{name}`: use relu1_1, relu1_2, relu2_1, ... relu5_1"
            ))),
        })
        .collect()
}

impl Params {
    /// Checks every value and resolves the layer names.
    pub fn validate(&self) -> Result<ResolvedLayers> {
        let bad = |m: String| Err(Error::InvalidParams(m));
        if self.size < MIN_SIDE {
            return bad(format!(
                "size {} is too small: VGG19 needs at least {MIN_SIDE} px",
                self.size
            ));
        }
        for (name, v) in [
            ("content weight", self.content_weight),
            ("style weight", self.style_weight),
            ("tv weight", self.tv_weight),
        ] {
            if !v.is_finite() || v < 0.0 {
                return bad(format!("{name} must be a finite number >= 0, not {v}"));
            }
        }
        if !self.learning_rate.is_finite() || self.learning_rate <= 0.0 {
            return bad(format!("learning rate must be > 0, not {}", self.learning_rate));
        }
        if !self.style_scale.is_finite() || !(0.1..=4.0).contains(&self.style_scale) {
            return bad(format!(
                "style scale must be between 0.1 and 4, not {}",
                self.style_scale
            ));
        }
        if self.multiscale_start < MIN_SIDE {
            return bad(format!(
                "multi-scale cannot start below {MIN_SIDE} px (asked for {})",
                self.multiscale_start
            ));
        }
        let content = resolve("content", &self.content_layers)?;
        let style = resolve("style", &self.style_layers)?;
        if content.is_empty() && style.is_empty() {
            return bad("choose at least one content or style layer".into());
        }
        Ok(ResolvedLayers { content, style })
    }
}
