//! The benchmark: the real step (forward to relu5_1, losses, backward, the optimiser: Adam or `--optimizer`) with
//! the real weights at several sizes, or the filter network (`--filter-net`: a training step, forward passes);
//! prints ms per step, GPU time per kernel family, convolution GFLOP/s and GPU memory, as a table and JSON.
// Native only: the measurement itself is artsy::bench, which the wasm bench (src/web/bench.rs) shares.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::sync::Arc;
use std::time::Instant;

use artsy::bench::{Measurement, does_not_fit, family, measure};
use artsy::gpu::ShaderChecks;
use artsy::kernels::conv::ConvFamily;
use artsy::kernels::conv3x3::Tiling;
use artsy::kernels::precision::Precision;
use artsy::vgg::{LAYERS, feature_sizes};
use artsy::{Gpu, GpuOptions, GpuWeights, Optimizer, Params, Session, VggWeights};
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Output sizes (longer side, square images).
    #[arg(long, value_delimiter = ',', default_value = "256,512,1024,2048")]
    sizes: Vec<u32>,
    /// Timed steps per size, after warm-up steps (default: 20 after 3, or 2 after 1 on a software adapter).
    #[arg(long)]
    steps: Option<u32>,
    #[arg(long, default_value = "assets/vgg19/vgg19-conv-u8.safetensors")]
    weights: String,
    /// Compile the kernels without any of wgpu's runtime checks (each kernel guards its own indices, ends its
    /// loops and divides by no zero): --shader-checks none.
    #[arg(long, conflicts_with = "shader_checks")]
    unchecked: bool,
    /// The runtime checks wgpu compiles into the kernels: bounds (the default, as the CLI runs), all, none, or
    /// those kept of bounds, loops and division, comma-separated: what each costs.
    #[arg(long, value_parser = ShaderChecks::parse)]
    shader_checks: Option<ShaderChecks>,
    /// Run the convolutions on tensor cores where the GPU has them (on: right, but slower so far; README "Tensor
    /// cores"), or keep them in f32 (off).
    #[arg(long, default_value = "off", value_parser = ["on", "off"])]
    tensor_cores: String,
    /// The optimiser to time: adam or lbfgs.
    #[arg(long, default_value_t = Optimizer::Adam)]
    optimizer: Optimizer,
    /// Force one convolution tiling for every layer (64x64, 128x64, 128x128) instead of the per-layer choice.
    #[arg(long)]
    conv_tile: Option<Tiling>,
    /// With --filter-net: the convolutions' kernels, direct (conv.wgsl, the training step's gradients too), tiled
    /// (the implicit GEMMs of conv_tiled*.wgsl) or coop (the forward on tensor cores, conv_coop.wgsl, with
    /// --tensor-cores on; gradients tiled); default: the engine's rule.
    #[arg(long, value_parser = ["direct", "tiled", "coop"])]
    filter_conv: Option<String>,
    /// Also print the GPU time of every convolution dispatch of one step (with its grid), to tune the tiling rule;
    /// with --filter-net, the GPU time of each kernel of a training step and of a forward pass.
    #[arg(long)]
    per_dispatch: bool,
    /// Instead of timing: the losses of the first step and of step N on a real photo and painting (--content,
    /// --style), for comparing with `bench_pytorch.py --fidelity`; the pictures as resized go to --inputs-out.
    #[arg(long, value_name = "N")]
    fidelity: Option<u32>,
    #[arg(long, default_value = "assets/images/content_astronaut.png")]
    content: String,
    #[arg(long, default_value = "assets/images/style_starry_night_vangogh.jpg")]
    style: String,
    /// With --fidelity: write the photo and painting exactly as the engine sees them (photo_SIZE.png,
    /// painting_SIZE.png), so that another implementation can start from the same pixels.
    #[arg(long)]
    inputs_out: Option<String>,
    /// With --fidelity: also save the picture after step N here (PNG), to compare the paths by eye.
    #[arg(long)]
    picture_out: Option<String>,
    /// Also write the JSON here.
    #[arg(long)]
    json: Option<String>,
    /// Instead of the optimisation: time filter networks: a training step (--train-crop, --train-batch) and
    /// one forward pass at each --apply-sizes, with the GPU memory each holds.
    #[arg(long)]
    filter_net: bool,
    /// With --filter-net: training crop side (default 256, 64 on a software adapter).
    #[arg(long)]
    train_crop: Option<u32>,
    /// With --filter-net: crops per training step.
    #[arg(long, default_value_t = 4)]
    train_batch: u32,
    /// With --filter-net: network width (channels of the first layer).
    #[arg(long, default_value_t = artsy::filter_net::DEFAULT_WIDTH)]
    train_width: u32,
    /// With --filter-net: sizes to apply at, WIDTHxHEIGHT (default 512x512,1280x720; 256x256,320x240 on a
    /// software adapter).
    #[arg(long, value_delimiter = ',')]
    apply_sizes: Vec<String>,
    /// With --filter-net: the activations' formats to apply in, f32 and/or f16 (default: both where the GPU has
    /// f16, else f32).
    #[arg(long, value_delimiter = ',', value_parser = ["f32", "f16"])]
    apply_precision: Vec<String>,
}

