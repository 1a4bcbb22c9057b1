//! The tensor-core convolutions against the CPU f64 references at f16-input tolerances (VGG's 3x3 convolution,
//! conv3x3_coop, and the filter network's forward convolution, conv_coop), a whole filter network against the f32
//! kernels, and the switch that chooses them. Where the adapter has no cooperative matrices the kernel tests say so
//! and pass (and fail where ARTSY_REQUIRE names tensor-cores, as tests/lavapipe_coop.sh sets it).
//!
//! Without a GPU that has them, Mesa 26's lavapipe (Debian sid's mesa-vulkan-drivers, with the glibc, libstdc++
//! and LLVM it needs, started through sid's loader) runs these on the CPU with 8x8x8 matrices:
//! `tests/lavapipe_coop.sh` fetches it, installing nothing, and runs them. Debian bookworm's Mesa 22.3 has none.
//! All pass there and on an H100. Where a new GPU gets them wrong, the diagnostics narrow it down:
//! `one_multiply_says_which_layouts_hold` and `four_subgroups_accumulate_over_k` check the cooperative matrices'
//! own semantics, and the ignored `convolution_variants` runs textual variants of the shader.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use artsy::kernels::conv::{ConvForward, ConvShape, ForwardKernel};
use artsy::kernels::precision::Precision;
use artsy::kernels::{conv3x3, conv3x3_coop};
use artsy::weights::{LayerWeights, pack};
use artsy::{Gpu, GpuOptions};
use common::conv_reference::{self as cr, Conv};
use common::{f64s, gpu_with_tensor_cores, pad_channels, random, read, reference as r};

/// f16 inputs carry a relative rounding of 2^-11 each, so a sum's relative error norm stays near 5e-4; a wrong
/// index or a lost tile is O(1).
const REL_NORM: f64 = 2e-3;
/// No single element may be off by more than this fraction of the largest reference value.
const REL_MAX: f64 = 1e-2;

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
    if rel > REL_NORM {
        // the first values side by side show the pattern of a wrong layout (zeros, shifts, transposes)
        let shown = got.len().min(64);
        eprintln!(
            "  got  {:?}",
            got[..shown].iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>()
        );
        eprintln!(
            "  want {:?}",
            want[..shown].iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>()
        );
    }
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
    common::feature_present(&gpu, "tensor-cores", gpu.tensor_cores()).then_some(gpu)
}

/// Forward and input gradient of one random convolution on tensor cores against the reference; `scale`
/// multiplies the input and the output gradient (tiny gradients, large activations).
fn check(h: usize, w: usize, cin: usize, cout: usize, scale: f32, seed: u64) {
    let x: Vec<f32> = random(h * w * cin, seed, -1.0, 1.0).iter().map(|v| v * scale).collect();
    check_input(h, w, cin, cout, &x, scale, seed);
}

