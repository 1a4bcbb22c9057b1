//! Resolving what a run needs before any work starts: the photo, the paintings, the settings (a saved filter with
//! the flags on top, through Filter::merged), the weights file and an output path known to be writable.

use std::path::{Path, PathBuf};

use artsy::{Filter, FilterStyle, Params};
use image::RgbaImage;

use super::args::Args;
use super::output;

/// Everything a run reads, checked.
pub struct Inputs {
    pub content_path: PathBuf,
    pub photo: RgbaImage,
    /// The paintings' original files with their blend weights (as a saved filter keeps them).
    pub styles: Vec<FilterStyle>,
    /// The same paintings decoded, with their blend weights.
    pub paintings: Vec<(RgbaImage, f32)>,
    pub params: Params,
    pub weights_path: PathBuf,
    pub out: PathBuf,
}

/// What runs when no photo, painting or weights are named (relative to the repository root, where
/// `./build.sh run` starts the CLI).
const DEFAULT_PHOTO: &str = "assets/images/content_astronaut.png";
const DEFAULT_PAINTING: &str = "assets/images/style_starry_night_vangogh.jpg";
pub const DEFAULT_WEIGHTS: &str = "assets/vgg19/vgg19-conv-u8.safetensors";

/// The app's own file or folder `relative` (under assets/): from the working folder when it is there (the
/// repository root, where `./build.sh run` starts the CLI), else from the checkout the CLI was built from, so
/// that the defaults work from any folder; else `relative` as it is, for the error to name.
pub fn app_file(relative: &str) -> PathBuf {
    let here = PathBuf::from(relative);
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if !here.exists() && built.exists() { built } else { here }
}

pub fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
}

fn stem(name: &str) -> String {
    Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image".into())
}

/// A painting file as a filter keeps it: its file name, blend 1 (until a blend is given) and its bytes.
pub fn style_file(path: &Path) -> Result<FilterStyle, String> {
    Ok(FilterStyle {
        name: path
            .file_name()
            .map_or("painting".into(), |n| n.to_string_lossy().into_owned()),
        blend: 1.0,
        data: read(path, "image")?,
    })
}

/// Reads and checks a filter file; one over the size limit is refused before it is read.
pub fn read_filter(path: &Path) -> Result<Filter, String> {
    if let Ok(meta) = std::fs::metadata(path) {
        artsy::filter::check_file_size(meta.len()).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Filter::from_json(&read(path, "filter")?).map_err(|e| format!("{}: {e}", path.display()))
}

/// The paintings the user named: the `--style` files, else (without a filter to give them) the sample; None
/// keeps the filter's.
pub fn given_styles(style: &[PathBuf], has_filter: bool) -> Result<Option<Vec<FilterStyle>>, String> {
    if !style.is_empty() {
        Ok(Some(
            style.iter().map(|p| style_file(p)).collect::<Result<Vec<_>, _>>()?,
        ))
    } else if !has_filter {
        Ok(Some(vec![style_file(&app_file(DEFAULT_PAINTING))?]))
    } else {
        Ok(None)
    }
}

/// The paintings decoded, with their blend weights.
pub fn decode_paintings(styles: &[FilterStyle]) -> Result<Vec<(RgbaImage, f32)>, String> {
    styles
        .iter()
        .map(|s| {
            Ok((
                artsy::image::decode(&s.name, &s.data).map_err(|e| e.to_string())?,
                s.blend,
            ))
        })
        .collect()
}

/// Reads and checks every input named by `args`; nothing here touches the GPU.
pub fn resolve(args: &Args) -> Result<Inputs, String> {
    let filter = args.filter.as_deref().map(read_filter).transpose()?;
    let given_styles = given_styles(&args.style, filter.is_some())?;
    let base = filter.unwrap_or_else(|| Filter::new("command line", &Params::default(), Vec::new()));
    let overrides = args.overrides(given_styles)?;
    let (params, styles) = base.merged(&overrides).map_err(|e| e.to_string())?;
    if args.seed.is_some() && params.init.seed().is_none() {
        eprintln!("note: --seed only matters for a noise start (--init noise); this run starts from the photo");
    }
    if args.multiscale_start.is_some() && !params.multiscale {
        eprintln!("note: --multiscale-start only matters with --multiscale; this run is at one size");
    }

    let content_path = args.content.clone().unwrap_or_else(|| app_file(DEFAULT_PHOTO));
    let out = args.out.clone().unwrap_or_else(|| {
        let names: Vec<String> = styles.iter().map(|s| stem(&s.name)).collect();
        PathBuf::from(format!(
            "out/{}-{}.png",
            stem(&content_path.to_string_lossy()),
            names.join("+")
        ))
    });
    output::check_picture_path(&out)?;
    if let Some(path) = &args.save_filter {
        output::check_writable(path)?;
    }

    let photo = artsy::image::decode(&content_path.display().to_string(), &read(&content_path, "image")?)
        .map_err(|e| e.to_string())?;
    let paintings = decode_paintings(&styles)?;
    let weights_path = args.weights.clone().unwrap_or_else(|| app_file(DEFAULT_WEIGHTS));
    Ok(Inputs {
        content_path,
        photo,
        styles,
        paintings,
        params,
        weights_path,
        out,
    })
}

/// The name a filter saved to `path` gets: the file's name without the filter extension.
pub fn filter_name(path: &Path) -> String {
    path.file_name()
        .map(|n| {
            n.to_string_lossy()
                .trim_end_matches(artsy::filter::EXTENSION)
                .to_string()
        })
        .unwrap_or_else(|| "filter".into())
}

/// Refuses paintings that a filter file cannot hold (more than MAX_PAINTINGS, or more than its size limit once
/// base64-encoded), before any work: a filter written with them could not be read back.
pub fn check_filter_paintings(styles: &[FilterStyle]) -> Result<(), String> {
    if styles.len() > artsy::filter::MAX_PAINTINGS {
        return Err(format!(
            "cannot save {} paintings as a filter: a filter holds at most {}",
            styles.len(),
            artsy::filter::MAX_PAINTINGS
        ));
    }
    let encoded: u64 = styles.iter().map(|s| (s.data.len() as u64).div_ceil(3) * 4).sum();
    artsy::filter::check_file_size(encoded).map_err(|e| format!("cannot save these paintings as a filter: {e}"))
}

/// Writes this run's paintings and settings as a filter the page can import, named after the file.
pub fn save_filter(path: &Path, inputs: &Inputs) -> Result<(), String> {
    let filter = Filter::new(&filter_name(path), &inputs.params, inputs.styles.clone());
    let json = filter.to_json();
    check_filter_paintings(&inputs.styles)?;
    artsy::filter::check_file_size(json.len() as u64).map_err(|e| format!("cannot save the filter: {e}"))?;
    super::output::save_filter_file(&json, path)?;
    eprintln!("filter saved: {}", path.display());
    Ok(())
}
