//! Every kernel of the optimisation (VGG19, losses, optimisers) against the CPU reference on small random tensors,
//! including odd and non-square sizes and conv1_1's 3-channel input (the filter network's kernels: filter_layers.rs
//! and filter_conv.rs). Tolerances are relative to the largest reference value: f32 rounding over a few
//! thousand terms stays near 1e-6, while an off-by-one, a transposed weight or a wrong normalisation is O(1).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use artsy::kernels::conv3x3::Tiling;
use artsy::kernels::{
    adam, conv3x3, gram, lbfgs, loss_reduce, mse_loss, pool2x2, pool2x2::Pooling, preprocess, tv_loss,
};
use artsy::weights::{LayerWeights, pack};
use common::{assert_close, f32s, f64s, gpu, pad_channels, random, read, reference as r};

const REL: f32 = 2e-5;

#[test]
fn preprocess_forward_and_backward() {
    let gpu = gpu();
    let n = 37;
    let px = random(n * 4, 1, 0.0, 1.0)
        .chunks(4)
        .flat_map(|p| [p[0], p[1], p[2], 0.0])
        .collect::<Vec<_>>();
    let g = random(n * 4, 2, -1.0, 1.0);
    let (px_b, g_b, out_a, out_b) = (
        gpu.storage_from("px", &px),
        gpu.storage_from("g", &g),
        gpu.storage("a", n * 4),
        gpu.storage("b", n * 4),
    );
    gpu.run(&[
        preprocess::forward(&gpu, &px_b, &out_a, n),
        preprocess::backward(&gpu, &g_b, &out_b, n),
    ]);
    assert_close(
        "preprocess",
        &read(&gpu, &out_a, n * 4),
        &f32s(&r::preprocess(&f64s(&px))),
        1e-6,
    );
    let mut want = r::preprocess_backward(&f64s(&g));
    want.iter_mut().skip(3).step_by(4).for_each(|v| *v = 0.0);
    assert_close("preprocess backward", &read(&gpu, &out_b, n * 4), &f32s(&want), 1e-6);
}

/// Every tiling of a 3x3 convolution over `images` images of h x w stacked along the rows, each padded at its own
/// borders, against the reference run image by image.
fn check_conv(images: usize, h: usize, w: usize, cin: usize, cout: usize, seed: u64) {
    let gpu = gpu();
    let cin_p = cin.next_multiple_of(4);
    let n = images;
    let x = random(n * h * w * cin, seed, -1.0, 1.0);
    let weight = random(9 * cin * cout, seed + 1, -0.3, 0.3);
    let bias = random(cout, seed + 2, -0.2, 0.2);
    let packed = pack(
        cin,
        cin_p,
        cout,
        &LayerWeights {
            weight: weight.clone(),
            bias: bias.clone(),
        },
    );
    let x_p = pad_channels(&x, cin, cin_p);
    // the reference, one image at a time
    let per_image = |len: usize, f: &dyn Fn(usize) -> Vec<f64>| -> Vec<f64> {
        let out: Vec<f64> = (0..n).flat_map(f).collect();
        assert_eq!(out.len(), n * len);
        out
    };

    // forward
    let (xb, wf, wb, bb) = (
        gpu.storage_from("x", &x_p),
        gpu.storage_from("wf", &packed.forward),
        gpu.storage_from("wb", &packed.backward),
        gpu.storage_from("b", &bias),
    );
    let shape = conv3x3::Shape {
        height: h as u32,
        width: w as u32,
        cin: cin_p as u32,
        cout: cout as u32,
        images: n as u32,
    };
    let (px_in, px_out) = (h * w * cin_p, h * w * cout);
    let want_y = per_image(px_out, &|i| {
        let x_i = f64s(&x_p[i * px_in..(i + 1) * px_in]);
        r::conv3x3(h, w, cin, cin_p, cout, &x_i, &f64s(&weight), &f64s(&bias), true)
    });
    let gy = random(n * px_out, seed + 3, -1.0, 1.0);
    let gyb = gpu.storage_from("gy", &gy);
    // the input gradient's mask is the reference forward output, so every tiling sees the same one
    let mask = gpu.storage_from("mask", &f32s(&want_y));
    let want_gx = per_image(px_in, &|i| {
        let (gy_i, y_i) = (
            f64s(&gy[i * px_out..(i + 1) * px_out]),
            &want_y[i * px_out..(i + 1) * px_out],
        );
        r::conv3x3_backward_input(h, w, cin, cin_p, cout, &gy_i, y_i, &f64s(&weight))
    });
    let h = n * h; // the stack's rows, from here on
    let mut checked = 0;
    for tiling in Tiling::ALL {
        if tiling.fits(cout as u32) {
            // poisoned first, so that an output the kernel never writes is caught
            let y = gpu.storage_from("y", &vec![f32::NAN; h * w * cout]);
            gpu.run(&[conv3x3::forward_tiled(&gpu, shape, tiling, &xb, &wf, &bb, &y)]);
            assert_close(
                &format!("conv forward {h}x{w} {cin}->{cout} ({})", tiling.name()),
                &read(&gpu, &y, h * w * cout),
                &f32s(&want_y),
                REL,
            );
            checked += 1;
        }
        if tiling.fits(cin_p as u32) {
            // input gradient through the ReLU mask
            let gx = gpu.storage_from("gx", &vec![f32::NAN; h * w * cin_p]);
            gpu.run(&[conv3x3::backward_input_tiled(
                &gpu, shape, tiling, &gyb, &wb, &mask, &gx,
            )]);
            assert_close(
                &format!("conv backward {h}x{w} {cin}->{cout} ({})", tiling.name()),
                &read(&gpu, &gx, h * w * cin_p),
                &f32s(&want_gx),
                REL,
            );
            checked += 1;
        }
    }
    assert!(checked >= 6, "every tiling that fits the shape is checked");
}

