//! The real thing at a small size: the VGG19 weights, the astronaut and Starry Night, a few dozen steps of Adam and
//! of L-BFGS. The loss must fall substantially and the picture must move from the photo towards the painting; steps
//! in flight and previews taken without waiting are what the page and the CLI rely on.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::sync::Arc;

use artsy::{GpuWeights, Init, Optimizer, Params, Session, VggWeights};
use common::{asset, gpu};

fn load(path: &str) -> image::RgbaImage {
    let p = asset(path);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e} (in assets/)", p.display()));
    artsy::image::decode(path, &bytes).unwrap()
}

fn mean_rgb(img: &image::RgbaImage) -> [f64; 3] {
    let mut s = [0.0; 3];
    for p in img.pixels() {
        for c in 0..3 {
            s[c] += p[c] as f64;
        }
    }
    s.map(|v| v / (img.width() * img.height()) as f64)
}

fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

fn run(
    init: Init,
    optimizer: Optimizer,
    steps: u32,
    content_weight: f32,
) -> (
    artsy::Losses,
    artsy::Losses,
    image::RgbaImage,
    image::RgbaImage,
    image::RgbaImage,
) {
    let gpu = gpu();
    let weights = common::gpu_weights(&gpu);
    let photo = load("images/content_astronaut.png");
    let painting = load("images/style_starry_night_vangogh.jpg");
    let params = Params {
        size: 64,
        iterations: steps,
        init,
        optimizer,
        content_weight,
        ..Params::default()
    };
    let mut session = pollster::block_on(Session::new(
        &gpu,
        &weights,
        &photo,
        &[(painting.clone(), 1.0)],
        &params,
    ))
    .unwrap();
    session.run(1).unwrap();
    let first = pollster::block_on(session.finish()).unwrap();
    session.run(steps - 1).unwrap();
    let last = pollster::block_on(session.finish()).unwrap();
    let out = pollster::block_on(session.image()).unwrap();
    let photo_small = artsy::image::resize(&photo, session.width, session.height);
    (first, last, out, photo_small, painting)
}

/// Ten Adam steps of the astronaut towards Starry Night at 32 px.
fn small_adam_session() -> Session {
    let gpu = gpu();
    let weights = common::gpu_weights(&gpu);
    let params = Params {
        size: 32,
        iterations: 10,
        optimizer: Optimizer::Adam,
        ..Params::default()
    };
    let photo = load("images/content_astronaut.png");
    let painting = load("images/style_starry_night_vangogh.jpg");
    pollster::block_on(Session::new(&gpu, &weights, &photo, &[(painting, 1.0)], &params)).unwrap()
}

/// The steps in flight, by which the CLI paces its queue: those queued and not yet seen finished; none after a
/// profiled step (run and waited for outside the queue).
#[test]
fn steps_in_flight_are_those_not_seen_finished() {
    let mut session = small_adam_session();
    session.run(2).unwrap();
    session.run(1).unwrap();
    assert_eq!(session.steps_in_flight(), 3);
    session.wait_oldest().unwrap();
    assert_eq!(session.steps_in_flight(), 1, "the first submission held two steps");
    session.wait_oldest().unwrap();
    assert_eq!(session.steps_in_flight(), 0);
    pollster::block_on(session.profile_step()).unwrap();
    assert_eq!(session.steps_in_flight(), 0, "a profiled step is waited for");
    session.run(1).unwrap();
    assert_eq!(session.steps_in_flight(), 1);
    pollster::block_on(session.finish()).unwrap();
    assert_eq!(session.steps_in_flight(), 0);
}

