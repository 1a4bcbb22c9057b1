//! The settings vocabulary: the user's knobs for one style transfer with their defaults, the names each choice
//! is written with in flags, files and the page, the limits every number must keep, and partial settings laid
//! over a base (a saved filter with what the user chose on top).

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::kernels::pool2x2::Pooling;
use crate::vgg::Layer;

/// Where the optimisation starts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// The photo itself: converges fastest and keeps its structure.
    Content,
    /// Uniform noise from a seed: more varied results.
    Noise { seed: u64 },
}

/// `Init` without its seed: the choice a flag or a `<select>` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitKind {
    Content,
    Noise,
}

impl Init {
    pub fn kind(self) -> InitKind {
        match self {
            Init::Content => InitKind::Content,
            Init::Noise { .. } => InitKind::Noise,
        }
    }

    /// The seed of a noise start.
    pub fn seed(self) -> Option<u64> {
        match self {
            Init::Content => None,
            Init::Noise { seed } => Some(seed),
        }
    }
}

impl InitKind {
    /// The start of this kind (`seed` is used by a noise start only).
    pub fn with_seed(self, seed: u64) -> Init {
        match self {
            InitKind::Content => Init::Content,
            InitKind::Noise => Init::Noise { seed },
        }
    }
}

/// How the pixels are updated from the gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Optimizer {
    /// Adam with `learning_rate`: steady, cheap per step.
    Adam,
    /// L-BFGS with a short history and a fixed unit step: uses curvature, so it converges in fewer steps.
    Lbfgs,
}

impl Optimizer {
    /// Whether `Params::learning_rate` means anything to this optimiser (the page greys it out where not).
    pub fn uses_learning_rate(self) -> bool {
        match self {
            Optimizer::Adam => true,
            Optimizer::Lbfgs => false,
        }
    }
}

/// `FromStr`, `Display` (the token), `ALL` (in the order offered to users, the default first) and `label()`
/// (the human name) of a settings enum, from one table of (variant, token, label, other accepted spellings).
macro_rules! vocabulary {
    ($ty:ident, $what:literal, [$(($variant:ident, $token:literal, $label:literal $(, $alias:literal)*)),+ $(,)?]) => {
        impl $ty {
            /// Every value, in the order offered to users.
            pub const ALL: [$ty; [$($token),+].len()] = [$($ty::$variant),+];

            /// The human name shown on the page.
            pub fn label(self) -> &'static str {
                match self {
                    $($ty::$variant => $label),+
                }
            }
        }

        impl std::fmt::Display for $ty {
            /// The token used in flags, files and `<select>` values.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(match self {
                    $($ty::$variant => $token),+
                })
            }
        }

        impl std::str::FromStr for $ty {
            type Err = Error;

            /// The token (any case), its label, or an accepted other spelling.
            fn from_str(text: &str) -> Result<$ty> {
                let text = text.trim();
                $(
                    if [$token, $label $(, $alias)*].iter().any(|t| t.eq_ignore_ascii_case(text)) {
                        return Ok($ty::$variant);
                    }
                )+
                Err(Error::InvalidParams(format!(
                    "unknown {} `{text}`: use {}",
                    $what,
                    [$($token),+].join(" or ")
                )))
            }
        }
    };
}

vocabulary!(
    Optimizer,
    "optimizer",
    [(Lbfgs, "lbfgs", "L-BFGS"), (Adam, "adam", "Adam")]
);
vocabulary!(Pooling, "pooling", [(Max, "max", "Max"), (Average, "avg", "Average")]);
vocabulary!(
    InitKind,
    "start",
    [(Content, "content", "The photo", "photo"), (Noise, "noise", "Noise")]
);

/// The range every numeric setting must lie in; `Params::validate` checks them, the CLI and the page show them.
pub mod limits {
    use std::ops::RangeInclusive;

    use crate::vgg::MIN_SIDE;