/// As `check`, with the input `x` given.
fn check_input(h: usize, w: usize, cin: usize, cout: usize, x: &[f32], scale: f32, seed: u64) {
    let Some(gpu) = tensor_core_gpu() else { return };
    let cin_p = cin.next_multiple_of(4);
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
    let x_p = pad_channels(x, cin, cin_p);
    let shape = conv3x3::Shape {
        height: h as u32,
        width: w as u32,
        cin: cin_p as u32,
        cout: cout as u32,
        images: 1,
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
fn large_values_beside_a_tile_are_in_its_scale_or_never_staged() {
    // Each tile scales its input by the largest value of the rows it reads. Pixel T - 1 + W, just below the first
    // tile's last pixel (T of them), is one of them: a spike there must set the first tile's scale, or it stages
    // past f16's range. Pixel T - 2 + 2W (two rows down, one left) is not read by the first tile, but its last K
    // step (K = 9 x 68 is not a multiple of the step) reaches it past K, as tap (3, 0) of the last pixel: it must
    // stage zero there, not the spike (infinite in f16, and infinity times B's zero is NaN).
    let (h, w, cin, cout) = (13, 11, 68, 64);
    let Some(gpu) = tensor_core_gpu() else { return };
    let t = gpu.adapter.tensor_cores.tiling().expect("tensor cores").tile_m as usize;
    let mut x = random(h * w * cin, 80, -1.0, 1.0);
    x[(t - 1 + w) * cin + 5] = 1e4;
    x[(t - 2 + 2 * w) * cin + 7] = 1e6;
    check_input(h, w, cin, cout, &x, 1.0, 80);
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
        images: 1,
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
    // the filter network's convolutions too
    let residual = ConvShape {
        height: 16,
        width: 16,
        cin: 64,
        cout: 64,
        kernel: 3,
        stride: 1,
    };
    assert_eq!(
        ForwardKernel::choose(&gpu, &residual, Precision::F32),
        ForwardKernel::Direct
    );
}

/// The filter network's forward convolution on tensor cores (conv_coop.wgsl) against the reference, its weights
/// and bias at offsets inside a flat parameter buffer as the network keeps them, the output poisoned with NaN
/// first (nothing left unwritten survives).
fn check_filter_conv(shape: ConvShape, bias: bool, seed: u64) {
    let Some(gpu) = tensor_core_gpu() else { return };
    let kernel = ForwardKernel::choose(&gpu, &shape, Precision::F32);
    assert!(
        matches!(kernel, ForwardKernel::Coop { .. }),
        "{kernel:?} runs, not the tensor cores"
    );
    let c = Conv::of(shape);
    let (n_in, n_out, n_w) = (c.h * c.w * c.cin, c.oh() * c.ow() * c.cout, shape.weight_len());
    let (w_offset, bias_offset) = (8, 8 + n_w.next_multiple_of(4) + 4);
    let flat = random(bias_offset + c.cout + 8, seed, -0.3, 0.3);
    let x = random(n_in, seed + 1, -1.0, 1.0);
    let (xb, pb) = (gpu.storage_from("x", &x), gpu.storage_from("params", &flat));
    let y = gpu.storage_from("y", &vec![f32::NAN; n_out]);
    let forward = ConvForward {
        shape,
        x: &xb,
        upsample: None,
        params: &pb,
        w_offset: w_offset as u32,
        bias_offset: bias.then_some(bias_offset as u32),
        y: &y,
        precision: Precision::F32,
    };
    gpu.run(&forward.dispatches(&gpu));
    let b = if bias {
        &flat[bias_offset..bias_offset + c.cout]
    } else {
        &vec![0.0; c.cout][..]
    };
    let want = cr::conv_forward(c, &f64s(&x), &f64s(&flat[w_offset..w_offset + n_w]), &f64s(b));
    let what = format!("filter conv {}x{} {}->{} k{} s{}", c.h, c.w, c.cin, c.cout, c.k, c.s);
    assert_close_f16(&what, &read(&gpu, &y, n_out), &want);
}

fn filter_shape(height: u32, width: u32, cin: u32, cout: u32, kernel: u32, stride: u32) -> ConvShape {
    ConvShape {
        height,
        width,
        cin,
        cout,
        kernel,
        stride,
    }
}

#[test]
fn filter_conv_first_and_last_layers_9x9() {
    // the picture's 4 channels in (K = 324, ten steps and a part), and out (60 of the tile's 64 columns are zero)
    check_filter_conv(filter_shape(21, 19, 4, 16, 9, 1), true, 110);
    check_filter_conv(filter_shape(17, 13, 16, 4, 9, 1), true, 120);
}

#[test]
fn filter_conv_strided_and_edge_tiles() {
    // stride 2 with the 9x9 reflection, and 3x3 downsampling; pixels end inside the last tile
    check_filter_conv(filter_shape(13, 11, 48, 20, 9, 2), false, 130);
    check_filter_conv(filter_shape(23, 17, 16, 32, 3, 2), true, 140);
}

#[test]
fn filter_conv_several_channel_tiles() {
    // 96 output channels: one whole tile and a partial one (three of 32 where the matrices are 8 wide)
    check_filter_conv(filter_shape(17, 19, 64, 96, 3, 1), true, 150);
}

#[test]
fn filter_conv_one_by_one_and_one_pixel() {
    // K = 4: one step, 7/8 of it past K; a 1x1 picture with a 1x1 kernel
    check_filter_conv(filter_shape(5, 3, 4, 8, 1, 1), true, 160);
    check_filter_conv(filter_shape(1, 1, 8, 12, 1, 1), true, 170);
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

/// One cooperative multiply of known n x n matrices (one subgroup, n = the adapter's matrix size), loaded and
/// stored row-major from workgroup memory as the convolution does, first packed (stride n, from the start), then
/// as the convolution's tiles are (padded strides, starting inside the array): prints which product came back (A B,
/// or one of the transposed readings a driver or compiler could make) and asserts A B.
#[test]
fn one_multiply_says_which_layouts_hold() {
    let Some(gpu) = tensor_core_gpu() else { return };
    let n = gpu.adapter.tensor_cores.tiling().map_or(16, |t| t.mma) as usize;
    // (f16 stride, f16 offset, f32 stride, f32 offset), offsets 16-byte aligned like the convolution's
    let padded = (n + 8, 2 * (n + 8) + 8, n + 4, 2 * (n + 4) + 4);
    for (layout, vec4_staging) in [((n, 0, n, 0), false), (padded, false), (padded, true)] {
        let (sh, oh, sf, of) = layout;
        let got = one_multiply(&gpu, n, layout, vec4_staging);
        let (a, b) = known_pair(n);
        let t = |m: &[f32]| -> Vec<f32> { (0..n * n).map(|i| m[(i % n) * n + i / n]).collect() };
        let mul = |x: &[f32], y: &[f32]| -> Vec<f32> {
            (0..n * n)
                .map(|i| (0..n).map(|k| x[(i / n) * n + k] * y[k * n + i % n]).sum())
                .collect()
        };
        let readings = [
            ("A B", mul(&a, &b)),
            ("A^T B", mul(&t(&a), &b)),
            ("A B^T", mul(&a, &t(&b))),
            ("A^T B^T", mul(&t(&a), &t(&b))),
            ("(A B)^T", t(&mul(&a, &b))),
            ("B A", mul(&b, &a)),
        ];
        assert_ne!(readings[0].1, readings[2].1, "B must not be symmetric");
        let found: Vec<&str> = readings
            .iter()
            .filter(|(_, m)| *m == got)
            .map(|(name, _)| *name)
            .collect();
        eprintln!(
            "{n}x{n}x{n} multiply, f16 stride {sh} offset {oh}, f32 stride {sf} offset {of}, vec4 staging \
             {vec4_staging}: {found:?} (first row {:?})",
            &got[..n]
        );
        assert_eq!(found.first(), Some(&"A B"), "the multiply gave {found:?}, not A B");
    }
}

/// Small integers (every product exact in f16 inputs and f32 sums), neither matrix symmetric.
fn known_pair(n: usize) -> (Vec<f32>, Vec<f32>) {
    let a = (0..n * n)
        .map(|i| ((i / n * 2 + i % n * 3 + 3) % 5) as f32 - 2.0)
        .collect();
    let b = (0..n * n)
        .map(|i| ((i / n * 3 + i % n * 5 + 1) % 7) as f32 - 3.0)
        .collect();
    (a, b)
}

/// C = A B through cooperative matrices, A and B staged row-major as f16 at `oh` with stride `sh`, C stored at
/// `of` with stride `sf`; returns C packed.
fn one_multiply(gpu: &Gpu, n: usize, (sh, oh, sf, of): (usize, usize, usize, usize), vec4_staging: bool) -> Vec<f32> {
    let (lh, lf) = (oh + n * sh, of + n * sf);
    // scalar conversions one element per step, or as the convolution stages: a vec4<f16> conversion, then its
    // four components stored one by one
    let stage = if vec4_staging {
        format!(
            "for (var i = lid * 4u; i < {nn}u; i += 128u) {{\n\
               let at = {oh}u + (i / {n}u) * {sh}u + i % {n}u;\n\
               let va = vec4<f16>(vec4<f32>(ab[i], ab[i + 1u], ab[i + 2u], ab[i + 3u]));\n\
               let vb = vec4<f16>(vec4<f32>(ab[{nn}u + i], ab[{nn}u + i + 1u], ab[{nn}u + i + 2u], ab[{nn}u + i + 3u]));\n\
               a[at] = va.x; a[at + 1u] = va.y; a[at + 2u] = va.z; a[at + 3u] = va.w;\n\
               b[at] = vb.x; b[at + 1u] = vb.y; b[at + 2u] = vb.z; b[at + 3u] = vb.w;\n\
             }}",
            nn = n * n
        )
    } else {
        format!(
            "for (var i = lid; i < {nn}u; i += 32u) {{\n\
               let at = {oh}u + (i / {n}u) * {sh}u + i % {n}u;\n\
               a[at] = f16(ab[i]); b[at] = f16(ab[{nn}u + i]);\n\
             }}",
            nn = n * n
        )
    };
    let wgsl = format!(
        "enable f16;\nenable wgpu_cooperative_matrix;\n\
         @group(0) @binding(0) var<storage, read> ab: array<f32>;\n\
         @group(0) @binding(1) var<storage, read_write> out: array<f32>;\n\
         var<workgroup> a: array<f16, {lh}>;\nvar<workgroup> b: array<f16, {lh}>;\nvar<workgroup> c: array<f32, {lf}>;\n\
         @compute @workgroup_size(32)\nfn main(@builtin(local_invocation_index) lid: u32) {{\n\
           {stage}\n\
           workgroupBarrier();\n\
           let ma = coopLoadT<coop_mat{n}x{n}<f16, A>>(&a[{oh}u], {sh}u);\n\
           let mb = coopLoadT<coop_mat{n}x{n}<f16, B>>(&b[{oh}u], {sh}u);\n\
           var mc = coop_mat{n}x{n}<f32, C>();\n\
           mc = coopMultiplyAdd(ma, mb, mc);\n\
           coopStoreT(mc, &c[{of}u], {sf}u);\n\
           workgroupBarrier();\n\
           for (var i = lid; i < {nn}u; i += 32u) {{ out[i] = c[{of}u + (i / {n}u) * {sf}u + i % {n}u]; }}\n\
         }}\n",
        nn = n * n
    );
    let (a, b) = known_pair(n);
    run_one_workgroup(gpu, &wgsl, &[a, b].concat(), n * n)
}

/// As the convolution does it: a workgroup of 128 threads computes a 4n x 4n tile of C = A B with K = 2n;
/// subgroup s (of the first 4, by `subgroup_id`) owns the 2n x 2n quarter s as 2 x 2 accumulators, summed over K
/// in a loop of multiply-adds; a narrower subgroup size's extra subgroups compute and do not store. Prints which
/// quarters came back right.
#[test]
fn four_subgroups_accumulate_over_k() {
    let Some(gpu) = tensor_core_gpu() else { return };
    let n = gpu.adapter.tensor_cores.tiling().map_or(16, |t| t.mma) as usize;
    let (m, k) = (4 * n, 2 * n);
    let wgsl = format!(
        "enable f16;\nenable wgpu_cooperative_matrix;\n\
         alias MatA = coop_mat{n}x{n}<f16, A>;\nalias MatB = coop_mat{n}x{n}<f16, B>;\nalias MatC = coop_mat{n}x{n}<f32, C>;\n\
         @group(0) @binding(0) var<storage, read> ab: array<f32>;\n\
         @group(0) @binding(1) var<storage, read_write> out: array<f32>;\n\
         var<workgroup> a: array<f16, {mk}>;\nvar<workgroup> b: array<f16, {km}>;\nvar<workgroup> c: array<f32, {mm}>;\n\
         @compute @workgroup_size(128)\n\
         fn main(@builtin(local_invocation_index) lid: u32, @builtin(subgroup_id) sg: u32) {{\n\
           for (var i = lid; i < {mk}u; i += 128u) {{ a[i] = f16(ab[i]); }}\n\
           for (var i = lid; i < {km}u; i += 128u) {{ b[i] = f16(ab[{mk}u + i]); }}\n\
           for (var i = lid; i < {mm}u; i += 128u) {{ c[i] = -1.0; }}\n\
           workgroupBarrier();\n\
           let q = sg % 4u;\n\
           let qm = (q / 2u) * {n2}u;\n\
           let qn = (q % 2u) * {n2}u;\n\
           var c00 = MatC();\n var c01 = MatC();\n var c10 = MatC();\n var c11 = MatC();\n\
           for (var kk = 0u; kk < {k}u; kk += {n}u) {{\n\
             let a0 = coopLoadT<MatA>(&a[qm * {k}u + kk], {k}u);\n\
             let a1 = coopLoadT<MatA>(&a[(qm + {n}u) * {k}u + kk], {k}u);\n\
             let b0 = coopLoadT<MatB>(&b[kk * {m}u + qn], {m}u);\n\
             let b1 = coopLoadT<MatB>(&b[kk * {m}u + qn + {n}u], {m}u);\n\
             c00 = coopMultiplyAdd(a0, b0, c00);\n\
             c01 = coopMultiplyAdd(a0, b1, c01);\n\
             c10 = coopMultiplyAdd(a1, b0, c10);\n\
             c11 = coopMultiplyAdd(a1, b1, c11);\n\
           }}\n\
           if (sg < 4u) {{\n\
             let at = qm * {m}u + qn;\n\
             coopStoreT(c00, &c[at], {m}u);\n\
             coopStoreT(c01, &c[at + {n}u], {m}u);\n\
             coopStoreT(c10, &c[at + {n}u * {m}u], {m}u);\n\
             coopStoreT(c11, &c[at + {n}u * {m}u + {n}u], {m}u);\n\
           }}\n\
           workgroupBarrier();\n\
           for (var i = lid; i < {mm}u; i += 128u) {{ out[i] = c[i]; }}\n\
         }}\n",
        n2 = 2 * n,
        mk = m * k,
        km = k * m,
        mm = m * m
    );
    let a: Vec<f32> = (0..m * k)
        .map(|i| ((i / k * 2 + i % k * 3 + 3) % 5) as f32 - 2.0)
        .collect();
    let b: Vec<f32> = (0..k * m)
        .map(|i| ((i / m * 3 + i % m * 5 + 1) % 7) as f32 - 3.0)
        .collect();
    let got = run_one_workgroup(&gpu, &wgsl, &[a.clone(), b.clone()].concat(), m * m);
    let want: Vec<f32> = (0..m * m)
        .map(|i| (0..k).map(|j| a[(i / m) * k + j] * b[j * m + i % m]).sum())
        .collect();
    // quarter q: rows (q / 2) 2n .., columns (q % 2) 2n ..
    let right: Vec<bool> = (0..4)
        .map(|q| {
            (0..2 * n).all(|r| {
                let row = (q / 2) * 2 * n + r;
                let cols = row * m + (q % 2) * 2 * n..row * m + (q % 2) * 2 * n + 2 * n;
                got[cols.clone()] == want[cols]
            })
        })
        .collect();
    eprintln!(
        "{n}x{n}x{n}, 4 subgroups of 2x2 accumulators, K = {k}: quarters right: {right:?}; row 0: {:?}, want {:?}",
        &got[..8],
        &want[..8]
    );
    assert!(right.iter().all(|&r| r), "some quarters are wrong: {right:?}");
}

/// Runs `wgsl`'s `main` on one workgroup with `input` at binding 0; returns `len` floats of binding 1.
fn run_one_workgroup(gpu: &Gpu, wgsl: &str, input: &[f32], len: usize) -> Vec<f32> {
    let (input, output) = (gpu.storage_from("input", input), gpu.storage("output", len));
    run_shader(gpu, wgsl, "main", &[&input, &output], [1, 1, 1]);
    read(gpu, &output, len)
}

/// Compiles `wgsl` outside the kernel registry (test variants of a shader), binds `buffers` in slot order and
/// runs `entry` over `groups` workgroups.
fn run_shader(gpu: &Gpu, wgsl: &str, entry: &str, buffers: &[&wgpu::Buffer], groups: [u32; 3]) {
    let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(entry),
        source: wgpu::ShaderSource::Wgsl(wgsl.into()),
    });
    let pipeline = gpu.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(entry),
        layout: None,
        module: &module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    });
    let entries: Vec<_> = buffers
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: b.as_entire_binding(),
        })
        .collect();
    let bind = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    });
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
    }
    gpu.queue.submit([encoder.finish()]);
}