/// A preview asked for is the picture after the steps queued before the request, collected without waiting while
/// more steps run; a read that waits drops a request still on its way.
#[test]
fn a_preview_is_collected_without_waiting_and_is_the_picture_when_asked_for() {
    let mut session = small_adam_session();
    let take = |session: &Session| {
        let start = std::time::Instant::now();
        loop {
            if let Some(picture) = session.take_image() {
                return picture.unwrap();
            }
            assert!(start.elapsed().as_secs() < 60, "the requested preview never arrived");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    };
    assert!(session.take_image().is_none(), "nothing was asked for");
    session.run(2).unwrap();
    let after_two = pollster::block_on(session.image()).unwrap();
    assert!(session.request_image());
    assert!(!session.request_image(), "one request at a time");
    session.run(3).unwrap(); // queued after the copy: not in the preview
    assert_eq!(
        take(&session),
        after_two,
        "the preview is the picture when it was asked for"
    );
    assert!(session.take_image().is_none(), "a preview is handed over once");
    let after_five = pollster::block_on(session.image()).unwrap();
    assert_ne!(after_two, after_five, "the steps after the request changed the picture");

    assert!(session.request_image());
    let waited = pollster::block_on(session.image()).unwrap(); // waits, dropping the request on its way
    assert_eq!(waited, after_five);
    assert!(
        session.take_image().is_none(),
        "the request was dropped by the read that waited"
    );
    assert!(session.request_image(), "the staging buffer is free again");
    assert_eq!(take(&session), after_five);
}

#[test]
fn adam_lowers_the_loss_and_moves_towards_the_painting() {
    lowers_the_loss_and_moves_towards_the_painting(Optimizer::Adam);
}

#[test]
fn lbfgs_lowers_the_loss_and_moves_towards_the_painting() {
    lowers_the_loss_and_moves_towards_the_painting(Optimizer::Lbfgs);
}

fn lowers_the_loss_and_moves_towards_the_painting(optimizer: Optimizer) {
    let (first, last, out, photo, painting) = run(Init::Content, optimizer, 30, Params::default().content_weight);
    println!("first {first:?}\nlast  {last:?}");
    assert!(
        last.total < 0.3 * first.total,
        "total loss only fell from {} to {}",
        first.total,
        last.total
    );
    assert!(
        last.style < 0.3 * first.style,
        "style loss only fell from {} to {}",
        first.style,
        last.style
    );
    // From the photo, content loss starts at zero and must stay well below the style term it trades against.
    assert_eq!(first.content, 0.0);
    assert!(
        last.content < first.style,
        "content {} style at start {}",
        last.content,
        first.style
    );

    // The picture changed clearly, yet still follows the photo's layout ...
    let diff: f64 = out
        .pixels()
        .zip(photo.pixels())
        .map(|(a, b)| (0..3).map(|c| (a[c] as f64 - b[c] as f64).abs()).sum::<f64>())
        .sum::<f64>()
        / (3 * out.width() * out.height()) as f64;
    println!("mean absolute change {diff:.1} / 255");
    assert!(diff > 10.0, "the output barely differs from the photo ({diff:.1}/255)");
    let luma = |p: &image::Rgba<u8>| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
    let (a, b): (Vec<f64>, Vec<f64>) = out
        .pixels()
        .zip(photo.pixels())
        .map(|(o, p)| (luma(o), luma(p)))
        .unzip();
    let corr = correlation(&a, &b);
    println!("luminance correlation with the photo {corr:.3}");
    assert!(
        corr > 0.3,
        "the output lost the photo's structure (correlation {corr:.3})"
    );

    // ... and its colours moved towards the painting's.
    let (m_out, m_photo, m_paint) = (mean_rgb(&out), mean_rgb(&photo), mean_rgb(&painting));
    println!("mean colour: photo {m_photo:.0?} output {m_out:.0?} painting {m_paint:.0?}");
    assert!(
        distance(m_out, m_paint) < 0.9 * distance(m_photo, m_paint),
        "colours did not move towards the painting"
    );
    // ... and, with Adam, it gained the painting's brush-stroke texture: more local variation than the photo had.
    // (L-BFGS lowers the total-variation term along with the rest, so its pictures end smoother than the photo.)
    assert!(
        optimizer == Optimizer::Lbfgs || last.tv > 1.1 * first.tv,
        "no texture appeared: tv {} -> {}",
        first.tv,
        last.tv
    );
}

#[test]
fn noise_start_also_converges() {
    // With the default weights the style term dominates and, from noise, 20 steps paint the painting's texture
    // without touching the content loss (1.02e7 -> 1.03e7 at 64 px): the photo only emerges over hundreds of
    // steps. The photo's content weighted up 200 times (a user's choice when the photo matters most) lets 20
    // steps show what a noise start must do: pull the noise to the photo.
    let (first, last, out, photo, _) = run(Init::Noise { seed: 3 }, Params::default().optimizer, 20, 1000.0);
    println!("first {first:?}\nlast  {last:?}");
    // Halving the total alone proves little: from noise it is mostly the noise's TV and the style, which any
    // smoothing or texture lowers. The content loss (the photo's relu4_2 features) must fall substantially ...
    assert!(first.content > 0.0);
    assert!(
        last.content < 0.5 * first.content,
        "content loss only fell from {} to {}",
        first.content,
        last.content
    );
    assert!(
        last.total < 0.5 * first.total,
        "total loss only fell from {} to {}",
        first.total,
        last.total
    );
    // ... and the picture must show the photo: its luminance follows the photo's, far more than the noise it
    // started from (or any random picture) does.
    let noise = artsy::image::from_pixels(
        out.width(),
        out.height(),
        &artsy::image::noise_pixels((out.width() * out.height()) as usize, 3),
    );
    let (corr_out, corr_noise) = (luma_correlation(&out, &photo), luma_correlation(&noise, &photo));
    println!("luminance correlation with the photo: output {corr_out:.3}, noise {corr_noise:.3}");
    assert!(
        corr_noise.abs() < 0.1,
        "the noise start already resembles the photo ({corr_noise:.3})"
    );
    // 20 steps leave fine noise over the picture, so the correlation is low (0.11 on lavapipe) yet far above the
    // noise's own (-0.01); a content target taken from the photo upside down gives -0.02.
    assert!(
        corr_out > 0.07,
        "the picture from noise does not resemble the photo (luminance correlation {corr_out:.3})"
    );
}

fn luma_correlation(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    let luma = |p: &image::Rgba<u8>| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
    let (x, y): (Vec<f64>, Vec<f64>) = a.pixels().zip(b.pixels()).map(|(p, q)| (luma(p), luma(q))).unzip();
    correlation(&x, &y)
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma) * (x - ma)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb) * (y - mb)).sum();
    cov / (va.sqrt() * vb.sqrt())
}

