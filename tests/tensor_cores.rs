//! The tensor-core 3x3 convolution (conv3x3_coop) against the CPU f64 reference at f16-input tolerances, and the
//! switch that chooses it. Where the adapter has no cooperative matrices the kernel tests say so and pass.
//!
//! Without a GPU that has them, Mesa 26's lavapipe runs these on the CPU with 8x8x8 matrices (Debian bookworm's
//! Mesa 22.3 has none). /work/mesa-new/sid holds Debian sid's mesa-vulkan-drivers and the newer glibc, libstdc++
//! and LLVM it needs; its env file starts test programs through sid's loader (see /work/mesa-new/README):
//!   . /work/mesa-new/sid-env.sh && cargo test --release --test tensor_cores -- --nocapture
#![cfg(not(target_arch = "wasm32"))]

mod common;

use artsy::kernels::conv3x3;
use artsy::weights::{LayerWeights, pack};
use artsy::{Gpu, GpuOptions};
use common::{gpu_with_tensor_cores, random, read, reference as r};

/// f16 inputs carry a relative rounding of 2^-11 each, so a sum's relative error norm stays near 5e-4; a wrong
/// index or a lost tile is O(1).
const REL_NORM: f64 = 2e-3;
/// No single element may be off by more than this fraction of the largest reference value.
const REL_MAX: f64 = 1e-2;

const SKIPPED: &str = "skipped: this adapter has no cooperative-matrix (tensor core) support";

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// Asserts |got - want| / |want| <= REL_NORM (2-norms) and every error <= REL_MAX * max|want|.
fn assert_close_f16(what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
    let want_norm = norm(&mut want.iter().copied()).max(1e-300);
    let err_norm = norm(&mut got.iter().zip(want).map(|(&g, &w)| g as f64 - w));
    let largest = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let (at, worst) = got
        .iter()
        .zip(want)
        .map(|(&g, &w)| (g as f64 - w).abs())
        .enumerate()
        .fold(
            (0, 0.0f64),
            |(i0, e0), (i, e)| if e > e0 || e.is_nan() { (i, e) } else { (i0, e0) },
        );
    let rel = err_norm / want_norm;
    eprintln!("{what}: relative error norm {rel:.2e}, worst {worst:.2e} of max {largest:.2e}");
    assert!(rel <= REL_NORM, "{what}: relative error norm {rel:e} > {REL_NORM:e}");
    assert!(
        worst <= REL_MAX * largest,
        "{what}: error {worst:e} at {at} (got {}, want {}) > {REL_MAX:e} x {largest:e}",
        got[at],
        want[at]
    );
}

/// The GPU with tensor cores, or None (after saying so) where the adapter has none.
fn tensor_core_gpu() -> Option<Gpu> {
    let gpu = gpu_with_tensor_cores();
    eprintln!("{}: tensor cores {}", gpu.adapter, gpu.adapter.tensor_cores);
    if gpu.tensor_cores() {
        Some(gpu)
    } else {
        eprintln!("{SKIPPED}");
        None
    }
}

/// Forward and input gradient of one random convolution on tensor cores against the reference; `scale`
/// multiplies the input and the output gradient (tiny gradients, large activations).
fn check(h: usize, w: usize, cin: usize, cout: usize, scale: f32, seed: u64) {
    let Some(gpu) = tensor_core_gpu() else { return };
    let cin_p = cin.next_multiple_of(4);
    let x: Vec<f32> = random(h * w * cin, seed, -1.0, 1.0).iter().map(|v| v * scale).collect();
    let weight = random(9 * cin * cout, seed + 1, -0.3, 0.3);
    let bias: Vec<f32> = random(cout, seed + 2, -0.2, 0.2).iter().map(|v| v * scale).collect();
    let packed = pack(
        cin,
        cin_p,
        cout,
        &LayerWeights {
            weight: weight.clone(),
            bias: bias.clone(),
        },
    );
    let x_p: Vec<f32> = x
        .chunks(cin)
        .flat_map(|c| c.iter().cloned().chain(std::iter::repeat_n(0.0, cin_p - cin)))
        .collect();
    let shape = conv3x3::Shape {
        height: h as u32,
        width: w as u32,
        cin: cin_p as u32,
        cout: cout as u32,
    };
    let (xb, wf, wb, bb) = (
        gpu.storage_from("x", &x_p),
        gpu.storage_from("wf", &packed.forward),
        gpu.storage_from("wb", &packed.backward),
        gpu.storage_from("b", &bias),
    );
    let y = gpu.storage("y", h * w * cout);
    let forward = conv3x3::forward(&gpu, shape, &xb, &wf, &bb, &y);
    // exactly 4 output channels go to the f32 narrow kernel, which wastes nothing; everything else to tensor cores
    let expected = if cout == 4 {
        "conv3x3_forward_narrow"
    } else {
        "conv3x3_forward_coop"
    };
    assert!(
        forward.name.starts_with(expected),
        "{} runs, not {expected}",
        forward.name
    );
    gpu.run(&[forward]);
    let want_y = r::conv3x3(h, w, cin, cin_p, cout, &f64s(&x_p), &f64s(&weight), &f64s(&bias), true);
    let got_y = read(&gpu, &y, h * w * cout);
    let what = format!("{h}x{w} {cin}->{cout} x{scale:e}");
    assert_close_f16(&format!("forward {what}"), &got_y, &want_y);

    // the mask is the GPU's own forward output, as in the step
    let gy: Vec<f32> = random(h * w * cout, seed + 3, -1.0, 1.0)
        .iter()
        .map(|v| v * scale)
        .collect();
    let (gyb, gx) = (gpu.storage_from("gy", &gy), gpu.storage("gx", h * w * cin_p));
    let backward = conv3x3::backward_input(&gpu, shape, &gyb, &wb, &y, &gx);
    let expected = if cin_p == 4 {
        "conv3x3_backward_input_narrow"
    } else {
        "conv3x3_backward_input_coop"
    };
    assert!(
        backward.name.starts_with(expected),
        "{} runs, not {expected}",
        backward.name
    );
    gpu.run(&[backward]);
    let want_gx = r::conv3x3_backward_input(h, w, cin, cin_p, cout, &f64s(&gy), &f64s(&got_y), &f64s(&weight));
    assert_close_f16(&format!("backward {what}"), &read(&gpu, &gx, h * w * cin_p), &want_gx);
}

