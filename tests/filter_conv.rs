//! The filter network's convolution (src/kernels/conv.rs) against the f64 CPU reference (tests/common/conv_reference.rs)
//! on small random tensors: forward, input gradient and weight + bias gradient, each overwriting (outputs poisoned
//! with NaN first, so nothing left unwritten or read back survives) and accumulating, with the parameters and
//! gradients at offsets inside whole flat buffers whose other floats must come back exactly as they were.
//! Tolerances are relative to the largest reference value, as in tests/kernels.rs.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use artsy::kernels::conv::{ConvForward, ConvInputGrad, ConvShape, ConvWeightGrad, ForwardKernel, GradKernel};
use artsy::kernels::precision::Precision;
use common::conv_reference::{self as r, Conv};
use common::{assert_close, f32s, f64s, gpu, layer_reference, random, read, read_f16, round_f16, storage_f16};

const REL: f32 = 2e-5;
/// What the gradient buffer holds outside this layer's ranges: it must still be there afterwards.
const SENTINEL: f32 = 12345.0;

/// One convolution to check, with where its weights and bias sit in the flat parameter buffer.
#[derive(Clone, Copy)]
struct Case {
    shape: ConvShape,
    w_offset: u32,
    bias_offset: Option<u32>,
    seed: u64,
}

fn shape(height: u32, width: u32, cin: u32, cout: u32, kernel: u32, stride: u32) -> ConvShape {
    ConvShape {
        height,
        width,
        cin,
        cout,
        kernel,
        stride,
    }
}

impl Case {
    fn new(shape: ConvShape, w_offset: u32, bias_offset: Option<u32>, seed: u64) -> Case {
        Case {
            shape,
            w_offset,
            bias_offset,
            seed,
        }
    }

    /// Floats of the flat parameter (and gradient) buffer: this layer's ranges and 8 more past the last.
    fn params_len(&self) -> usize {
        let w_end = self.w_offset as usize + self.shape.weight_len();
        let b_end = self.bias_offset.map_or(0, |b| b as usize + self.shape.cout as usize);
        w_end.max(b_end) + 8
    }

    /// Whether flat index i belongs to this layer's weights or bias.
    fn in_ranges(&self, i: usize) -> bool {
        let w = self.w_offset as usize;
        let in_w = (w..w + self.shape.weight_len()).contains(&i);
        let in_b = self
            .bias_offset
            .is_some_and(|b| (b as usize..b as usize + self.shape.cout as usize).contains(&i));
        in_w || in_b
    }
}

/// A forward convolution with its weights at offset 0 and no bias.
fn forward<'a>(shape: ConvShape, x: &'a wgpu::Buffer, w: &'a wgpu::Buffer, y: &'a wgpu::Buffer) -> ConvForward<'a> {
    ConvForward {
        shape,
        x,
        upsample: None,
        params: w,
        w_offset: 0,
        bias_offset: None,
        y,
        precision: Precision::F32,
    }
}

/// The direct kernel and every tiled or narrow one that computes `s`.
fn forward_kernels(s: &ConvShape) -> Vec<ForwardKernel> {
    let others = ForwardKernel::TILE_WIDTHS
        .map(|tile_n| ForwardKernel::Tiled { tile_n })
        .into_iter()
        .chain([ForwardKernel::Narrow]);
    std::iter::once(ForwardKernel::Direct)
        .chain(others.filter(|k| k.fits(s)))
        .collect()
}

/// The direct gradient kernel and every tiled one whose GEMM is `width` channels wide.
fn grad_kernels(width: u32) -> Vec<GradKernel> {
    let tiled = ForwardKernel::TILE_WIDTHS.map(|tile_n| GradKernel::Tiled { tile_n });
    std::iter::once(GradKernel::Direct)
        .chain(tiled.into_iter().filter(|k| k.fits(width)))
        .collect()
}

