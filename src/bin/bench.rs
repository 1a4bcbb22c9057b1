//! The benchmark: the real step (forward to relu5_1, losses, backward, Adam) with the real weights at several
//! sizes; prints ms per step, GPU time per kernel family, convolution GFLOP/s and GPU memory, as a table and JSON.
// Native only: the browser face lives in src/web/.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use artsy::vgg::{LAYERS, feature_sizes};
use artsy::{Error, Gpu, GpuOptions, GpuWeights, Optimizer, Params, Session, VggWeights};
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
    /// Compile the kernels without wgpu's runtime bounds checks (each kernel guards its own indices).
    #[arg(long)]
    unchecked: bool,
    /// Run the convolutions on tensor cores where the GPU has them (on), or keep them in f32 (off).
    #[arg(long, default_value = "on", value_parser = ["on", "off"])]
    tensor_cores: String,
    /// The optimiser to time: adam or lbfgs.
    #[arg(long, default_value_t = Optimizer::Adam)]
    optimizer: Optimizer,
    /// Also write the JSON here.
    #[arg(long)]
    json: Option<String>,
}

/// Convolution FLOPs of one step at `size` x `size`: forward and input gradient of conv1_1 .. conv5_1.
fn conv_flops(size: u32) -> f64 {
    feature_sizes(size, size)
        .iter()
        .zip(LAYERS.iter())
        .map(|(&(h, w), l)| 2.0 * 2.0 * 9.0 * (h * w) as f64 * l.cin as f64 * l.cout as f64)
        .sum()
}

fn family(kernel: &str) -> &'static str {
    match kernel {
        k if k.starts_with("conv3x3_forward") => "conv forward",
        k if k.starts_with("conv3x3_backward") => "conv backward",
        k if k.contains("pool") => "pooling",
        k if k.starts_with("gram") => "gram",
        k if k.starts_with("adam") || k.starts_with("lbfgs") => "optimiser",
        k if k.starts_with("preprocess") => "preprocess",
        _ => "losses",
    }
}

struct Row {
    size: u32,
    ms_per_step: f64,
    families: BTreeMap<&'static str, f64>,
    conv_gflops: Option<f64>,
    bytes: u64,
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
    let gpu = pollster::block_on(Gpu::open_with(GpuOptions {
        unchecked_shaders: args.unchecked,
        tensor_cores: args.tensor_cores == "on",
        ..GpuOptions::default()
    }))
    .unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    });
    println!(
        "adapter: {}, tensor cores: {}{}",
        gpu.adapter,
        gpu.adapter.tensor_cores,
        if args.unchecked {
            ", shader bounds checks off"
        } else {
            ""
        }
    );
    let steps = args
        .steps
        .unwrap_or(if gpu.adapter.is_software { 2 } else { 20 })
        .max(1);
    let warmup = if gpu.adapter.is_software { 1 } else { 3 };
    let gpu_weights = Arc::new(GpuWeights::upload(&gpu, &weights));
    let photo = image::RgbaImage::from_fn(64, 64, |x, y| image::Rgba([(x * 4) as u8, (y * 4) as u8, 128, 255]));
    let painting = image::RgbaImage::from_fn(64, 64, |x, y| {
        image::Rgba([((x ^ y) * 4) as u8, 90, (y * 3) as u8, 255])
    });

    let optimizer = args.optimizer;
    let mut rows = Vec::new();
    for &size in &args.sizes {
        let params = Params {
            size,
            optimizer,
            ..Params::default()
        };
        let mut session = match pollster::block_on(Session::new(
            &gpu,
            &gpu_weights,
            &photo,
            &[(painting.clone(), 1.0)],
            &params,
        )) {
            Ok(s) => s,
            Err(e @ (Error::TooLarge { .. } | Error::Gpu(_) | Error::DeviceLost(_))) => {
                println!("{size} px: skipped: {e}");
                continue;
            }
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1)
            }
        };
        session.run(warmup).unwrap();
        pollster::block_on(session.finish()).unwrap();
        let t = Instant::now();
        session.run(steps).unwrap();
        pollster::block_on(session.finish()).unwrap();
        let ms_per_step = t.elapsed().as_secs_f64() * 1000.0 / steps as f64;
        let mut families = BTreeMap::new();
        let profile = pollster::block_on(session.profile_step()).unwrap();
        if let Some(p) = &profile {
            for (name, ms) in p {
                *families.entry(family(name)).or_insert(0.0) += ms;
            }
        }
        let conv_ms = families.get("conv forward").copied().unwrap_or(0.0)
            + families.get("conv backward").copied().unwrap_or(0.0);
        let conv_gflops = profile.as_ref().map(|_| conv_flops(size) / (conv_ms / 1000.0) / 1e9);
        let row = Row {
            size,
            ms_per_step,
            families,
            conv_gflops,
            bytes: session.gpu_bytes(),
        };
        print_row(&row);
        rows.push(row);
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
            1000.0 / r.ms_per_step,
            r.conv_gflops.map_or("-".into(), |g| format!("{g:.0}")),
            r.bytes as f64 / 1e6,
            r.bytes as f64 / (r.size as f64 * r.size as f64),
            f("conv forward"),
            f("conv backward"),
            f("pooling"),
            f("gram"),
            f("losses"),
            f("optimiser")
        );
    }
    let json = format!(
        "{{\"adapter\": {:?}, \"backend\": {:?}, \"unchecked\": {}, \"tensor_cores\": {:?}, \"steps\": {}, \"results\": [{}]}}",
        gpu.adapter.name,
        gpu.adapter.backend,
        args.unchecked,
        gpu.adapter.tensor_cores.to_string(),
        steps,
        rows.iter()
            .map(|r| format!(
                "{{\"size\": {}, \"ms_per_step\": {:.3}, \"steps_per_s\": {:.3}, \"conv_gflops\": {}, \"gpu_bytes\": {}, \"gpu_ms\": {{{}}}}}",
                r.size,
                r.ms_per_step,
                1000.0 / r.ms_per_step,
                r.conv_gflops.map_or("null".into(), |g| format!("{g:.1}")),
                r.bytes,
                r.families.iter().map(|(k, v)| format!("{k:?}: {v:.3}")).collect::<Vec<_>>().join(", ")
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("\n{json}");
    if let Some(path) = args.json {
        std::fs::write(&path, &json).unwrap_or_else(|e| eprintln!("cannot write {path}: {e}"));
    }
}

fn print_row(r: &Row) {
    eprintln!(
        "{} px: {:.1} ms/step, conv {} GFLOP/s, {:.0} MB",
        r.size,
        r.ms_per_step,
        r.conv_gflops.map_or("?".into(), |g| format!("{g:.1}")),
        r.bytes as f64 / 1e6
    );
}
