//! What the user is told: the GPU in use, the plan of a run, and the summary once the picture is written.

use artsy::vgg::Layer;
use artsy::{Gpu, Transfer};

use super::inputs::Inputs;
use super::progress::{Finished, show, show_style_layers};

/// The adapter, with a warning when it is a slow software one.
pub fn adapter(gpu: &Gpu) {
    eprintln!("GPU: {}", gpu.adapter);
    if gpu.adapter.is_software {
        eprintln!(
            "warning: this is a software (CPU) adapter: it works, but slowly. Try --size 128 for a quick result."
        );
    }
}

/// "photo + painting(s) -> sizes, steps (optimiser), set-up time".
pub fn plan(inputs: &Inputs, transfer: &Transfer, setup_seconds: f64) {
    let sizes: Vec<String> = transfer
        .stages()
        .iter()
        .map(|s| format!("{} px x {}", s.size, s.iterations))
        .collect();
    let paintings: Vec<&str> = inputs.styles.iter().map(|s| s.name.as_str()).collect();
    eprintln!(
        "{} + {} -> {}, {} steps ({}), set-up {setup_seconds:.1} s",
        inputs.content_path.display(),
        paintings.join(" + "),
        sizes.join(" then "),
        transfer.total_iterations(),
        inputs.params.optimizer.label(),
    );
}

/// Steps, speed, memory, the first and last losses and the last step's style loss by layer (where the GPU gave
/// it); the output path on stdout.
pub fn summary(inputs: &Inputs, gpu: &Gpu, weights_bytes: u64, run: &Finished, style_layers: Option<&[(Layer, f32)]>) {
    eprintln!(
        "{} steps in {:.1} s ({:.2} steps/s) on {}; largest stage held {:.0} MB of GPU memory (+ {:.0} MB weights)",
        run.steps,
        run.seconds,
        run.steps as f64 / run.seconds,
        gpu.adapter.name,
        run.peak_bytes as f64 / 1e6,
        weights_bytes as f64 / 1e6,
    );
    if let Some(f) = &run.first {
        eprintln!("step {:>5}: {}", f.iteration, show(f));
    }
    eprintln!("step {:>5}: {}", run.last.iteration, show(&run.last));
    if let Some(layers) = style_layers {
        eprintln!("            style by layer: {}", show_style_layers(layers));
    }
    println!("{}", inputs.out.display());
}