/// Forward, input gradient and weight gradient of `case`, each overwriting and accumulating, against the reference.
fn check(case: Case) {
    let gpu = gpu();
    let s = case.shape;
    let c = Conv::of(s);
    let what = format!(
        "{}x{} {}->{} k{} s{}",
        s.height, s.width, s.cin, s.cout, s.kernel, s.stride
    );
    let (n_in, n_out, n_w, n_b) = (c.h * c.w * c.cin, c.oh() * c.ow() * c.cout, s.weight_len(), c.cout);
    assert_eq!((s.out_height() as usize, s.out_width() as usize), (c.oh(), c.ow()));
    let seed = case.seed;

    // the flat parameter buffer: random everywhere, so weights or a bias read from the wrong place are wrong
    let mut flat = random(case.params_len(), seed, -0.3, 0.3);
    let w0 = case.w_offset as usize;
    let weight = flat[w0..w0 + n_w].to_vec();
    let bias = case
        .bias_offset
        .map_or(vec![], |b| flat[b as usize..b as usize + n_b].to_vec());
    flat.iter_mut().enumerate().for_each(|(i, v)| {
        if !case.in_ranges(i) {
            *v += 1.0;
        }
    });
    let x = random(n_in, seed + 1, -1.0, 1.0);
    let dy = random(n_out, seed + 2, -1.0, 1.0);
    let (xb, pb, dyb) = (
        gpu.storage_from("x", &x),
        gpu.storage_from("params", &flat),
        gpu.storage_from("dy", &dy),
    );

    // forward, over a NaN-filled output, by every kernel that computes it
    let want_y = r::conv_forward(c, &f64s(&x), &f64s(&weight), &f64s(&bias));
    for kernel in forward_kernels(&s) {
        let y = gpu.storage_from("y", &vec![f32::NAN; n_out]);
        let conv = ConvForward {
            shape: s,
            x: &xb,
            upsample: None,
            params: &pb,
            w_offset: case.w_offset,
            bias_offset: case.bias_offset,
            y: &y,
            precision: Precision::F32,
        };
        gpu.run(&conv.dispatches_by(&gpu, kernel));
        let got = read(&gpu, &y, n_out);
        assert_close(&format!("forward {kernel:?} {what}"), &got, &f32s(&want_y), REL);
    }

    // input gradient, by every kernel that computes it: overwriting a NaN-filled dx (scratch NaN too), then
    // adding to a random one
    let want_dx = r::conv_backward_input(c, &f64s(&dy), &f64s(&weight));
    let prior = random(n_in, seed + 3, -1.0, 1.0);
    let want_acc: Vec<f64> = want_dx.iter().zip(&prior).map(|(w, p)| w + *p as f64).collect();
    for kernel in grad_kernels(s.cin) {
        for (accumulate, before, want) in [
            (false, vec![f32::NAN; n_in], &want_dx),
            (true, prior.clone(), &want_acc),
        ] {
            let scratch = gpu.storage_from("scratch", &vec![f32::NAN; s.scratch_len()]);
            let dx = gpu.storage_from("dx", &before);
            let grad = ConvInputGrad {
                shape: s,
                dy: &dyb,
                params: &pb,
                w_offset: case.w_offset,
                scratch: &scratch,
                dx: &dx,
                accumulate,
            };
            gpu.run(&grad.dispatches_by(&gpu, kernel));
            let mode = if accumulate { "accumulate" } else { "overwrite" };
            assert_close(
                &format!("backward input {mode} {kernel:?} {what}"),
                &read(&gpu, &dx, n_in),
                &f32s(want),
                REL,
            );
        }
    }

    // weight and bias gradient, by every kernel that computes it: overwriting NaN-filled ranges, then adding to
    // random ones, the rest a sentinel
    let (want_dw, want_db) = r::conv_weight_grad(c, &f64s(&x), &f64s(&dy));
    let len = case.params_len();
    let prior = random(len, seed + 4, -1.0, 1.0);
    for (kernel, accumulate) in grad_kernels(s.cout).into_iter().flat_map(|k| [(k, false), (k, true)]) {
        let before: Vec<f32> = (0..len)
            .map(|i| match (case.in_ranges(i), accumulate) {
                (false, _) => SENTINEL,
                (true, false) => f32::NAN,
                (true, true) => prior[i],
            })
            .collect();
        let grads = gpu.storage_from("grads", &before);
        let partials = gpu.storage_from("partials", &vec![f32::NAN; s.partials_len()]);
        let grad = ConvWeightGrad {
            shape: s,
            x: &xb,
            dy: &dyb,
            partials: &partials,
            grads: &grads,
            w_offset: case.w_offset,
            bias_offset: case.bias_offset,
            accumulate,
        };
        gpu.run(&grad.dispatches_by(&gpu, kernel));
        let got = read(&gpu, &grads, len);
        let base = |i: usize| if accumulate { before[i] as f64 } else { 0.0 };
        let dw: Vec<f64> = want_dw.iter().enumerate().map(|(i, g)| g + base(w0 + i)).collect();
        let mode = if accumulate { "accumulate" } else { "overwrite" };
        assert_close(
            &format!("weight grad {mode} {kernel:?} {what}"),
            &got[w0..w0 + n_w],
            &f32s(&dw),
            REL,
        );
        if let Some(b) = case.bias_offset {
            let b = b as usize;
            let db: Vec<f64> = want_db.iter().enumerate().map(|(i, g)| g + base(b + i)).collect();
            assert_close(
                &format!("bias grad {mode} {kernel:?} {what}"),
                &got[b..b + n_b],
                &f32s(&db),
                REL,
            );
        }
        for (i, v) in got.iter().enumerate() {
            assert!(
                case.in_ranges(i) || *v == SENTINEL,
                "weight grad {mode} {kernel:?} {what}: grads[{i}] outside this layer's ranges changed to {v}"
            );
        }
    }
}

