//! The filter network's non-convolution kernels (instance norm, 2x upsampling, residual gradient add, output
//! sigmoid, the training-photo crop, Adam with bounds) against the f64 CPU reference in tests/common/
//! layer_reference.rs, whose instance-norm backward is itself checked against finite differences. Outputs a kernel
//! overwrites start as NaN, so nothing of the old contents may survive; the floats around what a kernel writes hold
//! sentinels that must not change.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use artsy::Gpu;
use artsy::kernels::instance_norm::{self, EPS, NormForward, NormShape};
use artsy::kernels::precision::Precision;
use artsy::kernels::{adam, crop, pointwise, upsample};
use common::{assert_close, f32s, f64s, gpu, layer_reference as lr, random, read, read_f16, round_f16, storage_f16};

const SENTINEL: f32 = 7.25;

/// One instance-norm case: a [pixels][channels] map, with a ReLU or a residual add, gradients added or written.
#[derive(Clone, Copy)]
struct NormCase {
    pixels: usize,
    channels: usize,
    relu: bool,
    residual: bool,
    accumulate: bool,
    seed: u64,
}

impl NormCase {
    fn plain(pixels: usize, channels: usize, seed: u64) -> NormCase {
        NormCase {
            pixels,
            channels,
            relu: false,
            residual: false,
            accumulate: false,
            seed,
        }
    }

    fn name(&self) -> String {
        format!(
            "instance norm {}x{}{}{}{}",
            self.pixels,
            self.channels,
            if self.relu { " relu" } else { "" },
            if self.residual { " residual" } else { "" },
            if self.accumulate { " accumulate" } else { " overwrite" },
        )
    }
}

