//! The whole loss (content + five style layers + TV, through all 13 convolutions and 4 poolings) and its gradient
//! with respect to the pixels, on the GPU, against the f64 CPU reference and its central finite differences, on a
//! tiny odd-sized image with random VGG-shaped weights.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::sync::Arc;

use artsy::vgg::LAYERS;
use artsy::weights::{LayerWeights, VggWeights};
use artsy::{GpuWeights, Params, Pooling, Session};
use common::{gpu, random, reference as r};
use image::RgbaImage;

fn random_weights(seed: u64) -> VggWeights {
    VggWeights {
        layers: LAYERS
            .iter()
            .enumerate()
            .map(|(i, l)| {
                // He-scaled so activations neither die nor explode over 13 layers (the input is in 0..255 units)
                let std = (2.0 / (9.0 * l.cin as f32)).sqrt() * if i == 0 { 0.02 } else { 1.0 };
                let a = std * 3f32.sqrt();
                LayerWeights {
                    weight: random(9 * (l.cin * l.cout) as usize, seed + i as u64, -a, a),
                    bias: random(l.cout as usize, seed + 100 + i as u64, 0.0, 0.1),
                }
            })
            .collect(),
    }
}

fn random_image(w: u32, h: u32, seed: u64) -> RgbaImage {
    let v = random((w * h * 4) as usize, seed, 0.0, 255.0);
    RgbaImage::from_raw(w, h, v.into_iter().map(|x| x as u8).collect()).unwrap()
}

fn to_ref_layers(w: &VggWeights) -> Vec<r::RefLayer> {
    LAYERS
        .iter()
        .zip(&w.layers)
        .map(|(l, lw)| r::RefLayer {
            cin: l.cin as usize,
            cout: l.cout as usize,
            pool_before: l.pool_before,
            weight: lw.weight.iter().map(|&v| v as f64).collect(),
            bias: lw.bias.iter().map(|&v| v as f64).collect(),
        })
        .collect()
}

fn check(pooling: Pooling, content_weight: f32, style_weight: f32, tv_weight: f32) {
    let gpu = gpu();
    let (w, h) = (20u32, 18u32);
    let weights = random_weights(7);
    let photo = random_image(w, h, 1);
    let painting = random_image(23, 17, 2);
    let params = Params {
        size: w,
        content_weight,
        style_weight,
        tv_weight,
        pooling,
        ..Params::default()
    };
    let gpu_weights = Arc::new(GpuWeights::upload(&gpu, &weights));
    let mut session = pollster::block_on(Session::new(
        &gpu,
        &gpu_weights,
        &photo,
        &[(painting.clone(), 1.0)],
        &params,
    ))
    .unwrap();
    assert_eq!((session.width, session.height), (w, h));

    let x: Vec<f32> = random((w * h * 4) as usize, 3, 0.1, 0.9)
        .chunks(4)
        .flat_map(|p| [p[0], p[1], p[2], 0.0])
        .collect();
    session.set_pixels(&x).unwrap();
    let (losses, grad) = pollster::block_on(session.loss_and_gradient()).unwrap();

    // The same loss on the CPU, in f64, from the same definitions.
    let layers = to_ref_layers(&weights);
    let max_pool = pooling == Pooling::Max;
    let (hu, wu) = (h as usize, w as usize);
    let photo_px: Vec<f64> = artsy::image::to_pixels(&photo).iter().map(|&v| v as f64).collect();
    let content_layer = artsy::vgg::layer_index("relu4_2").unwrap();
    let photo_feats = r::features(hu, wu, &photo_px, &layers, max_pool);
    let (ch, cw, cf) = &photo_feats[content_layer];
    let content = vec![(
        content_layer,
        params.content_weight as f64 / (ch * cw * 512) as f64,
        cf.clone(),
    )];
    let (sw, sh) = artsy::loss::style_size(&painting, w);
    let style_px: Vec<f64> = artsy::image::to_pixels(&artsy::image::resize(&painting, sw, sh))
        .iter()
        .map(|&v| v as f64)
        .collect();
    let style_feats = r::features(sh as usize, sw as usize, &style_px, &layers, max_pool);
    let style: Vec<(usize, f64, Vec<f64>)> = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
        .iter()
        .map(|name| {
            let l = artsy::vgg::layer_index(name).unwrap();
            let c = LAYERS[l].cout as usize;
            let (fh, fw, f) = &style_feats[l];
            (l, params.style_weight as f64 / (c * c) as f64, r::gram(fh * fw, c, f))
        })
        .collect();
    let tv_scale = params.tv_weight as f64 / (hu * wu) as f64;
    let loss_at = |px: &[f64]| r::total_loss(hu, wu, px, &layers, max_pool, &content, &style, tv_scale);

    let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let want_loss = loss_at(&x64);
    let rel = ((losses.total as f64 - want_loss) / want_loss).abs();
    println!(
        "{pooling:?}: loss GPU {} CPU {want_loss} (content {}, style {}, tv {}), relative error {rel:e}",
        losses.total, losses.content, losses.style, losses.tv
    );
    assert!(rel < 1e-4, "total loss: GPU {} vs CPU {want_loss}", losses.total);
    for (term, weight, value) in [
        ("content", content_weight, losses.content),
        ("style", style_weight, losses.style),
        ("tv", tv_weight, losses.tv),
    ] {
        assert_eq!(weight > 0.0, value > 0.0, "{term} loss {value} with weight {weight}");
    }

    // Central differences at a spread of pixels and channels (never the padding channel).
    let eps = 1e-4;
    let picks: Vec<usize> = (0..16).map(|k| ((k * 7919 + 13) % (wu * hu)) * 4 + k % 3).collect();
    let mut worst = 0.0f64;
    let scale = grad.iter().fold(0.0f32, |m, g| m.max(g.abs())) as f64;
    let (mut dot, mut n1, mut n2) = (0.0, 0.0, 0.0);
    for &i in &picks {
        let mut plus = x64.clone();
        let mut minus = x64.clone();
        plus[i] += eps;
        minus[i] -= eps;
        let fd = (loss_at(&plus) - loss_at(&minus)) / (2.0 * eps);
        let g = grad[i] as f64;
        worst = worst.max((g - fd).abs());
        dot += g * fd;
        n1 += g * g;
        n2 += fd * fd;
    }
    let cosine = dot / (n1.sqrt() * n2.sqrt());
    println!(
        "{pooling:?}: gradient vs finite differences: worst error {:.2e} of max |grad| {scale:.2e}, cosine {cosine:.6}",
        worst
    );
    assert!(worst < 2e-3 * scale, "gradient error {worst} vs scale {scale}");
    assert!(cosine > 0.9999, "cosine {cosine}");
    // The padding channel never gets a gradient.
    assert!(grad.iter().skip(3).step_by(4).all(|&g| g == 0.0));
}

