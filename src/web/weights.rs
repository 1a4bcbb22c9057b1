//! The VGG19 weights in the browser: fetched once with progress, then kept in Cache Storage with the version of the
//! served file they came from, so the next visit starts without downloading and a replaced file is fetched anew.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

const CACHE: &str = "artsy-weights-v1";
/// The header of a cached copy that holds the version of the served file it was downloaded from.
const VERSION_HEADER: &str = "x-artsy-version";

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

/// What identifies one served file at a URL: its ETag, else its Last-Modified date and length. Empty when the
/// server gives neither (the copy then counts as current until the server says otherwise).
fn version_of(response: &web_sys::Response) -> String {
    let header = |name: &str| response.headers().get(name).ok().flatten().unwrap_or_default();
    let etag = header("etag");
    if !etag.is_empty() {
        return etag;
    }
    let (modified, length) = (header("last-modified"), header("content-length"));
    if modified.is_empty() && length.is_empty() {
        String::new()
    } else {
        format!("{modified}; {length}")
    }
}

/// The version of the file served at `url` now, asked with a HEAD request (no download). None when the server
/// cannot be reached, has no such file or names no version: then a cached copy is used as it is.
pub async fn served_version(url: &str) -> Option<String> {
    let init = web_sys::RequestInit::new();
    init.set_method("HEAD");
    let response: web_sys::Response = JsFuture::from(crate::web::dom::window().fetch_with_str_and_init(url, &init))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    let version = version_of(&response);
    (response.ok() && !version.is_empty()).then_some(version)
}

/// How long asking the server for the weights' version may take before a cached copy is used as it is.
const VERSION_CHECK_MS: i32 = 3000;

/// The cached copy of `url`, if there is one and it is of the file served there now: the server is asked for its
/// file's version (a HEAD request, no download) and a copy of another version is dropped. When the server cannot
/// say (offline, no answer within VERSION_CHECK_MS, no such file, no version given), the copy is used as it is.
pub async fn cached(url: &str) -> Option<Vec<u8>> {
    let cache = open_cache().await?;
    let hit = JsFuture::from(cache.match_with_str(url)).await.ok()?;
    let response: web_sys::Response = hit.dyn_into().ok()?;
    // a network that is up but does not answer counts as offline after a while, not after the browser's timeout
    let asked = std::pin::pin!(served_version(url));
    let timer = std::pin::pin!(crate::web::dom::sleep(VERSION_CHECK_MS));
    let served = match futures_util::future::select(asked, timer).await {
        futures_util::future::Either::Left((served, _)) => served,
        futures_util::future::Either::Right(_) => None,
    };
    let kept = response
        .headers()
        .get(VERSION_HEADER)
        .ok()
        .flatten()
        .unwrap_or_default();
    if let Some(served) = served
        && served != kept
    {
        forget(url).await;
        return None;
    }
    let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Keeps `bytes` as the cached copy of `url`, of the served file of version `version` (empty for a file the user
/// gave), in place of any copy kept before: a built site names the weights by their content's hash, so new weights
/// come under a new URL and the old 20 MB would otherwise stay. Best effort: a full or missing cache only costs a
/// re-download.
pub async fn remember(url: &str, bytes: &[u8], version: &str) {
    let Some(cache) = open_cache().await else { return };
    if let Ok(keys) = JsFuture::from(cache.keys()).await {
        for key in js_sys::Array::from(&keys).iter() {
            let _ = JsFuture::from(cache.delete_with_request(&key.unchecked_into())).await;
        }
    }
    let mut copy = bytes.to_vec();
    let init = web_sys::ResponseInit::new();
    let Ok(headers) = web_sys::Headers::new() else { return };
    if headers.set(VERSION_HEADER, version).is_err() {
        return;
    }
    init.set_headers(&headers);
    if let Ok(response) = web_sys::Response::new_with_opt_u8_array_and_init(Some(&mut copy), &init) {
        let _ = JsFuture::from(cache.put_with_str(url, &response)).await;
    }
}

/// Drops the cached copy of `url` (used when it turns out to be damaged or out of date).
pub async fn forget(url: &str) {
    if let Some(cache) = open_cache().await {
        let _ = JsFuture::from(cache.delete_with_str(url)).await;
    }
}

/// A downloaded file and the version the server gave it.
pub struct Downloaded {
    pub bytes: Vec<u8>,
    pub version: String,
}

/// Downloads `url`, calling `progress(received, total)` as chunks arrive. Ok(None) when the server has no such file.
pub async fn download(url: &str, progress: impl Fn(f64, Option<f64>)) -> Result<Option<Downloaded>, String> {
    let Some(response) = crate::web::files::fetch_response(url).await? else {
        return Ok(None);
    };
    let version = version_of(&response);
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
    Ok(Some(Downloaded { bytes, version }))
}
