//! The native command line: a thin face over artsy::Transfer that reads files, shows progress and writes a PNG.
// Native only: the browser face lives in src/web/.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use artsy::{Filter, FilterStyle, Gpu, GpuWeights, Init, Optimizer, Params, Pooling, Transfer, VggWeights};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

/// Repaint a photo in the style of a painting (Gatys et al. neural style transfer) on your GPU.
/// With no images given, it repaints the sample astronaut as Starry Night.
/// Settings given on the command line override those of --filter.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The photo to repaint.
    #[arg(long)]
    content: Option<PathBuf>,
    /// The painting(s) whose style to take; repeat for a blend.
    #[arg(long)]
    style: Vec<PathBuf>,
    /// Blend weight of each --style, in order (normalised to sum to 1).
    #[arg(long, value_delimiter = ',')]
    style_blend: Vec<f32>,
    /// A saved filter (*.artsy-filter.json, e.g. exported from the page): its painting(s) and settings.
    #[arg(long)]
    filter: Option<PathBuf>,
    /// Also save the painting(s) and settings of this run as a filter file.
    #[arg(long)]
    save_filter: Option<PathBuf>,
    /// Where to write the result (PNG).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output size: the longer side in pixels.
    #[arg(long, default_value_t = Params::default().size)]
    size: u32,
    /// Optimisation steps (in all, over every size of --multiscale).
    #[arg(long, default_value_t = Params::default().iterations)]
    iters: u32,
    /// L-BFGS (uses curvature: lower loss for the same time, most visibly early) or Adam.
    #[arg(long, value_enum, default_value_t = OptimizerArg::from(Params::default().optimizer))]
    optimizer: OptimizerArg,
    /// Coarse to fine: start at a quarter or half of --size and upscale; makes large outputs affordable.
    #[arg(long, default_value_t = Params::default().multiscale, action = clap::ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true")]
    multiscale: bool,
    /// With --multiscale: the smallest size to start from.
    #[arg(long, default_value_t = Params::default().multiscale_start)]
    multiscale_start: u32,
    /// Keep the photo's colours (transfer only the luminance of the stylised picture).
    #[arg(long, default_value_t = Params::default().original_colors, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    original_colors: bool,
    #[arg(long, default_value_t = Params::default().content_weight)]
    content_weight: f32,
    #[arg(long, default_value_t = Params::default().style_weight)]
    style_weight: f32,
    /// Content layers with weights, e.g. relu4_2=1 or relu3_1=0.5,relu4_2=1.
    #[arg(long, value_delimiter = ',', default_value = "relu4_2=1")]
    content_layers: Vec<String>,
    /// Style layers with weights, e.g. relu1_1=1,relu2_1=1,relu3_1=1,relu4_1=1,relu5_1=1 (the default).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "relu1_1=1,relu2_1=1,relu3_1=1,relu4_1=1,relu5_1=1"
    )]
    style_layers: Vec<String>,
    /// Total-variation weight: higher is smoother.
    #[arg(long, default_value_t = Params::default().tv_weight)]
    tv_weight: f32,
    /// Adam's learning rate (pixels are in 0..1; L-BFGS ignores it).
    #[arg(long, default_value_t = Params::default().learning_rate)]
    lr: f32,
    /// Start from the photo or from noise.
    #[arg(long, value_enum, default_value_t = InitArg::Content)]
    init: InitArg,
    /// Seed for --init noise.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, value_enum, default_value_t = PoolArg::Max)]
    pooling: PoolArg,
    /// Size at which the painting is analysed, relative to the output: small carries its large shapes over as
    /// bold motifs, large picks up its individual brush strokes.
    #[arg(long, default_value_t = Params::default().style_scale)]
    style_scale: f32,
    /// VGG19 weights (safetensors, U8/F16/F32).
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Steps per GPU submission (default: 1 on a software adapter, 10 otherwise).
    #[arg(long)]
    batch: Option<u32>,
}

#[derive(Clone, Copy, ValueEnum)]
enum InitArg {
    Content,
    Noise,
}

#[derive(Clone, Copy, ValueEnum)]
enum PoolArg {
    Max,
    Avg,
}

#[derive(Clone, Copy, ValueEnum)]
enum OptimizerArg {
    Adam,
    Lbfgs,
}

impl From<Optimizer> for OptimizerArg {
    fn from(o: Optimizer) -> Self {
        match o {
            Optimizer::Adam => OptimizerArg::Adam,
            Optimizer::Lbfgs => OptimizerArg::Lbfgs,
        }
    }
}