/// Past 1024 px the grids of the one-thread-per-item kernels, of pooling's backward and of the convolutions' tiles
/// outgrow one dimension of workgroups and fold into the next (src/kernels/sizes.rs). A GPU that allows only 64
/// workgroups per dimension folds them already at 128 px, where lavapipe is quick: there the loss, the gradient and
/// two steps of each optimiser must equal those of the same session in flat grids.
#[test]
fn a_step_in_folded_grids_equals_the_step_in_flat_grids() {
    let open = |max_groups| {
        pollster::block_on(artsy::Gpu::open_with(artsy::GpuOptions {
            max_groups,
            ..artsy::GpuOptions::default()
        }))
        .expect("a GPU adapter")
    };
    let (flat, folded) = (open(None), open(Some(64)));
    assert_eq!(folded.max_groups(), 64);
    // Not square, so that rows and columns are told apart: 128 x 94 px.
    let photo = image::RgbaImage::from_fn(300, 220, |x, y| {
        image::Rgba([(x * 7 % 256) as u8, (y * 3 % 256) as u8, ((x * y) % 251) as u8, 255])
    });
    let painting = load("images/style_starry_night_vangogh.jpg");
    let bytes = std::fs::read(asset("vgg19/vgg19-conv-u8.safetensors")).expect("weights (in assets/)");
    let vgg = VggWeights::from_safetensors(&bytes).unwrap();
    for optimizer in [Optimizer::Adam, Optimizer::Lbfgs] {
        let params = Params {
            size: 128,
            optimizer,
            ..Params::default()
        };
        let outcome = |gpu: &artsy::Gpu| {
            let weights = Arc::new(GpuWeights::upload(gpu, &vgg));
            let mut session =
                pollster::block_on(Session::new(gpu, &weights, &photo, &[(painting.clone(), 1.0)], &params)).unwrap();
            let (losses, gradient) = pollster::block_on(session.loss_and_gradient()).unwrap();
            session.run(2).unwrap();
            let after = pollster::block_on(session.finish()).unwrap();
            let pixels = pollster::block_on(gpu.read_f32(session.pixels_buffer())).unwrap();
            (session.width, session.height, losses, gradient, after, pixels)
        };
        let (w, h, losses, gradient, after, pixels) = outcome(&flat);
        let (fw, fh, f_losses, f_gradient, f_after, f_pixels) = outcome(&folded);
        assert_eq!((w, h, fw, fh), (128, 94, 128, 94));
        println!("{optimizer:?}: flat {losses:?} then {after:?}; folded {f_losses:?} then {f_after:?}");
        // Every workgroup does the same work in either grid, in the same order: the results are bit for bit equal.
        let differing = |a: &[f32], b: &[f32]| a.iter().zip(b).filter(|(x, y)| x.to_bits() != y.to_bits()).count();
        let worst = |a: &[f32], b: &[f32]| common::max_abs_diff(a, b);
        assert!(gradient.iter().any(|&g| g != 0.0) && gradient.iter().all(|g| g.is_finite()));
        assert_eq!((gradient.len(), pixels.len()), (f_gradient.len(), f_pixels.len()));
        assert_eq!(
            differing(&gradient, &f_gradient),
            0,
            "{optimizer:?}: gradient values differ, by up to {}",
            worst(&gradient, &f_gradient)
        );
        for (name, a, b) in [
            ("content", losses.content, f_losses.content),
            ("style", losses.style, f_losses.style),
            ("tv", losses.tv, f_losses.tv),
            ("total after two steps", after.total, f_after.total),
        ] {
            assert_eq!(
                a.to_bits(),
                b.to_bits(),
                "{optimizer:?}: {name} loss {a} flat, {b} folded"
            );
        }
        assert_eq!(
            differing(&pixels, &f_pixels),
            0,
            "{optimizer:?}: after two steps pixels differ, by up to {}",
            worst(&pixels, &f_pixels)
        );
    }
}