fn main() {
    let args = Args::parse();
    let bytes = std::fs::read(&args.weights).unwrap_or_else(|e| {
        eprintln!("error: cannot read {}: {e} (run ./build.sh setup)", args.weights);
        std::process::exit(1)
    });
    let weights = VggWeights::from_safetensors(&bytes).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    });
    let shader_checks = if args.unchecked {
        ShaderChecks::NONE
    } else {
        args.shader_checks.unwrap_or_default()
    };
    let gpu = pollster::block_on(Gpu::open_with(GpuOptions {
        shader_checks,
        tensor_cores: args.tensor_cores == "on",
        ..GpuOptions::default()
    }))
    .unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    });
    println!(
        "adapter: {}, tensor cores: {}, shader runtime checks kept: {shader_checks}",
        gpu.adapter, gpu.adapter.tensor_cores
    );
    let steps = args
        .steps
        .unwrap_or(if gpu.adapter.is_software { 2 } else { 20 })
        .max(1);
    let warmup = if gpu.adapter.is_software { 1 } else { 3 };
    let gpu_weights = Arc::new(GpuWeights::upload(&gpu, &weights));
    Tiling::force(args.conv_tile);
    ConvFamily::force(args.filter_conv.as_deref().and_then(ConvFamily::parse));
    if let Some(n) = args.fidelity {
        fidelity(&args, &gpu, &gpu_weights, n.max(2));
        return;
    }
    if args.filter_net {
        filter_net(&args, &gpu, &gpu_weights, warmup, steps);
        return;
    }
    let started = Instant::now();
    let clock = || started.elapsed().as_secs_f64() * 1000.0;

    let mut rows = Vec::new();
    for &size in &args.sizes {
        match pollster::block_on(measure(&gpu, &gpu_weights, size, args.optimizer, warmup, steps, clock)) {
            Ok(row) => {
                print_row(&row);
                if args.per_dispatch {
                    print_conv_dispatches(size, &row.dispatches);
                }
                rows.push(row);
            }
            Err(e) if does_not_fit(&e) => println!("{size} px: skipped: {e}"),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1)
            }
        }
    }

    println!();
    println!(
        "| size | ms/step | steps/s | conv GFLOP/s | GPU MB | bytes/pixel | GPU ms: conv fwd | conv bwd | pool | gram | losses | optimiser |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        let f = |k: &str| r.families.get(k).map_or("-".to_string(), |v| format!("{v:.2}"));
        println!(
            "| {} | {:.1} | {:.2} | {} | {:.0} | {:.0} | {} | {} | {} | {} | {} | {} |",
            r.size,
            r.ms_per_step,
            r.steps_per_s(),
            r.conv_gflops.map_or("-".into(), |g| format!("{g:.0}")),
            r.gpu_bytes as f64 / 1e6,
            r.gpu_bytes as f64 / (r.size as f64 * r.size as f64),
            f("conv forward"),
            f("conv backward"),
            f("pooling"),
            f("gram"),
            f("losses"),
            f("optimiser")
        );
    }
    let json = serde_json::json!({
        "adapter": gpu.adapter.name,
        "backend": gpu.adapter.backend,
        "unchecked": shader_checks == ShaderChecks::NONE,
        "shader_checks": shader_checks.to_string(),
        "tensor_cores": gpu.adapter.tensor_cores.to_string(),
        "optimizer": args.optimizer.to_string(),
        "steps": steps,
        "results": rows.iter().map(Measurement::to_json).collect::<Vec<_>>(),
    })
    .to_string();
    println!("\n{json}");
    if let Some(path) = args.json {
        std::fs::write(&path, &json).unwrap_or_else(|e| eprintln!("cannot write {path}: {e}"));
    }
}

/// GPU milliseconds per kernel (its dispatches summed), slowest first, with the share of the total.
fn print_kernels(kernels: &[(&str, f64, u32)]) {
    let total: f64 = kernels.iter().map(|k| k.1).sum();
    for (kernel, ms, dispatches) in kernels {
        let share = 100.0 * ms / total.max(f64::MIN_POSITIVE);
        println!("  {kernel:<36} {ms:8.3} ms {share:5.1}%  ({dispatches} dispatches)");
    }
}

/// Exits with `e` as the message.
fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("error: {e}");
    std::process::exit(1)
}