/// Runs forward then backward of `case` on the GPU and holds both to the reference: y (over NaN), the stats, dx
/// (over NaN), dgamma and dbeta written or added at their offsets in grads with every other float of grads (and of
/// the parameters) untouched. gamma and beta sit at non-zero offsets, apart, inside a longer parameter buffer.
fn check_norm(gpu: &Gpu, case: NormCase, rel: f32) {
    let what = case.name();
    let (p, c) = (case.pixels, case.channels);
    let n = p * c;
    let shape = NormShape {
        pixels: p as u32,
        channels: c as u32,
    };
    let (gamma_offset, beta_offset) = (8usize, 8 + c + 12);
    let params_len = beta_offset + c + 8;
    let mut params = vec![SENTINEL; params_len];
    let gamma = random(c, case.seed, 0.5, 1.5);
    let beta = random(c, case.seed + 1, -0.5, 0.5);
    params[gamma_offset..gamma_offset + c].copy_from_slice(&gamma);
    params[beta_offset..beta_offset + c].copy_from_slice(&beta);
    // channel means well away from 0 and unequal spreads, so a variance by plain sums of squares would show; and
    // in most channels a ramp along the pixels, so that the chunks' means differ and their spread counts
    let x: Vec<f32> = random(n, case.seed + 2, -1.0, 1.0)
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (pixel, ch) = ((i / c) as f32, (i % c) as f32);
            let ramp = 4.0 * (ch % 3.0) * pixel / p as f32;
            3.0 + ch * 0.5 + ramp + v * (1.0 + ch * 0.25)
        })
        .collect();
    let residual = random(n, case.seed + 3, -1.0, 1.0);
    let dy = random(n, case.seed + 4, -1.0, 1.0);

    let want_y = lr::instance_norm(
        p,
        c,
        &f64s(&x),
        &f64s(&gamma),
        &f64s(&beta),
        EPS as f64,
        case.relu,
        case.residual.then_some(&f64s(&residual)[..]),
    );
    let (mean, inv_std) = lr::norm_stats(p, c, &f64s(&x), EPS as f64);
    // the backward's ReLU mask is the reference forward output, on both sides
    let y_for_mask = f32s(&want_y);
    let (want_dx, want_dgamma, want_dbeta) = lr::instance_norm_backward(
        p,
        c,
        &f64s(&x),
        &f64s(&y_for_mask),
        &f64s(&dy),
        &f64s(&gamma),
        EPS as f64,
        case.relu,
    );

    // grads: sentinels everywhere but dgamma and dbeta, which hold NaN (overwrite) or a random prior (accumulate)
    let prior = random(2 * c, case.seed + 5, -1.0, 1.0);
    let mut grads0 = vec![SENTINEL; params_len];
    for k in 0..c {
        let (pg, pb) = if case.accumulate {
            (prior[k], prior[c + k])
        } else {
            (f32::NAN, f32::NAN)
        };
        grads0[gamma_offset + k] = pg;
        grads0[beta_offset + k] = pb;
    }

    let xb = gpu.storage_from("x", &x);
    let pb = gpu.storage_from("params", &params);
    let rb = gpu.storage_from("residual", &residual);
    let stats = gpu.storage_from("stats", &vec![f32::NAN; shape.stats_len()]);
    let partials = gpu.storage_from("partials", &vec![f32::NAN; shape.partials_len()]);
    let yb = gpu.storage_from("y", &vec![f32::NAN; n]);
    let y_mask = gpu.storage_from("y for the mask", &y_for_mask);
    let dyb = gpu.storage_from("dy", &dy);
    let grads = gpu.storage_from("grads", &grads0);
    let dx = gpu.storage_from("dx", &vec![f32::NAN; n]);
    let mut dispatches = NormForward {
        shape,
        x: &xb,
        params: &pb,
        gamma_offset: gamma_offset as u32,
        beta_offset: beta_offset as u32,
        relu: case.relu,
        residual: case.residual.then_some(&rb),
        stats: &stats,
        partials: &partials,
        y: &yb,
        precision: Precision::F32,
    }
    .dispatches(gpu);
    dispatches.extend(instance_norm::backward(
        gpu,
        shape,
        &xb,
        &y_mask,
        &dyb,
        case.relu,
        &pb,
        gamma_offset as u32,
        &stats,
        &partials,
        &grads,
        beta_offset as u32,
        case.accumulate,
        &dx,
    ));
    gpu.run(&dispatches);

    let got_stats = read(gpu, &stats, 2 * c);
    assert_close(&format!("{what}: mean"), &got_stats[..c], &f32s(&mean), 1e-6);
    assert_close(&format!("{what}: 1/std"), &got_stats[c..], &f32s(&inv_std), 1e-5);
    assert_close(&format!("{what}: y"), &read(gpu, &yb, n), &f32s(&want_y), rel);
    assert_close(&format!("{what}: dx"), &read(gpu, &dx, n), &f32s(&want_dx), rel);

    let got = read(gpu, &grads, params_len);
    let (mut got_dgamma, mut got_dbeta) = (vec![], vec![]);
    for (k, &v) in got.iter().enumerate() {
        if (gamma_offset..gamma_offset + c).contains(&k) {
            got_dgamma.push(v);
        } else if (beta_offset..beta_offset + c).contains(&k) {
            got_dbeta.push(v);
        } else {
            assert_eq!(v, SENTINEL, "{what}: grads[{k}] outside dgamma and dbeta changed");
        }
    }
    let plus_prior = |want: &[f64], from: usize| -> Vec<f32> {
        let add = |k: usize| if case.accumulate { prior[from + k] as f64 } else { 0.0 };
        want.iter().enumerate().map(|(k, w)| (w + add(k)) as f32).collect()
    };
    assert_close(
        &format!("{what}: dgamma"),
        &got_dgamma,
        &plus_prior(&want_dgamma, 0),
        rel,
    );
    assert_close(&format!("{what}: dbeta"), &got_dbeta, &plus_prior(&want_dbeta, c), rel);
    assert_eq!(read(gpu, &pb, params_len), params, "{what}: the parameters changed");
}

