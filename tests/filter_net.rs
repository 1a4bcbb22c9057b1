//! The filter network as a whole: its forward pass and parameter gradient on the GPU against the plain f64 CPU
//! network and that network's central finite differences at a tiny size; a few training steps lower the loss;
//! a saved filter applies exactly as the network it was saved from.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use artsy::filter::FilterNetwork;
use artsy::filter_net::forward::largest_buffer_bytes;
use artsy::filter_net::{Activations, After, Architecture, Backward, Stylizer};
use artsy::kernels::precision::Precision;
use artsy::training::{TrainSettings, Trainer};
use artsy::{Filter, Params};
use common::{asset, conv_reference as cr, f64s, gpu, layer_reference as lr, random, read};
use image::RgbaImage;

/// The network on the CPU in f64, from the reference kernels alone: the picture [H][W][4].
fn reference_forward(arch: &Architecture, params: &[f64], input: &[f64], height: usize, width: usize) -> Vec<f64> {
    let mut outs: Vec<Vec<f64>> = Vec::new();
    let (mut h, mut w) = (height, width);
    let mut x = input.to_vec();
    for l in &arch.layers {
        if l.upsample_before {
            x = lr::upsample(h, w, l.cin as usize, &x);
            h *= 2;
            w *= 2;
        }
        let k = l.kernel as usize;
        let weights = &params[l.weights as usize..][..k * k * (l.cin * l.cout) as usize];
        let bias: &[f64] = if l.after == After::Squash {
            &params[l.affine as usize..][..l.cout as usize]
        } else {
            &[]
        };
        let shape = cr::Conv {
            h,
            w,
            cin: l.cin as usize,
            cout: l.cout as usize,
            k,
            s: l.stride as usize,
        };
        let z = cr::conv_forward(shape, &x, weights, bias);
        let (oh, ow) = (shape.oh(), shape.ow());
        (h, w) = (oh, ow);
        let c = l.cout as usize;
        x = match l.after {
            After::Squash => lr::sigmoid(&z),
            After::NormRelu | After::NormAdd { .. } => {
                let gamma = &params[l.affine as usize..][..c];
                let beta = &params[l.shift() as usize..][..c];
                let residual = match l.after {
                    After::NormAdd { skip } => Some(&outs[skip][..]),
                    _ => None,
                };
                lr::instance_norm(h * w, c, &z, gamma, beta, 1e-5, l.after == After::NormRelu, residual)
            }
        };
        outs.push(x.clone());
    }
    x
}

/// A pass for applying a filter (Activations::for_inference: layers share buffers once their contents are read,
/// the convolutions after an upsampling step read the map before it) makes the picture of a training pass's
/// buffers (which write the upsampled maps) to f32 rounding, in less memory; a backward pass refuses its buffers.
#[test]
fn a_forward_pass_alone_shares_buffers_and_makes_the_same_picture() {
    let gpu = gpu();
    let arch = Architecture::new(8).unwrap();
    let (h, w) = (24u32, 28u32);
    let params = gpu.storage_from("params", &arch.initial_params(9));
    let input: Vec<f32> = random((h * w * 4) as usize, 13, 0.0, 1.0)
        .chunks(4)
        .flat_map(|p| [p[0], p[1], p[2], 0.0])
        .collect();
    let picture = |acts: &Activations| {
        gpu.queue.write_buffer(&acts.input, 0, bytemuck::cast_slice(&input));
        gpu.run(&acts.forward(&gpu, &arch, &params));
        read(&gpu, acts.output(), (h * w * 4) as usize)
    };
    let (kept, alone) = (
        Activations::new(&gpu, &arch, h, w),
        Activations::for_inference(&gpu, &arch, h, w, Precision::F32),
    );
    assert!(kept.keeps_all() && !alone.keeps_all());
    // the same picture but for rounding: the layers after an upsampling step sum their folded weights first
    let (a, k) = (picture(&alone), picture(&kept));
    let worst = common::max_abs_diff(&a, &k);
    assert!(worst <= 1e-5, "a pass alone differs from a training pass by {worst}");
    let ratio = alone.bytes() as f64 / kept.bytes() as f64;
    assert!(
        ratio < 0.5,
        "a forward pass alone holds {ratio:.2} of a training pass's memory"
    );
    assert_eq!(
        alone.output().size(),
        (h * w * 4 * 4) as u64,
        "the picture has a buffer of its own size"
    );
    // the convolutions after the upsampling steps read the map below upsampled: at a photo's size the largest
    // buffer is a full-size 8-channel map, not the 16-channel upsampled one
    let (ph, pw) = (240, 320);
    assert_eq!(
        largest_buffer_bytes(&arch, ph, pw, Precision::F32),
        (ph * pw * 8 * 4) as u64
    );
    let f16_bytes = largest_buffer_bytes(&arch, ph, pw, Precision::F16);
    assert_eq!(f16_bytes, (ph * pw * 4 * 4) as u64, "in f16: the f32 photo and picture");
    let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let grads = gpu.storage("grads", arch.param_count);
        Backward::new(&gpu, &arch, &alone, &params, alone.output(), &grads, None)
    }));
    assert!(
        refused.is_err(),
        "a backward pass must refuse a forward pass's shared buffers"
    );
}

