//! The command line's flags, and the settings they give as Overrides over a saved filter (or the defaults).

use std::path::PathBuf;

use artsy::filter::Overrides;
use artsy::params::{InitKind, ParamsPatch};
use artsy::vgg::Layer;
use artsy::{Optimizer, Params, Pooling};
use clap::{Parser, Subcommand};

use super::train::{ApplyArgs, TrainArgs};

/// Steps per GPU submission without --batch, on a GPU and on a software adapter (which answers slowly enough that
/// one step a submission keeps the progress lively).
pub const BATCH: u32 = 10;
pub const SOFTWARE_BATCH: u32 = 1;
/// The seed of a noise start without --seed.
pub const SEED: u64 = 0;

/// Repaint a photo in the style of a painting (Gatys et al. neural style transfer) on your GPU.
/// With no images given, it repaints the sample astronaut as Starry Night.
/// Settings given on the command line override those of --filter.
#[derive(Parser)]
#[command(version, after_help = defaults_help(), args_conflicts_with_subcommands = true)]
pub struct Args {
    /// Filter networks: `train` one from a painting, `apply` one to a photo. Without a command, the photo is
    /// repainted by optimisation.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The photo to repaint.
    #[arg(long)]
    pub content: Option<PathBuf>,
    /// The painting(s) whose style to take; repeat for a blend.
    #[arg(long)]
    pub style: Vec<PathBuf>,
    /// Blend weight of each painting (--style, else the filter's), in order (normalised to sum to 1).
    #[arg(long, value_delimiter = ',')]
    pub style_blend: Vec<f32>,
    /// A saved filter (*.artsy-filter.json, e.g. exported from the page): its painting(s) and settings.
    #[arg(long)]
    pub filter: Option<PathBuf>,
    /// Also save the painting(s) and settings of this run as a filter file.
    #[arg(long)]
    pub save_filter: Option<PathBuf>,
    /// Where to write the result (PNG, JPEG, WebP, BMP, TIFF or GIF, by its extension).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output size: the longer side in pixels.
    #[arg(long)]
    pub size: Option<u32>,
    /// Optimisation steps (in all, over every size of --multiscale).
    #[arg(long)]
    pub iters: Option<u32>,
    /// lbfgs (uses curvature: lower loss for the same time, most visibly early) or adam.
    #[arg(long)]
    pub optimizer: Option<Optimizer>,
    /// Coarse to fine: start at --size halved down to --multiscale-start (256 px) and upscale each result; makes
    /// large outputs affordable (a size below twice the start runs at that size alone).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub multiscale: Option<bool>,
    /// With --multiscale: the smallest size to start from.
    #[arg(long)]
    pub multiscale_start: Option<u32>,
    /// Keep the photo's colours (transfer only the luminance of the stylised picture).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub original_colors: Option<bool>,
    /// How much the photo's structure counts.
    #[arg(long)]
    pub content_weight: Option<f32>,
    /// How much the painting's style counts.
    #[arg(long)]
    pub style_weight: Option<f32>,
    /// Content layers with weights, e.g. relu4_2=1 or relu3_1=0.5,relu4_2=1.
    #[arg(long, value_delimiter = ',')]
    pub content_layers: Option<Vec<String>>,
    /// Style layers with weights, e.g. relu1_1=1,relu2_1=1,relu3_1=1,relu4_1=1,relu5_1=1.
    #[arg(long, value_delimiter = ',')]
    pub style_layers: Option<Vec<String>>,
    /// Total-variation weight: higher is smoother.
    #[arg(long)]
    pub tv_weight: Option<f32>,
    /// Adam's learning rate (pixels are in 0..1; L-BFGS ignores it).
    #[arg(long)]
    pub lr: Option<f32>,
    /// Start from the photo (content) or from noise.
    #[arg(long)]
    pub init: Option<InitKind>,
    /// Seed of a noise start (--init noise, or a filter's noise start); --init noise without it starts from seed 0.
    #[arg(long)]
    pub seed: Option<u64>,
    /// VGG's pooling: max or avg.
    #[arg(long)]
    pub pooling: Option<Pooling>,
    /// Size at which the painting is analysed, relative to the output: small carries its large shapes over as
    /// bold motifs, large picks up its individual brush strokes.
    #[arg(long)]
    pub style_scale: Option<f32>,
    /// VGG19 weights (safetensors, U8/F16/F32).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Steps per GPU submission (default: 1 on a software adapter, 10 otherwise).
    #[arg(long)]
    pub batch: Option<u32>,
}

