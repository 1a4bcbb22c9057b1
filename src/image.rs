//! Images in and out: decoding files (any format the image crate reads, turned upright by their EXIF orientation),
//! resizing to the working size, and the conversions between RGBA8 and the engine's pixels (one [r, g, b, 0] f32
//! quadruple per pixel, values in 0..1).

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, RgbaImage, imageops::FilterType};

use crate::error::{Error, Result};

/// Largest image accepted from a file, in pixels per side (it is downscaled to the working size anyway).
pub const MAX_DECODE_SIDE: u32 = 16384;

/// Decodes an image file's bytes, turned upright as its EXIF orientation says. `name` is used in messages only.
pub fn decode(name: &str, bytes: &[u8]) -> Result<RgbaImage> {
    let fail = |reason: String| Error::Image {
        name: name.to_string(),
        reason,
    };
    if bytes.is_empty() {
        return Err(fail("is empty".into()));
    }
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes));
    reader = reader
        .with_guessed_format()
        .map_err(|e| fail(format!("could not be read: {e}")))?;
    if reader.format().is_none() {
        return Err(fail(
            "is not an image this app can read (PNG, JPEG, WebP, GIF, BMP, TIFF ...)".into(),
        ));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(2 << 30);
    reader.limits(limits);
    let undecodable = |e: image::ImageError| fail(format!("could not be decoded: {e}"));
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    // A camera stores the sensor's pixels and says in EXIF how to turn them upright; the picture is used upright.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    decoded.apply_orientation(orientation);
    if decoded.width() == 0 || decoded.height() == 0 {
        return Err(fail("has no pixels".into()));
    }
    Ok(decoded.to_rgba8())
}

/// The (width, height) that fits `image` into `longer_side`, keeping its aspect ratio.
pub fn fit(width: u32, height: u32, longer_side: u32) -> (u32, u32) {
    let scale = longer_side as f64 / width.max(height) as f64;
    let w = ((width as f64 * scale).round() as u32).max(1);
    let h = ((height as f64 * scale).round() as u32).max(1);
    (w, h)
}

/// Resizes to exactly `width` x `height` (Catmull-Rom; Lanczos costs more and shows no difference here).
pub fn resize(image: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    if image.width() == width && image.height() == height {
        return image.clone();
    }
    // A big reduction (a huge painting analysed at a small output size) is first averaged down in boxes to twice
    // the target: Catmull-Rom over the whole of a 16384 px painting would take tens of seconds, the box average
    // one pass.
    if image.width() >= 8 * width && image.height() >= 8 * height {
        let halfway = image::imageops::thumbnail(image, width * 2, height * 2);
        return image::imageops::resize(&halfway, width, height, FilterType::CatmullRom);
    }
    image::imageops::resize(image, width, height, FilterType::CatmullRom)
}

/// RGBA8 -> pixels [r, g, b, 0] in 0..1 (alpha is dropped: composited over nothing).
pub fn to_pixels(image: &RgbaImage) -> Vec<f32> {
    image
        .pixels()
        .flat_map(|p| [p[0] as f32 / 255.0, p[1] as f32 / 255.0, p[2] as f32 / 255.0, 0.0])
        .collect()
}

/// Pixels [r, g, b, _] in 0..1 -> RGBA8, opaque.
pub fn from_pixels(width: u32, height: u32, pixels: &[f32]) -> RgbaImage {
    let to_u8 = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    let bytes = pixels
        .chunks_exact(4)
        .flat_map(|p| [to_u8(p[0]), to_u8(p[1]), to_u8(p[2]), 255])
        .collect();
    RgbaImage::from_raw(width, height, bytes).expect("pixel count matches the size")
}

/// Uniform noise in 0..1 from a seed (the same seed gives the same start on every platform).
pub fn noise_pixels(count: usize, seed: u64) -> Vec<f32> {
    let mut random = crate::random::Random::new(seed);
    (0..count)
        .flat_map(|_| [random.next_f32(), random.next_f32(), random.next_f32(), 0.0])
        .collect()
}

/// BT.601 luma of an RGB triple (any scale).
fn luma(r: f32, g: f32, b: f32) -> f32 {
    0.299 * r + 0.587 * g + 0.114 * b
}

/// The luminance of `stylised` with the colour (chroma, in YCbCr) of `photo`: "keep the photo's colours".
/// Both images must have the same size.
pub fn keep_colors(stylised: &RgbaImage, photo: &RgbaImage) -> RgbaImage {
    assert_eq!(
        stylised.dimensions(),
        photo.dimensions(),
        "keep_colors needs images of one size"
    );
    let mut out = stylised.clone();
    for (o, p) in out.pixels_mut().zip(photo.pixels()) {
        let f = |c: u8| c as f32;
        let y = luma(f(o[0]), f(o[1]), f(o[2]));
        let (pr, pg, pb) = (f(p[0]), f(p[1]), f(p[2]));
        let py = luma(pr, pg, pb);
        // Cb and Cr are scaled differences from luma; adding the photo's differences to the new luma and
        // converting back is the same as replacing Y in YCbCr.
        let cb = 0.564 * (pb - py);
        let cr = 0.713 * (pr - py);
        let to_u8 = |v: f32| v.round().clamp(0.0, 255.0) as u8;
        o[0] = to_u8(y + 1.403 * cr);
        o[1] = to_u8(y - 0.344 * cb - 0.714 * cr);
        o[2] = to_u8(y + 1.773 * cb);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ycbcr(p: &image::Rgba<u8>) -> [f32; 3] {
        let (r, g, b) = (p[0] as f32, p[1] as f32, p[2] as f32);
        let y = luma(r, g, b);
        [y, 0.564 * (b - y), 0.713 * (r - y)]
    }

    #[test]
    fn keep_colors_takes_luma_from_one_and_chroma_from_the_other() {
        // Mid-range values, so that nothing clips.
        let stylised = RgbaImage::from_fn(5, 4, |x, y| {
            image::Rgba([90 + 10 * x as u8, 120, 100 + 8 * y as u8, 255])
        });
        let photo = RgbaImage::from_fn(5, 4, |x, y| {
            image::Rgba([140, 100 + 5 * y as u8, 110 + 6 * x as u8, 255])
        });
        let out = keep_colors(&stylised, &photo);
        for ((o, s), p) in out.pixels().zip(stylised.pixels()).zip(photo.pixels()) {
            let (o, s, p) = (ycbcr(o), ycbcr(s), ycbcr(p));
            assert!(
                (o[0] - s[0]).abs() < 1.0,
                "luma {} should be the stylised {}",
                o[0],
                s[0]
            );
            assert!(
                (o[1] - p[1]).abs() < 1.0 && (o[2] - p[2]).abs() < 1.0,
                "chroma {o:?} vs photo {p:?}"
            );
        }
        // A grey photo gives a grey result.
        let grey = RgbaImage::from_pixel(5, 4, image::Rgba([128, 128, 128, 255]));
        for p in keep_colors(&stylised, &grey).pixels() {
            assert!(
                p[0].abs_diff(p[1]) <= 1 && p[1].abs_diff(p[2]) <= 1,
                "{p:?} is not grey"
            );
        }
    }
}