#[test]
fn conv3x3_tilings_cover_partial_tiles() {
    // 323 pixels: two full 128-pixel tiles and a partial one; 136 channels: a full 128-channel tile and 8 more
    check_conv(1, 17, 19, 64, 136, 50);
}

#[test]
fn conv3x3_pads_each_image_of_a_batch_at_its_own_borders() {
    // 3 images of 6x5 stacked: tiles of 64 and 128 pixels straddle the images' borders
    check_conv(3, 6, 5, 64, 72, 55);
    // the narrow kernel (4 channels) on a batch
    check_conv(2, 5, 7, 20, 4, 65);
}

#[test]
fn conv3x3_narrow_forward() {
    // fewer channel vec4s than the kernel's 16 lanes per pixel, and more (two rounds for some lanes)
    check_conv(1, 9, 7, 16, 4, 60);
    check_conv(1, 6, 5, 72, 4, 70);
}

#[test]
fn conv3x3_tiling_rule() {
    use conv3x3::Tiling::*;
    // conv1_1's input gradient (4 channels)
    assert_eq!(Tiling::choose(512 * 512, 4), Narrow);
    // 64 channels: 128-pixel tiles over very many pixels, never 128-channel ones (half of each would be wasted)
    assert_eq!(Tiling::choose(512 * 512, 64), Tile128x64);
    assert_eq!(Tiling::choose(256 * 256, 64), Tile64x64);
    // the largest tile wherever it gives a workgroup per core or more
    assert_eq!(Tiling::choose(256 * 256, 128), Tile128x128);
    assert_eq!(Tiling::choose(64 * 64, 512), Tile128x128);
    // too few workgroups for large tiles: the small one keeps every core busy
    assert_eq!(Tiling::choose(64 * 64, 256), Tile64x64);
    assert_eq!(Tiling::choose(32 * 32, 512), Tile64x64);
}

#[test]
fn conv3x3_first_layer_three_channels() {
    check_conv(1, 7, 11, 3, 64, 10);
}

#[test]
fn conv3x3_odd_non_square_multi_tile() {
    check_conv(1, 13, 17, 64, 128, 20);
}

#[test]
fn conv3x3_deep_narrow() {
    check_conv(1, 3, 5, 256, 64, 30);
}

#[test]
fn conv3x3_one_pixel() {
    check_conv(1, 1, 1, 8, 64, 40);
}

fn check_pool(kind: Pooling, h: usize, w: usize, c: usize) {
    let gpu = gpu();
    // ReLU-like input: many exact zeros, so max-pool ties are exercised
    let x: Vec<f32> = random(h * w * c, 5, -1.0, 1.0)
        .into_iter()
        .map(|v| v.max(0.0))
        .collect();
    let g = random((h / 2) * (w / 2) * c, 6, -1.0, 1.0);
    let (xb, gb, y, gx) = (
        gpu.storage_from("x", &x),
        gpu.storage_from("g", &g),
        gpu.storage("y", (h / 2) * (w / 2) * c),
        gpu.storage_from("gx", &vec![7.0; h * w * c]),
    );
    let (hu, wu, cu) = (h as u32, w as u32, c as u32);
    gpu.run(&[
        pool2x2::forward(&gpu, kind, hu, wu, cu, &xb, &y),
        pool2x2::backward(&gpu, kind, hu, wu, cu, &xb, &gb, &gx),
    ]);
    let max = kind == Pooling::Max;
    assert_close(
        &format!("{kind:?} pool {h}x{w}"),
        &read(&gpu, &y, (h / 2) * (w / 2) * c),
        &f32s(&r::pool(h, w, c, &f64s(&x), max)),
        1e-6,
    );
    let want = r::pool_backward(h, w, c, &f64s(&x), &f64s(&g), max);
    assert_close(
        &format!("{kind:?} pool backward {h}x{w}"),
        &read(&gpu, &gx, h * w * c),
        &f32s(&want),
        1e-6,
    );
}

#[test]
fn max_pool_odd_sizes_and_ties() {
    check_pool(Pooling::Max, 7, 10, 64);
    check_pool(Pooling::Max, 6, 5, 8);
}

#[test]
fn average_pool_odd_sizes() {
    check_pool(Pooling::Average, 9, 7, 64);
}

