//! Browser tests (wasm-pack test --headless --chrome): the engine on real WebGPU against the CPU reference, a
//! short run with the real weights, the saved-filter store in real IndexedDB, and the page's flows on a real DOM.
#![cfg(target_arch = "wasm32")]

#[path = "common/conv_reference.rs"]
mod conv_reference;
#[path = "common/layer_reference.rs"]
mod layer_reference;
#[path = "common/reference.rs"]
mod reference;
#[path = "common/tensors.rs"]
mod tensors;

use std::sync::Arc;

use artsy::kernels::conv::{ConvForward, ConvInputGrad, ConvShape, ConvWeightGrad, ForwardKernel, GradKernel};
use artsy::kernels::instance_norm::{EPS, NormForward, NormShape};
use artsy::kernels::precision::Precision;
use artsy::kernels::{conv3x3, gram, pool2x2, pool2x2::Pooling};
use artsy::web::filter_store::FilterStore;
use artsy::web::{App, Slot};
use artsy::weights::{LayerWeights, pack};
use artsy::{Filter, FilterStyle, Gpu, GpuWeights, Init, Optimizer, Params, Session, VggWeights};
use reference as r;
use tensors::{assert_close, f32s, f64s, random};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// The repository's weights and sample pictures.
static WEIGHTS: &[u8] = include_bytes!("../assets/vgg19/vgg19-conv-u8.safetensors");
static CAT: &[u8] = include_bytes!("../assets/images/content_chelsea_cat.png");
static WAVE: &[u8] = include_bytes!("../assets/images/style_great_wave_hokusai.jpg");

async fn read(gpu: &Gpu, b: &wgpu::Buffer, n: usize) -> Vec<f32> {
    let mut v = gpu.read_f32(b).await.unwrap();
    v.truncate(n);
    v
}

#[wasm_bindgen_test]
async fn conv_pool_and_gram_match_the_cpu_reference_on_webgpu() {
    let gpu = Gpu::new().await.expect("WebGPU");
    // conv1_1's 3-channel case, odd and non-square
    let (h, w, cin, cout) = (7usize, 9usize, 3usize, 64usize);
    let x = random(h * w * cin, 1, -1.0, 1.0);
    let x4: Vec<f32> = x.chunks(3).flat_map(|c| [c[0], c[1], c[2], 0.0]).collect();
    let weight = random(9 * cin * cout, 2, -0.3, 0.3);
    let bias = random(cout, 3, -0.2, 0.2);
    let p = pack(
        cin,
        4,
        cout,
        &LayerWeights {
            weight: weight.clone(),
            bias: bias.clone(),
        },
    );
    let (xb, wf, wb, bb, y) = (
        gpu.storage_from("x", &x4),
        gpu.storage_from("wf", &p.forward),
        gpu.storage_from("wb", &p.backward),
        gpu.storage_from("b", &bias),
        gpu.storage("y", h * w * cout),
    );
    let gy = random(h * w * cout, 4, -1.0, 1.0);
    let (gyb, gx) = (gpu.storage_from("gy", &gy), gpu.storage("gx", h * w * 4));
    let shape = conv3x3::Shape {
        height: h as u32,
        width: w as u32,
        cin: 4,
        cout: cout as u32,
        images: 1,
    };
    gpu.run(&[
        conv3x3::forward(&gpu, shape, &xb, &wf, &bb, &y),
        conv3x3::backward_input(&gpu, shape, &gyb, &wb, &y, &gx),
    ]);
    let got_y = read(&gpu, &y, h * w * cout).await;
    assert_close(
        "conv forward",
        &got_y,
        &f32s(&r::conv3x3(
            h,
            w,
            cin,
            4,
            cout,
            &f64s(&x4),
            &f64s(&weight),
            &f64s(&bias),
            true,
        )),
        2e-5,
    );
    let want_gx = r::conv3x3_backward_input(h, w, cin, 4, cout, &f64s(&gy), &f64s(&got_y), &f64s(&weight));
    assert_close(
        "conv backward",
        &read(&gpu, &gx, h * w * 4).await,
        &f32s(&want_gx),
        2e-5,
    );

    // max pooling with ties, and a split Gram matrix
    let feats: Vec<f32> = got_y.clone();
    let (pooled, gp) = (
        gpu.storage("pooled", (h / 2) * (w / 2) * cout),
        gpu.storage("gp", h * w * cout),
    );
    let g_out = random((h / 2) * (w / 2) * cout, 5, -1.0, 1.0);
    let gob = gpu.storage_from("go", &g_out);
    let split = gram::Split {
        chunk: 16,
        splits: ((h * w) as u32).div_ceil(16),
    };
    let (parts, g) = (
        gpu.storage("parts", split.partials_len(cout as u32)),
        gpu.storage("g", cout * cout),
    );
    gpu.run(&[
        pool2x2::forward(&gpu, Pooling::Max, h as u32, w as u32, cout as u32, &y, &pooled),
        pool2x2::backward(&gpu, Pooling::Max, h as u32, w as u32, cout as u32, &y, &gob, &gp),
        gram::partials(
            &gpu,
            gram::Features::one((h * w) as u32, cout as u32),
            split,
            &y,
            &parts,
        ),
        gram::reduce(
            &gpu,
            gram::Features::one((h * w) as u32, cout as u32),
            split,
            &parts,
            &g,
        ),
    ]);
    assert_close(
        "max pool",
        &read(&gpu, &pooled, (h / 2) * (w / 2) * cout).await,
        &f32s(&r::pool(h, w, cout, &f64s(&feats), true)),
        1e-6,
    );
    assert_close(
        "max pool backward",
        &read(&gpu, &gp, h * w * cout).await,
        &f32s(&r::pool_backward(h, w, cout, &f64s(&feats), &f64s(&g_out), true)),
        1e-6,
    );
    assert_close(
        "gram",
        &read(&gpu, &g, cout * cout).await,
        &f32s(&r::gram(h * w, cout, &f64s(&feats))),
        2e-5,
    );
}

/// The forward convolution `shape` (random input, weights and bias from `seed`) by each of `kernels` over a
/// NaN-filled output, against the reference; returns the reference's shape, the input and the weights + bias.
async fn conv_forward_matches(
    gpu: &Gpu,
    shape: ConvShape,
    seed: u64,
    kernels: &[ForwardKernel],
) -> (conv_reference::Conv, Vec<f32>, Vec<f32>) {
    let c = conv_reference::Conv::of(shape);
    let x = random(c.h * c.w * c.cin, seed, -1.0, 1.0);
    let weight = random(shape.weight_len(), seed + 1, -0.3, 0.3);
    let bias = random(c.cout, seed + 2, -0.2, 0.2);
    let params: Vec<f32> = weight.iter().chain(&bias).copied().collect();
    let (xb, pb) = (gpu.storage_from("x", &x), gpu.storage_from("params", &params));
    let want = conv_reference::conv_forward(c, &f64s(&x), &f64s(&weight), &f64s(&bias));
    let n_out = c.oh() * c.ow() * c.cout;
    for &kernel in kernels {
        let y = gpu.storage_from("y", &vec![f32::NAN; n_out]);
        let conv = ConvForward {
            shape,
            x: &xb,
            upsample: None,
            params: &pb,
            w_offset: 0,
            bias_offset: Some(shape.weight_len() as u32),
            y: &y,
            precision: Precision::F32,
        };
        gpu.run(&conv.dispatches_by(gpu, kernel));
        assert_close(
            &format!("conv {kernel:?} {shape:?}"),
            &read(gpu, &y, n_out).await,
            &f32s(&want),
            2e-5,
        );
    }
    (c, x, params)
}

