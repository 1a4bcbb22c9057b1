//! `artsy train`: turn a painting into a filter network trained on this GPU and save it in a filter file; and
//! `artsy apply`: stylise a photo with such a filter in one forward pass.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use artsy::filter::{FilterNetwork, Overrides};
use artsy::filter_net::Stylizer;
use artsy::kernels::precision::Precision;
use artsy::params::ParamsPatch;
use artsy::training::{TrainSettings, Trainer};
use artsy::{Filter, Gpu, GpuWeights, Params, Pooling, VggWeights};
use clap::Args as ClapArgs;
use indicatif::{ProgressBar, ProgressStyle};

use super::args::layer_weights;
use super::inputs::{
    DEFAULT_WEIGHTS, app_file, check_filter_paintings, decode_paintings, filter_name, given_styles, read, read_filter,
};
use super::output;
use super::progress::{show, show_style_layers};

/// The sample photos every network is trained on (unless --no-sample-photos): the app's own `content_*` pictures.
const SAMPLE_PHOTOS: &str = "assets/images";
/// Train a filter network from painting(s): afterwards `artsy apply` stylises any photo in one pass.
#[derive(ClapArgs)]
pub struct TrainArgs {
    /// The painting(s) whose style to learn; repeat for a blend.
    #[arg(long)]
    pub style: Vec<PathBuf>,
    /// Blend weight of each painting, in order (normalised to sum to 1).
    #[arg(long, value_delimiter = ',')]
    pub style_blend: Vec<f32>,
    /// A saved filter whose painting(s) and loss settings to start from (flags given here win).
    #[arg(long)]
    pub filter: Option<PathBuf>,
    /// More training photos: image files, or folders of them (every image inside).
    #[arg(long)]
    pub photos: Vec<PathBuf>,
    /// Train on the --photos alone, without the app's sample photos.
    #[arg(long)]
    pub no_sample_photos: bool,
    /// The filter file to write (*.artsy-filter.json).
    #[arg(long)]
    pub out: PathBuf,
    /// Training steps (with --continue: steps more).
    #[arg(long, default_value_t = TrainSettings::default().steps)]
    pub steps: u32,
    /// Stop after this many minutes even if --steps are not done (the network is saved as it is then).
    #[arg(long)]
    pub minutes: Option<f64>,
    /// Go on training the network that --filter carries, from its weights (Adam starts afresh), with its width and,
    /// unless given here, its batch, crop, learning rate, seed and painting size; the file records the steps of
    /// both runs. --out may name the same file.
    #[arg(long = "continue")]
    pub continue_training: bool,
    /// Crops per step [default: 4; with --continue, the network's].
    #[arg(long)]
    pub batch: Option<u32>,
    /// Side of the training crops in pixels, a multiple of 4 [default: 256; with --continue, the network's].
    #[arg(long)]
    pub crop: Option<u32>,
    /// Adam's learning rate for the network's weights [default: 0.001; with --continue, the network's].
    #[arg(long)]
    pub lr: Option<f32>,
    /// Channels of the network's first layer: 8, 16 or 32 (Johnson's full width) [default: 16; with --continue,
    /// the network's, which cannot change].
    #[arg(long)]
    pub width: Option<u32>,
    /// Seed of the first weights and the crops [default: 1; with --continue, the network's, and the crops are
    /// drawn afresh].
    #[arg(long)]
    pub seed: Option<u64>,
    /// The size in pixels of the pictures the filter is made for: the paintings are analysed at it, so the
    /// strokes come out as big as in an optimised picture of that size [default: 512; with --continue, the
    /// network's].
    #[arg(long)]
    pub style_size: Option<u32>,
    /// How much the photo's structure counts (default 500 at relu2_2; a filter made for the optimisation, with
    /// relu4_2, trains at 100 times its weight there).
    #[arg(long)]
    pub content_weight: Option<f32>,
    /// How much the painting's style counts.
    #[arg(long)]
    pub style_weight: Option<f32>,
    /// Content layers with weights (default relu2_2=1, also for a filter whose content layer is relu4_2).
    #[arg(long, value_delimiter = ',')]
    pub content_layers: Option<Vec<String>>,
    /// Style layers with weights.
    #[arg(long, value_delimiter = ',')]
    pub style_layers: Option<Vec<String>>,
    /// Total-variation weight: higher is smoother.
    #[arg(long)]
    pub tv_weight: Option<f32>,
    /// Size at which the painting is analysed, relative to the crops.
    #[arg(long)]
    pub style_scale: Option<f32>,
    /// VGG's pooling: max or avg.
    #[arg(long)]
    pub pooling: Option<Pooling>,
    /// VGG19 weights (safetensors).
    #[arg(long)]
    pub weights: Option<PathBuf>,
}