#[test]
fn conv_k9_stride1_reflects_at_every_border() {
    // padding 4 on a 13x11 image: every output near a border reads mirrored pixels, in both directions
    check(Case::new(shape(13, 11, 4, 8, 9, 1), 0, Some(81 * 4 * 8), 1));
}

#[test]
fn conv_k9_padding_as_wide_as_the_image_allows() {
    // padding = side - 1: pixels with mirrors past both ends (3 preimages per dimension), and stride 2 on it
    check(Case::new(shape(5, 6, 4, 4, 9, 1), 4, Some(0), 2));
    check(Case::new(shape(5, 5, 4, 4, 9, 2), 0, None, 3));
}

#[test]
fn conv_k3_stride2_odd_and_even_sizes() {
    // odd sides: the last output reads the last input pixel's mirror; even sides: it does not
    check(Case::new(shape(17, 9, 8, 12, 3, 2), 20, Some(8), 4));
    check(Case::new(shape(16, 12, 4, 8, 3, 2), 0, Some(3 * 3 * 4 * 8 + 4), 5));
}

#[test]
fn conv_k3_stride1_36_input_channels() {
    check(Case::new(shape(10, 7, 36, 8, 3, 1), 16, Some(4), 6));
}

#[test]
fn conv_k1_and_k5() {
    // no padding at all, with and without stride; and a middle kernel size
    check(Case::new(shape(5, 6, 8, 16, 1, 1), 12, None, 7));
    check(Case::new(shape(7, 5, 4, 8, 1, 2), 0, Some(32), 8));
    check(Case::new(shape(11, 9, 4, 4, 5, 2), 100, Some(4), 9));
}