    /// Output size, the longer side in pixels: VGG19 needs 16; 4096 is past what any GPU's buffers hold.
    pub const SIZE: RangeInclusive<u32> = MIN_SIDE..=4096;
    pub const ITERATIONS: RangeInclusive<u32> = 1..=100_000;
    pub const CONTENT_WEIGHT: RangeInclusive<f32> = 0.0..=1e6;
    /// Beyond this the style loss overflows f32 (1e35 gives an infinite loss from the first step).
    pub const STYLE_WEIGHT: RangeInclusive<f32> = 0.0..=1e7;
    pub const TV_WEIGHT: RangeInclusive<f32> = 0.0..=1e7;
    /// The weight of one content or style layer.
    pub const LAYER_WEIGHT: RangeInclusive<f32> = 0.0..=1000.0;
    /// The painting's analysis size relative to the output.
    pub const STYLE_SCALE: RangeInclusive<f32> = 0.1..=4.0;
    /// Adam's step size, pixels being in 0..1.
    pub const LEARNING_RATE: RangeInclusive<f32> = 1e-5..=1.0;
    /// The coarsest size of coarse to fine.
    pub const MULTISCALE_START: RangeInclusive<u32> = MIN_SIDE..=4096;
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
    pub content_layers: Vec<(Layer, f32)>,
    /// Style layers and their weights (default relu1_1 .. relu5_1, all 1).
    pub style_layers: Vec<(Layer, f32)>,
    /// Total-variation weight: higher is smoother.
    pub tv_weight: f32,
    /// Adam's step size (L-BFGS takes unit steps and ignores it).
    pub learning_rate: f32,
    /// Steps in all (shared between the sizes when `multiscale` is on).
    pub iterations: u32,
    pub optimizer: Optimizer,
    pub init: Init,
    pub pooling: Pooling,
    /// The size at which the painting is analysed, relative to the output. Small values carry the painting's large
    /// shapes (stars, swirls) over as bold motifs; large values pick up its individual brush strokes, drawn
    /// proportionally bigger and denser.
    pub style_scale: f32,
    /// Coarse to fine: optimise at a quarter, then half, ... of `size`, each start upscaled from the last result.
    pub multiscale: bool,
    /// The smallest size multi-scale starts from: `size` is halved while the half is at least this.
    pub multiscale_start: u32,
    /// Keep the photo's colours: only the luminance of the stylised picture is used.
    pub original_colors: bool,
}

/// The content layer by default: relu4_2.
pub const DEFAULT_CONTENT_LAYER: Layer = Layer::at(9);
/// The style layers by default: relu1_1 .. relu5_1, the first of each block.
pub const DEFAULT_STYLE_LAYERS: [Layer; 5] = [Layer::at(0), Layer::at(2), Layer::at(4), Layer::at(8), Layer::at(12)];