/// One pixel: the variance is 0, so y = beta (+ ReLU), dx = 0, dgamma = 0 and dbeta = dy.
#[test]
fn instance_norm_one_pixel() {
    let gpu = gpu();
    check_norm(&gpu, NormCase::plain(1, 8, 1), 1e-5);
    check_norm(
        &gpu,
        NormCase {
            relu: true,
            accumulate: true,
            ..NormCase::plain(1, 4, 2)
        },
        1e-5,
    );
}

/// 160 x 150 pixels of 8 channels: the pixel sums are split over many workgroups per channel group, plain, with
/// ReLU, with a residual, gradients overwritten and added.
#[test]
fn instance_norm_split_across_workgroups() {
    let gpu = gpu();
    let (p, c) = (160 * 150, 8);
    let shape = NormShape {
        pixels: p as u32,
        channels: c as u32,
    };
    assert!(
        shape.splits() >= 8,
        "the pixels are split, got {} splits",
        shape.splits()
    );
    let base = NormCase::plain(p, c, 10);
    for (relu, residual, accumulate) in [
        (false, false, false),
        (true, false, true),
        (false, true, true),
        (true, false, false),
    ] {
        let case = NormCase {
            relu,
            residual,
            accumulate,
            seed: base.seed + relu as u64 * 10 + residual as u64 * 20,
            ..base
        };
        check_norm(&gpu, case, 1e-4);
    }
}

/// 256 x 256 pixels of 16 channels, the size the network trains at: the two-pass statistics stay accurate, and the
/// 65536 pixels run in many workgroups, not one per channel group.
#[test]
fn instance_norm_256x256_stats_accurate() {
    let gpu = gpu();
    let shape = NormShape {
        pixels: 256 * 256,
        channels: 16,
    };
    assert!(
        shape.splits() * shape.channels / 4 >= 64,
        "65536 pixels x 16 channels run in {} workgroups",
        shape.splits() * shape.channels / 4
    );
    check_norm(&gpu, NormCase::plain(256 * 256, 16, 30), 1e-4);
}

/// Normalising with stats given (measured on another picture, as tiles of a large photo are): y follows the
/// stats in the buffer, not the map's own, with ReLU or the residual as usual; the stats are left as they were.
#[test]
fn instance_norm_with_given_stats() {
    let gpu = gpu();
    let (p, c) = (37, 8);
    let shape = NormShape {
        pixels: p as u32,
        channels: c as u32,
    };
    let x = random(p * c, 40, -1.0, 1.0);
    let residual = random(p * c, 41, -1.0, 1.0);
    // gamma at 4, beta at 16 of a longer parameter buffer
    let params = random(32, 42, -1.0, 1.0);
    let (gamma, beta) = (4usize, 16usize);
    // a mean and an inverse deviation per channel unlike the map's own
    let given: Vec<f32> = (0..c)
        .map(|k| 0.3 - 0.1 * k as f32)
        .chain((0..c).map(|k| 0.5 + 0.25 * k as f32))
        .collect();
    for (relu, with_residual) in [(false, false), (true, false), (false, true)] {
        let (xb, pb, rb) = (
            gpu.storage_from("x", &x),
            gpu.storage_from("params", &params),
            gpu.storage_from("residual", &residual),
        );
        let stats = gpu.storage_from("stats", &given);
        let partials = gpu.storage_from("partials", &vec![f32::NAN; shape.partials_len()]);
        let yb = gpu.storage_from("y", &vec![f32::NAN; p * c]);
        let d = NormForward {
            shape,
            x: &xb,
            params: &pb,
            gamma_offset: gamma as u32,
            beta_offset: beta as u32,
            relu,
            residual: with_residual.then_some(&rb),
            stats: &stats,
            partials: &partials,
            y: &yb,
            precision: Precision::F32,
        }
        .with_given_stats(&gpu);
        gpu.run(&[d]);
        let want: Vec<f32> = (0..p * c)
            .map(|i| {
                let k = i % c;
                let v = params[gamma + k] * (x[i] - given[k]) * given[c + k] + params[beta + k];
                match (relu, with_residual) {
                    (true, _) => v.max(0.0),
                    (_, true) => v + residual[i],
                    _ => v,
                }
            })
            .collect();
        let what = format!("given stats, relu {relu}, residual {with_residual}");
        assert_close(&what, &read(&gpu, &yb, p * c), &want, 1e-5);
        assert_eq!(
            read(&gpu, &stats, 2 * c),
            given,
            "{what}: the given stats stay as they were"
        );
    }
}