/// A forward pass in f16 (what applying a filter runs where the GPU has shader-f16) makes the f64 reference network's
/// picture within 2 levels of 8-bit colour at worst and half a level on average, in less memory than in f32; a
/// Stylizer set to f16 makes the f32 one's picture within 2 levels. Skipped, with a message, on a GPU without f16.
#[test]
fn an_f16_forward_pass_makes_the_reference_picture() {
    let gpu = gpu();
    if !common::has_f16(&gpu) {
        return;
    }
    let arch = Architecture::new(8).unwrap();
    let (h, w) = (24u32, 28u32);
    let mut params = arch.initial_params(9);
    // scales and shifts away from 1 and 0, so that the normalisations' affine maps are exercised
    for l in &arch.layers {
        let n = if l.after == After::Squash { 1 } else { 2 } * l.cout as usize;
        let jitter = random(n, l.affine as u64, -0.3, 0.3);
        params[l.affine as usize..][..n]
            .iter_mut()
            .zip(jitter)
            .for_each(|(p, j)| *p += j);
    }
    let input: Vec<f32> = random((h * w * 4) as usize, 13, 0.0, 1.0)
        .chunks(4)
        .flat_map(|p| [p[0], p[1], p[2], 0.0])
        .collect();
    let params_b = gpu.storage_from("params", &params);
    let acts = Activations::for_inference(&gpu, &arch, h, w, Precision::F16);
    gpu.queue.write_buffer(&acts.input, 0, bytemuck::cast_slice(&input));
    gpu.run(&acts.forward(&gpu, &arch, &params_b));
    let picture = read(&gpu, acts.output(), (h * w * 4) as usize);
    let want = reference_forward(&arch, &f64s(&params), &f64s(&input), h as usize, w as usize);
    let worst = common::max_abs_diff(&picture, &want);
    let mean = picture
        .iter()
        .zip(&want)
        .map(|(g, w)| (*g as f64 - w).abs())
        .sum::<f64>()
        / want.len() as f64;
    // measured on lavapipe: worst 0.97 levels, mean 0.15 (with f32 sums in the convolutions: 0.59 and 0.08)
    assert!(
        worst <= 2.0 / 255.0 && mean <= 0.5 / 255.0,
        "the f16 picture is {:.2} levels from the reference at worst, {:.2} on average",
        worst * 255.0,
        mean * 255.0
    );
    // at a photo's size (the f16 copy of the parameters outweighs the activations at this test's); the photo and
    // the picture stay f32
    let bytes = |precision| Activations::for_inference(&gpu, &arch, 320, 480, precision).bytes();
    let (f16_bytes, f32_bytes) = (bytes(Precision::F16), bytes(Precision::F32));
    assert!(
        (f16_bytes as f64) < 0.7 * f32_bytes as f64,
        "an f16 pass holds {f16_bytes} bytes, an f32 one {f32_bytes}"
    );

    let photo = RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(7 * x) as u8, (9 * y) as u8, (x * y) as u8, 255])
    });
    let mut stylizer = Stylizer::new(&gpu, arch.clone(), &params).unwrap();
    stylizer.set_precision(Precision::F32).unwrap();
    let in_f32 = pollster::block_on(stylizer.apply(&photo)).unwrap();
    stylizer.set_precision(Precision::F16).unwrap();
    assert_eq!(stylizer.precision(), Precision::F16);
    let in_f16 = pollster::block_on(stylizer.apply(&photo)).unwrap();
    let levels = in_f32
        .iter()
        .zip(in_f16.iter())
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    assert!(levels <= 2, "the f16 and f32 pictures differ by {levels} levels");
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Loss = sum(c * picture) for a random c: its gradient at the picture is c. The GPU's dLoss/d parameters
/// against central differences of the f64 reference network, for parameters of every kind in every layer.
#[test]
fn the_whole_networks_gradient_matches_finite_differences() {
    let gpu = gpu();
    let arch = Architecture::new(8).unwrap();
    let (h, w) = (16u32, 20u32);
    let mut params = arch.initial_params(5);
    // shifts and scales away from their first values, so their gradients are not special
    for l in &arch.layers {
        let n = l.cout as usize;
        let a = l.affine as usize;
        let jitter = random(2 * n, l.weights as u64, -0.3, 0.3);
        for i in 0..n {
            params[a + i] += jitter[i];
            if l.after != After::Squash {
                params[a + n + i] += jitter[n + i];
            }
        }
    }
    let input: Vec<f32> = random((h * w * 4) as usize, 11, 0.0, 1.0)
        .chunks(4)
        .flat_map(|p| [p[0], p[1], p[2], 0.0])
        .collect();
    let c: Vec<f32> = random((h * w * 4) as usize, 12, -1.0, 1.0)
        .chunks(4)
        .flat_map(|p| [p[0], p[1], p[2], 0.0])
        .collect();

    let params_b = gpu.storage_from("params", &params);
    let grads = gpu.storage("grads", arch.param_count);
    let c_b = gpu.storage_from("c", &c);
    let acts = Activations::new(&gpu, &arch, h, w);
    gpu.queue.write_buffer(&acts.input, 0, bytemuck::cast_slice(&input));
    let backward = Backward::new(&gpu, &arch, &acts, &params_b, &c_b, &grads, None);
    let mut d = acts.forward(&gpu, &arch, &params_b);
    d.extend(backward.first.iter().cloned());
    gpu.run(&d);
    let picture = read(&gpu, acts.output(), (h * w * 4) as usize);
    let grad = read(&gpu, &grads, arch.param_count);

    let p64 = f64s(&params);
    let in64 = f64s(&input);
    let c64 = f64s(&c);
    let want = reference_forward(&arch, &p64, &in64, h as usize, w as usize);
    common::assert_close("network forward", &picture, &common::f32s(&want), 1e-4);

    let loss = |p: &[f64]| dot(&reference_forward(&arch, p, &in64, h as usize, w as usize), &c64);
    let eps = 1e-4;
    let (mut gpu_picks, mut fd_picks) = (Vec::new(), Vec::new());
    for (i, l) in arch.layers.iter().enumerate() {
        let k = (l.kernel * l.kernel * l.cin * l.cout) as usize;
        let mut picks = vec![
            l.weights as usize + 1,
            l.weights as usize + k / 2 + 2,
            l.affine as usize,
        ];
        if l.after != After::Squash {
            picks.push(l.shift() as usize + 1);
        }
        for &j in &picks {
            let mut plus = p64.clone();
            plus[j] += eps;
            let mut minus = p64.clone();
            minus[j] -= eps;
            let fd = (loss(&plus) - loss(&minus)) / (2.0 * eps);
            let got = grad[j] as f64;
            let tol = 2e-3 * fd.abs().max(1.0) + 1e-3;
            assert!(
                (got - fd).abs() <= tol,
                "layer {i}, parameter {j}: GPU {got:.6e}, finite differences {fd:.6e}"
            );
            gpu_picks.push(got);
            fd_picks.push(fd);
        }
    }
    // The tolerance's floor lets a tiny derivative pass as 0: the picks must carry more than that, and point the
    // same way as a whole.
    let large = fd_picks.iter().filter(|fd| fd.abs() > 0.03).count();
    let cosine = dot(&gpu_picks, &fd_picks) / (dot(&gpu_picks, &gpu_picks) * dot(&fd_picks, &fd_picks)).sqrt();
    println!(
        "{} parameters checked, {large} of them with |derivative| > 0.03; cosine {cosine:.8}",
        fd_picks.len()
    );
    assert!(
        fd_picks.len() > 50 && large * 2 > fd_picks.len(),
        "{large} of {} picks",
        fd_picks.len()
    );
    assert!(cosine > 0.9999, "cosine {cosine}");

    // A second picture accumulates: the gradient doubles.
    let mut d = acts.forward(&gpu, &arch, &params_b);
    d.extend(backward.accumulate.iter().cloned());
    gpu.run(&d);
    let twice = read(&gpu, &grads, arch.param_count);
    for (a, b) in grad.iter().zip(&twice) {
        assert!((2.0 * a - b).abs() <= 1e-4 * a.abs().max(1e-2), "{a} then {b}");
    }
}

