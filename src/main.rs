//! The native command line: a thin face over artsy::Session that reads files, shows progress and writes a PNG.
// Native only: the browser face lives in src/web/.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use artsy::{Gpu, GpuWeights, Init, Params, Pooling, Session, VggWeights};
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

/// Repaint a photo in the style of a painting (Gatys et al. neural style transfer) on your GPU.
/// With no images given, it repaints the sample astronaut as Starry Night.
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
    /// Where to write the result (PNG).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output size: the longer side in pixels.
    #[arg(long, default_value_t = Params::default().size)]
    size: u32,
    /// Optimisation steps.
    #[arg(long, default_value_t = Params::default().iterations)]
    iters: u32,
    #[arg(long, default_value_t = Params::default().content_weight)]
    content_weight: f32,
    #[arg(long, default_value_t = Params::default().style_weight)]
    style_weight: f32,
    /// Weights of the style layers relu1_1,relu2_1,relu3_1,relu4_1,relu5_1.
    #[arg(long, value_delimiter = ',', default_value = "1,1,1,1,1")]
    style_layer_weights: Vec<f32>,
    /// Total-variation weight: higher is smoother.
    #[arg(long, default_value_t = Params::default().tv_weight)]
    tv_weight: f32,
    /// Adam's learning rate (pixels are in 0..1).
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
    /// Size at which the painting is analysed, relative to the output (bigger = bigger brush strokes).
    #[arg(long, default_value_t = 1.0)]
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
    if let Err(message) = run(Args::parse()) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<(), String> {
    let content_path = args.content.clone().unwrap_or_else(|| {
        find(&[
            "data/images/content_astronaut.png",
            "../shared/images/content_astronaut.png",
        ])
    });
    let style_paths = if args.style.is_empty() {
        vec![find(&[
            "data/images/style_starry_night_vangogh.jpg",
            "../shared/images/style_starry_night_vangogh.jpg",
        ])]
    } else {
        args.style.clone()
    };
    let blend = if args.style_blend.is_empty() {
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

    let default_layers = artsy::params::DEFAULT_STYLE_LAYERS;
    if args.style_layer_weights.len() != default_layers.len() {
        return Err(format!(
            "--style-layer-weights takes {} numbers (relu1_1..relu5_1)",
            default_layers.len()
        ));
    }
    let params = Params {
        size: args.size,
        content_weight: args.content_weight,
        style_weight: args.style_weight,
        style_layers: default_layers
            .iter()
            .zip(&args.style_layer_weights)
            .map(|(n, w)| (n.to_string(), *w))
            .collect(),
        tv_weight: args.tv_weight,
        learning_rate: args.lr,
        iterations: args.iters,
        init: match args.init {
            InitArg::Content => Init::Content,
            InitArg::Noise => Init::Noise { seed: args.seed },
        },
        pooling: match args.pooling {
            PoolArg::Max => Pooling::Max,
            PoolArg::Avg => Pooling::Average,
        },
        style_scale: args.style_scale,
        ..Params::default()
    };
    params.validate().map_err(|e| e.to_string())?;

    let photo = load_image(&content_path)?;
    let paintings = style_paths
        .iter()
        .zip(&blend)
        .map(|(p, &b)| Ok((load_image(p)?, b)))
        .collect::<Result<Vec<_>, String>>()?;
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
    let mut session =
        pollster::block_on(Session::new(&gpu, &gpu_weights, &photo, &paintings, &params)).map_err(|e| e.to_string())?;
    eprintln!(
        "{} + {} -> {}x{}, {} steps, {:.0} MB on the GPU (set-up {:.1} s)",
        content_path.display(),
        style_paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" + "),
        session.width,
        session.height,
        params.iterations,
        session.gpu_bytes() as f64 / 1e6,
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
    while session.iteration() < params.iterations || session.steps_in_flight() > 0 {
        // Keep two batches queued so the GPU never waits for us; wait only for the older one.
        while session.iteration() < params.iterations && session.steps_in_flight() < 2 * batch {
            session
                .run(batch.min(params.iterations - session.iteration()))
                .map_err(|e| e.to_string())?;
        }
        session.wait_oldest().map_err(|e| e.to_string())?;
        if let Some(l) = session.poll_losses() {
            first.get_or_insert(l);
            bar.set_position(l.iteration as u64);
            bar.set_message(show(&l));
        }
    }
    let last = pollster::block_on(session.finish()).map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    let seconds = loop_start.elapsed().as_secs_f64();

    let picture = pollster::block_on(session.image()).map_err(|e| e.to_string())?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    picture
        .save(&out)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!(
        "{} steps in {:.1} s ({:.2} steps/s, {:.1} ms/step) on {}",
        params.iterations,
        seconds,
        params.iterations as f64 / seconds,
        1000.0 * seconds / params.iterations.max(1) as f64,
        gpu.adapter.name
    );
    if let Some(f) = first {
        eprintln!("first step:  {}", show(&f));
    }
    eprintln!("last step:   {}", show(&last));
    println!("{}", out.display());
    Ok(())
}