/// The Gram matrices of `images` random [p][c] feature maps with `split`, against the reference, map by map.
fn check_gram(gpu: &artsy::Gpu, what: &str, images: usize, p: usize, c: usize, split: gram::Split, seed: u64) {
    let f = random(images * p * c, seed, 0.0, 2.0);
    let shape = gram::Features {
        images: images as u32,
        pixels: p as u32,
        channels: c as u32,
    };
    let (fb, parts, g) = (
        gpu.storage_from("f", &f),
        gpu.storage_from("parts", &vec![f32::NAN; shape.partials_len(split)]),
        gpu.storage_from("g", &vec![f32::NAN; images * c * c]),
    );
    gpu.run(&[
        gram::partials(gpu, shape, split, &fb, &parts),
        gram::reduce(gpu, shape, split, &parts, &g),
    ]);
    let want: Vec<f64> = f.chunks(p * c).flat_map(|f_i| r::gram(p, c, &f64s(f_i))).collect();
    assert_close(what, &read(gpu, &g, images * c * c), &f32s(&want), REL);
}

#[test]
fn gram_split_along_pixels() {
    let gpu = gpu();
    for (p, c, chunk) in [(300usize, 64usize, 48u32), (77, 128, 16), (50, 64, 4096)] {
        let split = gram::Split {
            chunk,
            splits: (p as u32).div_ceil(chunk),
        };
        check_gram(
            &gpu,
            &format!("gram p={p} c={c} chunk={chunk}"),
            1,
            p,
            c,
            split,
            p as u64,
        );
    }
    // the automatic split covers every pixel too
    let (p, c) = (5000usize, 64usize);
    let split = gram::Split::for_shape(p as u32, c as u32);
    assert!(split.splits > 1);
    check_gram(&gpu, "gram auto split", 1, p, c, split, 9);
}

#[test]
fn gram_of_each_image_of_a_batch() {
    let gpu = gpu();
    // 3 maps of 300 pixels, each split into chunks of 48 (the last chunk of each map partial)
    let split = gram::Split { chunk: 48, splits: 7 };
    check_gram(&gpu, "grams of 3 images", 3, 300, 64, split, 19);
    let shape = gram::Features {
        images: 4,
        pixels: 2000,
        channels: 128,
    };
    check_gram(&gpu, "grams of 4 images, auto split", 4, 2000, 128, shape.split(), 21);
}

/// The Gram backward of 3 images (83 pixels: partial tiles at each image's end), each with its own dG, against
/// the reference image by image.
#[test]
fn gram_backward_of_each_image_of_a_batch() {
    let gpu = gpu();
    let (n, p, c) = (3usize, 83usize, 64usize);
    let f = random(n * p * c, 16, 0.0, 1.0);
    let dg = random(n * c * c, 17, -1.0, 1.0);
    let shape = gram::Features {
        images: n as u32,
        pixels: p as u32,
        channels: c as u32,
    };
    let (fb, dgb) = (gpu.storage_from("f", &f), gpu.storage_from("dg", &dg));
    let out = gpu.storage_from("out", &vec![f32::NAN; n * p * c]);
    gpu.run(&[gram::backward(&gpu, shape, &fb, &dgb, &out, false)]);
    let want: Vec<f64> = (0..n)
        .flat_map(|i| {
            let f_i = f64s(&f[i * p * c..(i + 1) * p * c]);
            r::gram_backward_symmetric_dg(p, c, &f_i, &f64s(&dg[i * c * c..(i + 1) * c * c]))
        })
        .collect();
    assert_close(
        "gram backward of 3 images",
        &read(&gpu, &out, n * p * c),
        &f32s(&want),
        REL,
    );
}

/// The Gram backward against the chain rule's F (dG + dG^T) / (C * P) for a symmetric dG, as the style loss gives
/// it: overwriting a NaN-filled gradient (so nothing of the old contents may survive) and adding to a random one.
#[test]
fn gram_backward_overwrite_and_accumulate() {
    let gpu = gpu();
    let (p, c) = (83usize, 128usize);
    let f = random(p * c, 11, 0.0, 1.0);
    let a = random(c * c, 12, -1.0, 1.0);
    let dg: Vec<f32> = (0..c * c).map(|k| (a[k] + a[(k % c) * c + k / c]) / 2.0).collect(); // symmetric, as in use
    let prior = random(p * c, 13, -1.0, 1.0);
    let (fb, dgb) = (gpu.storage_from("f", &f), gpu.storage_from("dg", &dg));
    let (over, acc) = (
        gpu.storage_from("over", &vec![f32::NAN; p * c]),
        gpu.storage_from("acc", &prior),
    );
    gpu.run(&[
        gram::backward(&gpu, gram::Features::one(p as u32, c as u32), &fb, &dgb, &over, false),
        gram::backward(&gpu, gram::Features::one(p as u32, c as u32), &fb, &dgb, &acc, true),
    ]);
    let want = r::gram_backward(p, c, &f64s(&f), &f64s(&dg));
    assert_close("gram backward", &read(&gpu, &over, p * c), &f32s(&want), REL);
    let want_acc: Vec<f64> = want.iter().zip(&prior).map(|(w, q)| w + *q as f64).collect();
    assert_close(
        "gram backward accumulate",
        &read(&gpu, &acc, p * c),
        &f32s(&want_acc),
        REL,
    );
}

