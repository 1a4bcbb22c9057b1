//! The benchmark as a wasm export, for WebGPU outside a page (Dawn in Node, src/bin/bench_web.mjs): the same
//! measurement as the native bench, returned as JSON. Touches no DOM.

use std::sync::Arc;

use serde_json::json;
use wasm_bindgen::prelude::*;

use crate::bench::{Measurement, does_not_fit, largest_size, measure, measure_apply};
use crate::filter_net::Architecture;
use crate::kernels::conv::{ConvFamily, ConvShape, ForwardKernel};
use crate::kernels::precision::Precision;
use crate::{Gpu, GpuWeights, Optimizer, VggWeights};

/// Times the real step with Adam at each of `sizes` (square; 0 stands for the largest size the device's limits
/// allow) over `steps` steps after `warmup` steps, with the VGG19 `weights` (safetensors bytes). Resolves to JSON
/// text: the adapter, the device's buffer limits, `largest_size`, and per size either the measurement or why it was
/// skipped.
// The engine takes the weights as an Arc (natively they are shared across threads); here there is one thread.
#[allow(clippy::arc_with_non_send_sync)]
#[wasm_bindgen]
pub async fn bench(weights: Vec<u8>, sizes: Vec<u32>, steps: u32, warmup: u32) -> Result<String, JsValue> {
    console_error_panic_hook::set_once();
    let fail = |e: crate::Error| JsValue::from_str(&e.to_string());
    let weights = VggWeights::from_safetensors(&weights).map_err(fail)?;
    let gpu = Gpu::new().await.map_err(fail)?;
    let gpu_weights = Arc::new(GpuWeights::upload(&gpu, &weights));
    let largest = largest_size(&gpu);
    let performance =
        js_sys::Reflect::get(&js_sys::global(), &"performance".into())?.unchecked_into::<web_sys::Performance>();
    let clock = || performance.now();
    let mut results = Vec::new();
    for size in sizes.into_iter().map(|s| if s == 0 { largest } else { s }) {
        match measure(&gpu, &gpu_weights, size, Optimizer::Adam, warmup, steps, clock).await {
            Ok(m) => results.push(Measurement::to_json(&m)),
            Err(e) if does_not_fit(&e) => results.push(json!({"size": size, "skipped": e.to_string()})),
            Err(e) => return Err(fail(e)),
        }
    }
    Ok(json!({
        "adapter": gpu.adapter.name,
        "backend": gpu.adapter.backend,
        "software": gpu.adapter.is_software,
        "limits": {
            "maxStorageBufferBindingSize": gpu.limits.max_storage_buffer_binding_size,
            "maxBufferSize": gpu.limits.max_buffer_size,
        },
        "timestamps": gpu.device.features().contains(wgpu::Features::TIMESTAMP_QUERY),
        "optimizer": Optimizer::Adam.to_string(),
        "steps": steps.max(1),
        "warmup": warmup,
        "largest_size": largest,
        "results": results,
    })
    .to_string())
}

/// Times a filter network's forward pass, what a live filter costs per camera frame, at each of `sizes` (pairs
/// width, height) over `frames` passes after `warmup`, for a network of `width` channels with random weights (the
/// time does not depend on them). `tiled` forces the direct (false) or tiled (true) forward convolutions, as
/// `bench --filter-conv`; undefined keeps the engine's rule. `precision` ("f32" or "f16") sets the activations'
/// format; undefined: the GPU's best (f16 where it has shader-f16). Resolves to JSON text: the adapter and per size
/// the measurement or why it failed.
#[wasm_bindgen]
pub async fn bench_filter_apply(
    sizes: Vec<u32>,
    width: u32,
    frames: u32,
    warmup: u32,
    tiled: Option<bool>,
    precision: Option<String>,
) -> Result<String, JsValue> {
    console_error_panic_hook::set_once();
    ConvFamily::force(tiled.map(|t| if t { ConvFamily::Tiled } else { ConvFamily::Direct }));
    let fail = |e: crate::Error| JsValue::from_str(&e.to_string());
    let gpu = Gpu::new().await.map_err(fail)?;
    let arch = Architecture::new(width).map_err(fail)?;
    let params = gpu.storage_from("filter params", &arch.initial_params(1));
    let precision = match precision.as_deref() {
        None => Precision::for_applying(&gpu),
        Some(name) => Precision::parse(name)
            .filter(|p| p.runs_on(&gpu))
            .ok_or_else(|| JsValue::from_str(&format!("precision `{name}`: not f32 or f16, or not on this GPU")))?,
    };
    let performance =
        js_sys::Reflect::get(&js_sys::global(), &"performance".into())?.unchecked_into::<web_sys::Performance>();
    let clock = || performance.now();
    let mut results = Vec::new();
    for pair in sizes.chunks_exact(2) {
        match measure_apply(
            &gpu,
            &arch,
            &params,
            (pair[0], pair[1]),
            precision,
            warmup,
            frames,
            clock,
        )
        .await
        {
            Ok(m) => results.push(m.to_json()),
            Err(e) => results.push(json!({"width": pair[0], "height": pair[1], "failed": e.to_string()})),
        }
    }
    Ok(json!({
        "adapter": gpu.adapter.name,
        "backend": gpu.adapter.backend,
        "software": gpu.adapter.is_software,
        "network_width": width,
        "filter_conv": format!("{:?}", ForwardKernel::choose(&gpu, &residual_conv(width), precision)),
        "precision": precision.name(),
        "frames": frames.max(1),
        "warmup": warmup,
        "results": results,
    })
    .to_string())
}

/// A residual block's convolution of a network of `width` (the bulk of a pass), to report which kernel runs it.
fn residual_conv(width: u32) -> ConvShape {
    ConvShape {
        height: 64,
        width: 64,
        cin: 4 * width,
        cout: 4 * width,
        kernel: 3,
        stride: 1,
    }
}