/// For finding what goes wrong where the convolution tests fail (run with `--ignored` on such a GPU): the forward
/// of one convolution with textual variants of the tensor-core shader, each against the reference, printed.
#[test]
#[ignore]
fn convolution_variants() {
    let Some(gpu) = tensor_core_gpu() else { return };
    let tiling = gpu.adapter.tensor_cores.tiling().expect("tensor cores");
    let source = if tiling.mma == 16 {
        conv3x3_coop::SHADER_16.source()
    } else {
        conv3x3_coop::SHADER_8.source()
    };
    let (h, w, cin, cout) = (17usize, 19usize, 128usize, 64usize);
    let x = random(h * w * cin, 40, -1.0, 1.0);
    let weight = random(9 * cin * cout, 41, -0.3, 0.3);
    let bias = random(cout, 42, -0.2, 0.2);
    let packed = pack(
        cin,
        cin,
        cout,
        &LayerWeights {
            weight: weight.clone(),
            bias: bias.clone(),
        },
    );
    let want = r::conv3x3(h, w, cin, cin, cout, &f64s(&x), &f64s(&weight), &f64s(&bias), true);
    let variants = [
        ("as shipped", source.clone()),
        (
            "scale 1",
            source.replace("let scale = tile_scale(lid, tile_m);", "let scale = 1.0;"),
        ),
        (
            "every subgroup stores",
            source.replace("if (sg < COOP_QUARTERS) {", "if (true) {"),
        ),
        (
            "quarter from the thread index",
            source.replace("let quarter = quarter_of(sg);", "let quarter = quarter_of(lid / 32u);"),
        ),
    ];
    let params = gpu.uniform("params", &[h as u32, w as u32, cin as u32, cout as u32]);
    let (xb, wb, bb) = (
        gpu.storage_from("x", &x),
        gpu.storage_from("w", &packed.forward),
        gpu.storage_from("b", &bias),
    );
    for (name, wgsl) in variants {
        assert!(
            name == "as shipped" || wgsl != source,
            "variant {name}: its text is no longer in the shader"
        );
        let y = gpu.storage_from("y", &vec![f32::NAN; h * w * cout]);
        let groups = tiling.grid(&gpu, cout as u32, (h * w) as u32);
        run_shader(&gpu, &wgsl, "forward", &[&params, &xb, &wb, &bb, &y], groups);
        let got = read(&gpu, &y, h * w * cout);
        let err: f64 = got
            .iter()
            .zip(&want)
            .map(|(&g, &w)| (g as f64 - w).powi(2))
            .sum::<f64>()
            .sqrt();
        let norm: f64 = want.iter().map(|w| w * w).sum::<f64>().sqrt();
        eprintln!("variant {name:32}: relative error norm {:.2e}", err / norm);
    }
}

