//! Where the picture goes: output paths checked before a run starts, and a finished picture saved even when its
//! own path fails (somewhere that works, named in the message).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageFormat, RgbaImage};

/// `path` can be written: its folder exists (it is created) and a file there can be opened for writing.
/// Nothing already at `path` is changed; a probe file that was not there is removed again.
pub fn check_writable(path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
    }
    let existed = path.exists();
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// `out` names an image format this build writes (by its extension) and can be written.
pub fn check_picture_path(out: &Path) -> Result<(), String> {
    match ImageFormat::from_path(out) {
        Ok(format) if format.writing_enabled() => check_writable(out),
        _ => Err(format!(
            "cannot write {}: its extension names no image format this build writes; use .png, .jpg, .webp, \
             .bmp, .tif or .gif",
            out.display()
        )),
    }
}

/// The picture in the format `path`'s extension names (opaque: saved without alpha).
fn write(picture: &RgbaImage, path: &Path) -> Result<(), String> {
    DynamicImage::ImageRgba8(picture.clone())
        .to_rgb8()
        .save(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Where a picture goes when its own path fails: the temporary folder, then the current one.
fn rescue_paths(out: &Path) -> Vec<PathBuf> {
    let stem = out
        .file_stem()
        .map_or("picture".into(), |s| s.to_string_lossy().into_owned());
    let name = format!(
        "artsy-{}-{}.png",
        artsy::filter::safe_file_stem(&stem, "picture"),
        std::process::id()
    );
    vec![std::env::temp_dir().join(&name), PathBuf::from(name)]
}

/// Writes `picture` to `out`. If that fails, it is written to the first place that works and the error says where:
/// a finished picture is never lost.
pub fn save_picture(picture: &RgbaImage, out: &Path) -> Result<(), String> {
    let failed = match write(picture, out) {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    for rescue in rescue_paths(out) {
        if write(picture, &rescue).is_ok() {
            return Err(format!(
                "{failed}; the picture was saved to {} instead",
                rescue.display()
            ));
        }
    }
    Err(format!("{failed}, and no other place could be written either"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_cannot_take_a_picture_are_refused_before_a_run() {
        let m = check_picture_path(Path::new("/proc/artsy-no-such-folder/a.png")).unwrap_err();
        assert!(m.contains("cannot create the folder /proc/artsy-no-such-folder"), "{m}");
        let m = check_picture_path(Path::new("a.xyz")).unwrap_err();
        assert!(m.contains("a.xyz") && m.contains(".png"), "{m}");
        let ok = std::env::temp_dir().join(format!("artsy-check-{}.png", std::process::id()));
        check_picture_path(&ok).unwrap();
        assert!(!ok.exists(), "the probe leaves nothing behind");
    }

    #[test]
    fn a_picture_whose_path_fails_is_saved_elsewhere_and_the_message_says_where() {
        let picture = RgbaImage::from_pixel(5, 3, image::Rgba([10, 200, 30, 255]));
        let m = save_picture(&picture, Path::new("/proc/artsy-no-such-folder/lost.png")).unwrap_err();
        let (_, rescued) = m.split_once("saved to ").expect("the message says where");
        let rescued = rescued.trim_end_matches(" instead");
        let back = image::open(rescued).unwrap().to_rgba8();
        std::fs::remove_file(rescued).unwrap();
        assert_eq!(back, picture, "{m}");
        assert!(m.contains("cannot write /proc/artsy-no-such-folder/lost.png"), "{m}");
    }
}