/// --filter-net: ms per training step and per forward pass, and the memory each holds.
fn filter_net(args: &Args, gpu: &Gpu, weights: &Arc<GpuWeights>, warmup: u32, steps: u32) {
    use artsy::training::{TrainSettings, Trainer};
    let software = gpu.adapter.is_software;
    let settings = TrainSettings {
        crop: args.train_crop.unwrap_or(if software { 64 } else { 256 }),
        batch: args.train_batch,
        width: args.train_width,
        ..TrainSettings::default()
    };
    let photos = [
        artsy::bench::photo(),
        load_picture("assets/images/content_chelsea_cat.png"),
    ];
    let painting = artsy::bench::painting();
    let params = artsy::training::training_params(&Params::default());
    let started_at = Instant::now();
    let mut trainer = pollster::block_on(Trainer::new(
        gpu,
        weights,
        &photos,
        &[(painting, 1.0)],
        &params,
        &settings,
        None,
    ))
    .unwrap_or_else(|e| fail(e));
    let finish = |trainer: &mut Trainer| {
        while trainer.steps_in_flight() > 0 {
            trainer.wait_oldest().unwrap_or_else(|e| fail(e));
        }
    };
    trainer.run(warmup).unwrap_or_else(|e| fail(e));
    finish(&mut trainer);
    let started = Instant::now();
    trainer.run(steps).unwrap_or_else(|e| fail(e));
    finish(&mut trainer);
    let train_ms = started.elapsed().as_secs_f64() * 1000.0 / steps as f64;
    println!(
        "training: {} px crops, batch {} ({} per VGG19 pass), width {}: {train_ms:.1} ms/step, {:.0} MB on the GPU",
        settings.crop,
        settings.batch,
        artsy::training::crops_per_pass(settings.batch, settings.crop),
        settings.width,
        trainer.gpu_bytes() as f64 / 1e6
    );
    let train_kernels = if args.per_dispatch {
        let dispatches = trainer.step_dispatches();
        let times = pollster::block_on(artsy::gpu::time_dispatches(gpu, dispatches)).unwrap_or_else(|e| fail(e));
        let kernels = times
            .map(|t| artsy::bench::per_kernel(dispatches, &t))
            .unwrap_or_default();
        print_kernels(&kernels);
        kernels
    } else {
        Vec::new()
    };
    let arch = trainer.architecture().clone();
    let network = pollster::block_on(trainer.params()).unwrap_or_else(|e| fail(e));
    drop(trainer);

    let sizes = if args.apply_sizes.is_empty() {
        if software {
            vec!["256x256".to_string(), "320x240".into()]
        } else {
            vec!["512x512".to_string(), "1280x720".into()]
        }
    } else {
        args.apply_sizes.clone()
    };
    let params_buffer = gpu.storage_from("filter params", &network);
    let precisions: Vec<Precision> = if args.apply_precision.is_empty() {
        [Precision::F32, Precision::F16]
            .into_iter()
            .filter(|p| p.runs_on(gpu))
            .collect()
    } else {
        args.apply_precision
            .iter()
            .filter_map(|name| Precision::parse(name))
            .collect()
    };
    if let Some(p) = precisions.iter().find(|p| !p.runs_on(gpu)) {
        fail(format!("--apply-precision {}: this GPU has no f16 kernels", p.name()))
    }
    let mut rows = Vec::new();
    for (size, &precision) in sizes.iter().flat_map(|s| precisions.iter().map(move |p| (s, p))) {
        let parsed = size
            .split_once('x')
            .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)));
        let Some(size) = parsed else {
            fail(format!("--apply-sizes: `{size}` is not WIDTHxHEIGHT"))
        };
        let clock = || started_at.elapsed().as_secs_f64() * 1000.0;
        let m = pollster::block_on(artsy::bench::measure_apply(
            gpu,
            &arch,
            &params_buffer,
            size,
            precision,
            warmup,
            steps,
            clock,
        ))
        .unwrap_or_else(|e| fail(e));
        println!(
            "apply {}x{} {}: {:.2} ms/frame ({:.0} frames/s), {:.0} MB on the GPU",
            m.width,
            m.height,
            precision.name(),
            m.ms_per_frame,
            1000.0 / m.ms_per_frame,
            m.gpu_bytes as f64 / 1e6
        );
        if args.per_dispatch {
            print_kernels(&m.kernels);
            for c in &m.convs {
                println!(
                    "  {:<30} {:<28} {:8.3} ms {:8.0} GFLOP/s",
                    c.layer, c.kernel, c.ms, c.gflops
                );
            }
        }
        rows.push(m.to_json());
    }
    let json = serde_json::json!({
        "adapter": gpu.adapter.name,
        "training": {"crop": settings.crop, "batch": settings.batch, "width": settings.width, "ms_per_step": train_ms,
                     "kernels": artsy::bench::kernels_json(&train_kernels)},
        "apply": rows,
    })
    .to_string();
    println!("\n{json}");
    if let Some(path) = &args.json {
        std::fs::write(path, &json).unwrap_or_else(|e| eprintln!("cannot write {path}: {e}"));
    }
}