/// The Gram backward with an asymmetric dG: the kernel's contract (src/kernels/gram.rs) is a symmetric dG, and it
/// multiplies by dG as stored, never its transpose. With a symmetric dG a kernel that read dG transposed, or that
/// symmetrised it, would pass unnoticed; here each of those is O(1) off (checked below), so the test pins the
/// orientation and the factor 2 / (C * P) against the reference for exactly that contract.
#[test]
fn gram_backward_multiplies_an_asymmetric_dg_as_stored() {
    let gpu = gpu();
    let (p, c) = (83usize, 128usize);
    let f = random(p * c, 14, 0.0, 1.0);
    let dg = random(c * c, 15, -1.0, 1.0);
    let (fb, dgb) = (gpu.storage_from("f", &f), gpu.storage_from("dg", &dg));
    let out = gpu.storage_from("out", &vec![f32::NAN; p * c]);
    gpu.run(&[gram::backward(
        &gpu,
        gram::Features::one(p as u32, c as u32),
        &fb,
        &dgb,
        &out,
        false,
    )]);
    let want = r::gram_backward_symmetric_dg(p, c, &f64s(&f), &f64s(&dg));
    // the alternatives a wrong kernel would compute are far from it, so REL separates them
    let dg_t: Vec<f64> = (0..c * c).map(|k| dg[(k % c) * c + k / c] as f64).collect();
    let transposed = r::gram_backward_symmetric_dg(p, c, &f64s(&f), &dg_t);
    let symmetrised = r::gram_backward(p, c, &f64s(&f), &f64s(&dg));
    let max = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (what, other) in [("dG transposed", &transposed), ("dG symmetrised", &symmetrised)] {
        let gap = want.iter().zip(other).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(
            gap > 0.1 * max,
            "{what} gives nearly the same gradient: the test could not tell it apart"
        );
    }
    assert_close(
        "gram backward, asymmetric dG",
        &read(&gpu, &out, p * c),
        &f32s(&want),
        REL,
    );
}

/// The MSE loss and its gradient in both modes, over more values than its 64 workgroups of 256 threads cover in one
/// pass (so every thread goes round its grid-stride loop at least twice): `grad +=` onto a random prior, `grad =`
/// over a NaN-filled buffer (nothing of the old contents may survive), the loss partials written at their offset,
/// and the floats around them (partials before the offset and after the last workgroup's, gradient past `count`)
/// left exactly as they were.
#[test]
fn mse_loss_value_and_gradient() {
    let gpu = gpu();
    let n = 4 * (2 * 64 * 256 + 77);
    let parts_n = mse_loss::partial_count(n) as usize;
    assert!(
        parts_n == 64 && n / 4 > 2 * parts_n * 256,
        "the grid-stride loop runs more than twice"
    );
    let (x, t, prior) = (
        random(n, 21, -2.0, 2.0),
        random(n, 22, -2.0, 2.0),
        random(n, 23, -1.0, 1.0),
    );
    let scale = 0.37 / n as f32;
    let (loss, grad) = r::mse(&f64s(&x), &f64s(&t), scale as f64);
    let (offset, tail) = (3usize, 8usize);
    // sentinels around the partials and past the gradient: the kernel must not write them
    let sentinel = 7.25f32;
    for accumulate in [true, false] {
        let mode = if accumulate { "accumulate" } else { "overwrite" };
        let before: Vec<f32> = if accumulate { prior.clone() } else { vec![f32::NAN; n] };
        let g0: Vec<f32> = before
            .iter()
            .cloned()
            .chain(std::iter::repeat_n(sentinel, tail))
            .collect();
        let (xb, tb, gb, parts) = (
            gpu.storage_from("x", &x),
            gpu.storage_from("t", &t),
            gpu.storage_from("g", &g0),
            gpu.storage_from("parts", &vec![sentinel; offset + parts_n + tail]),
        );
        gpu.run(&[mse_loss::mse_loss(
            &gpu,
            n,
            1,
            scale,
            &xb,
            &tb,
            &gb,
            accumulate,
            &parts,
            offset as u32,
        )]);
        let got_parts = read(&gpu, &parts, offset + parts_n + tail);
        assert!(
            got_parts[..offset]
                .iter()
                .chain(&got_parts[offset + parts_n..])
                .all(|&v| v == sentinel),
            "mse {mode}: partials outside [offset, offset + partial_count) changed"
        );
        let got: f64 = got_parts[offset..offset + parts_n].iter().map(|&v| v as f64).sum();
        assert!((got - loss).abs() < 1e-5 * loss, "mse {mode} loss {got} vs {loss}");
        let got_g = read(&gpu, &gb, n + tail);
        assert!(
            got_g[n..].iter().all(|&v| v == sentinel),
            "mse {mode}: gradient past count changed"
        );
        let want: Vec<f64> = if accumulate {
            grad.iter().zip(&prior).map(|(g, p)| g + *p as f64).collect()
        } else {
            grad.clone()
        };
        assert_close(&format!("mse gradient ({mode})"), &got_g[..n], &f32s(&want), 1e-6);
    }
}