/// The filter network's kernels as the browser's WebGPU compiles them: the convolution by the direct kernel and
/// every tiled width (reflection at the borders, stride 2, more pixels than one tile), its weight and input
/// gradients likewise, the last layer by the narrow kernel, then an instance norm with its one-pass statistics
/// split over several chunks.
#[wasm_bindgen_test]
async fn the_filter_networks_convolutions_and_norm_match_the_cpu_reference_on_webgpu() {
    let gpu = Gpu::new().await.expect("WebGPU");
    let shape = ConvShape {
        height: 21,
        width: 19,
        cin: 8,
        cout: 64,
        kernel: 3,
        stride: 2,
    };
    let tiled = [16, 32, 64].map(|tile_n| ForwardKernel::Tiled { tile_n });
    let (c, x, params) = conv_forward_matches(&gpu, shape, 20, &[&tiled[..], &[ForwardKernel::Direct]].concat()).await;
    let xb = gpu.storage_from("x", &x);
    let n_out = c.oh() * c.ow() * c.cout;

    // the weight and bias gradient of that convolution (64 output channels: every tiled width)
    let dy = random(n_out, 25, -1.0, 1.0);
    let dyb = gpu.storage_from("dy", &dy);
    let (want_dw, want_db) = conv_reference::conv_weight_grad(c, &f64s(&x), &f64s(&dy));
    let want: Vec<f64> = want_dw.into_iter().chain(want_db).collect();
    for kernel in [16, 32, 64]
        .map(|tile_n| GradKernel::Tiled { tile_n })
        .into_iter()
        .chain([GradKernel::Direct])
    {
        let grads = gpu.storage_from("grads", &vec![f32::NAN; params.len()]);
        let partials = gpu.storage("partials", shape.partials_len());
        let grad = ConvWeightGrad {
            shape,
            x: &xb,
            dy: &dyb,
            partials: &partials,
            grads: &grads,
            w_offset: 0,
            bias_offset: Some(shape.weight_len() as u32),
            accumulate: false,
        };
        gpu.run(&grad.dispatches_by(&gpu, kernel));
        assert_close(
            &format!("conv weight grad {kernel:?}"),
            &read(&gpu, &grads, params.len()).await,
            &f32s(&want),
            2e-5,
        );
    }

    // the input gradient of a 9x9 convolution from 16 channels (the network's last layer), at stride 2
    let shape = ConvShape {
        height: 13,
        width: 11,
        cin: 16,
        cout: 8,
        kernel: 9,
        stride: 2,
    };
    let c = conv_reference::Conv::of(shape);
    let dy = random(c.oh() * c.ow() * c.cout, 26, -1.0, 1.0);
    let weight = random(shape.weight_len(), 27, -0.3, 0.3);
    let (dyb, wb) = (gpu.storage_from("dy", &dy), gpu.storage_from("w", &weight));
    let want = conv_reference::conv_backward_input(c, &f64s(&dy), &f64s(&weight));
    let n_in = c.h * c.w * c.cin;
    for kernel in [GradKernel::Tiled { tile_n: 16 }, GradKernel::Direct] {
        let scratch = gpu.storage_from("scratch", &vec![f32::NAN; shape.scratch_len()]);
        let dx = gpu.storage_from("dx", &vec![f32::NAN; n_in]);
        let grad = ConvInputGrad {
            shape,
            dy: &dyb,
            params: &wb,
            w_offset: 0,
            scratch: &scratch,
            dx: &dx,
            accumulate: false,
        };
        gpu.run(&grad.dispatches_by(&gpu, kernel));
        assert_close(
            &format!("conv input grad {kernel:?}"),
            &read(&gpu, &dx, n_in).await,
            &f32s(&want),
            2e-5,
        );
    }

    // the last layer itself, 9x9 from 16 channels to the picture's 4, by the narrow kernel (its input staged in
    // workgroup memory) over 2 x 2 workgroups, the last ones partial
    let last = ConvShape {
        height: 23,
        width: 45,
        cin: 16,
        cout: 4,
        kernel: 9,
        stride: 1,
    };
    conv_forward_matches(&gpu, last, 28, &[ForwardKernel::Narrow]).await;

    // instance norm + ReLU over a map whose mean drifts along the pixels, in several chunks
    let (pixels, channels) = (150 * 130, 8);
    let norm_shape = NormShape {
        pixels: pixels as u32,
        channels: channels as u32,
    };
    assert!(norm_shape.splits() > 1);
    let x: Vec<f32> = random(pixels * channels, 23, -1.0, 1.0)
        .iter()
        .enumerate()
        .map(|(i, v)| 2.0 + 3.0 * (i / channels) as f32 / pixels as f32 + v)
        .collect();
    let affine = random(2 * channels, 24, 0.5, 1.5);
    let (gamma, beta) = (&affine[..channels], &affine[channels..]);
    let (xb, ab) = (gpu.storage_from("x", &x), gpu.storage_from("affine", &affine));
    let (stats, partials) = (
        gpu.storage("stats", norm_shape.stats_len()),
        gpu.storage("partials", norm_shape.partials_len()),
    );
    let y = gpu.storage_from("y", &vec![f32::NAN; pixels * channels]);
    let norm = NormForward {
        shape: norm_shape,
        x: &xb,
        params: &ab,
        gamma_offset: 0,
        beta_offset: channels as u32,
        relu: true,
        residual: None,
        stats: &stats,
        partials: &partials,
        y: &y,
        precision: Precision::F32,
    };
    gpu.run(&norm.dispatches(&gpu));
    let want = layer_reference::instance_norm(
        pixels,
        channels,
        &f64s(&x),
        &f64s(gamma),
        &f64s(beta),
        EPS as f64,
        true,
        None,
    );
    assert_close(
        "instance norm",
        &read(&gpu, &y, pixels * channels).await,
        &f32s(&want),
        1e-4,
    );
}