/// The reference's instance-norm backward against central differences of the scalar loss sum(k * y), in f64 on a
/// tiny map (with and without ReLU and residual), so the reference the GPU is held to is right itself.
#[test]
fn instance_norm_reference_backward_matches_finite_differences() {
    let (p, c) = (5, 3);
    let x = f64s(&random(p * c, 40, -1.0, 2.0));
    let gamma = f64s(&random(c, 41, 0.5, 1.5));
    let beta = f64s(&random(c, 42, -0.3, 0.3));
    let res = f64s(&random(p * c, 43, -1.0, 1.0));
    let k = f64s(&random(p * c, 44, -1.0, 1.0));
    let eps = EPS as f64;
    for (relu, residual) in [(false, false), (true, false), (false, true)] {
        let loss = |x: &[f64], gamma: &[f64], beta: &[f64]| -> f64 {
            let y = lr::instance_norm(p, c, x, gamma, beta, eps, relu, residual.then_some(&res[..]));
            y.iter().zip(&k).map(|(a, b)| a * b).sum()
        };
        let y = lr::instance_norm(p, c, &x, &gamma, &beta, eps, relu, residual.then_some(&res[..]));
        let (dx, dgamma, dbeta) = lr::instance_norm_backward(p, c, &x, &y, &k, &gamma, eps, relu);
        let h = 1e-6;
        let numeric = |v: &[f64], f: &dyn Fn(&[f64]) -> f64| -> Vec<f64> {
            (0..v.len())
                .map(|i| {
                    let (mut up, mut down) = (v.to_vec(), v.to_vec());
                    up[i] += h;
                    down[i] -= h;
                    (f(&up) - f(&down)) / (2.0 * h)
                })
                .collect()
        };
        let tag = format!("relu {relu} residual {residual}");
        for (what, got, want) in [
            ("dx", dx, numeric(&x, &|v| loss(v, &gamma, &beta))),
            ("dgamma", dgamma, numeric(&gamma, &|v| loss(&x, v, &beta))),
            ("dbeta", dbeta, numeric(&beta, &|v| loss(&x, &gamma, v))),
        ] {
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() < 1e-6 * (1.0 + w.abs()),
                    "{tag}: {what}[{i}] {g} vs numeric {w}"
                );
            }
        }
    }
}

#[test]
#[should_panic(expected = "instance_norm_forward: a ReLU and a residual add are never both used")]
fn instance_norm_refuses_relu_with_residual() {
    let gpu = gpu();
    let shape = NormShape { pixels: 4, channels: 4 };
    let b = gpu.storage("b", 64);
    NormForward {
        shape,
        x: &b,
        params: &b,
        gamma_offset: 0,
        beta_offset: 4,
        relu: true,
        residual: Some(&b),
        stats: &b,
        partials: &b,
        y: &b,
        precision: Precision::F32,
    }
    .dispatches(&gpu);
}

#[test]
#[should_panic(expected = "instance_norm_backward_input: gamma_offset must be a multiple of 4, got 6")]
fn instance_norm_refuses_unaligned_offsets() {
    let gpu = gpu();
    let shape = NormShape { pixels: 4, channels: 4 };
    let b = gpu.storage("b", 64);
    instance_norm::backward(&gpu, shape, &b, &b, &b, false, &b, 6, &b, &b, &b, 12, false, &b);
}