/// `Session::losses_of` measures a picture made elsewhere as the optimisation would: the photo itself, given as
/// the picture, has the losses of a session that starts from the photo (no content loss), and a picture of the
/// painting has more content loss and less style loss than the photo.
#[test]
fn losses_of_a_picture_are_the_optimisations_losses_of_it() {
    let gpu = gpu();
    let weights = common::gpu_weights(&gpu);
    let photo = artsy::image::resize(&load("images/content_chelsea_cat.png"), 64, 43);
    let painting = load("images/style_starry_night_vangogh.jpg");
    let paintings = [(painting.clone(), 1.0)];
    let params = Params {
        size: 64,
        ..Params::default()
    };
    let measure = |picture: &image::RgbaImage| {
        pollster::block_on(Session::losses_of(&gpu, &weights, &photo, &paintings, &params, picture))
            .unwrap()
            .0
    };
    let of_photo = measure(&photo);
    let mut session = pollster::block_on(Session::new(&gpu, &weights, &photo, &paintings, &params)).unwrap();
    let (started, _) = pollster::block_on(session.loss_and_gradient()).unwrap();
    println!("photo measured {of_photo:?}; a session from the photo {started:?}");
    assert_eq!(of_photo.content, 0.0);
    assert!(
        (of_photo.style - started.style).abs() <= 1e-4 * started.style,
        "{of_photo:?} vs {started:?}"
    );
    assert!(
        (of_photo.tv - started.tv).abs() <= 1e-4 * started.tv,
        "{of_photo:?} vs {started:?}"
    );
    let of_painting = measure(&artsy::image::resize(&painting, 64, 43));
    println!("painting measured {of_painting:?}");
    assert!(
        of_painting.content > 0.0 && of_painting.style < of_photo.style,
        "{of_painting:?}"
    );
    let wrong_shape = artsy::image::resize(&photo, 43, 64);
    assert!(
        pollster::block_on(Session::losses_of(
            &gpu,
            &weights,
            &photo,
            &paintings,
            &params,
            &wrong_shape
        ))
        .is_err()
    );
}