// Each term alone, so that a wrong gradient in one cannot hide behind a larger one, then all together.
// (The random network makes small deep features; the weights bring each term to a similar size.)

#[test]
fn content_gradient_matches_finite_differences() {
    check(Pooling::Max, 500.0, 0.0, 0.0);
}

#[test]
fn style_gradient_matches_finite_differences() {
    check(Pooling::Max, 0.0, 3e6, 0.0);
}

#[test]
fn tv_gradient_matches_finite_differences() {
    check(Pooling::Max, 0.0, 0.0, 1e-3);
}

#[test]
fn whole_gradient_matches_finite_differences_average_pool() {
    check(Pooling::Average, 500.0, 3e6, 1e-3);
}

/// A batch measured in one VGG19 pass (training's crops, stacked along the rows) has the losses of its pictures
/// measured one at a time, summed, and each picture's gradient: every convolution pads each picture at its own
/// borders, each picture has its own Gram matrices and total variation.
#[test]
fn a_batch_in_one_pass_is_its_pictures_one_at_a_time() {
    use artsy::loss::{ContentTerm, StyleTerm};
    use artsy::network::Network;
    use artsy::step::{LossInputs, Objective};

    let gpu = gpu();
    let weights = Arc::new(GpuWeights::upload(&gpu, &random_weights(7)));
    let (n, side) = (3usize, 32u32);
    let px = (side * side) as usize;
    let pictures: Vec<f32> = random(n * px * 4, 5, 0.1, 0.9)
        .chunks(4)
        .flat_map(|p| [p[0], p[1], p[2], 0.0])
        .collect();
    let content_layer = 3; // relu2_2
    let content_len = px / 4 * LAYERS[content_layer].cout as usize;
    let content_target = random(n * content_len, 6, 0.0, 2.0);
    let style: Vec<(usize, Vec<f32>)> = [0usize, 4, 12]
        .iter()
        .map(|&l| {
            let c = LAYERS[l].cout as usize;
            let a = random(c * c, 10 + l as u64, 0.0, 1.0);
            (l, (0..c * c).map(|k| (a[k] + a[(k % c) * c + k / c]) / 2.0).collect())
        })
        .collect();

    // The losses and the gradient of `images` pictures starting at picture `first`.
    let measure = |first: usize, images: usize| -> (Vec<f32>, Vec<f32>) {
        let net = Network::batch(&gpu, images as u32, side, side, 12);
        let content = [ContentTerm {
            layer: content_layer,
            target: gpu.storage_from(
                "content",
                &content_target[first * content_len..][..images * content_len],
            ),
            scale: 3.0 / content_len as f32,
        }];
        let style: Vec<StyleTerm> = style
            .iter()
            .map(|(layer, g)| StyleTerm {
                layer: *layer,
                target: gpu.storage_from("style", g),
                scale: 40.0 / g.len() as f32,
            })
            .collect();
        let pixels = gpu.storage_from("pictures", &pictures[first * px * 4..][..images * px * 4]);
        let objective = Objective::new(
            &gpu,
            &LossInputs {
                net: &net,
                weights: &weights,
                pooling: Pooling::Max,
                content: &content,
                style: &style,
                tv_scale: 0.5 / px as f32,
                pixels: &pixels,
            },
        );
        gpu.run(&objective.dispatches);
        (
            common::read(&gpu, &objective.losses, 4),
            common::read(&gpu, &objective.grad_pixels, images * px * 4),
        )
    };
    let (losses, grad) = measure(0, n);
    let mut want_losses = [0f64; 4];
    let mut want_grad = Vec::new();
    for i in 0..n {
        let (l, g) = measure(i, 1);
        for (w, v) in want_losses.iter_mut().zip(l) {
            *w += v as f64;
        }
        want_grad.extend(g);
    }
    for (k, name) in ["content", "style", "tv", "total"].iter().enumerate() {
        let (got, want) = (losses[k] as f64, want_losses[k]);
        assert!(want > 0.0, "{name}: the test's loss term is zero");
        assert!(
            (got - want).abs() < 1e-4 * want,
            "{name} loss: batch {got}, one at a time {want}"
        );
    }
    common::assert_close("gradient of a batch", &grad, &want_grad, 1e-4);
}