fn sample(name: &str, size: u32) -> RgbaImage {
    let bytes = std::fs::read(asset(name)).expect("sample images (in assets/)");
    let img = artsy::image::decode(name, &bytes).unwrap();
    let (w, h) = artsy::image::fit(img.width(), img.height(), size);
    artsy::image::resize(&img, w, h)
}

/// A few steps on two small photos lower the loss; the network read back, saved in a filter file and read again
/// stylises a photo as the training run's own network does (to f16 rounding).
#[test]
fn training_lowers_the_loss_and_a_saved_filter_applies_the_same() {
    let gpu = gpu();
    let weights = common::gpu_weights(&gpu);
    let photos = [
        sample("images/content_astronaut.png", 64),
        sample("images/content_chelsea_cat.png", 64),
    ];
    let painting = sample("images/style_starry_night_vangogh.jpg", 64);
    let params = Params {
        content_layers: vec![("relu2_2".parse().unwrap(), 1.0)],
        ..Params::default()
    };
    let settings = TrainSettings {
        steps: 24,
        batch: 2,
        crop: 32,
        learning_rate: 0.01,
        width: 8,
        seed: 3,
        style_size: 32,
    };
    let mut trainer = pollster::block_on(Trainer::new(
        &gpu,
        &weights,
        &photos,
        &[(painting.clone(), 1.0)],
        &params,
        &settings,
        None,
    ))
    .unwrap();
    let mut totals = Vec::new();
    for _ in 0..settings.steps {
        trainer.run(1).unwrap();
        trainer.wait_oldest().unwrap();
        totals.push(trainer.poll_losses().expect("a loss after every step").total);
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (first, last) = (mean(&totals[..4]), mean(&totals[totals.len() - 4..]));
    assert!(last < 0.7 * first, "losses {totals:?}");

    let network = pollster::block_on(trainer.params()).unwrap();
    let mut filter = Filter::new("test", &params, vec![]);
    filter.network = Some(FilterNetwork::new(trainer.architecture(), settings, &network));
    let (arch, saved) = filter.network.as_ref().unwrap().decode().unwrap();
    let photo = sample("images/content_coffee.png", 60); // 60x40: not a multiple of 4 on both sides after fit
    let mut from_file = Stylizer::new(&gpu, arch.clone(), &saved).unwrap();
    let mut live = Stylizer::sharing(&gpu, arch, trainer.params_buffer());
    let a = pollster::block_on(from_file.apply(&photo)).unwrap();
    let b = pollster::block_on(live.apply(&photo)).unwrap();
    assert_eq!(a.dimensions(), photo.dimensions());
    let max_diff = a
        .pixels()
        .zip(b.pixels())
        .flat_map(|(p, q)| (0..3).map(move |i| (p.0[i] as i32 - q.0[i] as i32).abs()))
        .max()
        .unwrap();
    assert!(max_diff <= 3, "saved and live networks differ by {max_diff}/255");
    // and the picture is not one flat colour
    let distinct: std::collections::HashSet<[u8; 4]> = a.pixels().map(|p| p.0).collect();
    assert!(distinct.len() > 100, "{} colours", distinct.len());
}

/// A training photo replaced (how the page learns from a live camera's newest frame) is what the next steps learn
/// from: training on the cat with the astronaut put in its place goes exactly as training on the astronaut, which
/// goes otherwise than training on the cat. A place that does not exist is refused.
#[test]
fn a_replaced_training_photo_is_what_training_learns_from() {
    let gpu = gpu();
    let weights = common::gpu_weights(&gpu);
    // one size for both, so that the crops fall alike
    let photo = |name| artsy::image::resize(&sample(name, 64), 48, 40);
    let (cat, astronaut) = (
        photo("images/content_chelsea_cat.png"),
        photo("images/content_astronaut.png"),
    );
    let painting = sample("images/style_starry_night_vangogh.jpg", 64);
    let settings = TrainSettings {
        steps: 3,
        batch: 2,
        crop: 32,
        width: 8,
        style_size: 32,
        ..TrainSettings::default()
    };
    let trainer = |photo: &RgbaImage| {
        pollster::block_on(Trainer::new(
            &gpu,
            &weights,
            std::slice::from_ref(photo),
            &[(painting.clone(), 1.0)],
            &Params::default(),
            &settings,
            None,
        ))
        .unwrap()
    };
    let losses = |trainer: &mut Trainer| -> Vec<f32> {
        (0..3)
            .map(|_| {
                trainer.run(1).unwrap();
                trainer.wait_oldest().unwrap();
                trainer.poll_losses().expect("a loss after every step").total
            })
            .collect()
    };
    let mut swapped = trainer(&cat);
    swapped.replace_photo(0, &astronaut).unwrap();
    let err = swapped.replace_photo(1, &astronaut).unwrap_err().to_string();
    assert!(err.contains("no training photo 2"), "{err}");
    let swapped = losses(&mut swapped);
    let on_astronaut = losses(&mut trainer(&astronaut));
    let on_cat = losses(&mut trainer(&cat));
    println!("swapped {swapped:?}\nastronaut {on_astronaut:?}\ncat {on_cat:?}");
    let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-5 * y.abs());
    assert!(close(&swapped, &on_astronaut), "{swapped:?} vs {on_astronaut:?}");
    assert!(!close(&on_cat, &on_astronaut), "the photos train alike: {on_cat:?}");
}

