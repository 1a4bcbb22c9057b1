//! The webcam as a photo source: a live preview from getUserMedia, one frame grabbed as an RGBA image, tracks stopped.

use image::RgbaImage;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, MediaStream, MediaStreamTrack};

/// A running camera shown in a video element.
pub struct Camera {
    stream: MediaStream,
    video: HtmlVideoElement,
    /// The 2D canvas frames are copied through, made at the first snapshot and kept: a training run takes one
    /// every few seconds.
    grabber: std::cell::RefCell<Option<web_sys::CanvasRenderingContext2d>>,
}

/// What to tell the user when getUserMedia refuses, by the DOMException's name.
fn explain(error: &JsValue) -> String {
    let name = js_sys::Reflect::get(error, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => "Camera access was refused. Allow the camera for this page (the camera \
                                                icon in the address bar) and try again, or choose a photo file."
            .into(),
        "NotFoundError" | "OverconstrainedError" => {
            "No camera was found. Connect one and try again, or choose a photo file.".into()
        }
        "NotReadableError" | "AbortError" => {
            "The camera is busy or could not start (another app may be using it). Close that app and try again.".into()
        }
        _ => format!("The camera could not start ({name}). Choose a photo file instead."),
    }
}

impl Camera {
    /// Asks for the camera and shows it live in `video`. Errors are messages for the user.
    pub async fn open(video: &HtmlVideoElement) -> Result<Camera, String> {
        Self::open_sized(video, None).await
    }

    /// Like `open`, asking for frames of about `size` (width, height) when given; the camera may pick another.
    pub async fn open_sized(video: &HtmlVideoElement, size: Option<(u32, u32)>) -> Result<Camera, String> {
        let window = super::dom::window();
        if !window.is_secure_context() {
            return Err("The camera needs a secure page: open Artsy over https or on localhost.".into());
        }
        let devices = window
            .navigator()
            .media_devices()
            .map_err(|_| "This browser gives no access to cameras.".to_string())?;
        let constraints = web_sys::MediaStreamConstraints::new();
        match size {
            Some((w, h)) => {
                let ideal = |v: u32| {
                    let o = js_sys::Object::new();
                    let _ = js_sys::Reflect::set(&o, &"ideal".into(), &v.into());
                    o
                };
                let video = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&video, &"width".into(), &ideal(w));
                let _ = js_sys::Reflect::set(&video, &"height".into(), &ideal(h));
                constraints.set_video(&video);
            }
            None => constraints.set_video_bool(true),
        }
        constraints.set_audio_bool(false);
        let promise = devices
            .get_user_media_with_constraints(&constraints)
            .map_err(|e| explain(&e))?;
        let stream: MediaStream = JsFuture::from(promise).await.map_err(|e| explain(&e))?.unchecked_into();
        video.set_muted(true);
        video.set_autoplay(true);
        video.set_attribute("playsinline", "").ok();
        video.set_src_object(Some(&stream));
        let camera = Camera {
            stream,
            video: video.clone(),
            grabber: Default::default(),
        };
        if let Ok(playing) = video.play()
            && JsFuture::from(playing).await.is_err()
        {
            camera.stop();
            return Err("The camera's picture could not be shown.".into());
        }
        Ok(camera)
    }

    /// The frame shown now, at the camera's own resolution.
    pub fn snapshot(&self) -> Result<RgbaImage, String> {
        let (w, h) = (self.video.video_width(), self.video.video_height());
        if w == 0 || h == 0 {
            return Err("The camera has not delivered a picture yet; wait a moment and try again.".into());
        }
        let mut grabber = self.grabber.borrow_mut();
        if grabber.is_none() {
            *grabber = Some(grabbing_context()?);
        }
        let context = grabber.as_ref().expect("made above");
        let canvas = context.canvas().ok_or("no 2D canvas to take the photo with")?;
        if (canvas.width(), canvas.height()) != (w, h) {
            canvas.set_width(w);
            canvas.set_height(h);
        }
        context
            .draw_image_with_html_video_element(&self.video, 0.0, 0.0)
            .map_err(|e| format!("could not take the photo: {e:?}"))?;
        let data = context
            .get_image_data(0.0, 0.0, w as f64, h as f64)
            .map_err(|e| format!("could not read the photo: {e:?}"))?;
        RgbaImage::from_raw(w, h, data.data().0).ok_or_else(|| "the photo has the wrong size".into())
    }

    /// Stops every track (the camera light goes off) and detaches the preview.
    pub fn stop(&self) {
        for track in self.stream.get_tracks().iter() {
            track.unchecked_into::<MediaStreamTrack>().stop();
        }
        // the video may show another camera by now (one opened after this one): that one stays
        let ours: &wasm_bindgen::JsValue = self.stream.as_ref();
        if self
            .video
            .src_object()
            .is_some_and(|shown| wasm_bindgen::JsValue::from(shown) == *ours)
        {
            self.video.set_src_object(None);
        }
    }
}

/// A 2D context on a canvas of its own, told that it will be read often (so the browser keeps it where reading is
/// cheap instead of reading it back from its GPU each time).
fn grabbing_context() -> Result<web_sys::CanvasRenderingContext2d, String> {
    let canvas: web_sys::HtmlCanvasElement = super::dom::document()
        .create_element("canvas")
        .map_err(|e| format!("{e:?}"))?
        .unchecked_into();
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"willReadFrequently".into(), &true.into());
    Ok(canvas
        .get_context_with_context_options("2d", &options)
        .ok()
        .flatten()
        .ok_or("no 2D canvas to take the photo with")?
        .unchecked_into())
}