#[derive(Subcommand)]
pub enum Command {
    Train(TrainArgs),
    Apply(ApplyArgs),
}

/// The settings' defaults and ranges, from the engine, for the end of --help.
fn defaults_help() -> String {
    use artsy::params::{Shown, limits};
    let d = Params::default();
    let layers = |l: &[(Layer, f32)]| l.iter().map(|(l, w)| format!("{l}={w}")).collect::<Vec<_>>().join(",");
    let range = |r: std::ops::RangeInclusive<f32>| format!("{} to {}", r.start().shown(), r.end().shown());
    format!(
        "Defaults (without --filter) and ranges:\n  --size {} ({} to {})\n  --iters {} ({} to {})\n  \
         --optimizer {}  --pooling {}  --init {}  --seed {SEED}\n  --content-weight {} ({})\n  --style-weight {} ({})\n  \
         --tv-weight {} ({})\n  --lr {} ({})\n  --style-scale {} ({})\n  --multiscale-start {} ({} to {}; --multiscale is off)\n  \
         --original-colors off  --batch {BATCH} ({SOFTWARE_BATCH} on a software adapter)\n  --content-layers {}\n  --style-layers {} \
         (layer weights {})",
        d.size,
        limits::SIZE.start(),
        limits::SIZE.end(),
        d.iterations,
        limits::ITERATIONS.start(),
        limits::ITERATIONS.end(),
        d.optimizer,
        d.pooling,
        d.init.kind(),
        d.content_weight,
        range(limits::CONTENT_WEIGHT),
        d.style_weight,
        range(limits::STYLE_WEIGHT),
        d.tv_weight,
        range(limits::TV_WEIGHT),
        d.learning_rate,
        range(limits::LEARNING_RATE),
        d.style_scale,
        range(limits::STYLE_SCALE),
        d.multiscale_start,
        limits::MULTISCALE_START.start(),
        limits::MULTISCALE_START.end(),
        layers(&d.content_layers),
        layers(&d.style_layers),
        range(limits::LAYER_WEIGHT),
    )
}

/// "relu4_2=0.5" or "relu4_2" (weight 1) -> (layer, weight).
pub fn layer_weights(flag: &str, items: &[String]) -> Result<Vec<(Layer, f32)>, String> {
    items
        .iter()
        .filter(|i| !i.trim().is_empty())
        .map(|item| {
            let (name, weight) = item.split_once('=').unwrap_or((item, "1"));
            let w = weight
                .trim()
                .parse::<f32>()
                .map_err(|_| format!("--{flag}: `{item}` is not NAME=WEIGHT (e.g. relu4_2=1)"))?;
            let layer = name.parse().map_err(|e| format!("--{flag}: {e}"))?;
            Ok((layer, w))
        })
        .collect()
}

impl Args {
    /// The settings given on the command line (paintings are resolved with the inputs, see `inputs`).
    pub fn params_patch(&self) -> Result<ParamsPatch, String> {
        let layers =
            |flag: &str, items: &Option<Vec<String>>| items.as_ref().map(|i| layer_weights(flag, i)).transpose();
        Ok(ParamsPatch {
            size: self.size,
            content_weight: self.content_weight,
            style_weight: self.style_weight,
            content_layers: layers("content-layers", &self.content_layers)?,
            style_layers: layers("style-layers", &self.style_layers)?,
            tv_weight: self.tv_weight,
            learning_rate: self.lr,
            iterations: self.iters,
            optimizer: self.optimizer,
            init: self.init.map(|kind| kind.with_seed(self.seed.unwrap_or(SEED))),
            noise_seed: self.seed,
            pooling: self.pooling,
            style_scale: self.style_scale,
            multiscale: self.multiscale,
            multiscale_start: self.multiscale_start,
            original_colors: self.original_colors,
        })
    }

    /// What the user chose over the filter, with the paintings already read.
    pub fn overrides(&self, styles: Option<Vec<artsy::FilterStyle>>) -> Result<Overrides, String> {
        Ok(Overrides {
            params: self.params_patch()?,
            styles,
            blend: (!self.style_blend.is_empty()).then(|| self.style_blend.clone()),
        })
    }
}