/// Forward and backward of the 2x upsampling on odd sizes, written over NaN, with sentinels past the end.
#[test]
fn upsample_forward_and_backward_odd_sizes() {
    let gpu = gpu();
    for (h, w, c) in [(5usize, 7usize, 12usize), (1, 3, 4), (9, 1, 8)] {
        let (small, big) = (h * w * c, 4 * h * w * c);
        let x = random(small, (h * w) as u64, -1.0, 1.0);
        let dy = random(big, (h * w) as u64 + 1, -1.0, 1.0);
        let with_tail = |n: usize| [vec![f32::NAN; n], vec![SENTINEL; 4]].concat();
        let (xb, dyb) = (gpu.storage_from("x", &x), gpu.storage_from("dy", &dy));
        let (yb, dxb) = (
            gpu.storage_from("y", &with_tail(big)),
            gpu.storage_from("dx", &with_tail(small)),
        );
        let (hu, wu, cu) = (h as u32, w as u32, c as u32);
        gpu.run(&[
            upsample::forward(&gpu, hu, wu, cu, Precision::F32, &xb, &yb),
            upsample::backward(&gpu, hu, wu, cu, &dyb, &dxb),
        ]);
        let (y, dx) = (read(&gpu, &yb, big + 4), read(&gpu, &dxb, small + 4));
        assert_close("upsample", &y[..big], &f32s(&lr::upsample(h, w, c, &f64s(&x))), 1e-7);
        let want_dx = lr::upsample_backward(h, w, c, &f64s(&dy));
        assert_close("upsample backward", &dx[..small], &f32s(&want_dx), 1e-6);
        assert!(
            y[big..].iter().chain(&dx[small..]).all(|&v| v == SENTINEL),
            "{h}x{w}x{c}: wrote past the end"
        );
    }
}

/// dst += src over count floats (more than one workgroup's), nothing past count touched.
#[test]
fn add_into_adds_over_count() {
    let gpu = gpu();
    let n = 4 * 300;
    let (src, dst) = (random(n, 50, -1.0, 1.0), random(n, 51, -1.0, 1.0));
    let (sb, db) = (
        gpu.storage_from("src", &src),
        gpu.storage_from("dst", &[dst.clone(), vec![SENTINEL; 8]].concat()),
    );
    gpu.run(&[pointwise::add_into(&gpu, n, &sb, &db)]);
    let got = read(&gpu, &db, n + 8);
    let want: Vec<f32> = src.iter().zip(&dst).map(|(a, b)| a + b).collect();
    assert_close("add_into", &got[..n], &want, 1e-7);
    assert!(got[n..].iter().all(|&v| v == SENTINEL), "add_into wrote past count");
}

/// The output sigmoid and its backward, the 4th lane 0 whatever came in, over large |z| too; outputs over NaN.
#[test]
fn sigmoid_forward_and_backward() {
    let gpu = gpu();
    let pixels = 333;
    let mut z = random(pixels * 4, 60, -8.0, 8.0);
    z[0] = 100.0;
    z[1] = -100.0;
    z[2] = -1e4;
    let dy = random(pixels * 4, 61, -1.0, 1.0);
    let want_y = lr::sigmoid(&f64s(&z));
    // the backward's y is the reference forward output, so it is judged on its own
    let y_in = f32s(&want_y);
    let want_dz = lr::sigmoid_backward(&f64s(&y_in), &f64s(&dy));
    let (zb, yin, dyb) = (
        gpu.storage_from("z", &z),
        gpu.storage_from("y in", &y_in),
        gpu.storage_from("dy", &dy),
    );
    let (yb, dzb) = (
        gpu.storage_from("y", &vec![f32::NAN; pixels * 4]),
        gpu.storage_from("dz", &vec![f32::NAN; pixels * 4]),
    );
    gpu.run(&[
        pointwise::sigmoid_forward(&gpu, pixels, Precision::F32, &zb, &yb),
        pointwise::sigmoid_backward(&gpu, pixels, &yin, &dyb, &dzb),
    ]);
    let y = read(&gpu, &yb, pixels * 4);
    assert_close("sigmoid", &y, &f32s(&want_y), 1e-6);
    assert!(
        y.iter().skip(3).step_by(4).all(|&v| v == 0.0),
        "sigmoid: the 4th lane is 0"
    );
    let dz = read(&gpu, &dzb, pixels * 4);
    assert_close("sigmoid backward", &dz, &f32s(&want_dz), 1e-6);
    assert!(
        dz.iter().skip(3).step_by(4).all(|&v| v == 0.0),
        "sigmoid backward: the 4th lane is 0"
    );
}