#[test]
fn conv_weight_grad_split_over_workgroups_and_pixel_chunks() {
    // 9 taps x 8 x 8 vec4 pairs = 576 threads per split (3 workgroups); 360 output pixels in several chunks
    let s = shape(20, 18, 32, 32, 3, 1);
    let split = s.split();
    assert!(split.splits > 2, "{split:?}: the partial sums are exercised");
    assert!(split.splits * split.chunk >= 360 && (split.splits - 1) * split.chunk < 360);
    assert_eq!(s.partials_len(), split.splits as usize * (s.weight_len() + 32));
    check(Case::new(s, 36, Some(0), 10));
    // stride 2 over a last chunk that is shorter than the rest
    let s = shape(23, 21, 8, 16, 3, 2);
    assert!(s.split().splits > 1 && !(12 * 11u32).is_multiple_of(s.split().chunk));
    check(Case::new(s, 0, Some(3 * 3 * 8 * 16), 11));
    // the fewest threads a split can have (1x1, 4 channels) over many pixels: still a grid WebGPU allows
    let s = shape(2048, 2048, 4, 4, 1, 1);
    assert!(s.split().splits <= 65535, "{:?}", s.split());
}

#[test]
fn conv_tiled_forward_over_several_tiles_and_partial_k_steps() {
    // 64 channels: tiles of 64, 32 and 16 columns; 19x17 = 323 pixels end inside the last tile of every height
    // (64, 128, 256 pixels); K = 9 * 8 = 72 ends inside a K step of 16
    check(Case::new(shape(19, 17, 8, 64, 3, 1), 64, Some(0), 12));
    // 48 channels (16-wide tiles only) at stride 2 with the 9x9 kernel's reflection; K = 81 * 4 = 324 (a partial
    // step of 8)
    check(Case::new(shape(21, 26, 4, 48, 9, 2), 48, None, 13));
    assert_eq!(ForwardKernel::tiled(48), ForwardKernel::Tiled { tile_n: 16 });
    assert_eq!(ForwardKernel::tiled(64), ForwardKernel::Tiled { tile_n: 64 });
    assert_eq!(ForwardKernel::tiled(4), ForwardKernel::Direct);
}

#[test]
fn conv_tiled_gradients_at_stride_2_and_9x9_over_partial_tiles() {
    // input gradients 16 and 32 channels wide: the 9x9 last layer's shape (16 -> 4) over 21 x 19 padded pixels (a
    // partial tile of 256), then stride 2, where 3 of 4 taps are zeros, on odd and even sides; weight gradients of
    // 16 output channels at stride 2, with and without a bias
    check(Case::new(shape(13, 11, 16, 4, 9, 1), 8, Some(0), 14));
    check(Case::new(shape(17, 15, 32, 16, 3, 2), 0, Some(3 * 3 * 32 * 16), 15));
    check(Case::new(shape(12, 10, 16, 8, 9, 2), 4, None, 16));
    assert_eq!(GradKernel::tiled(48), GradKernel::Tiled { tile_n: 16 });
    assert_eq!(GradKernel::tiled(64), GradKernel::Tiled { tile_n: 64 });
    assert_eq!(GradKernel::tiled(4), GradKernel::Direct);
}

