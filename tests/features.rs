//! Quality and control features on the real weights at tiny sizes: L-BFGS against Adam, coarse-to-fine stages,
//! the photo's colours, blended paintings and the style scale.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::sync::Arc;

use artsy::{Gpu, GpuWeights, Losses, Optimizer, Params, Session, Transfer, VggWeights};
use common::{asset, gpu};
use image::RgbaImage;

fn load(path: &str) -> RgbaImage {
    let p = asset(path);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e} (in assets/)", p.display()));
    artsy::image::decode(path, &bytes).unwrap()
}

struct Setup {
    gpu: Gpu,
    weights: Arc<GpuWeights>,
    photo: RgbaImage,
    starry: RgbaImage,
    wave: RgbaImage,
}

fn setup() -> Setup {
    let gpu = gpu();
    let weights = common::gpu_weights(&gpu);
    Setup {
        gpu,
        weights,
        photo: load("images/content_astronaut.png"),
        starry: load("images/style_starry_night_vangogh.jpg"),
        wave: load("images/style_great_wave_hokusai.jpg"),
    }
}

fn small(params: Params) -> Params {
    Params { size: 48, ..params }
}

/// Runs `steps` steps of one session; returns the losses of the first and the last step.
fn losses(s: &Setup, paintings: &[(RgbaImage, f32)], params: &Params, steps: u32) -> (Losses, Losses) {
    let mut session = pollster::block_on(Session::new(&s.gpu, &s.weights, &s.photo, paintings, params)).unwrap();
    session.run(1).unwrap();
    let first = pollster::block_on(session.finish()).unwrap();
    session.run(steps - 1).unwrap();
    (first, pollster::block_on(session.finish()).unwrap())
}

#[test]
fn lbfgs_lowers_the_real_loss_faster_than_adam_per_step() {
    let s = setup();
    let paintings = [(s.starry.clone(), 1.0)];
    let run = |optimizer| {
        let params = small(Params {
            optimizer,
            ..Params::default()
        });
        losses(&s, &paintings, &params, 15)
    };
    let (first, adam) = run(Optimizer::Adam);
    let (first_l, lbfgs) = run(Optimizer::Lbfgs);
    println!("first {first:?}\nadam  {adam:?}\nlbfgs {lbfgs:?}");
    assert_eq!(first.total, first_l.total, "both start from the same picture");
    assert!(
        lbfgs.total.is_finite() && lbfgs.total < 0.3 * first.total,
        "L-BFGS did not converge"
    );
    assert!(
        lbfgs.total < adam.total,
        "after 15 steps L-BFGS is at {} and Adam at {}",
        lbfgs.total,
        adam.total
    );
}

#[test]
fn multiscale_runs_each_size_from_the_last_result() {
    let s = setup();
    let paintings = [(s.starry.clone(), 1.0)];
    let params = Params {
        size: 64,
        iterations: 12,
        multiscale: true,
        multiscale_start: 32,
        ..Params::default()
    };
    let mut t = pollster::block_on(Transfer::new(&s.gpu, &s.weights, &s.photo, &paintings, &params)).unwrap();
    assert_eq!(t.stages().len(), 2);
    assert_eq!((t.width(), t.height()), (32, 32));
    let first_stage = t.stages()[0].iterations;
    assert_eq!(t.run(100).unwrap(), first_stage, "a stage never runs past its end");
    assert_eq!(t.run(1).unwrap(), 0);
    assert!(!t.is_done());
    let coarse = pollster::block_on(t.image()).unwrap();
    assert!(pollster::block_on(t.next_stage()).unwrap());
    assert_eq!((t.width(), t.height()), (64, 64));
    assert_eq!(t.iteration(), first_stage);

    // The second stage starts from the coarse result, upscaled: not from the photo.
    let start = pollster::block_on(t.image()).unwrap();
    let upscaled = artsy::image::resize(&coarse, 64, 64);
    let photo = artsy::image::resize(&s.photo, 64, 64);
    let mean_diff = |a: &RgbaImage, b: &RgbaImage| {
        a.pixels()
            .zip(b.pixels())
            .map(|(p, q)| (0..3).map(|c| p[c].abs_diff(q[c]) as f64).sum::<f64>())
            .sum::<f64>()
            / (3 * a.width() * a.height()) as f64
    };
    println!(
        "stage 2 start vs upscaled coarse: {:.2}, vs photo: {:.2}",
        mean_diff(&start, &upscaled),
        mean_diff(&start, &photo)
    );
    assert!(mean_diff(&start, &upscaled) < 1.0);
    assert!(mean_diff(&start, &photo) > 5.0);

    // And the finer stage finishes the step count.
    while t.run(100).unwrap() > 0 {}
    assert!(t.is_done());
    assert!(!pollster::block_on(t.next_stage()).unwrap());
    let last = pollster::block_on(t.finish()).unwrap();
    assert_eq!(last.iteration, 12);
    assert!(last.total.is_finite());
}

