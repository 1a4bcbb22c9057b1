//! The browser face: a page built with web-sys that drives the engine's Transfer on the user's GPU through WebGPU.
//! Nothing in here does image maths; it wires files, camera, controls, saved filters, the run loop and the live
//! filters (training one, applying one, the live camera) to the engine.

mod app;
mod bench;
mod browser_decode;
mod camera;
mod choose;
mod decode_timing;
mod dom;
mod engine;
mod estimate;
mod files;
pub mod filter_store;
mod frame_source;
mod gallery;
mod gpu_timing;
mod live_filter;
mod live_mode;
mod live_pipeline;
mod live_state;
mod live_ui;
mod make_filter;
mod network_apply;
mod pacing;
mod paintings;
mod picked;
mod result_view;
mod run;
mod run_control;
mod saved_filters;
mod settings;
mod ui;
pub mod weights;

pub use app::App;
pub use picked::Slot;

use wasm_bindgen::prelude::*;

/// Mounts the app into the element with id `root_id` and starts loading the GPU, weights and sample images (from
/// data/; the weights from `weights_url` when given).
#[wasm_bindgen]
pub async fn start(root_id: String, weights_url: Option<String>) -> Result<(), JsValue> {
    console_error_panic_hook::set_once();
    let root = dom::document()
        .get_element_by_id(&root_id)
        .ok_or_else(|| JsValue::from_str("no root element"))?;
    let app = App::mount(&root);
    match weights_url {
        Some(url) => app.boot_with_weights("data/", &url).await,
        None => app.boot("data/").await,
    }
    // The app lives as long as the page.
    std::mem::forget(app);
    Ok(())
}