#[test]
fn conv_narrow_over_partial_tiles_and_kernel_sizes() {
    // the last layer's shape (9x9 to 4 channels) over 3 x 3 workgroups of 32 x 16 pixels, the last ones partial,
    // and a width that ends inside a thread's 4 pixels; then 3x3 and 1x1 kernels, and 12 input channels (3 staged
    // patches)
    check(Case::new(shape(37, 70, 8, 4, 9, 1), 4, Some(0), 17));
    check(Case::new(shape(19, 33, 4, 4, 3, 1), 0, Some(3 * 3 * 4 * 4), 18));
    check(Case::new(shape(9, 35, 12, 4, 1, 1), 8, None, 19));
    // the first layer's shape (4 -> 16 channels: 4 workgroups along z), and 12 output channels at 5x5
    check(Case::new(shape(21, 40, 4, 16, 9, 1), 0, Some(81 * 4 * 16), 20));
    check(Case::new(shape(18, 9, 8, 12, 5, 1), 12, Some(0), 21));
    // the engine runs it for the 9x9 layers, not for 3x3 ones, at stride 2 or past 9x9
    let gpu = gpu();
    if !gpu.tensor_cores() {
        for layer in [shape(720, 1280, 16, 4, 9, 1), shape(720, 1280, 4, 16, 9, 1)] {
            assert_eq!(
                ForwardKernel::choose(&gpu, &layer, Precision::F32),
                ForwardKernel::Narrow
            );
        }
        assert_eq!(
            ForwardKernel::choose(&gpu, &shape(64, 64, 64, 64, 3, 1), Precision::F32),
            ForwardKernel::Direct
        );
    }
    assert!(!ForwardKernel::Narrow.fits(&shape(8, 8, 16, 4, 9, 2)));
    assert!(!ForwardKernel::Narrow.fits(&shape(16, 16, 16, 4, 11, 1)));
}

/// Largest error of an f16 forward pass, relative to the largest reference value: f16 keeps 11 bits (about 5e-4 of
/// a value), and each tap row's few hundred products are summed in f16 before the f32 sum.
const REL_F16: f32 = 4e-3;

/// The forward convolution in f16 (the direct and narrow kernels, which applying a filter runs in f16 where the GPU
/// has it) against the f64 reference on the f16-rounded input and weights: the 9x9 first and last layers (the
/// last with its bias, over partial narrow tiles), a residual block's 3x3 at 64 channels, and a stride-2 layer;
/// weights and bias at offsets inside a flat f16 parameter buffer. Skipped, with a message, on a GPU without f16.
#[test]
fn conv_forward_in_f16_matches_the_reference() {
    let gpu = gpu();
    if !common::has_f16(&gpu) {
        return;
    }
    for (i, (s, w_offset, bias_offset)) in [
        (shape(21, 38, 4, 16, 9, 1), 0, Some(81 * 4 * 16)),
        (shape(37, 70, 16, 4, 9, 1), 8, Some(0)),
        (shape(10, 9, 64, 64, 3, 1), 4, None),
        (shape(17, 15, 32, 16, 3, 2), 0, Some(3 * 3 * 32 * 16)),
        // as a network's inner layers meet them: inputs after instance norm and ReLU (not negative, up to a few),
        // a tap of 128 products summed in f16 (width 32's widest layer)
        (shape(16, 16, 128, 128, 3, 1), 0, None),
    ]
    .into_iter()
    .enumerate()
    {
        let case = Case::new(s, w_offset, bias_offset, 40 + i as u64);
        let c = Conv::of(s);
        let (n_in, n_out, n_w) = (c.h * c.w * c.cin, c.oh() * c.ow() * c.cout, s.weight_len());
        let flat = round_f16(&random(case.params_len(), case.seed, -0.3, 0.3));
        let (lo, hi) = if s.cin == 128 { (0.0, 3.0) } else { (-1.0, 1.0) };
        let x = round_f16(&random(n_in, case.seed + 1, lo, hi));
        let weight = &flat[w_offset as usize..][..n_w];
        let bias = bias_offset.map_or(&[][..], |b| &flat[b as usize..][..c.cout]);
        let want = f32s(&r::conv_forward(c, &f64s(&x), &f64s(weight), &f64s(bias)));
        let (xb, pb) = (storage_f16(&gpu, "x", &x), storage_f16(&gpu, "params", &flat));
        let mut kernels = vec![ForwardKernel::Direct];
        kernels.extend([ForwardKernel::Narrow].into_iter().filter(|k| k.fits(&s)));
        for kernel in kernels {
            let y = storage_f16(&gpu, "y", &vec![f32::NAN; n_out]);
            let conv = ConvForward {
                shape: s,
                x: &xb,
                upsample: None,
                params: &pb,
                w_offset,
                bias_offset,
                y: &y,
                precision: Precision::F16,
            };
            gpu.run(&conv.dispatches_by(&gpu, kernel));
            let what = format!("f16 forward {kernel:?} {s:?}");
            assert_close(&what, &read_f16(&gpu, &y, n_out), &want, REL_F16);
        }
    }
    // the engine's choice in f16: narrow for the 9x9 layers, direct elsewhere (no tiled or tensor-core f16)
    assert_eq!(
        ForwardKernel::choose(&gpu, &shape(720, 1280, 16, 4, 9, 1), Precision::F16),
        ForwardKernel::Narrow
    );
    assert_eq!(
        ForwardKernel::choose(&gpu, &shape(64, 64, 64, 64, 3, 1), Precision::F16),
        ForwardKernel::Direct
    );
    assert!(!ForwardKernel::Tiled { tile_n: 64 }.runs_in(Precision::F16));
}