/// The TV loss and its gradient, which the kernel adds to what the buffer holds (a random prior here), on an odd
/// non-square image and on one with more pixels than its 64 workgroups of 256 threads cover in one pass (so the
/// grid-stride loop repeats); the loss partials land at their offset and the partials before it stay as they were.
#[test]
fn tv_loss_value_and_gradient() {
    let gpu = gpu();
    for (h, w) in [(23usize, 31usize), (131, 127)] {
        let px: Vec<f32> = random(h * w * 4, 31, 0.0, 1.0)
            .chunks(4)
            .flat_map(|p| [p[0], p[1], p[2], 0.0])
            .collect();
        let prior = random(h * w * 4, 32, -1.0, 1.0);
        let scale = 1e-2 / (h * w) as f32;
        let parts_n = tv_loss::partial_count(h * w) as usize;
        let offset = 2usize;
        let sentinel = 7.25f32;
        let (pb, gb, parts) = (
            gpu.storage_from("px", &px),
            gpu.storage_from("g", &prior),
            gpu.storage_from("parts", &vec![sentinel; offset + parts_n]),
        );
        gpu.run(&[tv_loss::tv_loss(
            &gpu,
            1,
            h as u32,
            w as u32,
            scale,
            &pb,
            &gb,
            &parts,
            offset as u32,
        )]);
        let want_loss = r::tv(h, w, &f64s(&px), scale as f64);
        let got_parts = read(&gpu, &parts, offset + parts_n);
        assert!(
            got_parts[..offset].iter().all(|&v| v == sentinel),
            "tv {h}x{w}: partials before the offset changed"
        );
        let got: f64 = got_parts[offset..].iter().map(|&v| v as f64).sum();
        assert!(
            (got - want_loss).abs() < 1e-5 * want_loss,
            "tv {h}x{w} loss {got} vs {want_loss}"
        );
        let want: Vec<f64> = r::tv_grad(h, w, &f64s(&px), scale as f64)
            .iter()
            .zip(&prior)
            .map(|(g, p)| g + *p as f64)
            .collect();
        assert_close(
            &format!("tv {h}x{w} gradient"),
            &read(&gpu, &gb, h * w * 4),
            &f32s(&want),
            1e-5,
        );
    }
    assert!(tv_loss::partial_count(131 * 127) == 64 && 131 * 127 > 64 * 256);
}

#[test]
fn loss_reduce_sums_each_range() {
    let gpu = gpu();
    let parts = random(700, 41, 0.0, 1.0);
    let ranges = [0u32, 5, 650, 700];
    let (pb, lb) = (gpu.storage_from("parts", &parts), gpu.storage("losses", 4));
    gpu.run(&[loss_reduce::loss_reduce(&gpu, ranges, &pb, &lb)]);
    let sum = |a: usize, b: usize| parts[a..b].iter().map(|&v| v as f64).sum::<f64>();
    let want = [sum(0, 5), sum(5, 650), sum(650, 700), sum(0, 700)];
    assert_close("loss reduce", &read(&gpu, &lb, 4), &f32s(&want), 1e-6);
}

#[test]
fn adam_steps_and_clamps() {
    let gpu = gpu();
    let n = 300;
    let mut x: Vec<f64> = f64s(&random(n * 4, 51, 0.0, 1.0));
    x.iter_mut().skip(3).step_by(4).for_each(|v| *v = 0.0);
    let xb = gpu.storage_from("x", &f32s(&x));
    let state = adam::AdamState::new(&gpu, n);
    let (mut m, mut v) = (vec![0.0; n * 4], vec![0.0; n * 4]);
    let lr = 0.05;
    for t in 1..=3 {
        let mut g = f64s(&random(n * 4, 60 + t as u64, -1e-3, 1e-3));
        g.iter_mut().skip(3).step_by(4).for_each(|v| *v = 0.0);
        let gb = gpu.storage_from("g", &f32s(&g));
        gpu.run(&adam::step(&gpu, n, lr as f32, &state, &gb, &xb));
        r::adam(&mut x, &mut m, &mut v, &g, t, lr);
    }
    let got = read(&gpu, &xb, n * 4);
    assert_close("adam", &got, &f32s(&x), 1e-5);
    assert!(got.iter().all(|v| (0.0..=1.0).contains(v)));
}

/// An ill-conditioned separable quadratic: f = 1/2 sum a_i (x_i - c_i)^2, a_i in [1, 1000], the optimum c_i
/// uniform in [lo, hi) (inside the unit box for the plain test, partly outside it for the clamping one).
struct Quadratic {
    a: Vec<f64>,
    c: Vec<f64>,
}

impl Quadratic {
    fn new(n: usize, lo: f32, hi: f32) -> Quadratic {
        let mut a: Vec<f64> = f64s(&random(n * 4, 91, 0.0, 3.0))
            .iter()
            .map(|e| 10f64.powf(*e))
            .collect();
        let c = f64s(&random(n * 4, 92, lo, hi));
        // the fourth channel is not a colour: no curvature, no gradient
        a.iter_mut().skip(3).step_by(4).for_each(|v| *v = 0.0);
        Quadratic { a, c }
    }
    fn value(&self, x: &[f64]) -> f64 {
        (0..x.len()).map(|i| 0.5 * self.a[i] * (x[i] - self.c[i]).powi(2)).sum()
    }
    fn grad(&self, x: &[f64]) -> Vec<f64> {
        (0..x.len()).map(|i| self.a[i] * (x[i] - self.c[i])).collect()
    }
}

