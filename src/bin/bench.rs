//! The benchmark: the real step (forward to relu5_1, losses, backward, Adam) with the real weights at several
//! sizes; prints ms per step, GPU time per kernel family, convolution GFLOP/s and GPU memory, as a table and JSON.
// Native only: the measurement itself is artsy::bench, which the wasm bench (src/web/bench.rs) shares.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::sync::Arc;
use std::time::Instant;

use artsy::bench::{Measurement, does_not_fit, measure};
use artsy::{Gpu, GpuWeights, Optimizer, VggWeights};
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
    /// The optimiser to time: adam or lbfgs.
    #[arg(long, default_value_t = Optimizer::Adam)]
    optimizer: Optimizer,
    /// Also write the JSON here.
    #[arg(long)]
    json: Option<String>,
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
    let opened = if args.unchecked {
        pollster::block_on(Gpu::new_unchecked())
    } else {
        pollster::block_on(Gpu::new())
    };
    let gpu = opened.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    });
    println!(
        "adapter: {}{}",
        gpu.adapter,
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
    let started = Instant::now();
    let clock = || started.elapsed().as_secs_f64() * 1000.0;

    let mut rows = Vec::new();
    for &size in &args.sizes {
        match pollster::block_on(measure(&gpu, &gpu_weights, size, args.optimizer, warmup, steps, clock)) {
            Ok(row) => {
                print_row(&row);
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
        "unchecked": args.unchecked,
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

fn print_row(r: &Measurement) {
    eprintln!(
        "{} px: {:.1} ms/step, conv {} GFLOP/s, {:.0} MB",
        r.size,
        r.ms_per_step,
        r.conv_gflops.map_or("?".into(), |g| format!("{g:.1}")),
        r.gpu_bytes as f64 / 1e6
    );
}