/// A whole filter network (random weights, width 8) stylises a photo on tensor cores as the f32 kernels do, but
/// for f16's rounding of every layer's inputs.
#[test]
fn a_filter_network_applies_alike_on_tensor_cores() {
    use artsy::filter_net::{Architecture, Stylizer};
    let Some(coop) = tensor_core_gpu() else { return };
    let f32_gpu = common::gpu();
    let arch = Architecture::new(8).unwrap();
    let params = arch.initial_params(5);
    let bytes = std::fs::read(common::asset("images/content_coffee.png")).unwrap();
    let photo = artsy::image::decode("coffee", &bytes).unwrap();
    let photo = artsy::image::resize(&photo, 96, 64);
    // in f32 on both: only f32 passes go to the tensor cores (a GPU with shader-f16 applies in f16 unless told)
    let apply = |gpu: &Gpu| {
        let mut stylizer = Stylizer::new(gpu, arch.clone(), &params).unwrap();
        stylizer.set_precision(Precision::F32).unwrap();
        pollster::block_on(stylizer.apply(&photo)).unwrap()
    };
    assert!(
        matches!(
            ForwardKernel::choose(&coop, &filter_shape(64, 96, 64, 64, 3, 1), Precision::F32),
            ForwardKernel::Coop { .. }
        ),
        "the network's convolutions run on tensor cores"
    );
    let (a, b) = (apply(&coop), apply(&f32_gpu));
    let d: Vec<i32> = a
        .pixels()
        .zip(b.pixels())
        .flat_map(|(p, q)| (0..3).map(move |i| (p.0[i] as i32 - q.0[i] as i32).abs()))
        .collect();
    let (mean, worst) = (d.iter().sum::<i32>() as f64 / d.len() as f64, *d.iter().max().unwrap());
    let distinct: std::collections::HashSet<[u8; 4]> = a.pixels().map(|p| p.0).collect();
    eprintln!(
        "tensor cores against f32: mean {mean:.3}/255, worst {worst}/255, {} colours",
        distinct.len()
    );
    assert!(
        distinct.len() > 100,
        "a flat picture proves nothing: {} colours",
        distinct.len()
    );
    assert!(mean < 0.5 && worst <= 4, "mean {mean:.3}/255, worst {worst}/255");
}