#[test]
fn lbfgs_follows_the_reference_through_the_history_ring() {
    let gpu = gpu();
    let n = 700; // pixels: not a multiple of the 256-thread groups
    let q = Quadratic::new(n, 0.2, 0.8);
    let mut x: Vec<f64> = f64s(&random(n * 4, 93, 0.0, 1.0));
    x.iter_mut().skip(3).step_by(4).for_each(|v| *v = 0.0);
    let xb = gpu.storage_from("x", &f32s(&x));
    let gb = gpu.storage("g", n * 4);
    let state = lbfgs::LbfgsState::new(&gpu, n, 1.0, &gb, &xb);
    let mut reference = r::Lbfgs::new(lbfgs::HISTORY, n * 4, 1.0, 1.0, lbfgs::MAX_STEP_RMS as f64);
    let start = q.value(&x);
    // Gradient descent with the largest stable fixed step, for scale.
    let mut gd = x.clone();
    let steps = 2 * lbfgs::HISTORY as u32 + 3;
    for _ in 0..steps {
        let g = q.grad(&gd);
        gd.iter_mut()
            .zip(g)
            .for_each(|(v, g)| *v = (*v - g / 1000.0).clamp(0.0, 1.0));
    }
    // 2 * HISTORY + 3 steps: the history fills, wraps around and every dispatch list is used.
    for k in 0..steps {
        // Both sides take the gradient at the GPU's pixels, so rounding cannot make them drift apart.
        let gpu_x = f64s(&read(&gpu, &xb, n * 4));
        let g = q.grad(&gpu_x);
        gpu.queue.write_buffer(&gb, 0, bytemuck::cast_slice(&f32s(&g)));
        gpu.run(state.dispatches(k));
        let mut expected = gpu_x.clone();
        reference.step(&mut expected, &g);
        let got = read(&gpu, &xb, n * 4);
        let worst = common::max_abs_diff(&got, &expected);
        assert!(
            worst < 2e-4,
            "step {k}: GPU pixels differ from the reference by {worst}"
        );
    }
    // And the algorithm does its job: on a 1000:1 conditioned problem it beats gradient descent by far.
    let end = q.value(&f64s(&read(&gpu, &xb, n * 4)));
    let gd_end = q.value(&gd);
    assert!(
        end < start * 1e-2 && end < gd_end * 0.25,
        "L-BFGS went from {start} to {end}; gradient descent reached {gd_end}"
    );
}

/// L-BFGS against the reference where the box and the curvature test matter: a third of the optimum lies outside
/// [0, 1], so steps are clamped and the pair stored is the step actually taken, not t * d; and at two steps (one
/// before the history ring is full, one after it has wrapped) the gradient handed over is made so that s.y < 0, so
/// that pair must be skipped (rho = 0, H0 kept). Every step's pixels are compared with the reference's.
#[test]
fn lbfgs_follows_the_reference_through_clamps_and_skipped_pairs() {
    let gpu = gpu();
    let n = 300;
    let q = Quadratic::new(n, -0.4, 1.4);
    let mut x: Vec<f64> = f64s(&random(n * 4, 94, 0.0, 1.0));
    x.iter_mut().skip(3).step_by(4).for_each(|v| *v = 0.0);
    let xb = gpu.storage_from("x", &f32s(&x));
    let gb = gpu.storage("g", n * 4);
    let state = lbfgs::LbfgsState::new(&gpu, n, 1.0, &gb, &xb);
    let mut reference = r::Lbfgs::new(lbfgs::HISTORY, n * 4, 1.0, 1.0, lbfgs::MAX_STEP_RMS as f64);
    let skips = [3u32, lbfgs::HISTORY as u32 + 4];
    let steps = 2 * lbfgs::HISTORY as u32 + 3;
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(u, v)| u * v).sum::<f64>();
    let (mut x_prev, mut g_prev) = (Vec::new(), Vec::new());
    let mut clamped = 0;
    for k in 0..steps {
        let gpu_x = f64s(&read(&gpu, &xb, n * 4));
        let mut g = q.grad(&gpu_x);
        if skips.contains(&k) {
            // y = g - g_prev = -100 s: negative curvature along the step just taken
            let s: Vec<f64> = gpu_x.iter().zip(&x_prev).map(|(a, b)| a - b).collect();
            g = g_prev.iter().zip(&s).map(|(gp, sv)| gp - 100.0 * sv).collect();
            let y: Vec<f64> = g.iter().zip(&g_prev).map(|(a, b)| a - b).collect();
            assert!(dot(&s, &s) > 1e-6 && dot(&s, &y) < 0.0, "step {k}: s.y is not negative");
        }
        gpu.queue.write_buffer(&gb, 0, bytemuck::cast_slice(&f32s(&g)));
        gpu.run(state.dispatches(k));
        let mut expected = gpu_x.clone();
        reference.step(&mut expected, &g);
        // a value exactly on the box's faces that was not there before is a clamp
        clamped += (0..n * 4)
            .filter(|&i| i % 4 != 3 && (expected[i] == 0.0 || expected[i] == 1.0) && expected[i] != gpu_x[i])
            .count();
        let got = read(&gpu, &xb, n * 4);
        let worst = common::max_abs_diff(&got, &expected);
        assert!(
            worst < 2e-4,
            "step {k}: GPU pixels differ from the reference by {worst}"
        );
        (x_prev, g_prev) = (gpu_x, g);
    }
    assert!(
        clamped > n / 2,
        "only {clamped} values were clamped: the box was hardly tested"
    );
}