/// The style loss by layer: each layer's part is the style loss of a session that matches that layer alone (so no
/// part is read from another layer's partials), and the parts sum to the whole.
#[test]
fn the_style_loss_by_layer_is_each_layers_own_loss() {
    let gpu = gpu();
    let weights = common::gpu_weights(&gpu);
    let photo = artsy::image::resize(&load("images/content_chelsea_cat.png"), 64, 43);
    let paintings = [(load("images/style_starry_night_vangogh.jpg"), 1.0)];
    let params = Params {
        size: 64,
        ..Params::default()
    };
    let style_loss = |params: &Params| {
        let mut session = pollster::block_on(Session::new(&gpu, &weights, &photo, &paintings, params)).unwrap();
        let (losses, _) = pollster::block_on(session.loss_and_gradient()).unwrap();
        (losses.style, pollster::block_on(session.style_by_layer()).unwrap())
    };
    let (whole, by_layer) = style_loss(&params);
    println!("style {whole:e} by layer {by_layer:?}");
    let layers: Vec<_> = by_layer.iter().map(|&(l, _)| l).collect();
    assert_eq!(layers, params.style_layers.iter().map(|&(l, _)| l).collect::<Vec<_>>());
    let sum: f32 = by_layer.iter().map(|&(_, v)| v).sum();
    assert!((sum - whole).abs() <= 1e-5 * whole, "{sum} vs {whole}");
    for (layer, part) in by_layer {
        let alone = Params {
            style_layers: vec![(layer, 1.0)],
            ..params.clone()
        };
        let (own, _) = style_loss(&alone);
        assert!(
            part > 0.0 && (part - own).abs() <= 1e-5 * own,
            "{layer}: {part} in the whole, {own} alone"
        );
    }
}

/// The cat with Starry Night at 128 px: L-BFGS's first curvature estimate there asks for a step that moves every
/// value by about 1, which used to throw the whole picture against the box (loss x100 at step 3, so the run was
/// stopped as diverging wherever losses are read every step). The step is now cut to lbfgs::MAX_STEP_RMS.
#[test]
fn lbfgs_does_not_run_away_on_the_cat() {
    let gpu = gpu();
    let weights = common::gpu_weights(&gpu);
    let photo = load("images/content_chelsea_cat.png");
    let painting = load("images/style_starry_night_vangogh.jpg");
    let params = Params {
        size: 128,
        iterations: 8,
        ..Params::default()
    };
    let mut session = pollster::block_on(Session::new(&gpu, &weights, &photo, &[(painting, 1.0)], &params)).unwrap();
    // every step's loss read, as a slow GPU's run loop does (the watch stops a run whose loss passes 10x its best)
    let mut losses = Vec::new();
    for _ in 0..8 {
        session.run(1).unwrap();
        losses.push(
            pollster::block_on(session.finish())
                .unwrap_or_else(|e| panic!("{e}"))
                .total,
        );
    }
    println!("losses {losses:?}");
    let (first, last) = (losses[0], losses[7]);
    assert!(last < 0.5 * first, "the loss went from {first} to {last}");
}
