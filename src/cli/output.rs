//! Where the picture goes: output paths checked before a run starts, and a finished picture saved even when its
//! own path fails (somewhere that works, named in the message).

use std::fs::OpenOptions;
use std::io::Write;
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

/// Writes `bytes` to `path` whole or not at all: into a temporary file beside it, flushed to the disk, then renamed
/// over it. An error anywhere (a full disk, a quota) is returned, and what was at `path` stays as it was.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let name = path
        .file_name()
        .map_or("file".into(), |n| n.to_string_lossy().into_owned());
    let part = path.with_file_name(format!(".{name}.{}.part", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&part)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&part, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    written.map_err(fail)
}

/// The picture in the format `path`'s extension names (opaque: saved without alpha).
fn write(picture: &RgbaImage, path: &Path) -> Result<(), String> {
    let format = ImageFormat::from_path(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    DynamicImage::ImageRgba8(picture.clone())
        .to_rgb8()
        .write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    write_file(path, &bytes)
}

/// Where finished work goes when its own path `out` fails, in a file ending in `extension`: the temporary folder,
/// then the current one.
fn rescue_paths(out: &Path, extension: &str) -> Vec<PathBuf> {
    let stem = out
        .file_name()
        .map_or("picture".into(), |s| s.to_string_lossy().into_owned());
    let stem = stem.strip_suffix(extension).unwrap_or(&stem).to_string();
    let stem = Path::new(&stem)
        .file_stem()
        .map_or(stem.clone(), |s| s.to_string_lossy().into_owned());
    let name = format!(
        "artsy-{}-{}{extension}",
        artsy::filter::safe_file_stem(&stem, "picture"),
        std::process::id()
    );
    vec![std::env::temp_dir().join(&name), PathBuf::from(name)]
}

/// Writes with `write` to `out`; if that fails, to the first rescue place (ending in `extension`) that works, and
/// the error says where: finished work is never lost.
fn save_or_rescue(out: &Path, extension: &str, write: impl Fn(&Path) -> Result<(), String>) -> Result<(), String> {
    let failed = match write(out) {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    for rescue in rescue_paths(out, extension) {
        if write(&rescue).is_ok() {
            return Err(format!("{failed}; it was saved to {} instead", rescue.display()));
        }
    }
    Err(format!("{failed}, and no other place could be written either"))
}

/// Writes `picture` to `out` (in the format its extension names), or where `save_or_rescue` can (as PNG).
pub fn save_picture(picture: &RgbaImage, out: &Path) -> Result<(), String> {
    save_or_rescue(out, ".png", |path| write(picture, path))
}

/// Writes a filter file's `json` to `out`, or where `save_or_rescue` can: a trained network is never lost.
pub fn save_filter_file(json: &[u8], out: &Path) -> Result<(), String> {
    save_or_rescue(out, artsy::filter::EXTENSION, |path| write_file(path, json))
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
        assert!(rescued.ends_with(".png instead"), "{m}");
        let rescued = rescued.trim_end_matches(" instead");
        let back = image::open(rescued).unwrap().to_rgba8();
        std::fs::remove_file(rescued).unwrap();
        assert_eq!(back, picture, "{m}");
        assert!(m.contains("cannot write /proc/artsy-no-such-folder/lost.png"), "{m}");
    }

    #[test]
    fn a_file_is_replaced_whole_and_a_rescued_filter_keeps_its_ending() {
        let dir = std::env::temp_dir().join(format!("artsy-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kept.txt");
        std::fs::write(&path, "old").unwrap();
        write_file(&path, b"new contents").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new contents");
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["kept.txt"], "no temporary file is left");
        std::fs::remove_dir_all(&dir).unwrap();

        let m = save_filter_file(b"{}", Path::new("/proc/artsy-no-such-folder/wave.artsy-filter.json")).unwrap_err();
        let (_, rescued) = m.split_once("saved to ").expect("the message says where");
        let rescued = rescued.trim_end_matches(" instead");
        assert!(rescued.contains("artsy-wave-"), "{m}");
        assert!(rescued.ends_with(artsy::filter::EXTENSION), "{m}");
        assert_eq!(std::fs::read(rescued).unwrap(), b"{}");
        std::fs::remove_file(rescued).unwrap();
    }
}