/// The paintings are analysed at the style size times the style scale, whatever the crop: 32 px at scale 2 trains
/// exactly as 64 px at scale 1, and 32 px at scale 1 otherwise.
#[test]
fn paintings_are_analysed_at_the_style_size() {
    let gpu = gpu();
    let weights = common::gpu_weights(&gpu);
    let photo = sample("images/content_chelsea_cat.png", 48);
    let painting = sample("images/style_starry_night_vangogh.jpg", 96);
    let first_style_loss = |style_size: u32, style_scale: f32| {
        let settings = TrainSettings {
            batch: 1,
            crop: 32,
            width: 8,
            style_size,
            ..TrainSettings::default()
        };
        let params = Params {
            style_scale,
            ..Params::default()
        };
        let mut trainer = pollster::block_on(Trainer::new(
            &gpu,
            &weights,
            std::slice::from_ref(&photo),
            &[(painting.clone(), 1.0)],
            &params,
            &settings,
            None,
        ))
        .unwrap();
        trainer.run(1).unwrap();
        trainer.wait_oldest().unwrap();
        trainer.poll_losses().expect("a loss after the step").style
    };
    let (small, doubled, large) = (
        first_style_loss(32, 1.0),
        first_style_loss(32, 2.0),
        first_style_loss(64, 1.0),
    );
    println!("style loss: 32 px {small}, 32 px x 2 {doubled}, 64 px {large}");
    assert_eq!(doubled, large);
    assert!(
        (small - large).abs() > 1e-3 * large,
        "the style size changes nothing: {small} vs {large}"
    );
    let refused = TrainSettings {
        style_size: 4096,
        ..TrainSettings::default()
    };
    let err = refused.validate().unwrap_err().to_string();
    assert!(err.contains("analysis size") && err.contains("4096"), "{err}");
}

