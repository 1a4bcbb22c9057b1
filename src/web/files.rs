//! Getting bytes in and out of the page: dropped, chosen and pasted files; fetched URLs; PNG downloads.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File};

/// The bytes of a File or Blob.
pub async fn blob_bytes(blob: &Blob) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| format!("could not read the file: {e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The first file of a drop or paste, if any.
pub fn first_file(data: Option<web_sys::DataTransfer>) -> Option<File> {
    data.and_then(|d| d.files()).and_then(|f| f.get(0))
}

/// Fetches `url`: Ok(None) when the server answers 404, an error for any other failure.
pub async fn fetch_response(url: &str) -> Result<Option<web_sys::Response>, String> {
    let response: web_sys::Response = JsFuture::from(crate::web::dom::window().fetch_with_str(url))
        .await
        .map_err(|e| format!("could not fetch {url}: {e:?}"))?
        .unchecked_into();
    if response.status() == 404 {
        return Ok(None);
    }
    if !response.ok() {
        return Err(format!("could not fetch {url}: HTTP {}", response.status()));
    }
    Ok(Some(response))
}

/// The bytes at `url`; Ok(None) when the server answers 404.
pub async fn fetch_bytes(url: &str) -> Result<Option<Vec<u8>>, String> {
    let Some(response) = fetch_response(url).await? else {
        return Ok(None);
    };
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("could not read {url}: {e:?}"))?;
    Ok(Some(js_sys::Uint8Array::new(&buffer).to_vec()))
}

/// A `blob:` URL for `bytes` of MIME type `mime` (for thumbnails and downloads).
pub fn object_url(bytes: &[u8], mime: &str) -> Result<String, JsValue> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    web_sys::Url::create_object_url_with_blob(&blob)
}

/// Encodes `image` as PNG.
pub fn png_bytes(image: &image::RgbaImage) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| format!("could not encode the PNG: {e}"))?;
    Ok(out)
}

/// Offers `bytes` as a download named `name`.
pub fn download(bytes: &[u8], mime: &str, name: &str) -> Result<(), JsValue> {
    let url = object_url(bytes, mime)?;
    let a: web_sys::HtmlAnchorElement = crate::web::dom::document().create_element("a")?.unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}

/// "astronaut" from "content_astronaut.png" or "IMG_01.jpeg": the file stem, for download names.
pub fn stem(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let stem = stem
        .strip_prefix("content_")
        .or_else(|| stem.strip_prefix("style_"))
        .unwrap_or(stem);
    crate::filter::safe_file_stem(stem, "image")
}