#[test]
fn original_colors_keep_the_photos_chroma_and_the_stylised_luma() {
    let s = setup();
    let paintings = [(s.starry.clone(), 1.0)];
    let run = |original_colors| {
        let params = small(Params {
            iterations: 8,
            original_colors,
            ..Params::default()
        });
        let mut t = pollster::block_on(Transfer::new(&s.gpu, &s.weights, &s.photo, &paintings, &params)).unwrap();
        while t.run(8).unwrap() > 0 {}
        pollster::block_on(t.image()).unwrap()
    };
    let (plain, kept) = (run(false), run(true));
    let photo = artsy::image::resize(&s.photo, plain.width(), plain.height());
    let chroma = |p: &image::Rgba<u8>| {
        let (r, g, b) = (p[0] as f64, p[1] as f64, p[2] as f64);
        let y = 0.299 * r + 0.587 * g + 0.114 * b;
        (y, b - y, r - y)
    };
    let (mut chroma_kept, mut chroma_plain, mut luma) = (0.0, 0.0, 0.0);
    for ((k, p), ph) in kept.pixels().zip(plain.pixels()).zip(photo.pixels()) {
        let (k, p, ph) = (chroma(k), chroma(p), chroma(ph));
        chroma_kept += (k.1 - ph.1).abs() + (k.2 - ph.2).abs();
        chroma_plain += (p.1 - ph.1).abs() + (p.2 - ph.2).abs();
        luma += (k.0 - p.0).abs();
    }
    let n = (plain.width() * plain.height()) as f64;
    let (chroma_kept, chroma_plain, luma) = (chroma_kept / n, chroma_plain / n, luma / n);
    println!("chroma error vs photo: kept {chroma_kept:.1}, plain {chroma_plain:.1}; luma change {luma:.1}");
    assert!(chroma_kept < 0.25 * chroma_plain, "the photo's colours were not kept");
    assert!(luma < 3.0, "the stylised luminance was not kept");
}

#[test]
fn blend_weights_mix_the_paintings_and_style_scale_changes_the_target() {
    let s = setup();
    let params = small(Params::default());
    let first_style = |paintings: &[(RgbaImage, f32)], params: &Params| losses(&s, paintings, params, 1).0.style;
    let starry = first_style(&[(s.starry.clone(), 1.0)], &params);
    let wave = first_style(&[(s.wave.clone(), 1.0)], &params);
    // A zero weight leaves a painting out; weights are normalised (3:0 is the same as 1:0).
    let only_starry = first_style(&[(s.starry.clone(), 3.0), (s.wave.clone(), 0.0)], &params);
    assert!(
        (only_starry - starry).abs() <= 1e-4 * starry,
        "{only_starry} vs {starry}"
    );
    // A half-and-half target is a different target from either painting alone.
    let half = first_style(&[(s.starry.clone(), 1.0), (s.wave.clone(), 1.0)], &params);
    println!("style loss at the photo: starry {starry:.4e}, wave {wave:.4e}, half {half:.4e}");
    assert!((half - starry).abs() > 0.01 * starry && (half - wave).abs() > 0.01 * wave);
    // Analysing the painting at twice the size changes the statistics the photo is compared with.
    let scaled = first_style(
        &[(s.starry.clone(), 1.0)],
        &Params {
            style_scale: 2.0,
            ..params.clone()
        },
    );
    println!("style scale 2: {scaled:.4e}");
    assert!((scaled - starry).abs() > 0.01 * starry);
}

/// The f64 reference's layers conv1_1 .. conv2_1 (relu1_1 and relu2_1 are layers 0 and 2) with the real weights.
fn reference_layers() -> Vec<common::reference::RefLayer> {
    let bytes = std::fs::read(asset("vgg19/vgg19-conv-u8.safetensors")).unwrap();
    let weights = VggWeights::from_safetensors(&bytes).unwrap();
    artsy::vgg::LAYERS
        .iter()
        .zip(&weights.layers)
        .take(3)
        .map(|(l, lw)| common::reference::RefLayer {
            cin: l.cin as usize,
            cout: l.cout as usize,
            pool_before: l.pool_before,
            weight: lw.weight.iter().map(|&v| v as f64).collect(),
            bias: lw.bias.iter().map(|&v| v as f64).collect(),
        })
        .collect()
}

/// relu1_1's and relu2_1's Gram matrices of `painting` analysed with its longer side `longer`, on the CPU in f64.
fn reference_grams(layers: &[common::reference::RefLayer], painting: &RgbaImage, longer: u32) -> [Vec<f64>; 2] {
    let (w, h) = artsy::loss::style_size(painting, longer);
    let px: Vec<f64> = artsy::image::to_pixels(&artsy::image::resize(painting, w, h))
        .iter()
        .map(|&v| v as f64)
        .collect();
    let feats = common::reference::features(h as usize, w as usize, &px, layers, true);
    [0, 2].map(|l| {
        let (fh, fw, f) = &feats[l];
        common::reference::gram(fh * fw, layers[l].cout, f)
    })
}