#[wasm_bindgen_test]
async fn a_short_run_with_the_real_weights_lowers_the_loss() {
    let gpu = Gpu::new().await.expect("WebGPU");
    let weights = Arc::new(GpuWeights::upload(
        &gpu,
        &VggWeights::from_safetensors(WEIGHTS).unwrap(),
    ));
    let cat = artsy::image::decode("cat", CAT).unwrap();
    let wave = artsy::image::decode("wave", WAVE).unwrap();
    let params = Params {
        size: 32,
        ..Params::default()
    };
    let mut session = Session::new(&gpu, &weights, &cat, &[(wave, 1.0)], &params)
        .await
        .unwrap();
    session.run(1).unwrap();
    let first = session.finish().await.unwrap();
    session.run(9).unwrap();
    let last = session.finish().await.unwrap();
    assert!(last.total < 0.5 * first.total, "{first:?} -> {last:?}");
    let img = session.image().await.unwrap();
    assert_eq!((img.width(), img.height()), (32, 21));
}

// ---- the page ----

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn mount() -> App {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    App::mount(&root)
}

/// Forgets the weights this browser keeps (other tests drop a weights file, which the page keeps under the URL it
/// looked for them at), as on a first visit.
async fn forget_kept_weights() {
    let caches = web_sys::window().unwrap().caches().unwrap();
    wasm_bindgen_futures::JsFuture::from(caches.delete("artsy-weights-v1"))
        .await
        .unwrap();
}

fn find(app: &App, selector: &str) -> web_sys::HtmlElement {
    app.root()
        .query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into()
}

/// The `n`th number input among the page's main controls (0 the size, 1 the iterations).
fn number_input(app: &App, n: u32) -> web_sys::HtmlInputElement {
    app.root()
        .query_selector_all(".controls input[type=number]")
        .unwrap()
        .get(n)
        .unwrap()
        .unchecked_into()
}

fn file(bytes: &[u8], name: &str, mime: &str) -> web_sys::File {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::FilePropertyBag::new();
    options.set_type(mime);
    web_sys::File::new_with_u8_array_sequence_and_options(&parts, name, &options).unwrap()
}