/// Mean and largest difference per channel of two pictures of one size, in 1/255.
fn differences(a: &RgbaImage, b: &RgbaImage) -> (f64, i32) {
    assert_eq!(a.dimensions(), b.dimensions());
    let d: Vec<i32> = a
        .pixels()
        .zip(b.pixels())
        .flat_map(|(p, q)| (0..3).map(move |i| (p.0[i] as i32 - q.0[i] as i32).abs()))
        .collect();
    (d.iter().sum::<i32>() as f64 / d.len() as f64, *d.iter().max().unwrap())
}

/// A photo too large for one pass goes through in overlapping tiles that normalise with the whole photo's
/// statistics: with the statistics measured at full size the tiles agree with one pass but for the padding at their
/// borders, which the cross-fade hides; with the buffers held small, `apply` tiles by itself and stays close. In
/// f32, and in f16 where the GPU has it.
#[test]
fn a_photo_in_tiles_matches_one_pass() {
    let gpu = gpu();
    for precision in [Precision::F32, Precision::F16] {
        if precision == Precision::F32 || common::has_f16(&gpu) {
            tiles_match_one_pass(&gpu, precision);
        }
    }
}

fn tiles_match_one_pass(gpu: &artsy::Gpu, precision: Precision) {
    let arch = Architecture::new(8).unwrap();
    let mut stylizer = Stylizer::new(gpu, arch.clone(), &arch.initial_params(5)).unwrap();
    stylizer.set_precision(precision).unwrap();
    let photo = sample("images/content_coffee.png", 292); // 292x195: run size 292x196
    let photo = artsy::image::resize(&photo, 292, 196);
    let one_pass = pollster::block_on(stylizer.apply(&photo)).unwrap();
    let distinct: std::collections::HashSet<[u8; 4]> = one_pass.pixels().map(|p| p.0).collect();
    assert!(distinct.len() > 100, "{} colours", distinct.len());

    let input = artsy::image::to_pixels(&photo);
    // one tile as large as the photo, normalised with the statistics measured apart, is the one pass exactly
    let single = pollster::block_on(stylizer.apply_in_tiles(&input, (292, 196), 292)).unwrap();
    let single = artsy::image::from_pixels(292, 196, &single);
    assert_eq!(
        differences(&single, &one_pass),
        (0.0, 0),
        "{precision:?}: one tile with the statistics given"
    );
    let tiled = pollster::block_on(stylizer.apply_in_tiles(&input, (292, 196), 144)).unwrap();
    let tiled = artsy::image::from_pixels(292, 196, &tiled);
    let (mean, worst) = differences(&tiled, &one_pass);
    eprintln!("{precision:?} tiles of 144 with full-size statistics: mean {mean:.3}/255, worst {worst}/255");
    assert!(
        mean < 1.5 && worst <= 48,
        "{precision:?} tiles of 144: mean {mean:.3}/255, worst {worst}/255"
    );

    stylizer.limit_buffers(stylizer.largest_buffer_bytes(160, 160));
    assert!(stylizer.largest_size((292, 196)) < 292);
    let limited = pollster::block_on(stylizer.apply(&photo)).unwrap();
    let (mean, worst) = differences(&limited, &one_pass);
    eprintln!("{precision:?} buffers held to 160x160: mean {mean:.3}/255, worst {worst}/255");
    assert!(
        mean < 8.0,
        "{precision:?} buffers held small: mean {mean:.3}/255, worst {worst}/255"
    );
}