/// The element-wise steps of an f16 forward pass against the f64 reference on f16-rounded inputs: the f32 -> f16
/// copy (exact rounding), instance norm from and to f16 (statistics in f32; with ReLU, and with a residual, over
/// several pixel chunks), upsampling (exact), and the sigmoid from f16 to the f32 picture. Outputs over NaN, with
/// sentinels past the end where they are f32. Skipped, with a message, on a GPU without f16.
#[test]
fn forward_steps_in_f16_match_the_reference() {
    let gpu = gpu();
    if !common::has_f16(&gpu) {
        return;
    }
    let f16 = Precision::F16;
    // the copy into f16 rounds to nearest, values past f16's range included
    let mut v = random(4 * 70, 70, -3.0, 3.0);
    v[5] = 1e5;
    v[6] = 1.0 + 1.0 / 4096.0;
    let (vb, hb) = (
        gpu.storage_from("f32", &v),
        storage_f16(&gpu, "f16", &vec![f32::NAN; v.len()]),
    );
    gpu.run(&[pointwise::to_f16(&gpu, v.len(), &vb, &hb)]);
    assert_eq!(read_f16(&gpu, &hb, v.len()), round_f16(&v), "f32 -> f16");

    // instance norm: 2100 pixels (over several chunks) x 12 channels; x offset from 0 as a convolution's output is
    for (relu, residual) in [(true, false), (false, true)] {
        let (pixels, channels) = (2100usize, 12usize);
        let n = pixels * channels;
        let shape = NormShape {
            pixels: pixels as u32,
            channels: channels as u32,
        };
        let x = round_f16(&random(n, 71, 2.0, 6.0));
        let r = round_f16(&random(n, 72, -1.0, 1.0));
        let affine = random(2 * channels, 73, 0.5, 1.5);
        let (xb, rb, pb) = (
            storage_f16(&gpu, "x", &x),
            storage_f16(&gpu, "residual", &r),
            gpu.storage_from("gamma, beta", &affine),
        );
        let stats = gpu.storage_from("stats", &vec![f32::NAN; shape.stats_len()]);
        let partials = gpu.storage_from("partials", &vec![f32::NAN; shape.partials_len()]);
        let yb = storage_f16(&gpu, "y", &vec![f32::NAN; n]);
        let norm = NormForward {
            shape,
            x: &xb,
            params: &pb,
            gamma_offset: 0,
            beta_offset: channels as u32,
            relu,
            residual: residual.then_some(&rb),
            stats: &stats,
            partials: &partials,
            y: &yb,
            precision: f16,
        };
        gpu.run(&norm.dispatches(&gpu));
        let (gamma, beta) = affine.split_at(channels);
        let rf = f64s(&r);
        let want = lr::instance_norm(
            pixels,
            channels,
            &f64s(&x),
            &f64s(gamma),
            &f64s(beta),
            EPS as f64,
            relu,
            residual.then_some(&rf[..]),
        );
        let what = format!("f16 instance norm relu {relu} residual {residual}");
        assert_close(&what, &read_f16(&gpu, &yb, n), &f32s(&want), 2e-3);
    }

    // upsampling copies f16 values exactly
    let (h, w, c) = (5usize, 7usize, 8usize);
    let x = round_f16(&random(h * w * c, 74, -2.0, 2.0));
    let (xb, yb) = (
        storage_f16(&gpu, "x", &x),
        storage_f16(&gpu, "y", &vec![f32::NAN; 4 * h * w * c]),
    );
    gpu.run(&[upsample::forward(&gpu, h as u32, w as u32, c as u32, f16, &xb, &yb)]);
    let want = f32s(&lr::upsample(h, w, c, &f64s(&x)));
    assert_eq!(read_f16(&gpu, &yb, want.len()), want, "f16 upsample");

    // the sigmoid from f16 logits into the f32 picture, the 4th lane 0
    let pixels = 333;
    let z = round_f16(&random(pixels * 4, 75, -8.0, 8.0));
    let zb = storage_f16(&gpu, "z", &z);
    let yb = gpu.storage_from("y", &[vec![f32::NAN; pixels * 4], vec![SENTINEL; 4]].concat());
    gpu.run(&[pointwise::sigmoid_forward(&gpu, pixels, f16, &zb, &yb)]);
    let y = read(&gpu, &yb, pixels * 4 + 4);
    let want = lr::sigmoid(&f64s(&z));
    assert_close("sigmoid from f16", &y[..pixels * 4], &f32s(&want), 1e-6);
    assert!(
        y[pixels * 4..].iter().all(|&v| v == SENTINEL),
        "sigmoid from f16 wrote past the end"
    );
}