/// Dispatches a real drop event carrying `f` on `target`.
fn drop_file(target: &web_sys::HtmlElement, f: &web_sys::File) {
    let transfer = web_sys::DataTransfer::new().unwrap();
    transfer.items().add_with_file(f).unwrap();
    let init = web_sys::DragEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_data_transfer(Some(&transfer));
    let event = web_sys::DragEvent::new_with_event_init_dict("drop", &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

async fn wait_for(what: &str, seconds: f64, mut cond: impl FnMut() -> bool) {
    let start = js_sys::Date::now();
    while !cond() {
        assert!(
            js_sys::Date::now() - start < seconds * 1000.0,
            "timed out waiting for {what}"
        );
        sleep(50).await;
    }
}

/// Drops the cat photo and the Great Wave onto their zones as real Files and waits until both are read.
async fn drop_cat_and_wave(app: &App) {
    drop_file(
        &find(app, ".drop[data-kind=content]"),
        &file(CAT, "content_chelsea_cat.png", "image/png"),
    );
    drop_file(
        &find(app, ".drop[data-kind=style]"),
        &file(WAVE, "style_great_wave_hokusai.jpg", "image/jpeg"),
    );
    wait_for("both images", 20.0, || {
        app.has_image(Slot::Content) && app.has_image(Slot::Style(0))
    })
    .await;
}

/// The pixels the preview canvas shows, RGBA.
fn canvas_pixels(app: &App) -> Vec<u8> {
    let canvas: web_sys::HtmlCanvasElement = find(app, "canvas.preview").unchecked_into();
    let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    ctx.get_image_data(0.0, 0.0, canvas.width() as f64, canvas.height() as f64)
        .unwrap()
        .data()
        .0
}

fn brightness(image: &image::RgbaImage) -> Vec<f64> {
    image
        .pixels()
        .map(|p| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64)
        .collect()
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (ma, mb) = (mean(a), mean(b));
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let (va, vb): (f64, f64) = (
        a.iter().map(|x| (x - ma).powi(2)).sum(),
        b.iter().map(|y| (y - mb).powi(2)).sum(),
    );
    cov / (va * vb).sqrt().max(1e-12)
}

/// Checks a downloaded PNG: the picture the canvas shows, pixel for pixel; neither black nor one flat colour; and
/// still the photo `photo` (its brightness follows the photo's, resized to the same size, more than `other`'s).
fn check_download_shows(app: &App, png: &[u8], photo: &[u8], other: &[u8]) {
    let picture = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .unwrap()
        .to_rgba8();
    let shown = canvas_pixels(app);
    assert_eq!(
        picture.as_raw().len(),
        shown.len(),
        "the download is not the canvas's size"
    );
    let worst = picture
        .as_raw()
        .iter()
        .zip(&shown)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    assert!(worst <= 2, "the download differs from the canvas by up to {worst}/255");
    let light = brightness(&picture);
    let mean = light.iter().sum::<f64>() / light.len() as f64;
    let spread = (light.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / light.len() as f64).sqrt();
    assert!(
        mean > 20.0 && spread > 10.0,
        "the download is black or blank: mean {mean:.1}, spread {spread:.1}"
    );
    let (w, h) = picture.dimensions();
    let like = |bytes: &[u8]| {
        let image = artsy::image::resize(&artsy::image::decode("photo", bytes).unwrap(), w, h);
        correlation(&light, &brightness(&image))
    };
    let (ours, theirs) = (like(photo), like(other));
    assert!(
        ours > 0.5 && ours > theirs + 0.2,
        "the download does not look like its photo: brightness correlation {ours:.2} (another picture: {theirs:.2})"
    );
}

#[wasm_bindgen_test]
async fn page_flows_drop_start_pause_resume_download_and_errors() {
    let app = mount();
    // No weights on the test server and none kept: the page says how to get them ...
    forget_kept_weights().await;
    app.boot("no-such-folder/").await;
    assert!(!app.has_weights());
    let weights_text = find(&app, ".weights span").text_content().unwrap();
    assert!(
        weights_text.contains("drop vgg19-conv-u8.safetensors"),
        "{weights_text}"
    );
    assert!(
        find(&app, "section.actions button.primary")
            .unchecked_into::<web_sys::HtmlButtonElement>()
            .disabled()
    );

    // ... and takes a dropped weights file; a broken one is refused with a reason.
    drop_file(
        &find(&app, ".weights"),
        &file(&WEIGHTS[..1000], "vgg19-conv-u8.safetensors", ""),
    );
    wait_for("broken weights message", 10.0, || {
        find(&app, ".weights span")
            .text_content()
            .unwrap()
            .contains("truncated")
    })
    .await;
    drop_file(&find(&app, ".weights"), &file(WEIGHTS, "vgg19-conv-u8.safetensors", ""));
    wait_for("weights", 30.0, || app.has_weights()).await;

    // Images dropped onto the zones as real Files.
    drop_cat_and_wave(&app).await;
    assert!(
        find(&app, ".drop[data-kind=content] .caption")
            .text_content()
            .unwrap()
            .contains("451x300")
    );

    // A text file dropped on the photo: a clear error, and the cat stays.
    drop_file(
        &find(&app, ".drop[data-kind=content]"),
        &file(b"just some notes", "notes.txt", "text/plain"),
    );
    wait_for("error message", 10.0, || !find(&app, ".alert").hidden()).await;
    assert!(find(&app, ".alert").text_content().unwrap().contains("notes.txt"));
    assert!(
        find(&app, ".drop[data-kind=content] .caption")
            .text_content()
            .unwrap()
            .contains("chelsea")
    );

    // Start a small run; watch progress and previews; pause and resume.
    let input = |n: usize| -> web_sys::HtmlInputElement {
        app.root()
            .query_selector_all(".controls input[type=number]")
            .unwrap()
            .get(n as u32)
            .unwrap()
            .unchecked_into()
    };
    input(0).set_value("32");
    // (more steps than any GPU finishes while the test looks: the run is stopped below)
    input(1).set_value("100000");
    // Start clicked twice at once: one run; the second click is ignored.
    let begun = app.runs_begun();
    let start = find(&app, "section.actions button.primary");
    start.click();
    start.click();
    wait_for("the run to start", 10.0, || app.is_running()).await;
    wait_for("a first preview", 120.0, || app.previews() >= 1).await;
    assert_eq!(app.runs_begun(), begun + 1, "a second Start began a second run");
    // A new photo chosen while the run goes on is kept (shown in its zone) for the next run; this run goes on
    // with the cat.
    drop_file(
        &find(&app, ".drop[data-kind=content]"),
        &file(WAVE, "harbour.jpg", "image/jpeg"),
    );
    wait_for("the new photo", 20.0, || {
        find(&app, ".drop[data-kind=content] .caption")
            .text_content()
            .unwrap()
            .contains("harbour")
    })
    .await;
    assert!(app.is_running(), "a new photo stopped the run: {}", app.status());
    let caption = find(&app, ".drop[data-kind=content] .caption").text_content().unwrap();
    assert!(caption.ends_with("for the next run"), "{caption}");
    let pause = find(&app, "section.actions button:nth-child(2)");
    pause.click();
    assert_eq!(pause.text_content().unwrap(), "Resume");
    // The batch in flight finishes, then the page says it is paused, shows the picture at that step, and nothing
    // moves while it is.
    wait_for("the paused state", 120.0, || app.status().starts_with("Paused at step")).await;
    let (held, previews) = (app.status(), app.previews());
    wait_for("the picture at the paused step", 120.0, || app.previews() > previews).await;
    sleep(2000).await;
    assert_eq!(app.status(), held, "steps went on while paused");
    let previews = app.previews();
    sleep(1000).await;
    assert_eq!(app.previews(), previews, "a pause shows its picture once");
    pause.click();
    wait_for("a preview after the pause", 300.0, || app.previews() > previews).await;
    find(&app, "section.actions button:nth-child(3)").click();
    wait_for("the run to stop", 300.0, || !app.is_running()).await;
    assert!(app.status().starts_with("Stopped at step"), "{}", app.status());
    assert!(app.steps_per_second() > 0.0);
    let canvas: web_sys::HtmlCanvasElement = find(&app, "canvas.preview").unchecked_into();
    assert_eq!((canvas.width(), canvas.height()), (32, 21));

    // Full size: on a page narrower than the picture (with the page's own style sheet), the picture is fitted,
    // then shown at its own size.
    let document = web_sys::window().unwrap().document().unwrap();
    let sheet = document.create_element("style").unwrap();
    sheet.set_text_content(Some(include_str!("../www/style.css")));
    document.body().unwrap().append_child(&sheet).unwrap();
    let page: web_sys::HtmlElement = app.root().clone().unchecked_into();
    page.style().set_property("width", "40px").unwrap();
    let drawn = canvas.style().get_property_value("width").unwrap(); // its own size, in CSS pixels
    let own: f64 = drawn.trim_end_matches("px").parse().unwrap();
    assert!(own > 80.0, "the small picture is enlarged to be seen: {drawn}");
    let full = find(&app, "button.full-size");
    assert!(
        (canvas.client_width() as f64) < own - 1.0,
        "fitted to the page: {} of {own}",
        canvas.client_width()
    );
    full.click();
    assert_eq!(full.get_attribute("aria-pressed").as_deref(), Some("true"));
    assert!(
        (canvas.client_width() as f64 - own).abs() <= 1.0,
        "full size: {} of {own}",
        canvas.client_width()
    );
    full.click();
    assert_eq!(full.get_attribute("aria-pressed").as_deref(), Some("false"));
    assert!((canvas.client_width() as f64) < own - 1.0);
    page.style().remove_property("width").unwrap();
    sheet.remove();

    // Download: a real PNG of the result, named after the inputs.
    find(&app, "section.actions button:nth-child(4)").click();
    let (name, bytes) = app.last_download().expect("a download");
    assert_eq!(name, "artsy-chelsea_cat-great_wave_hokusai.png");
    let png = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png).unwrap();
    assert_eq!((png.width(), png.height()), (32, 21));
    // It is the picture shown, and it still shows the cat (not the photo chosen during the run).
    check_download_shows(&app, &bytes, CAT, WAVE);

    // The next run paints the photo chosen during the last one.
    input(1).set_value("2");
    start.click();
    wait_for("the second run to start", 10.0, || app.is_running()).await;
    wait_for("the second run to finish", 300.0, || !app.is_running()).await;
    assert!(app.status().starts_with("Done: 2 steps"), "{}", app.status());
    assert_eq!(app.runs_begun(), begun + 2);
    find(&app, "section.actions button:nth-child(4)").click();
    let (name, bytes) = app.last_download().expect("a download");
    assert_eq!(name, "artsy-harbour-great_wave_hokusai.png");
    check_download_shows(&app, &bytes, WAVE, CAT);
}

/// Settings the user changes are kept in this browser: a reload (another page) starts from them, and Reset puts
/// the defaults back and forgets them.
#[wasm_bindgen_test]
async fn settings_are_kept_for_the_next_visit_until_reset() {
    let app = mount();
    let iterations = number_input(&app, 1);
    iterations.set_value("123");
    // as typing does: the settings' section hears a change
    let changed = web_sys::Event::new("change").unwrap();
    find(&app, "section.controls").dispatch_event(&changed).unwrap();
    let reloaded = mount();
    reloaded.restore_settings();
    assert_eq!(reloaded.params().unwrap().iterations, 123);
    // a change the page makes itself (a filter's settings shown) is not a choice to keep
    number_input(&reloaded, 1).set_value("7");
    let again = mount();
    again.restore_settings();
    assert_eq!(again.params().unwrap().iterations, 123);
    find(&again, "button.reset-settings").click();
    assert_eq!(again.params().unwrap(), Params::default());
    let fresh = mount();
    fresh.restore_settings();
    assert_eq!(
        fresh.params().unwrap(),
        Params::default(),
        "Reset forgets the kept settings"
    );
}

/// Every setting shown on the page comes back as it was given (a saved filter's settings, or kept ones, are shown
/// this way): each is set away from its default, so a setting `apply_params` forgets to show reads back wrong.
#[wasm_bindgen_test]
async fn every_setting_shown_on_the_page_reads_back_as_given() {
    use artsy::vgg::Layer;
    let app = mount();
    let given = Params {
        size: 96,
        content_weight: 7.5,
        style_weight: 250.0,
        content_layers: vec![(Layer::at(7), 0.5)],
        style_layers: vec![(Layer::at(0), 0.5), (Layer::at(4), 2.0)],
        tv_weight: 20.0,
        learning_rate: 0.05,
        iterations: 77,
        optimizer: Optimizer::Adam,
        init: Init::Noise { seed: 9 },
        pooling: Pooling::Average,
        style_scale: 1.5,
        multiscale: true,
        multiscale_start: 48,
        original_colors: true,
    };
    let fields = |p: &Params| match serde_json::to_value(p).unwrap() {
        serde_json::Value::Object(map) => map,
        other => panic!("Params as JSON: {other}"),
    };
    let defaults = fields(&Params::default());
    for (name, value) in fields(&given) {
        assert_ne!(
            Some(&value),
            defaults.get(&name),
            "{name} must differ from its default here"
        );
    }
    app.apply_params(&given);
    assert_eq!(app.params().unwrap(), given);
}

// ---- saved filters ----

fn sample_filter(name: &str) -> Filter {
    let params = Params {
        size: 48,
        optimizer: Optimizer::Lbfgs,
        multiscale: true,
        original_colors: true,
        style_scale: 1.5,
        pooling: Pooling::Average,
        style_layers: vec![("relu2_1".parse().unwrap(), 0.5), ("relu4_1".parse().unwrap(), 2.0)],
        ..Params::default()
    };
    let styles = vec![
        FilterStyle {
            name: "style_great_wave_hokusai.jpg".into(),
            blend: 0.75,
            data: WAVE.to_vec(),
        },
        FilterStyle {
            name: "cat.png".into(),
            blend: 0.25,
            data: CAT.to_vec(),
        },
    ];
    Filter::new(name, &params, styles)
}

/// A database name of its own per test run, so runs never see each other's filters.
fn fresh_database(what: &str) -> String {
    format!("artsy-test-{what}-{}", js_sys::Math::random())
}

#[wasm_bindgen_test]
async fn the_filter_store_puts_lists_gets_deletes_and_keeps_filters_across_reopening() {
    let name = fresh_database("store");
    let store = FilterStore::open(&name).await.expect("IndexedDB");
    assert!(store.list().await.unwrap().is_empty());
    let first = sample_filter("Wave over cat");
    let second = sample_filter("Second");
    let k1 = store.put(&first).await.unwrap();
    let k2 = store.put(&second).await.unwrap();
    assert_ne!(k1, k2);
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0], (k1, first.clone()));
    assert_eq!(listed[1].1.name, "Second");
    assert_eq!(store.get(k1).await.unwrap().as_ref(), Some(&first));
    assert_eq!(store.get(9999).await.unwrap(), None);

    // Closed and opened again (as a reload does): everything is still there, paintings byte for byte.
    store.close();
    let store = FilterStore::open(&name).await.unwrap();
    let back = store.get(k1).await.unwrap().expect("the filter survives reopening");
    assert_eq!(back, first);
    assert_eq!(back.styles[0].data, WAVE);
    assert_eq!(back.params.pooling, Pooling::Average);

    store.delete(k1).await.unwrap();
    store.delete(k1).await.unwrap(); // deleting what is gone is not an error
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, k2);
    store.close();
    let store = FilterStore::open(&name).await.unwrap();
    assert_eq!(store.get(k1).await.unwrap(), None);
    store.close();
}