/// Stylise a photo with a filter that carries a trained network (made by `artsy train` or the page).
#[derive(ClapArgs)]
pub struct ApplyArgs {
    /// The filter file (*.artsy-filter.json) with a network.
    #[arg(long)]
    pub filter: PathBuf,
    /// The photo to stylise.
    #[arg(long)]
    pub content: PathBuf,
    /// Where to write the result (PNG, JPEG, WebP, ... by its extension).
    #[arg(long)]
    pub out: PathBuf,
    /// Output size, the longer side in pixels (default: the photo's own size; at most 8192x8192 pixels in all).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub size: Option<u32>,
    /// Keep the photo's colours (default: the filter's setting).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub original_colors: Option<bool>,
    /// Also measure the result by the optimisation's losses under the settings the network trained with (the
    /// same figures `artsy --filter` reports for an optimised picture).
    #[arg(long)]
    pub losses: bool,
    /// The VGG19 weights for --losses (safetensors; default: the app's own).
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// The format the network computes in: f16 (half the memory traffic; on a GPU with shader-f16) or f32
    /// (default: f16 where the GPU has it, f32 on others and on CPU rasterisers).
    #[arg(long, value_parser = ["f32", "f16"])]
    pub precision: Option<String>,
}

fn is_image(path: &Path) -> bool {
    image::ImageFormat::from_path(path).is_ok_and(|f| f.reading_enabled())
}

