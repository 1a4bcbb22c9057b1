//! How long a picture takes to decode in the page, with the browser's decoders and with the image crate (a wasm
//! export for the page test's measurement; touches no page element).

use serde_json::json;
use wasm_bindgen::prelude::*;

/// Decodes `bytes` both ways, in full and as the page keeps a picture (at most the largest output size), and
/// resolves to JSON text: the picture's size and the milliseconds of each.
#[wasm_bindgen]
pub async fn decode_timing(bytes: Vec<u8>) -> Result<String, JsValue> {
    let performance = crate::web::dom::window()
        .performance()
        .ok_or_else(|| JsValue::from_str("no performance clock"))?;
    let fail = |e: String| JsValue::from_str(&e);
    let t0 = performance.now();
    let browser = super::browser_decode::decode(&bytes, u32::MAX).await.map_err(fail)?;
    let t1 = performance.now();
    let kept_browser = super::picked::Picked::read("timing", &bytes).await.map_err(fail)?;
    let t2 = performance.now();
    let image_crate = crate::image::decode("timing", &bytes).map_err(|e| fail(e.to_string()))?;
    let t3 = performance.now();
    let kept_crate = super::picked::Picked::decode("timing", &bytes).map_err(fail)?;
    let t4 = performance.now();
    Ok(json!({
        "bytes": bytes.len(),
        "width": browser.width(),
        "height": browser.height(),
        "same size both ways": (browser.width(), browser.height()) == (image_crate.width(), image_crate.height()),
        "kept size": [kept_browser.image.width(), kept_browser.image.height()],
        "kept size of the image crate": [kept_crate.image.width(), kept_crate.image.height()],
        "browser ms": t1 - t0,
        "browser to kept size ms": t2 - t1,
        "image crate ms": t3 - t2,
        "image crate to kept size ms": t4 - t3,
    })
    .to_string())
}