/// "relu4_2=0.5" or "relu4_2" (weight 1) -> (name, weight).
fn layer_weights(flag: &str, items: &[String]) -> Result<Vec<(artsy::vgg::Layer, f32)>, String> {
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

/// The settings: the filter's (or the defaults), with every flag given on the command line on top.
fn params_from(args: &Args, matches: &ArgMatches, base: Params) -> Result<Params, String> {
    let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    let mut p = base;
    if given("size") {
        p.size = args.size;
    }
    if given("iters") {
        p.iterations = args.iters;
    }
    if given("optimizer") {
        p.optimizer = match args.optimizer {
            OptimizerArg::Adam => Optimizer::Adam,
            OptimizerArg::Lbfgs => Optimizer::Lbfgs,
        };
    }
    if given("multiscale") {
        p.multiscale = args.multiscale;
    }
    if given("multiscale_start") {
        p.multiscale_start = args.multiscale_start;
    }
    if given("original_colors") {
        p.original_colors = args.original_colors;
    }
    if given("content_weight") {
        p.content_weight = args.content_weight;
    }
    if given("style_weight") {
        p.style_weight = args.style_weight;
    }
    if given("content_layers") {
        p.content_layers = layer_weights("content-layers", &args.content_layers)?;
    }
    if given("style_layers") {
        p.style_layers = layer_weights("style-layers", &args.style_layers)?;
    }
    if given("tv_weight") {
        p.tv_weight = args.tv_weight;
    }
    if given("lr") {
        p.learning_rate = args.lr;
    }
    if given("init") || given("seed") {
        p.init = match args.init {
            InitArg::Content => Init::Content,
            InitArg::Noise => Init::Noise { seed: args.seed },
        };
    }
    if given("pooling") {
        p.pooling = match args.pooling {
            PoolArg::Max => Pooling::Max,
            PoolArg::Avg => Pooling::Average,
        };
    }
    if given("style_scale") {
        p.style_scale = args.style_scale;
    }
    p.validate().map_err(|e| e.to_string())?;
    Ok(p)
}

/// The first of `candidates` that exists, else the first (so the error names the preferred path).
fn find(candidates: &[&str]) -> PathBuf {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(candidates[0]))
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
}

fn load_image(path: &Path) -> Result<image::RgbaImage, String> {
    let bytes = read(path, "image")?;
    artsy::image::decode(&path.display().to_string(), &bytes).map_err(|e| e.to_string())
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image".into())
}

