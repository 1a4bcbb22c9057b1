//! How the page's GPU loops keep the GPU busy and the page live: one submission queued behind the one the GPU is on
//! (awaited by a callback, never a busy wait), batches of steps sized to about BATCH_MS of GPU time each, and the
//! working time a loop's rate and duration are measured in (pauses left out).

use super::dom;
use crate::Gpu;

/// GPU time aimed at per batch: smooth progress, responsive buttons.
const BATCH_MS: f64 = 50.0;
/// The most steps one batch takes.
const MOST_STEPS: u32 = 20;

/// A signal that the GPU has finished everything submitted before it was made.
pub(super) struct WorkDone(futures_channel::oneshot::Receiver<()>);

impl WorkDone {
    pub(super) fn after_submitted(gpu: &Gpu) -> WorkDone {
        let (sender, receiver) = futures_channel::oneshot::channel();
        gpu.queue.on_submitted_work_done(move || {
            let _ = sender.send(());
        });
        WorkDone(receiver)
    }

    pub(super) async fn wait(self) {
        let _ = self.0.await;
    }
}

/// Resolves when the GPU has finished everything submitted so far.
pub(super) async fn work_done(gpu: &Gpu) {
    WorkDone::after_submitted(gpu).wait().await;
}

/// Two submissions in flight: the next one is queued before waiting for the one before it, so the GPU never idles
/// while the page updates.
#[derive(Default)]
pub(super) struct TwoInFlight(Option<WorkDone>);

impl TwoInFlight {
    /// Notes what was just submitted and waits for the submission before it; false (at once) when there was
    /// none, so that a second one can be queued first.
    pub(super) async fn submitted(&mut self, gpu: &Gpu) -> bool {
        match self.0.replace(WorkDone::after_submitted(gpu)) {
            Some(older) => {
                older.wait().await;
                true
            }
            None => false,
        }
    }

    /// Waits for the submission still in flight, if any.
    pub(super) async fn drain(&mut self) {
        if let Some(w) = self.0.take() {
            w.wait().await;
        }
    }
}

/// Steps per batch, sized from the time batches take: with the GPU kept busy, the time between two batches' ends
/// is one batch's GPU time.
pub(super) struct BatchSize {
    steps: u32,
    last_done: f64,
}

impl BatchSize {
    /// One step at first.
    pub(super) fn new() -> BatchSize {
        BatchSize {
            steps: 1,
            last_done: dom::now_ms(),
        }
    }

    pub(super) fn steps(&self) -> u32 {
        self.steps
    }

    /// Times from now on (after a pause, or GPU work that was not a batch).
    pub(super) fn restart_clock(&mut self) {
        self.last_done = dom::now_ms();
    }

    /// A batch has just finished: the next one's size follows its time. Returns the time now.
    pub(super) fn batch_done(&mut self) -> f64 {
        let now = dom::now_ms();
        let dt = (now - self.last_done).max(1.0);
        self.last_done = now;
        self.steps = ((self.steps as f64 * BATCH_MS / dt).round() as u32).clamp(1, MOST_STEPS);
        now
    }
}

/// A loop's working time: the wall clock less its pauses, so that a rate, a time left or a duration does not count
/// the minutes a run sat paused.
pub(super) struct WorkClock {
    started: f64,
    paused: f64,
    paused_since: Option<f64>,
}

impl WorkClock {
    pub(super) fn start() -> WorkClock {
        WorkClock {
            started: dom::now_ms(),
            paused: 0.0,
            paused_since: None,
        }
    }

    /// The loop is paused (called on each of its paused turns).
    pub(super) fn pause(&mut self) {
        self.paused_since.get_or_insert_with(dom::now_ms);
    }

    /// The loop runs (called on each of its working turns): a pause it was in ends.
    pub(super) fn run(&mut self) {
        if let Some(since) = self.paused_since.take() {
            self.paused += dom::now_ms() - since;
        }
    }

    /// Working milliseconds since the start.
    pub(super) fn elapsed_ms(&self) -> f64 {
        let paused_now = self.paused_since.map_or(0.0, |since| dom::now_ms() - since);
        dom::now_ms() - self.started - self.paused - paused_now
    }
}