#[test]
fn first_layer_k36_and_four_channel_gradient() {
    // conv1_1: 3 channels stored as 4 (K = 36 forward), its input gradient has 4 channels
    check(13, 11, 3, 64, 1.0, 10);
}

#[test]
fn odd_channels_and_edge_tiles() {
    check(13, 11, 68, 132, 1.0, 20);
}

#[test]
fn four_output_channels() {
    check(11, 13, 8, 4, 1.0, 30);
}

#[test]
fn deep_multi_tile() {
    check(17, 19, 128, 64, 1.0, 40);
}

#[test]
fn one_pixel() {
    check(1, 1, 8, 64, 1.0, 50);
}

#[test]
fn tiny_gradients_keep_their_precision() {
    // far below f16's smallest normal (6e-5): the per-tile power-of-two scale keeps them exact to f16 precision
    check(13, 11, 64, 64, 1e-9, 60);
}

#[test]
fn large_activations_do_not_overflow() {
    // far above f16's largest value (65504)
    check(13, 11, 64, 64, 1e6, 70);
}

#[test]
fn opting_out_runs_the_f32_kernels() {
    let gpu = pollster::block_on(Gpu::open_with(GpuOptions {
        tensor_cores: false,
        ..GpuOptions::default()
    }))
    .expect("a GPU adapter");
    assert!(!gpu.tensor_cores());
    assert_eq!(gpu.adapter.tensor_cores.to_string(), "off (turned off)");
    let shape = conv3x3::Shape {
        height: 3,
        width: 5,
        cin: 4,
        cout: 8,
    };
    let (x, wf, b, y) = (
        gpu.storage("x", 15 * 4),
        gpu.storage("w", 9 * 4 * 8),
        gpu.storage("b", 8),
        gpu.storage("y", 15 * 8),
    );
    // the f32 kernels' names give their tiling; the tensor-core ones say coop
    let forward = conv3x3::forward(&gpu, shape, &x, &wf, &b, &y).name;
    let backward = conv3x3::backward_input(&gpu, shape, &y, &wf, &y, &x).name;
    assert!(
        forward.starts_with("conv3x3_forward_") && !forward.contains("coop"),
        "{forward}"
    );
    assert!(
        backward.starts_with("conv3x3_backward_input_") && !backward.contains("coop"),
        "{backward}"
    );
}

#[test]
fn the_adapter_says_what_it_offers() {
    // not a check: what this adapter reports, for the log
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        ..Default::default()
    }))
    .expect("a GPU adapter");
    let info = adapter.get_info();
    let features = adapter.features();
    eprintln!(
        "{} ({:?}, {} {}), subgroups of {}..{} lanes, cooperative matrices: {}, f16: {}, subgroup ops: {}",
        info.name,
        info.backend,
        info.driver,
        info.driver_info,
        info.subgroup_min_size,
        info.subgroup_max_size,
        features.contains(wgpu::Features::EXPERIMENTAL_COOPERATIVE_MATRIX),
        features.contains(wgpu::Features::SHADER_F16),
        features.contains(wgpu::Features::SUBGROUP),
    );
    for p in adapter.cooperative_matrix_properties() {
        eprintln!(
            "  {}x{}x{} {:?} -> {:?}{}",
            p.m_size,
            p.n_size,
            p.k_size,
            p.ab_type,
            p.cr_type,
            if p.saturating_accumulation { " (saturating)" } else { "" }
        );
    }
}