/// A 3x3 convolution over a 2x nearest-neighbour upsampling computed from the map before it (`ConvForward::upsample`,
/// `ForwardKernel::Upsampled`: four 2x2 convolutions with folded weights, as applying a filter runs the layers
/// that upsample first) is the reference convolution of the reference upsampling, in f32 and, where the GPU has
/// it, f16: stored maps of odd sides (5x7: the upsampled map's reflection at every border, a row of outputs not a
/// multiple of 4), of one row (1x3), and of the network's channel counts (64 to 32); weights at an offset, the
/// folded weights' scratch NaN before.
#[test]
fn a_convolution_reads_its_input_upsampled() {
    let gpu = gpu();
    let precisions = [Precision::F32, Precision::F16];
    for precision in precisions
        .into_iter()
        .filter(|&p| p == Precision::F32 || common::has_f16(&gpu))
    {
        for (i, (h, w, s)) in [
            (5, 7, shape(10, 14, 8, 12, 3, 1)),
            (1, 3, shape(2, 6, 4, 4, 3, 1)),
            (4, 6, shape(8, 12, 64, 32, 3, 1)),
        ]
        .into_iter()
        .enumerate()
        {
            let case = Case::new(s, 4, None, 60 + i as u64);
            let c = Conv::of(s);
            let (n_small, n_out, n_w) = (h * w * c.cin, c.oh() * c.ow() * c.cout, s.weight_len());
            let (mut flat, mut x) = (
                random(case.params_len(), case.seed, -0.3, 0.3),
                random(n_small, case.seed + 1, -1.0, 1.0),
            );
            if precision == Precision::F16 {
                (flat, x) = (round_f16(&flat), round_f16(&x));
            }
            let upsampled = layer_reference::upsample(h, w, c.cin, &f64s(&x));
            let want = f32s(&r::conv_forward(c, &upsampled, &f64s(&flat[4..][..n_w]), &[]));
            type Store = fn(&artsy::Gpu, &str, &[f32]) -> wgpu::Buffer;
            type Read = fn(&artsy::Gpu, &wgpu::Buffer, usize) -> Vec<f32>;
            let (store, read_back, tolerance): (Store, Read, f32) = match precision {
                Precision::F32 => (|g, l, v| g.storage_from(l, v), read, REL),
                Precision::F16 => (storage_f16, read_f16, REL_F16),
            };
            let (xb, pb) = (store(&gpu, "x", &x), store(&gpu, "params", &flat));
            let folded = store(&gpu, "folded", &vec![f32::NAN; s.folded_len()]);
            let y = store(&gpu, "y", &vec![f32::NAN; n_out]);
            let conv = ConvForward {
                shape: s,
                x: &xb,
                upsample: Some(&folded),
                params: &pb,
                w_offset: 4,
                bias_offset: None,
                y: &y,
                precision,
            };
            gpu.run(&conv.dispatches(&gpu));
            let what = format!("{precision:?} forward of {h}x{w} upsampled, {s:?}");
            assert_close(&what, &read_back(&gpu, &y, n_out), &want, tolerance);
        }
    }
    assert!(ForwardKernel::Upsampled.fits(&shape(8, 8, 16, 4, 3, 1)));
    assert!(!ForwardKernel::Upsampled.fits(&shape(8, 8, 16, 4, 5, 1)));
    assert!(!ForwardKernel::Upsampled.fits(&shape(8, 8, 16, 4, 3, 2)));
}