/// Loads a picture for --fidelity or exits with the reason.
fn load_picture(path: &str) -> image::RgbaImage {
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        eprintln!("error: cannot read {path}: {e}");
        std::process::exit(1)
    });
    artsy::image::decode(path, &bytes).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    })
}

/// The losses after step 1 and after step `n` (Adam, default settings) on the real pair at each size.
fn fidelity(args: &Args, gpu: &Gpu, weights: &Arc<GpuWeights>, n: u32) {
    let (photo, painting) = (load_picture(&args.content), load_picture(&args.style));
    let mut lines = Vec::new();
    for &size in &args.sizes {
        // the same pixels the session will use: the photo fitted to the size, the painting to its style size
        let (w, h) = artsy::image::fit(photo.width(), photo.height(), size);
        let photo = artsy::image::resize(&photo, w, h);
        let (sw, sh) = artsy::loss::style_size(&painting, size);
        let painting = artsy::image::resize(&painting, sw, sh);
        if let Some(dir) = &args.inputs_out {
            let save = |img: &image::RgbaImage, name: String| {
                let path = std::path::Path::new(dir).join(name);
                img.save(&path)
                    .unwrap_or_else(|e| eprintln!("cannot write {}: {e}", path.display()));
            };
            save(&photo, format!("photo_{size}.png"));
            save(&painting, format!("painting_{size}.png"));
        }
        let params = Params {
            size,
            optimizer: Optimizer::Adam,
            ..Params::default()
        };
        let mut session = pollster::block_on(Session::new(gpu, weights, &photo, &[(painting, 1.0)], &params))
            .unwrap_or_else(|e| {
                eprintln!("error: {e}");
                std::process::exit(1)
            });
        session.run(1).unwrap();
        let first = pollster::block_on(session.finish()).unwrap();
        session.run(n - 1).unwrap();
        let last = pollster::block_on(session.finish()).unwrap();
        if let Some(path) = &args.picture_out {
            let picture = pollster::block_on(session.image()).unwrap();
            picture
                .save(path)
                .unwrap_or_else(|e| eprintln!("cannot write {path}: {e}"));
        }
        for l in [first, last] {
            println!(
                "{size} px step {}: content {:.6e} style {:.6e} tv {:.6e} total {:.6e}",
                l.iteration, l.content, l.style, l.tv, l.total
            );
            lines.push(format!(
                "{{\"size\": {size}, \"step\": {}, \"content\": {:e}, \"style\": {:e}, \"tv\": {:e}, \"total\": {:e}}}",
                l.iteration, l.content, l.style, l.tv, l.total
            ));
        }
    }
    println!(
        "\n{{\"framework\": \"artsy\", \"tensor_cores\": {}, \"fidelity\": [{}]}}",
        gpu.tensor_cores(),
        lines.join(", ")
    );
}

fn print_row(r: &Measurement) {
    eprintln!(
        "{} px: {:.1} ms/step, conv {} GFLOP/s, {:.0} MB",
        r.size,
        r.ms_per_step,
        r.conv_gflops.map_or("?".into(), |g| format!("{g:.1}")),
        r.gpu_bytes as f64 / 1e6
    );
}

/// One line per convolution dispatch of a profiled step: layer, kernel (with its tiling), GPU ms and GFLOP/s.
/// The forward runs conv1_1 .. conv5_1 in order and the backward the same layers in reverse.
fn print_conv_dispatches(size: u32, profile: &[(&'static str, f64)]) {
    let sizes = feature_sizes(size, size);
    let flops = |i: usize| {
        let (h, w) = sizes[i];
        2.0 * 9.0 * (h * w) as f64 * LAYERS[i].cin.next_multiple_of(4) as f64 * LAYERS[i].cout as f64
    };
    let forward = profile.iter().filter(|(n, _)| family(n) == "conv forward");
    let backward = profile.iter().filter(|(n, _)| family(n) == "conv backward");
    for (i, (name, ms)) in forward.enumerate() {
        println!(
            "{size} px {:8} {name:32} {ms:7.3} ms {:6.0} GFLOP/s",
            LAYERS[i].name,
            flops(i) / ms / 1e6
        );
    }
    for (i, (name, ms)) in backward.enumerate() {
        let l = LAYERS.len() - 1 - i;
        println!(
            "{size} px {:8} {name:32} {ms:7.3} ms {:6.0} GFLOP/s",
            LAYERS[l].name,
            flops(l) / ms / 1e6
        );
    }
}