impl Default for Params {
    fn default() -> Params {
        Params {
            size: 512,
            content_weight: 5.0,
            style_weight: 500.0,
            content_layers: vec![(DEFAULT_CONTENT_LAYER, 1.0)],
            style_layers: DEFAULT_STYLE_LAYERS.iter().map(|&l| (l, 1.0)).collect(),
            tv_weight: 1000.0,
            learning_rate: 0.02,
            iterations: 500,
            optimizer: Optimizer::Lbfgs,
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

/// A setting's value as a person reads it: 500, 0.02, 1e7, 1e35.
pub trait Shown: Copy {
    fn shown(self) -> String;
}

impl Shown for u32 {
    fn shown(self) -> String {
        self.to_string()
    }
}

impl Shown for f32 {
    fn shown(self) -> String {
        let magnitude = self.abs();
        if magnitude != 0.0 && !(1e-4..1e6).contains(&magnitude) {
            format!("{self:e}")
        } else {
            self.to_string()
        }
    }
}

/// `value` within `range`, or a message naming the setting and the range (NaN is never within).
pub(crate) fn check<T: PartialOrd + Shown>(what: &str, value: T, range: &RangeInclusive<T>, unit: &str) -> Result<()> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(Error::InvalidParams(format!(
            "{what} must be between {}{unit} and {}{unit}, not {}{unit}",
            range.start().shown(),
            range.end().shown(),
            value.shown()
        )))
    }
}

fn check_layers(kind: &str, layers: &[(Layer, f32)]) -> Result<Vec<(usize, f32)>> {
    layers
        .iter()
        .map(|&(layer, w)| {
            check(
                &format!("the weight of {kind} layer {layer}"),
                w,
                &limits::LAYER_WEIGHT,
                "",
            )?;
            Ok((layer.index(), w))
        })
        .collect()
}

impl Params {
    /// Checks every value against `limits` and gives the loss layers as indices into vgg::LAYERS.
    pub fn validate(&self) -> Result<ResolvedLayers> {
        check("the size", self.size, &limits::SIZE, " px")?;
        check("the number of steps", self.iterations, &limits::ITERATIONS, "")?;
        check("the content weight", self.content_weight, &limits::CONTENT_WEIGHT, "")?;
        check("the style weight", self.style_weight, &limits::STYLE_WEIGHT, "")?;
        check("the tv weight", self.tv_weight, &limits::TV_WEIGHT, "")?;
        check("the learning rate", self.learning_rate, &limits::LEARNING_RATE, "")?;
        check("the style scale", self.style_scale, &limits::STYLE_SCALE, "")?;
        check(
            "the coarsest size of multi-scale",
            self.multiscale_start,
            &limits::MULTISCALE_START,
            " px",
        )?;
        let content = check_layers("content", &self.content_layers)?;
        let style = check_layers("style", &self.style_layers)?;
        if content.is_empty() && style.is_empty() {
            return Err(Error::InvalidParams(
                "choose at least one content or style layer".into(),
            ));
        }
        Ok(ResolvedLayers { content, style })
    }
}

/// Settings to lay over a base: every field of `Params` as an `Option` (None keeps the base's value).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamsPatch {
    pub size: Option<u32>,
    pub content_weight: Option<f32>,
    pub style_weight: Option<f32>,
    pub content_layers: Option<Vec<(Layer, f32)>>,
    pub style_layers: Option<Vec<(Layer, f32)>>,
    pub tv_weight: Option<f32>,
    pub learning_rate: Option<f32>,
    pub iterations: Option<u32>,
    pub optimizer: Option<Optimizer>,
    pub init: Option<Init>,
    /// A new seed for a noise start, the base's or `init`'s; a start from the photo stays as it is.
    pub noise_seed: Option<u64>,
    pub pooling: Option<Pooling>,
    pub style_scale: Option<f32>,
    pub multiscale: Option<bool>,
    pub multiscale_start: Option<u32>,
    pub original_colors: Option<bool>,
}