/// A curvature estimate gone wrong: the gradient hardly changes along the first step (y = s / 100), so H0 = 100
/// and the quasi-Newton step asks to move every value by tens. The step is shortened to a root-mean-square
/// change of MAX_STEP_RMS (without the cap every value would land on 0 or 1), as the reference does.
#[test]
fn lbfgs_shortens_a_step_a_bad_curvature_estimate_blows_up() {
    let gpu = gpu();
    let n = 500;
    let mut x: Vec<f64> = f64s(&random(n * 4, 95, 0.3, 0.7));
    x.iter_mut().skip(3).step_by(4).for_each(|v| *v = 0.0);
    let xb = gpu.storage_from("x", &f32s(&x));
    let gb = gpu.storage("g", n * 4);
    let state = lbfgs::LbfgsState::new(&gpu, n, 1.0, &gb, &xb);
    let mut reference = r::Lbfgs::new(lbfgs::HISTORY, n * 4, 1.0, 1.0, lbfgs::MAX_STEP_RMS as f64);
    let mut g: Vec<f64> = f64s(&random(n * 4, 96, -1.0, 1.0));
    g.iter_mut().skip(3).step_by(4).for_each(|v| *v = 0.0);
    let mut x_prev = Vec::new();
    for k in 0..3u32 {
        let gpu_x = f64s(&read(&gpu, &xb, n * 4));
        if k > 0 {
            // nearly flat along the step just taken
            g = g
                .iter()
                .zip(gpu_x.iter().zip(&x_prev))
                .map(|(gv, (a, b))| gv + (a - b) / 100.0)
                .collect();
        }
        // as the GPU sees it, so that y = g - g_prev is the same small difference on both sides
        g = f64s(&f32s(&g));
        gpu.queue.write_buffer(&gb, 0, bytemuck::cast_slice(&f32s(&g)));
        gpu.run(state.dispatches(k));
        let mut expected = gpu_x.clone();
        reference.step(&mut expected, &g);
        let got = f64s(&read(&gpu, &xb, n * 4));
        let worst = common::max_abs_diff(&got, &expected);
        assert!(
            worst < 2e-4,
            "step {k}: GPU pixels differ from the reference by {worst}"
        );
        if k > 0 {
            let rms = (got.iter().zip(&gpu_x).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / (3 * n) as f64).sqrt();
            let clamped = got.iter().filter(|v| **v == 0.0 || **v == 1.0).count() - n; // less the fourth lanes
            let cap = lbfgs::MAX_STEP_RMS as f64;
            // the first capped step lands inside the box, so it is the cap exactly; the next may be clamped less
            assert!(
                rms < cap + 1e-4 && (k > 1 || (rms > cap - 1e-4 && clamped == 0)),
                "step {k}: the step changed values by {rms} rms ({clamped} clamped); the cap is {cap}"
            );
        }
        x_prev = gpu_x;
    }
}

/// A batch's Gram matrices against the painting's one: x of 3 blocks, each measured against the same target.
#[test]
fn mse_loss_repeats_its_target_over_a_batch() {
    let gpu = gpu();
    let (n, len) = (3usize, 4096usize);
    let x = random(n * len, 41, -1.0, 1.0);
    let t = random(len, 42, -1.0, 1.0);
    let repeated: Vec<f32> = t.iter().cycle().take(n * len).cloned().collect();
    let (want_loss, want_grad) = r::mse(&f64s(&x), &f64s(&repeated), 0.5);
    let parts_n = mse_loss::partial_count(n * len) as usize;
    let (xb, tb, gb, parts) = (
        gpu.storage_from("x", &x),
        gpu.storage_from("t", &t),
        gpu.storage_from("g", &vec![f32::NAN; n * len]),
        gpu.storage("parts", parts_n),
    );
    gpu.run(&[mse_loss::mse_loss(
        &gpu,
        n * len,
        n as u32,
        0.5,
        &xb,
        &tb,
        &gb,
        false,
        &parts,
        0,
    )]);
    let got: f64 = read(&gpu, &parts, parts_n).iter().map(|&v| v as f64).sum();
    assert!((got - want_loss).abs() < 1e-5 * want_loss, "loss {got} vs {want_loss}");
    assert_close(
        "mse gradient, repeated target",
        &read(&gpu, &gb, n * len),
        &f32s(&want_grad),
        1e-6,
    );
}

/// The TV of 3 pictures stacked along the rows is the sum of each one's, with no difference across their borders.
#[test]
fn tv_loss_measures_each_image_of_a_batch_alone() {
    let gpu = gpu();
    let (n, h, w) = (3usize, 7usize, 9usize);
    let px: Vec<f32> = random(n * h * w * 4, 43, 0.0, 1.0)
        .chunks(4)
        .flat_map(|p| [p[0], p[1], p[2], 0.0])
        .collect();
    let scale = 1e-2;
    let parts_n = tv_loss::partial_count(n * h * w) as usize;
    let (pb, gb, parts) = (
        gpu.storage_from("px", &px),
        gpu.storage("g", n * h * w * 4),
        gpu.storage("parts", parts_n),
    );
    gpu.run(&[tv_loss::tv_loss(
        &gpu, n as u32, h as u32, w as u32, scale, &pb, &gb, &parts, 0,
    )]);
    let image = |i: usize| f64s(&px[i * h * w * 4..(i + 1) * h * w * 4]);
    let want_loss: f64 = (0..n).map(|i| r::tv(h, w, &image(i), scale as f64)).sum();
    let got: f64 = read(&gpu, &parts, parts_n).iter().map(|&v| v as f64).sum();
    assert!((got - want_loss).abs() < 1e-5 * want_loss, "tv {got} vs {want_loss}");
    let want_grad: Vec<f64> = (0..n).flat_map(|i| r::tv_grad(h, w, &image(i), scale as f64)).collect();
    assert_close(
        "tv gradient of 3 images",
        &read(&gpu, &gb, n * h * w * 4),
        &f32s(&want_grad),
        1e-5,
    );
}

