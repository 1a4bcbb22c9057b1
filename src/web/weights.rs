//! The VGG19 weights in the browser: fetched once with progress, then kept in Cache Storage so the next visit
//! starts without downloading.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

const CACHE: &str = "artsy-weights-v1";

fn cache_storage() -> Option<web_sys::CacheStorage> {
    // Cache Storage exists only in secure contexts (https, or http on localhost).
    crate::web::dom::window().caches().ok()
}

async fn open_cache() -> Option<web_sys::Cache> {
    let caches = cache_storage()?;
    JsFuture::from(caches.open(CACHE))
        .await
        .ok()
        .map(|c| c.unchecked_into())
}

/// The cached copy of `url`, if there is one.
pub async fn cached(url: &str) -> Option<Vec<u8>> {
    let cache = open_cache().await?;
    let hit = JsFuture::from(cache.match_with_str(url)).await.ok()?;
    let response: web_sys::Response = hit.dyn_into().ok()?;
    let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Keeps `bytes` as the cached copy of `url` (best effort: a full or missing cache only costs a re-download).
pub async fn remember(url: &str, bytes: &[u8]) {
    let Some(cache) = open_cache().await else { return };
    let mut copy = bytes.to_vec();
    if let Ok(response) = web_sys::Response::new_with_opt_u8_array(Some(&mut copy)) {
        let _ = JsFuture::from(cache.put_with_str(url, &response)).await;
    }
}

/// Drops the cached copy of `url` (used when it turns out to be damaged).
pub async fn forget(url: &str) {
    if let Some(cache) = open_cache().await {
        let _ = JsFuture::from(cache.delete_with_str(url)).await;
    }
}

/// Downloads `url`, calling `progress(received, total)` as chunks arrive. Ok(None) when the server has no such file.
pub async fn download(url: &str, progress: impl Fn(f64, Option<f64>)) -> Result<Option<Vec<u8>>, String> {
    let Some(response) = crate::web::files::fetch_response(url).await? else {
        return Ok(None);
    };
    let total = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<f64>().ok());
    let Some(body) = response.body() else {
        return Err(format!("{url}: the response has no body"));
    };
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::with_capacity(total.unwrap_or(0.0) as usize);
    loop {
        let chunk: web_sys::ReadableStreamReadResult = JsFuture::from(reader.read())
            .await
            .map_err(|e| format!("download of {url} broke off: {e:?}"))?
            .unchecked_into();
        if chunk.get_done().unwrap_or(true) {
            break;
        }
        let data = js_sys::Uint8Array::new(&chunk.get_value());
        bytes.extend(data.to_vec());
        progress(bytes.len() as f64, total);
    }
    Ok(Some(bytes))
}