#[wasm_bindgen_test]
async fn the_page_refuses_a_bad_filter_file_with_a_message_and_keeps_a_good_one() {
    let app = mount();
    app.open_gallery(&fresh_database("import")).await;
    assert!(app.saved_filters().is_empty());
    for (bytes, expected) in [
        (&b"\x89PNG not json"[..], "not JSON"),
        (&br#"{"format": "artsy-filter", "version": 7}"#[..], "version 7"),
        (&br#"{"format": "something"}"#[..], "format"),
    ] {
        let err = app.import_filter("bad.artsy-filter.json", bytes).await.unwrap_err();
        assert!(err.contains(expected), "{err}");
        let alert = find(&app, ".alert");
        assert!(!alert.hidden());
        let shown = alert.text_content().unwrap();
        assert!(
            shown.contains("bad.artsy-filter.json") && shown.contains(expected),
            "{shown}"
        );
    }
    assert!(app.saved_filters().is_empty());
    assert_eq!(app.root().query_selector_all(".filter-card").unwrap().length(), 0);

    // The same for a file dropped onto the filters section: a picture is no filter.
    find(&app, ".alert").set_hidden(true);
    drop_file(&find(&app, "section.filters"), &file(CAT, "cat.png", "image/png"));
    wait_for("the drop's message", 10.0, || !find(&app, ".alert").hidden()).await;
    let shown = find(&app, ".alert").text_content().unwrap();
    assert!(
        shown.contains("cat.png") && shown.contains("not a usable Artsy filter"),
        "{shown}"
    );
    assert!(app.saved_filters().is_empty());

    // A painting no decoder reads is refused by name.
    let mut unreadable = sample_filter("Unreadable");
    unreadable.styles[1].data = b"not a picture".to_vec();
    let err = app
        .import_filter("unreadable.artsy-filter.json", &unreadable.to_json())
        .await
        .unwrap_err();
    assert!(
        err.contains("not a usable Artsy filter") && err.contains("cat.png"),
        "{err}"
    );
    assert!(app.saved_filters().is_empty());

    // A painting the browser reads and the image crate does not (an icon; the page decodes with the browser, so
    // it saves such paintings) comes back in.
    let mut icon = sample_filter("Icon");
    icon.styles[1] = FilterStyle {
        name: "painting.ico".into(),
        blend: 0.25,
        data: ico_of_png(CAT_ICON_PNG_SIDE, &tiny_png(CAT_ICON_PNG_SIDE)),
    };
    assert!(
        Filter::from_json(&icon.to_json()).is_err(),
        "the image crate reads no .ico here"
    );
    app.import_filter("icon.artsy-filter.json", &icon.to_json())
        .await
        .unwrap();
    assert_eq!(app.saved_filters(), ["Icon"]);

    let good = sample_filter("Imported");
    app.import_filter("good.artsy-filter.json", &good.to_json())
        .await
        .unwrap();
    assert_eq!(app.saved_filters(), ["Icon", "Imported"]);
    assert!(find(&app, ".alert").hidden());
    assert_eq!(
        find(&app, ".filter-card:last-child .filter-title")
            .text_content()
            .unwrap(),
        "Imported"
    );
}

/// The side of the icon's picture.
const CAT_ICON_PNG_SIDE: u32 = 16;

/// A `side` x `side` PNG of a colour ramp.
fn tiny_png(side: u32) -> Vec<u8> {
    let image = image::RgbaImage::from_fn(side, side, |x, y| {
        image::Rgba([(x * 15) as u8, (y * 15) as u8, 128, 255])
    });
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

/// A Windows icon (.ico) holding one `side` x `side` PNG: a 6-byte header, one 16-byte directory entry, the PNG.
fn ico_of_png(side: u32, png: &[u8]) -> Vec<u8> {
    let mut ico = vec![0, 0, 1, 0, 1, 0]; // reserved, type 1 (icon), one image
    ico.extend([side as u8, side as u8, 0, 0]); // width, height, no palette, reserved
    ico.extend(1u16.to_le_bytes()); // colour planes
    ico.extend(32u16.to_le_bytes()); // bits per pixel
    ico.extend((png.len() as u32).to_le_bytes());
    ico.extend(22u32.to_le_bytes()); // where the PNG starts
    ico.extend(png);
    ico
}

#[wasm_bindgen_test]
async fn the_page_applies_a_filter_and_runs_it_coarse_to_fine_with_the_photos_colours() {
    let app = mount();
    app.boot("no-such-folder/").await;
    app.open_gallery(&fresh_database("apply")).await;
    drop_file(&find(&app, ".weights"), &file(WEIGHTS, "vgg19-conv-u8.safetensors", ""));
    wait_for("weights", 30.0, || app.has_weights()).await;
    drop_cat_and_wave(&app).await;

    // A filter with two paintings (3:1), coarse to fine from 32 px (2 steps, then 1), the photo's colours, L-BFGS,
    // average pooling, starting from noise, saved at 48 px; the page's output size, 64 px, is kept.
    let mut filter = sample_filter("Tiny");
    filter.params.size = 48;
    filter.params.multiscale_start = 32;
    filter.params.iterations = 3;
    filter.params.init = Init::Noise { seed: 7 };
    // (in network order, as the page's layer table lists them)
    filter.params.style_layers.insert(0, ("relu1_2".parse().unwrap(), 0.25));
    app.import_filter("tiny.artsy-filter.json", &filter.to_json())
        .await
        .unwrap();
    // A long run with the Great Wave is going on when the filter is applied: it stops, and the filter's run
    // starts in its place.
    number_input(&app, 0).set_value("64");
    number_input(&app, 1).set_value("1000");
    find(&app, "section.actions button.primary").click();
    wait_for("a first preview", 120.0, || app.previews() >= 1).await;
    let begun = app.runs_begun();
    find(&app, ".filter-card button.apply").click();
    wait_for("the filter's run to start", 60.0, || {
        app.runs_begun() == begun + 1 && app.is_running()
    })
    .await;
    let shares: Vec<String> = (0..2)
        .map(|i| {
            app.root()
                .query_selector_all(".painting .share")
                .unwrap()
                .get(i)
                .unwrap()
                .text_content()
                .unwrap()
        })
        .collect();
    assert_eq!(shares, ["75%", "25%"]);
    assert_eq!(app.painting_slots().len(), 2);
    assert_eq!(
        app.params().unwrap(),
        Params {
            size: 64,
            ..filter.params.clone()
        }
    );
    assert!(
        app.root()
            .query_selector(".layers tr[data-layer=relu1_2]")
            .unwrap()
            .is_some()
    );
    // Watch the status and the preview's size through both stages.
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let canvas: web_sys::HtmlCanvasElement = find(&app, "canvas.preview").unchecked_into();
    wait_for("the run to finish", 300.0, || {
        let status = app.status();
        if seen.last() != Some(&status) {
            seen.push(status);
        }
        let size = (canvas.width(), canvas.height());
        if sizes.last() != Some(&size) {
            sizes.push(size);
        }
        !app.is_running()
    })
    .await;
    assert!(app.status().starts_with("Done: 3 steps"), "{seen:?}");
    assert!(seen.iter().any(|s| s.contains("32 px (stage 1 of 2)")), "{seen:?}");
    assert!(seen.iter().any(|s| s.contains("64 px (stage 2 of 2)")), "{seen:?}");
    assert_eq!(sizes.last(), Some(&(64, 43)), "{sizes:?}");
    assert!(sizes.contains(&(32, 21)), "{sizes:?}");
    // The photo's colours are kept: every pixel's colour differences (R-G, B-G) are the photo's, although the
    // picture started from coloured noise; only its brightness comes from the optimisation.
    let (_, png) = {
        find(&app, "section.actions button:nth-child(4)").click();
        app.last_download().expect("a download")
    };
    let result = image::load_from_memory(&png).unwrap().to_rgba8();
    let photo = artsy::image::resize(&artsy::image::decode("cat", CAT).unwrap(), 64, 43);
    let chroma = |p: &image::Rgba<u8>| {
        let [r, g, b, _] = p.0.map(|c| c as f64);
        (r - g, b - g)
    };
    let off: f64 = result
        .pixels()
        .zip(photo.pixels())
        .map(|(a, b)| {
            let ((ar, ab), (br, bb)) = (chroma(a), chroma(b));
            (ar - br).abs() + (ab - bb).abs()
        })
        .sum::<f64>()
        / (64.0 * 43.0);
    assert!(off < 3.0, "the colours are not the photo's: off by {off:.1} per pixel");

    // Settings that the engine refuses give its message, and nothing runs.
    let row_weight: web_sys::HtmlInputElement =
        find(&app, ".layers tr[data-layer=relu2_1] input.style + input.weight").unchecked_into();
    row_weight.set_value("-1");
    find(&app, "section.actions button.primary").click();
    wait_for("the message", 10.0, || !find(&app, ".alert").hidden()).await;
    assert!(find(&app, ".alert").text_content().unwrap().contains("relu2_1"));
    assert!(!app.is_running());
}

#[wasm_bindgen_test]
async fn the_camera_explains_when_there_is_none_or_access_is_refused() {
    // This Chromium runs without a (fake) camera: opening it must end in a message, not a hang or a panic.
    let app = mount();
    find(&app, "button.camera-open").click();
    wait_for("the camera's message", 30.0, || !find(&app, ".alert").hidden()).await;
    let shown = find(&app, ".alert span").text_content().unwrap();
    assert!(
        shown.contains("No camera was found") || shown.contains("Camera access was refused"),
        "{shown}"
    );
    assert_eq!(find(&app, ".camera-message").text_content().unwrap(), shown);
    let take: web_sys::HtmlButtonElement = find(&app, ".camera button.primary").unchecked_into();
    assert!(take.disabled());
    find(&app, ".camera button:not(.primary)").click();
    assert!(find(&app, ".camera").hidden());
    assert!(!app.has_image(Slot::Content));

    // Cancel pressed while the browser is still asked for the camera: whatever it answers, nothing comes of it
    // (no camera left on out of sight, no message about a camera no longer wanted).
    find(&app, ".alert").set_hidden(true);
    // (opening runs until it waits for the browser's answer; Cancel comes then)
    futures_util::future::join(app.open_camera(), async { app.close_camera() }).await;
    assert!(
        find(&app, ".alert").hidden(),
        "{:?}",
        find(&app, ".alert").text_content()
    );
    assert!(find(&app, ".camera").hidden());
    let open: web_sys::HtmlButtonElement = find(&app, "button.camera-open").unchecked_into();
    assert!(!open.disabled());
}

#[wasm_bindgen_test]
async fn a_lost_gpu_is_explained_and_restarted_with_the_weights_in_place() {
    let app = mount();
    app.boot("no-such-folder/").await;
    drop_file(&find(&app, ".weights"), &file(WEIGHTS, "vgg19-conv-u8.safetensors", ""));
    wait_for("weights", 30.0, || app.has_weights()).await;
    drop_cat_and_wave(&app).await;
    let input = |n: u32| number_input(&app, n);
    input(0).set_value("32");
    input(1).set_value("1000");

    // The device goes away in the middle of a run (as when a driver resets): the run ends, the page says so and
    // offers a restart, and the last preview is still shown and downloadable.
    find(&app, "section.actions button.primary").click();
    wait_for("a first preview", 120.0, || app.previews() >= 1).await;
    let gpu = app.gpu().expect("a GPU");
    gpu.device.destroy();
    wait_for("the message", 30.0, || !find(&app, ".alert").hidden()).await;
    assert!(
        find(&app, ".alert span").text_content().unwrap().contains("was lost"),
        "{}",
        find(&app, ".alert").text_content().unwrap()
    );
    wait_for("the run to end", 30.0, || !app.is_running()).await;
    find(&app, "section.actions button:nth-child(4)").click();
    let (name, bytes) = app.last_download().expect("the last preview, downloaded");
    assert_eq!(name, "artsy-chelsea_cat-great_wave_hokusai.png");
    check_download_shows(&app, &bytes, CAT, WAVE);
    input(1).set_value("2");
    let restart = find(&app, ".alert button");
    assert!(!restart.hidden());
    assert!(!app.has_weights());

    // Restarting opens a new device and uploads the weights again.
    restart.click();
    wait_for("a new GPU with the weights", 60.0, || app.has_weights()).await;
    assert!(app.gpu().unwrap().check_alive().is_ok());
    assert!(find(&app, ".alert").hidden());

    // Lost while idle: Start explains it too, and after a restart a run works.
    let gpu = app.gpu().expect("a GPU");
    gpu.device.destroy();
    wait_for("the loss to be noticed", 10.0, || gpu.check_alive().is_err()).await;
    find(&app, "section.actions button.primary").click();
    wait_for("the message", 30.0, || !find(&app, ".alert").hidden()).await;
    assert!(find(&app, ".alert span").text_content().unwrap().contains("was lost"));
    assert!(!app.is_running());
    find(&app, ".alert button").click();
    wait_for("a new GPU with the weights", 60.0, || app.has_weights()).await;
    find(&app, "section.actions button.primary").click();
    wait_for("the run to start", 10.0, || app.is_running()).await;
    wait_for("the run to finish", 300.0, || !app.is_running()).await;
    assert!(app.status().starts_with("Done: 2 steps"), "{}", app.status());
}

#[wasm_bindgen_test]
async fn the_controls_offer_the_engines_choices_and_limits_and_give_its_messages() {
    use artsy::params::{InitKind, limits};
    use artsy::vgg::Layer;
    let app = mount();
    // (value, text) of each option of the `n`th select in `section`
    let options = |section: &str, n: u32| -> Vec<(String, String)> {
        let select: web_sys::Element = app
            .root()
            .query_selector_all(&format!("{section} select"))
            .unwrap()
            .get(n)
            .unwrap()
            .unchecked_into();
        let list = select.query_selector_all("option").unwrap();
        (0..list.length())
            .map(|i| {
                let o: web_sys::Element = list.get(i).unwrap().unchecked_into();
                (o.get_attribute("value").unwrap(), o.text_content().unwrap())
            })
            .collect()
    };
    let offered = |all: Vec<(String, &str)>| all.into_iter().map(|(v, l)| (v, l.to_string())).collect::<Vec<_>>();
    assert_eq!(
        options(".controls", 0),
        offered(Optimizer::ALL.iter().map(|o| (o.to_string(), o.label())).collect())
    );
    assert_eq!(
        options(".advanced", 0),
        offered(Pooling::ALL.iter().map(|p| (p.to_string(), p.label())).collect())
    );
    assert_eq!(
        options(".advanced", 1),
        offered(InitKind::ALL.iter().map(|k| (k.to_string(), k.label())).collect())
    );
    let rows = app.root().query_selector_all(".layers tbody tr").unwrap();
    let names: Vec<String> = (0..rows.length())
        .map(|i| {
            rows.get(i)
                .unwrap()
                .unchecked_into::<web_sys::Element>()
                .get_attribute("data-layer")
                .unwrap()
        })
        .collect();
    assert_eq!(names, Layer::ALL.map(|l| l.name().to_string()));

    // The inputs' limits are the engine's (no GPU is open, so the size is not capped by one).
    let number = |n: u32| number_input(&app, n);
    assert_eq!(number(0).min(), limits::SIZE.start().to_string());
    assert_eq!(number(0).max(), limits::SIZE.end().to_string());
    assert_eq!(number(1).max(), limits::ITERATIONS.end().to_string());
    assert_eq!(app.params().unwrap(), Params::default());

    // A value out of range is refused with the engine's message, which names the range.
    number(0).set_value(&(limits::SIZE.end() + 1).to_string());
    let err = app.params().unwrap_err();
    assert!(
        err.contains(&limits::SIZE.end().to_string()) && err.starts_with("The size"),
        "{err}"
    );
    number(0).set_value("512");
    number(1).set_value(&(limits::ITERATIONS.end() + 1).to_string());
    let err = app.params().unwrap_err();
    assert!(err.contains(&limits::ITERATIONS.end().to_string()), "{err}");
    number(1).set_value("2.5");
    assert!(app.params().unwrap_err().contains("whole number"));
    number(1).set_value("-5");
    let err = app.params().unwrap_err();
    assert!(err.contains("cannot be negative"), "{err}");
}

// ---- live filters ----

/// The `n`th number input of the live filter's training settings (0 the steps, 1 the crop size, 2 the batch).
fn train_input(app: &App, n: u32) -> web_sys::HtmlInputElement {
    app.root()
        .query_selector_all(".live-train input[type=number]")
        .unwrap()
        .get(n)
        .unwrap()
        .unchecked_into()
}

/// A tiny network's training settings in the live section: 8 channels, 32 px crops, batches of 2, `steps` steps.
fn tiny_training(app: &App, steps: u32) {
    train_input(app, 0).set_value(&steps.to_string());
    train_input(app, 1).set_value("32");
    train_input(app, 2).set_value("2");
    find(app, "select.live-width")
        .unchecked_into::<web_sys::HtmlSelectElement>()
        .set_value("8");
}

#[wasm_bindgen_test]
async fn the_page_trains_a_live_filter_keeps_it_when_stopped_and_applies_it_at_once() {
    let app = mount();
    app.boot("no-such-folder/").await;
    app.open_gallery(&fresh_database("live")).await;
    drop_file(&find(&app, ".weights"), &file(WEIGHTS, "vgg19-conv-u8.safetensors", ""));
    wait_for("weights", 30.0, || app.has_weights()).await;
    drop_cat_and_wave(&app).await;
    number_input(&app, 0).set_value("48"); // the previews and the applied picture: 48 x 32
    // Bad training settings get the engine's message, and nothing starts.
    train_input(&app, 1).set_value("30");
    app.make_live_filter().await;
    let alert = find(&app, ".alert").text_content().unwrap();
    assert!(alert.contains("crop size"), "{alert}");
    assert!(!app.is_running() && app.saved_filters().is_empty());

    // A few steps of a tiny network on the cat (the only training photo here: no samples on the test server).
    tiny_training(&app, 3);
    app.make_live_filter().await;
    assert!(
        find(&app, ".alert").hidden(),
        "{:?}",
        find(&app, ".alert").text_content()
    );
    assert!(
        app.status().starts_with("Live filter trained: 3 steps"),
        "{}",
        app.status()
    );
    assert_eq!(app.saved_filters(), ["great wave hokusai (live)"]);
    let summary = find(&app, ".filter-card.live .filter-summary").text_content().unwrap();
    assert!(summary.contains("3\u{a0}steps\u{a0}trained"), "{summary}");
    let canvas: web_sys::HtmlCanvasElement = find(&app, "canvas.preview").unchecked_into();
    assert_eq!((canvas.width(), canvas.height()), (48, 32));
    assert!(app.previews() >= 1);

    // Stopped early, the network is kept all the same.
    tiny_training(&app, 100_000);
    let trainer = app.clone();
    wasm_bindgen_futures::spawn_local(async move { trainer.make_live_filter().await });
    // (generous: the first batch of steps compiles the training kernels, slow on a busy 2-core machine)
    wait_for("training steps", 300.0, || app.status().contains("step ")).await;
    find(&app, "section.actions button:nth-child(3)").click();
    wait_for("training to stop", 300.0, || !app.is_running()).await;
    assert!(
        app.status().starts_with("Live filter stopped at step"),
        "{}",
        app.status()
    );
    wait_for("the second filter", 10.0, || app.saved_filters().len() == 2).await;

    // Applying a live filter is one forward pass at the page's output size: no optimisation run.
    find(&app, ".filter-card.live button.apply").click();
    wait_for("the filter's picture", 60.0, || app.status().contains("applied: 48x32")).await;
    assert!(!app.is_running());
    find(&app, "section.actions button:nth-child(4)").click();
    let (_, png) = app.last_download().expect("a download");
    let picture = image::load_from_memory(&png).unwrap().to_rgba8();
    assert_eq!(picture.dimensions(), (48, 32));
    let first = picture.get_pixel(0, 0);
    assert!(picture.pixels().any(|p| p != first), "the filter drew one flat colour");
}

#[wasm_bindgen_test]
async fn a_live_filter_survives_export_import_and_a_reload() {
    use artsy::filter::FilterNetwork;
    use artsy::filter_net::Architecture;
    use artsy::training::TrainSettings;

    let database = fresh_database("live-files");
    let app = mount();
    app.open_gallery(&database).await;
    let arch = Architecture::new(8).unwrap();
    let settings = TrainSettings {
        steps: 5,
        crop: 32,
        batch: 2,
        width: 8,
        ..TrainSettings::default()
    };
    let mut filter = sample_filter("Waves, live");
    filter.network = Some(FilterNetwork::new(&arch, settings, &arch.initial_params(3)));
    let json = filter.to_json();
    app.import_filter("waves.artsy-filter.json", &json).await.unwrap();
    // the file's size as the page says it
    let size = if json.len() >= 1_000_000 {
        format!("({:.1} MB)", json.len() as f64 / 1e6)
    } else {
        format!("({} kB)", json.len().div_ceil(1000))
    };
    assert!(app.status().starts_with("Imported waves.artsy-filter.json") && app.status().contains(&size));
    let summary = find(&app, ".filter-card.live .filter-summary").text_content().unwrap();
    assert!(
        summary.contains(&size[1..size.len() - 1].replace(' ', "\u{a0}")),
        "{summary}"
    );

    find(&app, ".filter-card button.export").click();
    let (name, bytes) = app.last_download().expect("an export");
    assert!(name.ends_with(".artsy-filter.json"), "{name}");
    assert!(app.status().contains(&size), "{}", app.status());
    assert_eq!(Filter::from_json(&bytes).unwrap().network, filter.network);

    // A reload: a new page on the same database finds the filter, network and all, and offers it for the camera.
    let again = mount();
    again.open_gallery(&database).await;
    assert_eq!(again.saved_filters(), ["Waves, live"]);
    let choice: web_sys::HtmlSelectElement = find(&again, "select.live-filter").unchecked_into();
    assert!(!choice.value().is_empty());
    assert_eq!(
        find(&again, "select.live-filter option").text_content().unwrap(),
        "Waves, live"
    );
    find(&again, ".filter-card button.export").click();
    let (_, reloaded) = again.last_download().expect("an export after the reload");
    assert_eq!(Filter::from_json(&reloaded).unwrap().network, filter.network);
    assert_eq!(reloaded, json);
}

#[wasm_bindgen_test]
async fn the_weights_cache_serves_reloads_and_drops_stale_or_damaged_copies() {
    use artsy::web::weights;
    // The test server serves the crate's folder, so the weights are at data/vgg19/ (with an ETag).
    let base = "data/vgg19/";
    let url = format!("{base}vgg19-conv-u8.safetensors");
    let served = weights::served_version(&url)
        .await
        .expect("the served weights' version");
    let weights_text = |app: &App| find(app, ".weights span").text_content().unwrap();
    let boot = || async {
        let app = mount();
        app.boot(base).await;
        assert!(app.has_weights(), "{}", weights_text(&app));
        app
    };

    // A copy of an older file (as after the served file was replaced) is not used: the served file is fetched.
    weights::remember(&url, WEIGHTS, "\"an older file\"").await;
    let app = boot().await;
    assert!(
        weights_text(&app).contains("kept for your next visit"),
        "{}",
        weights_text(&app)
    );
    assert_eq!(weights::cached(&url).await.map(|b| b.len()), Some(WEIGHTS.len()));

    // A reload uses the cached copy.
    let app = boot().await;
    assert!(
        weights_text(&app).contains("from this browser's cache"),
        "{}",
        weights_text(&app)
    );

    // A damaged copy of the current file is dropped and fetched again.
    weights::remember(&url, &WEIGHTS[..WEIGHTS.len() / 2], &served).await;
    let app = boot().await;
    assert!(
        weights_text(&app).contains("kept for your next visit"),
        "{}",
        weights_text(&app)
    );
    assert_eq!(weights::cached(&url).await.map(|b| b.len()), Some(WEIGHTS.len()));
}
