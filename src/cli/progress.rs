//! Running a transfer with a progress bar: two batches kept queued so the GPU never waits, one line per size.

use std::time::Instant;

use artsy::vgg::Layer;
use artsy::{Error, Losses, Transfer};
use indicatif::{ProgressBar, ProgressStyle};

/// What a finished run reports.
pub struct Finished {
    /// The first losses read back, and the last.
    pub first: Option<Losses>,
    pub last: Losses,
    /// Steps run in all.
    pub steps: u32,
    pub seconds: f64,
    /// GPU memory of the largest stage's session.
    pub peak_bytes: u64,
}

/// "loss 1.2e3 (content ..., style ..., tv ...)".
pub fn show(l: &Losses) -> String {
    format!(
        "loss {:.4e} (content {:.3e}, style {:.3e}, tv {:.3e})",
        l.total, l.content, l.style, l.tv
    )
}

/// "relu1_1 3.04e5, relu2_1 2.35e7, ...": where a style loss lies, layer by layer.
pub fn show_style_layers(layers: &[(Layer, f32)]) -> String {
    let parts: Vec<String> = layers.iter().map(|(l, v)| format!("{l} {v:.3e}")).collect();
    parts.join(", ")
}

/// Runs every stage of `transfer`, `batch` steps per GPU submission.
pub fn run(transfer: &mut Transfer, batch: u32) -> Result<Finished, Error> {
    let bar = ProgressBar::new(transfer.total_iterations() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} ETA {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut first = None;
    let mut peak_bytes = 0u64;
    loop {
        let session = transfer.session().expect("a live stage");
        peak_bytes = peak_bytes.max(session.gpu_bytes());
        let stage_start = Instant::now();
        let stage_first = transfer.iteration();
        while transfer.stage_remaining() > 0 || transfer.steps_in_flight() > 0 {
            while transfer.stage_remaining() > 0 && transfer.steps_in_flight() < 2 * batch {
                transfer.run(batch)?;
            }
            transfer.wait_oldest()?;
            if let Some(l) = transfer.poll_losses() {
                first.get_or_insert(l);
                bar.set_position(l.iteration as u64);
                bar.set_message(format!("{} px · {}", transfer.width().max(transfer.height()), show(&l)));
            }
        }
        let steps = transfer.iteration() - stage_first;
        let seconds = stage_start.elapsed().as_secs_f64();
        let line = format!(
            "{}x{}: {steps} steps in {seconds:.1} s ({:.1} ms/step), {:.0} MB on the GPU",
            transfer.width(),
            transfer.height(),
            1000.0 * seconds / steps.max(1) as f64,
            transfer.session().map_or(0, |s| s.gpu_bytes()) as f64 / 1e6,
        );
        bar.suspend(|| eprintln!("{line}"));
        if !pollster::block_on(transfer.next_stage())? {
            break;
        }
    }
    bar.finish_and_clear();
    let last = pollster::block_on(transfer.finish())?;
    Ok(Finished {
        first,
        last,
        steps: transfer.iteration(),
        seconds: started.elapsed().as_secs_f64(),
        peak_bytes,
    })
}