impl ParamsPatch {
    /// `base` with every value this patch holds put in its place (not validated: see `Params::validate`).
    pub fn apply(&self, base: Params) -> Params {
        let p = self.clone();
        let mut init = p.init.unwrap_or(base.init);
        if let (Some(seed), Init::Noise { .. }) = (p.noise_seed, init) {
            init = Init::Noise { seed };
        }
        Params {
            size: p.size.unwrap_or(base.size),
            content_weight: p.content_weight.unwrap_or(base.content_weight),
            style_weight: p.style_weight.unwrap_or(base.style_weight),
            content_layers: p.content_layers.unwrap_or(base.content_layers),
            style_layers: p.style_layers.unwrap_or(base.style_layers),
            tv_weight: p.tv_weight.unwrap_or(base.tv_weight),
            learning_rate: p.learning_rate.unwrap_or(base.learning_rate),
            iterations: p.iterations.unwrap_or(base.iterations),
            optimizer: p.optimizer.unwrap_or(base.optimizer),
            init,
            pooling: p.pooling.unwrap_or(base.pooling),
            style_scale: p.style_scale.unwrap_or(base.style_scale),
            multiscale: p.multiscale.unwrap_or(base.multiscale),
            multiscale_start: p.multiscale_start.unwrap_or(base.multiscale_start),
            original_colors: p.original_colors.unwrap_or(base.original_colors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_round_trips_through_its_token_and_label() {
        fn round_trip<T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + std::str::FromStr>(
            all: &[T],
            label: fn(T) -> &'static str,
        ) {
            for &v in all {
                assert_eq!(v.to_string().parse::<T>().ok(), Some(v));
                assert_eq!(label(v).parse::<T>().ok(), Some(v));
            }
        }
        round_trip(&Optimizer::ALL, Optimizer::label);
        round_trip(&Pooling::ALL, Pooling::label);
        round_trip(&InitKind::ALL, InitKind::label);
        assert_eq!(
            Optimizer::ALL[0],
            Params::default().optimizer,
            "the default is offered first"
        );
        assert_eq!(
            (Optimizer::Lbfgs.to_string(), Optimizer::Lbfgs.label()),
            ("lbfgs".into(), "L-BFGS")
        );
        assert_eq!(
            (Pooling::Average.to_string(), Pooling::Average.label()),
            ("avg".into(), "Average")
        );
        let err = "sgd".parse::<Optimizer>().unwrap_err().to_string();
        assert!(err.contains("`sgd`") && err.contains("lbfgs or adam"), "{err}");
    }

    #[test]
    fn the_defaults_are_valid_and_every_limit_is_checked() {
        Params::default().validate().unwrap();
        let refused = |p: Params, words: &[&str]| {
            let m = p.validate().err().expect("refused").to_string();
            for w in words {
                assert!(m.contains(w), "`{m}` should say `{w}`");
            }
        };
        let d = Params::default;
        refused(Params { size: 8, ..d() }, &["size", "16 px and 4096 px"]);
        refused(Params { size: 4097, ..d() }, &["size", "4096"]);
        refused(Params { iterations: 0, ..d() }, &["steps", "between 1 and 100000"]);
        refused(
            Params {
                style_weight: 1e35,
                ..d()
            },
            &["style weight", "between 0 and 1e7, not 1e35"],
        );
        refused(
            Params {
                content_weight: -1.0,
                ..d()
            },
            &["content weight"],
        );
        refused(
            Params {
                tv_weight: f32::INFINITY,
                ..d()
            },
            &["tv weight"],
        );
        refused(
            Params {
                learning_rate: f32::NAN,
                ..d()
            },
            &["learning rate"],
        );
        refused(
            Params {
                style_scale: 5.0,
                ..d()
            },
            &["style scale", "0.1 and 4"],
        );
        refused(
            Params {
                multiscale_start: 8,
                ..d()
            },
            &["coarsest size"],
        );
        refused(
            Params {
                style_layers: vec![(Layer::at(0), -1.0)],
                ..d()
            },
            &["style layer relu1_1"],
        );
        refused(
            Params {
                content_layers: vec![],
                style_layers: vec![],
                ..d()
            },
            &["at least one"],
        );
        Params {
            size: *limits::SIZE.end(),
            style_weight: *limits::STYLE_WEIGHT.end(),
            ..d()
        }
        .validate()
        .unwrap();
    }

    #[test]
    fn a_patch_replaces_what_it_holds_and_keeps_the_rest() {
        let base = Params {
            init: Init::Noise { seed: 7 },
            optimizer: Optimizer::Adam,
            ..Params::default()
        };
        assert_eq!(ParamsPatch::default().apply(base.clone()), base);
        let p = ParamsPatch {
            size: Some(64),
            noise_seed: Some(3),
            style_layers: Some(vec![(Layer::at(4), 2.0)]),
            ..ParamsPatch::default()
        }
        .apply(base.clone());
        assert_eq!(
            (p.size, p.init, p.optimizer),
            (64, Init::Noise { seed: 3 }, Optimizer::Adam)
        );
        assert_eq!(p.style_layers, [(Layer::at(4), 2.0)]);
        let photo = ParamsPatch {
            init: Some(Init::Content),
            noise_seed: Some(3),
            ..ParamsPatch::default()
        };
        assert_eq!(
            photo.apply(base).init,
            Init::Content,
            "a seed does not turn a photo start into noise"
        );
    }
}