// The shape rules the kernels (and the unchecked shader mode) rely on are refused in the wrappers, by name.

#[test]
#[should_panic(expected = "gram_partials: channels must be a positive multiple of 64, got 32")]
fn gram_refuses_channels_off_the_tile() {
    let gpu = gpu();
    let split = gram::Split { chunk: 16, splits: 1 };
    let (f, parts) = (gpu.storage("f", 16 * 32), gpu.storage("parts", 32 * 32));
    gram::partials(&gpu, gram::Features::one(16, 32), split, &f, &parts);
}

#[test]
#[should_panic(expected = "conv3x3_forward_64x64: cin must be a positive multiple of 4, got 6")]
fn conv3x3_refuses_unpadded_channels() {
    let gpu = gpu();
    let shape = conv3x3::Shape {
        height: 2,
        width: 2,
        cin: 6,
        cout: 64,
        images: 1,
    };
    let b = gpu.storage("b", 9 * 8 * 64);
    conv3x3::forward(&gpu, shape, &b, &b, &b, &b);
}

#[test]
#[should_panic(expected = "max_pool_forward: the pooled width must be above 0")]
fn pooling_refuses_a_side_of_one_pixel() {
    // (the shader divides by the pooled width)
    let gpu = gpu();
    let b = gpu.storage("b", 8 * 4);
    pool2x2::forward(&gpu, artsy::Pooling::Max, 8, 1, 4, &b, &b);
}

#[test]
#[should_panic(expected = "mse_loss: partials must hold 5 floats")]
fn mse_loss_refuses_a_short_buffer() {
    let gpu = gpu();
    let (x, parts) = (gpu.storage("x", 64), gpu.storage("parts", 4));
    mse_loss::mse_loss(&gpu, 64, 1, 1.0, &x, &x, &gpu.storage("g", 64), false, &parts, 4);
}

/// The GPU's shader mode is the one this test binary stands for: the engine's default here (the bounds checks),
/// no runtime checks when tests/kernels_unchecked.rs runs these tests (told apart by the module path, not by what
/// common::gpu() reads).
#[test]
fn shader_mode_follows_the_test_binary() {
    let unchecked = module_path!().starts_with("kernels_unchecked::");
    let expected = if unchecked {
        artsy::gpu::ShaderChecks::NONE
    } else {
        artsy::gpu::ShaderChecks::BOUNDS
    };
    assert_eq!(gpu().shader_checks(), expected, "in {}", module_path!());
}

#[test]
fn pipelines_are_compiled_once_per_device() {
    let gpu = gpu();
    let first = gpu.pipeline(&conv3x3::FORWARD_64X64);
    assert!(std::sync::Arc::ptr_eq(&first, &gpu.pipeline(&conv3x3::FORWARD_64X64)));
    assert!(!std::sync::Arc::ptr_eq(
        &first,
        &gpu.pipeline(&conv3x3::BACKWARD_INPUT_64X64)
    ));
}

/// Kernels and shaders are cached by name: a second declaration under a taken name (a copied declaration not
/// renamed) is caught when its pipeline is asked for, instead of being served the first one's.
#[test]
fn a_name_declared_twice_is_caught_not_served_the_other_pipeline() {
    use artsy::gpu::{Binding, Kernel, Shader};
    const WGSL: &str = "@group(0) @binding(0) var<uniform> p: vec4<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(1) fn one() { out[0] = p.x; }
@compute @workgroup_size(1) fn two() { out[0] = p.y; }
";
    static SHADER: Shader = Shader {
        name: "name_clash_test",
        constants: &[],
        sources: &[WGSL],
    };
    static OTHER_SHADER: Shader = Shader {
        name: "name_clash_test",
        constants: &[("UNUSED", 1)],
        sources: &[WGSL],
    };
    const BINDINGS: &[Binding] = &[Binding::Uniform, Binding::ReadWrite];
    let gpu = gpu();
    let clash = |kernel: Kernel| {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| gpu.pipeline(&kernel)));
        caught
            .err()
            .and_then(|e| e.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    };
    gpu.pipeline(&Kernel::new("clash", &SHADER, "one", BINDINGS));
    let message = clash(Kernel::new("clash", &SHADER, "two", BINDINGS));
    assert!(message.contains("two kernels are named \"clash\""), "{message:?}");
    let message = clash(Kernel::new("clash_other", &OTHER_SHADER, "one", BINDINGS));
    assert!(
        message.contains("two shaders are named \"name_clash_test\""),
        "{message:?}"
    );
    // the cache still serves what was declared first, and a second kernel of the same shader
    gpu.pipeline(&Kernel::new("clash", &SHADER, "one", BINDINGS));
    gpu.pipeline(&Kernel::new("clash_two", &SHADER, "two", BINDINGS));
}
