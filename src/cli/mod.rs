//! The native command line: a thin face over artsy::Transfer. Resolve and check every input first, then run
//! with progress, then write the picture and report.

mod args;
mod inputs;
mod output;
mod progress;
mod report;
mod train;

use std::sync::Arc;
use std::time::Instant;

pub use args::Args;
use artsy::{Gpu, GpuWeights, Transfer, VggWeights};

/// One whole run; the error is the message for the user.
pub fn run(args: Args) -> Result<(), String> {
    match args.command {
        Some(args::Command::Train(train)) => return train::train(train),
        Some(args::Command::Apply(apply)) => return train::apply(apply),
        None => {}
    }
    let inputs = inputs::resolve(&args)?;
    if let Some(path) = &args.save_filter {
        inputs::save_filter(path, &inputs)?;
    }
    let weights = VggWeights::from_safetensors(&inputs::read(&inputs.weights_path, "weights")?)
        .map_err(|e| format!("{}: {e}", inputs.weights_path.display()))?;

    let gpu = pollster::block_on(Gpu::new()).map_err(|e| e.to_string())?;
    report::adapter(&gpu);
    let started = Instant::now();
    let gpu_weights = Arc::new(GpuWeights::upload(&gpu, &weights));
    let mut transfer = pollster::block_on(Transfer::new(
        &gpu,
        &gpu_weights,
        &inputs.photo,
        &inputs.paintings,
        &inputs.params,
    ))
    .map_err(|e| e.to_string())?;
    report::plan(&inputs, &transfer, started.elapsed().as_secs_f64());

    let batch = args
        .batch
        .unwrap_or(if gpu.adapter.is_software {
            args::SOFTWARE_BATCH
        } else {
            args::BATCH
        })
        .max(1);
    let finished = match progress::run(&mut transfer, batch) {
        Ok(finished) => finished,
        Err(e) => {
            // The run went wrong, or a larger stage could not be set up (out of GPU memory, say): its best picture
            // is still worth having, where the GPU still gives it.
            let best = pollster::block_on(transfer.best_image()).map_err(|b| format!("{e}; {b}"))?;
            output::save_picture(&best, &inputs.out).map_err(|s| format!("{e}; {s}"))?;
            let out = inputs.out.display();
            return Err(match e {
                // (its message already says the best picture is kept)
                artsy::Error::Diverged { .. } => format!("{e} in {out}"),
                _ => format!("{e}; the best picture so far is saved in {out}"),
            });
        }
    };
    let picture = pollster::block_on(transfer.image()).map_err(|e| e.to_string())?;
    output::save_picture(&picture, &inputs.out)?;
    // (a report, not the picture: a failed read leaves it out)
    let style_layers = transfer
        .session()
        .and_then(|s| pollster::block_on(s.style_by_layer()).ok());
    report::summary(&inputs, &gpu, gpu_weights.bytes(), &finished, style_layers.as_deref());
    Ok(())
}
