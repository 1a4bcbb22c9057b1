//! Where the live view's frames come from: the video element itself where this browser can copy from it into a
//! GPU texture, else an ImageBitmap made from each frame (headless Chromium on SwiftShader, for one, refuses to copy
//! from video). The choice is probed once, on a device of its own, so that a refusal is never a failure on the
//! page's device. Either way no pixel passes through JavaScript.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, ImageBitmap};

/// How frames get from the video element to the GPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameSource {
    /// copyExternalImageToTexture straight from the video element.
    Video,
    /// copyExternalImageToTexture from an ImageBitmap of the frame (createImageBitmap, GPU-side in Chrome).
    Bitmap,
}

impl FrameSource {
    pub fn describe(self) -> &'static str {
        match self {
            FrameSource::Video => "frames copied from the video",
            FrameSource::Bitmap => "frames copied through an ImageBitmap",
        }
    }
}

fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let f: js_sys::Function = js_sys::Reflect::get(target, &method.into())?.dyn_into()?;
    let args: js_sys::Array = args.iter().map(|a| (*a).clone()).collect();
    f.apply(target, &args)
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in fields {
        let _ = js_sys::Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

/// Whether a texture on a device of its own takes a copy of the video's current frame.
async fn video_copies(video: &HtmlVideoElement) -> Result<bool, JsValue> {
    let gpu = js_sys::Reflect::get(&super::dom::window().navigator(), &"gpu".into())?;
    let adapter = JsFuture::from(call(&gpu, "requestAdapter", &[])?.dyn_into::<js_sys::Promise>()?).await?;
    if adapter.is_null() || adapter.is_undefined() {
        return Ok(false);
    }
    let device = JsFuture::from(call(&adapter, "requestDevice", &[])?.dyn_into::<js_sys::Promise>()?).await?;
    let (w, h) = (video.video_width().max(1), video.video_height().max(1));
    let size: JsValue = js_sys::Array::of2(&w.into(), &h.into()).into();
    // GPUTextureUsage.COPY_DST | GPUTextureUsage.RENDER_ATTACHMENT
    let texture = call(
        &device,
        "createTexture",
        &[&object(&[
            ("size", size.clone()),
            ("format", "rgba8unorm".into()),
            ("usage", (0x02 | 0x10).into()),
        ])],
    )?;
    let queue = js_sys::Reflect::get(&device, &"queue".into())?;
    let copied = call(
        &queue,
        "copyExternalImageToTexture",
        &[
            &object(&[("source", video.into())]),
            &object(&[("texture", texture.clone())]),
            &size,
        ],
    )
    .is_ok();
    let _ = call(&texture, "destroy", &[]);
    let _ = call(&device, "destroy", &[]);
    Ok(copied)
}

/// The way this browser can take frames from `video` (which must be showing a frame).
pub async fn probe(video: &HtmlVideoElement) -> FrameSource {
    match video_copies(video).await {
        Ok(true) => FrameSource::Video,
        _ => FrameSource::Bitmap,
    }
}

/// An ImageBitmap of the video's current frame.
pub async fn bitmap(video: &HtmlVideoElement) -> Result<ImageBitmap, String> {
    let promise = super::dom::window()
        .create_image_bitmap_with_html_video_element(video)
        .map_err(|e| format!("the camera's frame could not be taken: {e:?}"))?;
    JsFuture::from(promise)
        .await
        .map_err(|e| format!("the camera's frame could not be taken: {e:?}"))?
        .dyn_into()
        .map_err(|_| "the camera's frame is no picture".to_string())
}
