//! The time a run will take, shown beside Start before it starts: the rate of this GPU measured by the last
//! finished run, or until there is one by a short timing when the weights load refined by a run's first steps
//! (kept in this browser per GPU, so a later visit starts with it), scaled to the photo's shape, the chosen size,
//! steps and stages. Runs that would take very long say so.

use std::cell::Cell;

use web_sys::Event;

use super::app::App;
use super::dom::{local_storage, on};
use super::run::format_seconds;
use crate::Params;
use crate::transfer::plan;

/// A run estimated to take longer than this says it is long.
const LONG_RUN_S: f64 = 600.0;

/// How a rate from the short timing is marked where it is kept (a run's rate is kept as a bare number).
const TIMED_MARK: &str = " timed";

/// Milliseconds per step per output pixel on this GPU, whether a run of the user's gave it, and whether the short
/// timing is going on.
#[derive(Default)]
pub struct Estimate {
    ms_per_pixel_step: Cell<Option<f64>>,
    from_a_run: Cell<bool>,
    timing: Cell<bool>,
}

impl Estimate {
    /// Takes a new rate; a rate from elsewhere never replaces a run's own.
    pub fn learn(&self, ms_per_pixel_step: f64, from_a_run: bool) {
        if !ms_per_pixel_step.is_finite() || ms_per_pixel_step <= 0.0 || (!from_a_run && self.from_a_run.get()) {
            return;
        }
        self.ms_per_pixel_step.set(Some(ms_per_pixel_step));
        self.from_a_run.set(from_a_run);
    }

    pub fn rate(&self) -> Option<f64> {
        self.ms_per_pixel_step.get()
    }

    /// Whether the rate is only the short timing's, not a run's.
    pub fn is_rough(&self) -> bool {
        self.rate().is_some() && !self.from_a_run.get()
    }

    pub fn timing(&self) -> bool {
        self.timing.get()
    }

    pub fn set_timing(&self, timing: bool) {
        self.timing.set(timing);
    }
}

/// "45s", "12m 05s", "3 h 20 min", "40 days": as precise as an estimate this long deserves.
fn duration(seconds: f64) -> String {
    let hours = seconds / 3600.0;
    if hours < 1.0 {
        format_seconds(seconds).to_string()
    } else if hours < 48.0 {
        let minutes = (seconds / 60.0).round() as u64;
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    } else {
        format!("{:.0} days", hours / 24.0)
    }
}

/// A run's work in pixel-steps: each stage's steps times its picture's pixels, for a photo of `width` x `height`.
pub fn pixel_steps(params: &Params, width: u32, height: u32) -> f64 {
    plan(params)
        .iter()
        .map(|stage| {
            let (w, h) = crate::image::fit(width, height, stage.size);
            stage.iterations as f64 * w as f64 * h as f64
        })
        .sum()
}

impl App {
    /// Takes the finished run's rate (milliseconds over `pixel_steps`), and keeps it in this browser for this GPU.
    pub(super) fn learn_from_run(&self, ms: f64, pixel_steps: f64) {
        self.keep_rate(ms / pixel_steps, true);
    }

    /// Takes a rate from a run or from the short timing, and keeps it in this browser for this GPU (the timing's
    /// marked as such; it never replaces a run's).
    pub(super) fn keep_rate(&self, rate: f64, from_a_run: bool) {
        self.estimate.learn(rate, from_a_run);
        if self.estimate.rate() != Some(rate) {
            return;
        }
        if let (Some(key), Some(storage)) = (self.rate_key(), local_storage()) {
            let mark = if from_a_run { "" } else { TIMED_MARK };
            let _ = storage.set_item(&key, &format!("{rate}{mark}"));
        }
    }

    /// Where this browser keeps the rate of this GPU.
    fn rate_key(&self) -> Option<String> {
        self.engine
            .gpu()
            .map(|gpu| format!("artsy-ms-per-pixel-step {}", gpu.adapter.name))
    }

    /// Updates the estimate whenever a setting changes.
    pub(super) fn wire_estimate(&self) {
        for event in ["input", "change"] {
            let app = self.clone();
            on(self.ui.root.as_ref(), event, move |_: Event| app.show_estimate());
        }
    }

    /// Shows beside Start how long a run with the current photo and settings would take on this GPU.
    pub(super) fn show_estimate(&self) {
        if self.estimate.rate().is_none()
            && let (Some(key), Some(storage)) = (self.rate_key(), local_storage())
            && let Ok(Some(kept)) = storage.get_item(&key)
        {
            let timed = kept.strip_suffix(TIMED_MARK);
            if let Ok(rate) = timed.unwrap_or(&kept).parse::<f64>() {
                self.estimate.learn(rate, timed.is_none());
            }
        }
        let label = &self.ui.estimate;
        let photo = self
            .photo
            .borrow()
            .as_ref()
            .map(|p| (p.image.width(), p.image.height()));
        let (text, long) = match (self.estimate.rate(), self.params(), photo) {
            (Some(rate), Ok(params), Some((w, h))) => {
                let seconds = rate * pixel_steps(&params, w, h) / 1000.0;
                let mut text = format!("About {} on this GPU", duration(seconds));
                if self.estimate.is_rough() {
                    text += " (rough, from a quick timing; a run refines it)";
                }
                let long = seconds > LONG_RUN_S;
                if long {
                    text += ": a long run; a smaller size or fewer steps is much faster.";
                }
                (text, long)
            }
            (None, _, _) if self.estimate.timing() => ("Timing this GPU ...".to_string(), false),
            (None, _, _) if self.engine.ready().is_some() => ("The first run times this GPU".to_string(), false),
            _ => (String::new(), false),
        };
        label.set_text_content(Some(&text));
        label.class_list().toggle_with_force("long", long).ok();
    }
}
