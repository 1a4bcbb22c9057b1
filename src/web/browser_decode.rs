//! Decoding pictures with the browser's own decoders: createImageBitmap (turned upright by the EXIF orientation,
//! downscaled there when too big), then the pixels through an OffscreenCanvas. Every format the browser reads
//! works (AVIF, ICO ...), at native speed.

use image::RgbaImage;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ImageBitmap, ImageBitmapOptions, ImageOrientation, OffscreenCanvas, OffscreenCanvasRenderingContext2d};

/// The picture in `bytes`, upright, its longer side at most `max_side` (downscaled by the browser, keeping the
/// aspect ratio). Err when the browser cannot decode it (the caller falls back on the image crate).
pub async fn decode(bytes: &[u8], max_side: u32) -> Result<RgbaImage, String> {
    Ok(decode_sized(bytes, max_side).await?.0)
}

/// As `decode`, with the picture's own size (upright) before any downscaling.
pub async fn decode_sized(bytes: &[u8], max_side: u32) -> Result<(RgbaImage, (u32, u32)), String> {
    decode_js(bytes, max_side)
        .await
        .map_err(|e| format!("the browser could not decode it: {e:?}"))
}

async fn decode_js(bytes: &[u8], max_side: u32) -> Result<(RgbaImage, (u32, u32)), JsValue> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts)?;
    let window = crate::web::dom::window();
    let options = ImageBitmapOptions::new();
    options.set_image_orientation(ImageOrientation::FromImage);
    let bitmap: ImageBitmap =
        JsFuture::from(window.create_image_bitmap_with_blob_and_image_bitmap_options(&blob, &options)?)
            .await?
            .dyn_into()?;
    let (width, height) = (bitmap.width(), bitmap.height());
    let original = (width, height);
    if width == 0 || height == 0 {
        bitmap.close();
        return Err("the picture has no pixels".into());
    }
    let bitmap = if width.max(height) > max_side {
        let (w, h) = crate::image::fit(width, height, max_side);
        let resize = ImageBitmapOptions::new();
        resize.set_resize_width(w);
        resize.set_resize_height(h);
        resize.set_resize_quality(web_sys::ResizeQuality::High);
        let smaller =
            JsFuture::from(window.create_image_bitmap_with_image_bitmap_and_image_bitmap_options(&bitmap, &resize)?)
                .await;
        bitmap.close();
        smaller?.dyn_into()?
    } else {
        bitmap
    };
    let (width, height) = (bitmap.width(), bitmap.height());
    let pixels = pixels_of(&bitmap, width, height);
    bitmap.close();
    let pixels = pixels?;
    let image =
        RgbaImage::from_raw(width, height, pixels).ok_or_else(|| JsValue::from("the canvas gave too few pixels"))?;
    Ok((image, original))
}

/// The RGBA8 pixels of `bitmap` (`width` x `height`), drawn on an OffscreenCanvas of that size.
fn pixels_of(bitmap: &ImageBitmap, width: u32, height: u32) -> Result<Vec<u8>, JsValue> {
    let canvas = OffscreenCanvas::new(width, height)?;
    let context: OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context on an OffscreenCanvas"))?
        .dyn_into()?;
    context.draw_image_with_image_bitmap(bitmap, 0.0, 0.0)?;
    let data = context.get_image_data(0.0, 0.0, width as f64, height as f64)?;
    Ok(data.data().0)
}