/// The input gradient is the adjoint of the forward: <conv(x), dy> = <x, backward_input(dy)>, both from the GPU
/// and summed in f64 (no bias: the forward must be linear in x).
#[test]
fn conv_backward_input_is_the_adjoint_of_forward() {
    let gpu = gpu();
    for (i, s) in [
        shape(9, 7, 8, 4, 3, 2),
        shape(12, 10, 4, 8, 9, 1),
        shape(6, 8, 12, 8, 5, 2),
    ]
    .into_iter()
    .enumerate()
    {
        let seed = 100 + 10 * i as u64;
        let (n_in, n_out) = (
            (s.height * s.width * s.cin) as usize,
            (s.out_height() * s.out_width() * s.cout) as usize,
        );
        let (x, dy) = (random(n_in, seed, -1.0, 1.0), random(n_out, seed + 1, -1.0, 1.0));
        let w = random(s.weight_len(), seed + 2, -0.3, 0.3);
        let (xb, dyb, wb) = (
            gpu.storage_from("x", &x),
            gpu.storage_from("dy", &dy),
            gpu.storage_from("w", &w),
        );
        // outputs over NaN: a kernel that wrote nothing would make both sides 0 otherwise
        let (y, dx, scratch) = (
            gpu.storage_from("y", &vec![f32::NAN; n_out]),
            gpu.storage_from("dx", &vec![f32::NAN; n_in]),
            gpu.storage("scratch", s.scratch_len()),
        );
        let mut dispatches = forward(s, &xb, &wb, &y).dispatches(&gpu);
        let grad = ConvInputGrad {
            shape: s,
            dy: &dyb,
            params: &wb,
            w_offset: 0,
            scratch: &scratch,
            dx: &dx,
            accumulate: false,
        };
        dispatches.extend(grad.dispatches(&gpu));
        gpu.run(&dispatches);
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| *p as f64 * *q as f64).sum::<f64>();
        let size = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| (*p as f64 * *q as f64).abs()).sum::<f64>();
        let (y, dx) = (read(&gpu, &y, n_out), read(&gpu, &dx, n_in));
        let (lhs, rhs) = (dot(&y, &dy), dot(&x, &dx));
        let scale = size(&y, &dy).max(size(&x, &dx));
        assert!(
            scale > 0.0 && (lhs - rhs).abs() <= 1e-5 * scale,
            "{s:?}: <conv(x), dy> = {lhs} but <x, backward_input(dy)> = {rhs} (scale {scale})"
        );
    }
}

#[test]
#[should_panic(expected = "padding 4 must be at most height - 1 and width - 1 (4x9 input)")]
fn conv_refuses_padding_wider_than_the_image() {
    let gpu = gpu();
    let s = shape(4, 9, 4, 4, 9, 1);
    let b = gpu.storage("b", 4096);
    forward(s, &b, &b, &b).dispatches(&gpu);
}

#[test]
#[should_panic(expected = "conv_weight_reduce: bias gradient offset must be a multiple of 4, got 6")]
fn conv_refuses_unaligned_offsets() {
    let gpu = gpu();
    let s = shape(4, 4, 4, 4, 3, 1);
    let b = gpu.storage("b", 4096);
    ConvWeightGrad {
        shape: s,
        x: &b,
        dy: &b,
        partials: &b,
        grads: &b,
        w_offset: 0,
        bias_offset: Some(6),
        accumulate: false,
    }
    .dispatches(&gpu);
}
