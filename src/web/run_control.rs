//! Run control: whether a transfer runs, the pause and stop requests, and what the run reports (its status line,
//! previews, speed and the newest picture with the name it downloads under, which stays downloadable after errors).

use std::cell::{Cell, RefCell};

use image::RgbaImage;

#[derive(Default)]
pub struct RunControl {
    running: Cell<bool>,
    paused: Cell<bool>,
    stop_requested: Cell<bool>,
    previews: Cell<u32>,
    first_preview_ms: Cell<Option<f64>>,
    steps_per_second: Cell<f64>,
    last_image: RefCell<Option<RgbaImage>>,
    picture_name: RefCell<String>,
    runs_begun: Cell<u32>,
    status: RefCell<String>,
}

impl RunControl {
    /// Marks a run as started, with fresh counters; false (and nothing changes) while one is running. The
    /// run's pictures download as `picture_name` (named after the inputs the run started with, whatever is chosen
    /// while it runs).
    pub fn begin(&self, picture_name: String) -> bool {
        if self.running.get() {
            return false;
        }
        self.running.set(true);
        self.runs_begun.set(self.runs_begun.get() + 1);
        *self.picture_name.borrow_mut() = picture_name;
        self.paused.set(false);
        self.stop_requested.set(false);
        self.previews.set(0);
        self.first_preview_ms.set(None);
        true
    }

    pub fn end(&self) {
        self.running.set(false);
    }

    pub fn is_running(&self) -> bool {
        self.running.get()
    }

    /// Pauses or resumes; returns whether the run is paused now.
    pub fn toggle_pause(&self) -> bool {
        self.paused.set(!self.paused.get());
        self.paused.get()
    }

    pub fn is_paused(&self) -> bool {
        self.paused.get()
    }

    pub fn request_stop(&self) {
        self.stop_requested.set(true);
    }

    pub fn stop_requested(&self) -> bool {
        self.stop_requested.get()
    }

    /// Counts a preview shown `since_start_ms` after the run began, and keeps its picture.
    pub fn preview_shown(&self, image: RgbaImage, since_start_ms: f64) {
        self.previews.set(self.previews.get() + 1);
        if self.first_preview_ms.get().is_none() {
            self.first_preview_ms.set(Some(since_start_ms));
        }
        *self.last_image.borrow_mut() = Some(image);
    }

    pub fn previews(&self) -> u32 {
        self.previews.get()
    }

    pub fn first_preview_ms(&self) -> Option<f64> {
        self.first_preview_ms.get()
    }

    pub fn set_steps_per_second(&self, rate: f64) {
        self.steps_per_second.set(rate);
    }

    pub fn steps_per_second(&self) -> f64 {
        self.steps_per_second.get()
    }

    /// The newest picture shown, if any.
    pub fn last_image(&self) -> Option<RgbaImage> {
        self.last_image.borrow().clone()
    }

    /// Names the pictures shown from now on (for a picture made outside a run, such as a network filter's).
    pub fn name_pictures(&self, name: String) {
        *self.picture_name.borrow_mut() = name;
    }

    /// The file name the newest picture downloads under.
    pub fn picture_name(&self) -> String {
        self.picture_name.borrow().clone()
    }

    /// The number of runs begun since the page opened.
    pub fn runs_begun(&self) -> u32 {
        self.runs_begun.get()
    }

    pub fn has_image(&self) -> bool {
        self.last_image.borrow().is_some()
    }

    pub fn set_status(&self, text: &str) {
        let mut status = self.status.borrow_mut();
        status.clear(); // kept capacity: a status set every batch allocates nothing
        status.push_str(text);
    }

    pub fn status(&self) -> String {
        self.status.borrow().clone()
    }
}