/// A picture asked for without waiting (a training run's previews) is `apply`'s picture, handed over once; a photo
/// too large for one pass is refused by the request (the caller applies it in tiles instead).
#[test]
fn a_requested_picture_is_the_applied_one_collected_without_waiting() {
    let gpu = gpu();
    let arch = Architecture::new(8).unwrap();
    let mut stylizer = Stylizer::new(&gpu, arch.clone(), &arch.initial_params(7)).unwrap();
    let photo = sample("images/content_coffee.png", 90); // 90x60: run size 92x60, resized back
    assert!(stylizer.take().is_none(), "nothing was asked for");
    assert!(pollster::block_on(stylizer.request(&photo)).unwrap());
    assert!(
        !pollster::block_on(stylizer.request(&photo)).unwrap(),
        "one request at a time"
    );
    let start = std::time::Instant::now();
    let requested = loop {
        if let Some(picture) = stylizer.take() {
            break picture.unwrap();
        }
        assert!(start.elapsed().as_secs() < 60, "the requested picture never arrived");
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    assert!(stylizer.take().is_none(), "handed over once");
    assert_eq!(requested.dimensions(), photo.dimensions());
    let applied = pollster::block_on(stylizer.apply(&photo)).unwrap();
    assert_eq!(differences(&requested, &applied), (0.0, 0));

    stylizer.limit_buffers(stylizer.largest_buffer_bytes(32, 32));
    assert!(!stylizer.fits_one_pass(90, 60));
    let refused = pollster::block_on(stylizer.request(&photo)).unwrap_err().to_string();
    assert!(refused.contains("one pass"), "{refused}");
}