fn main() {
    let matches = Args::command().get_matches();
    let args = match Args::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    if let Err(message) = run(args, &matches) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run(args: Args, matches: &ArgMatches) -> Result<(), String> {
    let filter = match &args.filter {
        Some(path) => Some(Filter::from_json(&read(path, "filter")?).map_err(|e| format!("{}: {e}", path.display()))?),
        None => None,
    };
    let content_path = args.content.clone().unwrap_or_else(|| {
        find(&[
            "data/images/content_astronaut.png",
            "../shared/images/content_astronaut.png",
        ])
    });
    // The paintings: --style files, else the filter's, else the sample.
    let from_filter = args.style.is_empty() && filter.is_some();
    let style_paths = if from_filter {
        filter
            .as_ref()
            .unwrap()
            .styles
            .iter()
            .map(|s| PathBuf::from(&s.name))
            .collect()
    } else if args.style.is_empty() {
        vec![find(&[
            "data/images/style_starry_night_vangogh.jpg",
            "../shared/images/style_starry_night_vangogh.jpg",
        ])]
    } else {
        args.style.clone()
    };
    let blend = if from_filter && args.style_blend.is_empty() {
        filter.as_ref().unwrap().styles.iter().map(|s| s.blend).collect()
    } else if args.style_blend.is_empty() {
        vec![1.0; style_paths.len()]
    } else {
        args.style_blend.clone()
    };
    if blend.len() != style_paths.len() {
        return Err(format!(
            "{} --style images but {} --style-blend weights",
            style_paths.len(),
            blend.len()
        ));
    }
    let weights_path = args.weights.clone().unwrap_or_else(|| {
        find(&[
            "data/vgg19/vgg19-conv-u8.safetensors",
            "../shared/vgg19/vgg19-conv-u8.safetensors",
        ])
    });
    let out = args.out.clone().unwrap_or_else(|| {
        let names: Vec<String> = style_paths.iter().map(|p| stem(p)).collect();
        PathBuf::from(format!("out/{}-{}.png", stem(&content_path), names.join("+")))
    });

    let base = filter.as_ref().map(|f| f.params.clone()).unwrap_or_default();
    let params = params_from(&args, matches, base)?;

    let photo = load_image(&content_path)?;
    // The paintings' file bytes are kept: a saved filter carries them as they are.
    let style_files: Vec<FilterStyle> = if from_filter {
        filter.as_ref().unwrap().styles.clone()
    } else {
        style_paths
            .iter()
            .zip(&blend)
            .map(|(p, &b)| {
                Ok(FilterStyle {
                    name: p
                        .file_name()
                        .map_or("painting".into(), |n| n.to_string_lossy().into_owned()),
                    blend: b,
                    data: read(p, "image")?,
                })
            })
            .collect::<Result<_, String>>()?
    };
    let paintings = style_files
        .iter()
        .map(|s| {
            Ok((
                artsy::image::decode(&s.name, &s.data).map_err(|e| e.to_string())?,
                s.blend,
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    if let Some(path) = &args.save_filter {
        let name = path
            .file_name()
            .map(|n| {
                n.to_string_lossy()
                    .trim_end_matches(artsy::filter::EXTENSION)
                    .to_string()
            })
            .unwrap_or_else(|| "filter".into());
        let f = Filter::new(&name, &params, style_files.clone());
        std::fs::write(path, f.to_json()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("filter saved: {}", path.display());
    }
    let weights = VggWeights::from_safetensors(&read(&weights_path, "weights")?)
        .map_err(|e| format!("{}: {e}", weights_path.display()))?;

    let gpu = pollster::block_on(Gpu::new()).map_err(|e| e.to_string())?;
    eprintln!("GPU: {}", gpu.adapter);
    if gpu.adapter.is_software {
        eprintln!(
            "warning: this is a software (CPU) adapter: it works, but slowly. Try --size 128 for a quick result."
        );
    }
    let started = Instant::now();
    let gpu_weights = Arc::new(GpuWeights::upload(&gpu, &weights));
    let mut transfer = pollster::block_on(Transfer::new(&gpu, &gpu_weights, &photo, &paintings, &params))
        .map_err(|e| e.to_string())?;
    let sizes: Vec<String> = transfer
        .stages()
        .iter()
        .map(|s| format!("{} px x {}", s.size, s.iterations))
        .collect();
    eprintln!(
        "{} + {} -> {}, {} steps ({:?}), set-up {:.1} s",
        content_path.display(),
        style_paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" + "),
        sizes.join(" then "),
        params.iterations,
        params.optimizer,
        started.elapsed().as_secs_f64()
    );

    let batch = args
        .batch
        .unwrap_or(if gpu.adapter.is_software { 1 } else { 10 })
        .max(1);
    let bar = ProgressBar::new(params.iterations as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} ETA {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let loop_start = Instant::now();
    let show = |l: &artsy::Losses| {
        format!(
            "loss {:.4e} (content {:.3e}, style {:.3e}, tv {:.3e})",
            l.total, l.content, l.style, l.tv
        )
    };
    let mut first = None;
    let mut peak_bytes = 0u64;
    loop {
        let session = transfer.session().expect("a live stage");
        peak_bytes = peak_bytes.max(session.gpu_bytes());
        let stage_start = Instant::now();
        let stage_first = transfer.iteration();
        // Keep two batches queued so the GPU never waits for us; wait only for the older one.
        while transfer.stage_remaining() > 0 || transfer.steps_in_flight() > 0 {
            while transfer.stage_remaining() > 0 && transfer.steps_in_flight() < 2 * batch {
                transfer.run(batch).map_err(|e| e.to_string())?;
            }
            transfer.wait_oldest().map_err(|e| e.to_string())?;
            if let Some(l) = transfer.poll_losses() {
                first.get_or_insert(l);
                bar.set_position(l.iteration as u64);
                bar.set_message(format!("{} px · {}", transfer.width().max(transfer.height()), show(&l)));
            }
        }
        let stage = transfer.stages()[transfer.stage()];
        let line = format!(
            "{}x{}: {} steps in {:.1} s ({:.1} ms/step), {:.0} MB on the GPU",
            transfer.width(),
            transfer.height(),
            transfer.iteration() - stage_first,
            stage_start.elapsed().as_secs_f64(),
            1000.0 * stage_start.elapsed().as_secs_f64() / stage.iterations.max(1) as f64,
            transfer.session().map_or(0, |s| s.gpu_bytes()) as f64 / 1e6,
        );
        bar.suspend(|| eprintln!("{line}"));
        if !pollster::block_on(transfer.next_stage()).map_err(|e| e.to_string())? {
            break;
        }
    }
    let last = pollster::block_on(transfer.finish()).map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    let seconds = loop_start.elapsed().as_secs_f64();

    let picture = pollster::block_on(transfer.image()).map_err(|e| e.to_string())?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    picture
        .save(&out)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!(
        "{} steps in {:.1} s ({:.2} steps/s) on {}; largest stage held {:.0} MB of GPU memory (+ {:.0} MB weights)",
        params.iterations,
        seconds,
        params.iterations as f64 / seconds,
        gpu.adapter.name,
        peak_bytes as f64 / 1e6,
        gpu_weights.bytes() as f64 / 1e6,
    );
    if let Some(f) = first {
        eprintln!("step {:>5}: {}", f.iteration, show(&f));
    }
    eprintln!("step {:>5}: {}", last.iteration, show(&last));
    println!("{}", out.display());
    Ok(())
}