/// Every image named: files as given, folders' image files in name order.
fn image_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| format!("cannot read the folder {}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_image(p))
                .collect();
            if inside.is_empty() {
                return Err(format!("the folder {} holds no image this build reads", path.display()));
            }
            inside.sort();
            files.extend(inside);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn sample_photos() -> Result<Vec<PathBuf>, String> {
    let folder = app_file(SAMPLE_PHOTOS);
    if !folder.is_dir() {
        return Err(format!(
            "the app's sample photos are not in {}: run from the repository's root, or train on your own photos \
             alone with --photos and --no-sample-photos",
            folder.display()
        ));
    }
    let mut files: Vec<PathBuf> = image_files(&[folder])?
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("content_"))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn decode(path: &Path) -> Result<image::RgbaImage, String> {
    artsy::image::decode(&path.display().to_string(), &read(path, "image")?).map_err(|e| e.to_string())
}

fn open_gpu(weights: &Option<PathBuf>) -> Result<(Gpu, Arc<GpuWeights>), String> {
    let path = weights.clone().unwrap_or_else(|| app_file(DEFAULT_WEIGHTS));
    let vgg = VggWeights::from_safetensors(&read(&path, "weights")?).map_err(|e| format!("{}: {e}", path.display()))?;
    let gpu = pollster::block_on(Gpu::new()).map_err(|e| e.to_string())?;
    super::report::adapter(&gpu);
    let weights = Arc::new(GpuWeights::upload(&gpu, &vgg));
    Ok((gpu, weights))
}

/// With --continue: the network `filter` (read from `path`) carries, as it was trained and its parameters;
/// `width`, when given, must be its width.
fn resumed_network(
    path: Option<&Path>,
    filter: Option<&Filter>,
    width: Option<u32>,
) -> Result<Option<(TrainSettings, Vec<f32>)>, String> {
    let (Some(path), Some(filter)) = (path, filter) else {
        return Err("--continue goes on training the network of a saved filter: name it with --filter".into());
    };
    let Some(network) = &filter.network else {
        return Err(format!(
            "--continue: {} carries no trained network to go on from; train one without --continue",
            path.display()
        ));
    };
    let (arch, params) = network.decode().map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(w) = width.filter(|&w| w != arch.width) {
        return Err(format!(
            "--width {w}: the network of {} has width {}, and a network's width cannot change as it trains on; \
             drop --continue to train a new one",
            path.display(),
            arch.width
        ));
    }
    let trained = TrainSettings {
        width: arch.width,
        ..network.training.clone()
    };
    Ok(Some((trained, params)))
}

pub fn train(args: TrainArgs) -> Result<(), String> {
    if !args.out.to_string_lossy().ends_with(artsy::filter::EXTENSION) {
        return Err(format!(
            "--out {}: a filter file's name ends in {}",
            args.out.display(),
            artsy::filter::EXTENSION
        ));
    }
    output::check_writable(&args.out)?;
    let filter = args.filter.as_deref().map(read_filter).transpose()?;
    let resumed = if args.continue_training {
        resumed_network(args.filter.as_deref(), filter.as_ref(), args.width)?
    } else {
        None
    };
    let given_styles = given_styles(&args.style, filter.is_some())?;
    // A filter's settings (or the defaults) were made for the optimisation: train with their training form
    // (artsy::training::training_params); flags given below override it.
    let mut base = filter.unwrap_or_else(|| Filter::new("command line", &Params::default(), Vec::new()));
    base.params = artsy::training::training_params(&base.params);
    let layers = |flag: &str, items: &Option<Vec<String>>| items.as_ref().map(|i| layer_weights(flag, i)).transpose();
    let overrides = Overrides {
        params: ParamsPatch {
            content_weight: args.content_weight,
            style_weight: args.style_weight,
            content_layers: layers("content-layers", &args.content_layers)?,
            style_layers: layers("style-layers", &args.style_layers)?,
            tv_weight: args.tv_weight,
            style_scale: args.style_scale,
            pooling: args.pooling,
            ..ParamsPatch::default()
        },
        styles: given_styles,
        blend: (!args.style_blend.is_empty()).then(|| args.style_blend.clone()),
    };
    let (params, styles) = base.merged(&overrides).map_err(|e| e.to_string())?;
    check_filter_paintings(&styles)?;
    // Unless given, each setting is the network's to continue from, or the default.
    let (base, earlier_steps) = match &resumed {
        Some((trained, _)) => (trained.clone(), trained.steps),
        None => (TrainSettings::default(), 0),
    };
    let settings = TrainSettings {
        steps: args.steps,
        batch: args.batch.unwrap_or(base.batch),
        crop: args.crop.unwrap_or(base.crop),
        learning_rate: args.lr.unwrap_or(base.learning_rate),
        width: args.width.unwrap_or(base.width),
        seed: args.seed.unwrap_or(base.seed),
        style_size: args.style_size.unwrap_or(base.style_size),
    };
    settings.validate().map_err(|e| e.to_string())?;
    if let Some(minutes) = args.minutes.filter(|m| m.is_nan() || *m <= 0.0) {
        return Err(format!("--minutes {minutes}: give a positive number of minutes"));
    }

    let mut photo_files = if args.no_sample_photos {
        Vec::new()
    } else {
        sample_photos()?
    };
    photo_files.extend(image_files(&args.photos)?);
    if photo_files.is_empty() {
        return Err("no training photos: give --photos (or drop --no-sample-photos)".into());
    }
    // Each photo shrunk as it is read to the size training keeps (a folder of large photos never sits in memory
    // at full size).
    let photos = photo_files
        .iter()
        .map(|p| {
            let photo = decode(p)?;
            artsy::training::kept_photo(&photo, settings.crop).map_err(|e| format!("{}: {e}", p.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let paintings = decode_paintings(&styles)?;

    let (gpu, weights) = open_gpu(&args.weights)?;
    let started = Instant::now();
    // A continued run draws other crops than the first: its crops' seed moves on by the steps already done.
    let run_settings = TrainSettings {
        seed: settings.seed.wrapping_add(earlier_steps as u64),
        ..settings.clone()
    };
    let start = resumed.as_ref().map(|(_, params)| params.as_slice());
    let mut trainer = pollster::block_on(Trainer::new(
        &gpu,
        &weights,
        &photos,
        &paintings,
        &params,
        &run_settings,
        start,
    ))
    .map_err(|e| e.to_string())?;
    if earlier_steps > 0 {
        eprintln!("going on from the filter's network, trained {earlier_steps} steps");
    }
    eprintln!(
        "training a width-{} network ({} parameters) on {} photo{} in {} px crops, batches of {}, {} MB on the GPU",
        settings.width,
        trainer.architecture().param_count,
        photos.len(),
        if photos.len() == 1 { "" } else { "s" },
        settings.crop,
        settings.batch,
        trainer.gpu_bytes() >> 20
    );

    let bar = ProgressBar::new(settings.steps as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} ETA {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let loop_start = Instant::now();
    // Without a terminal the bar is hidden: a line every tenth of the run instead.
    let logging = !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut next_line = settings.steps.div_ceil(10);
    let budget = args.minutes.map(|m| std::time::Duration::from_secs_f64(m * 60.0));
    let more = |trainer: &Trainer| trainer.step() < settings.steps && budget.is_none_or(|b| loop_start.elapsed() < b);
    // Two steps queued at a time keep the GPU busy; each step is its own submission.
    while more(&trainer) || trainer.steps_in_flight() > 0 {
        while more(&trainer) && trainer.steps_in_flight() < 2 {
            trainer.run(1).map_err(|e| e.to_string())?;
        }
        trainer.wait_oldest().map_err(|e| e.to_string())?;
        if let Some(l) = trainer.poll_losses() {
            bar.set_position(l.iteration as u64);
            bar.set_message(show(&l));
            if logging && l.iteration >= next_line {
                let elapsed = loop_start.elapsed().as_secs_f64();
                let left = elapsed / l.iteration as f64 * (settings.steps - l.iteration) as f64;
                eprintln!(
                    "step {}/{}: {}, {left:.0} s left",
                    l.iteration,
                    settings.steps,
                    show(&l)
                );
                next_line += settings.steps.div_ceil(10);
            }
        }
    }
    let seconds = loop_start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let network = pollster::block_on(trainer.params()).map_err(|e| e.to_string())?;
    if let Some(l) = trainer.latest_losses() {
        eprintln!("last batch: {}", show(&l));
    }
    let done = trainer.step();
    if done < settings.steps {
        eprintln!(
            "stopped after {:.1} minutes (--minutes), at step {done} of {}",
            seconds / 60.0,
            settings.steps
        );
    }
    eprintln!(
        "{done} steps in {seconds:.1} s ({:.1} ms/step; {:.1} s with set-up)",
        1000.0 * seconds / done.max(1) as f64,
        started.elapsed().as_secs_f64()
    );
    let settings = TrainSettings {
        steps: earlier_steps.saturating_add(done),
        ..settings
    };

    let mut filter = Filter::new(&filter_name(&args.out), &params, styles);
    filter.network = Some(FilterNetwork::new(trainer.architecture(), settings, &network));
    let json = filter.to_json();
    output::save_filter_file(&json, &args.out)?;
    eprintln!(
        "filter saved: {} ({:.1} MB)",
        args.out.display(),
        json.len() as f64 / 1e6
    );
    Ok(())
}

pub fn apply(args: ApplyArgs) -> Result<(), String> {
    output::check_picture_path(&args.out)?;
    let filter = read_filter(&args.filter)?;
    let Some(network) = &filter.network else {
        return Err(format!(
            "{} has no trained network: train one with `artsy train --filter {}`, or run the optimisation with \
             `artsy --filter {}`",
            args.filter.display(),
            args.filter.display(),
            args.filter.display()
        ));
    };
    let (arch, params) = network.decode().map_err(|e| e.to_string())?;
    let photo = decode(&args.content)?;
    let (w, h) = match args.size {
        Some(size) => artsy::image::fit(photo.width(), photo.height(), size),
        None => (photo.width(), photo.height()),
    };
    // Refused before the photo is resized to that size: a picture past the limit would not fit in memory.
    artsy::filter_net::apply::check_size(w, h).map_err(|e| {
        let side = artsy::filter_net::apply::largest_allowed_side(w, h);
        format!("{e} (--size {side} or less)")
    })?;
    let (gpu, weights) = if args.losses {
        let (gpu, weights) = open_gpu(&args.weights)?;
        (gpu, Some(weights))
    } else {
        let gpu = pollster::block_on(Gpu::new()).map_err(|e| e.to_string())?;
        super::report::adapter(&gpu);
        (gpu, None)
    };
    let mut stylizer = Stylizer::new(&gpu, arch, &params).map_err(|e| e.to_string())?;
    if let Some(precision) = args.precision.as_deref().and_then(Precision::parse) {
        stylizer.set_precision(precision).map_err(|e| e.to_string())?;
    }
    let in_one_pass = stylizer.largest_size((photo.width(), photo.height()));
    if w.max(h) > in_one_pass {
        eprintln!("{w}x{h} is more than one pass holds on this GPU ({in_one_pass} px): stylising in tiles");
    }
    let input = artsy::image::resize(&photo, w, h);
    let started = Instant::now();
    let mut picture = pollster::block_on(stylizer.apply(&input)).map_err(|e| e.to_string())?;
    let first = started.elapsed().as_secs_f64();
    if args.original_colors.unwrap_or(filter.params.original_colors) {
        picture = artsy::image::keep_colors(&picture, &input);
    }
    output::save_picture(&picture, &args.out)?;
    eprintln!(
        "{}x{} stylised in {:.0} ms ({}; set-up and read-back included): {}",
        w,
        h,
        first * 1000.0,
        stylizer.precision().name(),
        args.out.display()
    );
    if let Some(weights) = weights {
        let paintings = decode_paintings(&filter.styles)?;
        let settings = artsy::training::training_params(&filter.params);
        let (losses, style_layers) = pollster::block_on(artsy::Session::losses_of(
            &gpu, &weights, &input, &paintings, &settings, &picture,
        ))
        .map_err(|e| e.to_string())?;
        eprintln!("the result measured as the optimisation measures: {}", show(&losses));
        eprintln!("its style loss by layer: {}", show_style_layers(&style_layers));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The training flags' help states the engine's defaults (written in words there, because --continue changes
    /// them): a changed default must change its help too.
    #[test]
    fn the_training_flags_help_states_the_engines_defaults() {
        let help = TrainArgs::augment_args(clap::Command::new("train"))
            .render_long_help()
            .to_string();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let d = TrainSettings::default();
        for (flag, default) in [
            ("batch", d.batch.to_string()),
            ("crop", d.crop.to_string()),
            ("lr", d.learning_rate.to_string()),
            ("width", d.width.to_string()),
            ("seed", d.seed.to_string()),
            ("style-size", d.style_size.to_string()),
        ] {
            let (_, after) = help.split_once(&format!("--{flag} <")).expect(flag);
            let line = &after[..after.find(" --").unwrap_or(after.len())];
            assert!(line.contains(&format!("[default: {default};")), "--{flag}: {line}");
        }
    }
}