/// A photo of [h][w] random vec4 pixels (r, g, b, 0) in 0..1.
fn photo(h: usize, w: usize, seed: u64) -> Vec<f32> {
    random(h * w * 4, seed, 0.0, 1.0)
        .chunks(4)
        .flat_map(|p| [p[0], p[1], p[2], 0.0])
        .collect()
}

/// Crops of the second of two photos in one buffer (so at a non-zero pixel offset) and of the first, through one
/// params buffer rewritten between runs as training does: straight, mirrored, scaled down and up, and reaching past
/// the photo's border (clamped there, never into the other photo). Outputs over NaN, sentinels after them.
#[test]
fn crop_samples_bilinear_with_flip_scale_and_clamp() {
    let gpu = gpu();
    let (ha, wa, hb, wb) = (13usize, 17usize, 11usize, 9usize);
    let (a, b) = (photo(ha, wa, 70), photo(hb, wb, 71));
    let photos = gpu.storage_from("photos", &[a.clone(), b.clone()].concat());
    let params = crop::params_buffer(&gpu);
    // (which photo, size, x0, y0, step, flip)
    let cases = [
        (1, 6usize, 1.0f32, 2.0f32, 1.0f32, false),
        (1, 6, 1.0, 2.0, 1.0, true),
        (1, 5, 0.3, 1.7, 1.6, true),
        (1, 8, 2.25, 0.5, 0.6, false),
        (1, 7, -3.0, 5.0, 2.3, false), // past the left, bottom and right borders
        (1, 4, 6.5, -2.0, 1.0, true),  // past the top and right borders
        (0, 9, 2.0, 1.0, 1.25, true),
        (0, 16, -1.0, -1.0, 1.0, false),
    ];
    for (k, &(which, size, x0, y0, step, flip)) in cases.iter().enumerate() {
        let (offset, h, w, src) = if which == 0 {
            (0, ha, wa, &a)
        } else {
            (ha * wa, hb, wb, &b)
        };
        crop::write(
            &gpu,
            &params,
            &crop::Crop {
                offset: offset as u32,
                height: h as u32,
                width: w as u32,
                size: size as u32,
                x0,
                y0,
                step,
                flip: flip as u32,
            },
        );
        let n = size * size * 4;
        let out = gpu.storage_from("out", &[vec![f32::NAN; n], vec![SENTINEL; 4]].concat());
        gpu.run(&[crop::sample(&gpu, &params, size as u32, &photos, &out)]);
        let got = read(&gpu, &out, n + 4);
        let want = lr::crop(&f64s(src), h, w, size, x0 as f64, y0 as f64, step as f64, flip);
        assert_close(&format!("crop case {k}"), &got[..n], &f32s(&want), 1e-5);
        assert!(
            got[n..].iter().all(|&v| v == SENTINEL),
            "crop case {k}: wrote past the output"
        );
    }
}