/// The largest difference between `got` and `want`, relative to `want`'s largest magnitude.
fn max_rel_diff(got: &[f32], want: &[f64]) -> f64 {
    let peak = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    common::max_abs_diff(got, want) / peak
}

#[test]
fn blended_target_is_the_weighted_sum_of_the_paintings_gram_matrices() {
    let s = setup();
    let layers = reference_layers();
    let longer = 40;
    let starry = reference_grams(&layers, &s.starry, longer);
    let wave = reference_grams(&layers, &s.wave, longer);
    // Blend 3:1, normalised to 0.75 and 0.25.
    let terms = pollster::block_on(artsy::loss::style_terms(
        &s.gpu,
        &s.weights,
        artsy::Pooling::Max,
        &[(s.starry.clone(), 3.0), (s.wave.clone(), 1.0)],
        longer,
        &[(0, 1.0), (2, 1.0)],
        500.0,
    ))
    .unwrap();
    for (i, term) in terms.iter().enumerate() {
        let c = artsy::vgg::LAYERS[term.layer].cout as usize;
        let got = common::read(&s.gpu, &term.target, c * c);
        let want: Vec<f64> = starry[i]
            .iter()
            .zip(&wave[i])
            .map(|(a, b)| 0.75 * a + 0.25 * b)
            .collect();
        let err = max_rel_diff(&got, &want);
        // how far each painting alone is from the blend: the margin this check has over a wrong blend
        let starry_only = max_rel_diff(&got, &starry[i]);
        let swapped: Vec<f64> = starry[i]
            .iter()
            .zip(&wave[i])
            .map(|(a, b)| 0.25 * a + 0.75 * b)
            .collect();
        let swapped_err = max_rel_diff(&got, &swapped);
        println!(
            "layer {}: blended target vs 0.75 G(starry) + 0.25 G(wave): {err:.2e}; vs starry alone {starry_only:.2e}, \
             vs the weights swapped {swapped_err:.2e}",
            term.layer
        );
        assert!(
            err < 1e-4,
            "layer {}: the blended target is off by {err:.2e}",
            term.layer
        );
        assert!(starry_only > 20.0 * err && swapped_err > 20.0 * err);
    }
}

#[test]
fn style_scale_analyses_the_painting_at_that_multiple_of_the_output_size() {
    let s = setup();
    let layers = reference_layers();
    let (size, scale) = (40u32, 2.0f32);
    let params = Params {
        size,
        style_scale: scale,
        content_layers: vec![],
        style_layers: vec![(artsy::vgg::Layer::at(0), 1.0), (artsy::vgg::Layer::at(2), 1.0)],
        tv_weight: 0.0,
        ..Params::default()
    };
    let mut session = pollster::block_on(Session::new(
        &s.gpu,
        &s.weights,
        &s.photo,
        &[(s.starry.clone(), 1.0)],
        &params,
    ))
    .unwrap();
    let (w, h) = (session.width as usize, session.height as usize);
    let photo = artsy::image::to_pixels(&artsy::image::resize(&s.photo, w as u32, h as u32));
    session.set_pixels(&photo).unwrap();
    let (got, _) = pollster::block_on(session.loss_and_gradient()).unwrap();
    // The same style loss on the CPU, with the painting analysed at `longer` px.
    let photo_px: Vec<f64> = photo.iter().map(|&v| v as f64).collect();
    let feats = common::reference::features(h, w, &photo_px, &layers, true);
    let style_loss = |longer: u32| -> f64 {
        let targets = reference_grams(&layers, &s.starry, longer);
        [0usize, 2]
            .iter()
            .zip(&targets)
            .map(|(&l, target)| {
                let (fh, fw, f) = &feats[l];
                let c = layers[l].cout;
                let g = common::reference::gram(fh * fw, c, f);
                common::reference::mse(&g, target, params.style_weight as f64 / (c * c) as f64).0
            })
            .sum()
    };
    let stated = style_loss((size as f32 * scale) as u32);
    let unscaled = style_loss(size);
    let rel = (got.style as f64 - stated).abs() / stated;
    println!(
        "style loss: GPU {}, CPU with the painting at {} px {stated:.5e} (relative error {rel:.1e}), at {size} px \
         {unscaled:.5e}",
        got.style,
        size as f32 * scale
    );
    assert!(
        rel < 1e-4,
        "the painting was not analysed at {} px",
        size as f32 * scale
    );
    // the two sizes give clearly different losses, so the check above tells them apart
    assert!((unscaled - stated).abs() > 0.05 * stated);
}