/// A crop whose parameters are nonsense (a photo past the buffer's end, positions far outside it) reads only
/// pixels of the buffer and writes only the output: every colour lies within the photo's (0.5 to 1: a read past
/// the buffer, which a driver's robust access may answer with 0, would show), and the sentinels hold.
#[test]
fn crop_with_bad_parameters_stays_in_bounds() {
    let gpu = gpu();
    let bright: Vec<f32> = photo(6, 5, 80)
        .chunks(4)
        .flat_map(|p| [0.5 + p[0] / 2.0, 0.5 + p[1] / 2.0, 0.5 + p[2] / 2.0, 0.0])
        .collect();
    let photos = gpu.storage_from("photos", &bright);
    let params = crop::params_buffer(&gpu);
    for (offset, h, w, x0, y0, step) in [
        (1000u32, 50u32, 50u32, 0.0f32, 0.0f32, 1.0f32),
        (3, 6, 5, 1e9, -1e9, 1e6),
        (u32::MAX - 2, 1 << 20, 1 << 20, 5e5, 7e5, 3.0),
        (0, 0, 5, 0.0, 0.0, 1.0),
    ] {
        let crop = crop::Crop {
            offset,
            height: h,
            width: w,
            size: 3,
            x0,
            y0,
            step,
            flip: 1,
        };
        crop::write(&gpu, &params, &crop);
        let out = gpu.storage_from("out", &[vec![f32::NAN; 36], vec![SENTINEL; 4]].concat());
        gpu.run(&[crop::sample(&gpu, &params, 3, &photos, &out)]);
        let got = read(&gpu, &out, 40);
        let colours_inside = got[..36]
            .chunks(4)
            .all(|p| p[..3].iter().all(|v| (0.5..=1.0).contains(v)) && p[3] == 0.0);
        // (a photo of no pixels samples as 0 by definition)
        let empty = (h == 0 || w == 0) && got[..36].iter().all(|&v| v == 0.0);
        assert!(
            (colours_inside || empty) && got[36..].iter().all(|&v| v == SENTINEL),
            "{crop:?}: {got:?}"
        );
    }
}

/// Adam with bounds for a few steps against the reference: bounds that clamp (some values end on them) and bounds
/// wide enough to leave the values free (some end outside [0, 1], where `step` would have clamped them).
#[test]
fn adam_bounded_steps_and_clamps() {
    let gpu = gpu();
    let n = 300;
    for (lo, hi, lr_) in [(-0.3f32, 0.4f32, 0.2f64), (-f32::MAX, f32::MAX, 0.05)] {
        let mut x = f64s(&random(n * 4, 90, -1.0, 1.0));
        let xb = gpu.storage_from("x", &f32s(&x));
        let state = adam::AdamState::new(&gpu, n);
        let (mut m, mut v) = (vec![0.0; n * 4], vec![0.0; n * 4]);
        for t in 1..=3 {
            let g = f64s(&random(n * 4, 91 + t as u64, -1.0, 1.0));
            let gb = gpu.storage_from("g", &f32s(&g));
            gpu.run(&adam::step_bounded(&gpu, n, lr_ as f32, &state, &gb, &xb, lo, hi));
            lr::adam_bounded(&mut x, &mut m, &mut v, &g, t, lr_, lo as f64, hi as f64);
        }
        let got = read(&gpu, &xb, n * 4);
        // 1 - 0.999^t cancels: the GPU's f32 pow leaves the step right to about 1e-4 of the learning rate
        assert_close(&format!("adam [{lo}, {hi}]"), &got, &f32s(&x), 1e-4);
        assert!(got.iter().all(|v| (lo..=hi).contains(v)));
        if hi < 1.0 {
            assert!(got.iter().filter(|&&v| v == lo).count() > 10, "the lower bound clamps");
            assert!(got.iter().filter(|&&v| v == hi).count() > 10, "the upper bound clamps");
        } else {
            assert!(got.iter().filter(|&&v| v < 0.0).count() > 10, "values stay below 0");
        }
    }
}
