//! Applying a filter that carries a network: one forward pass over the current photo at the page's output size,
//! at once (no optimisation); the result is shown and downloadable like a finished picture.

use super::app::App;
use super::dom;
use super::ui::sentence;
use crate::Filter;
use crate::filter_net::Stylizer;

impl App {
    /// Stylises the current photo with `filter`'s network. Bad input gets a message and changes nothing.
    pub async fn apply_network(&self, filter: &Filter) {
        let ui = &self.ui;
        let Some(network) = &filter.network else { return };
        let (arch, params) = match network.decode() {
            Ok(decoded) => decoded,
            Err(e) => return ui.show_error(&sentence(&e.to_string()), None),
        };
        let Some(gpu) = self.engine.gpu() else {
            return ui.show_error("Wait for the GPU to open, then apply the filter again.", None);
        };
        let Some(photo) = self.photo.borrow().as_ref().map(|p| p.image.clone()) else {
            return ui.show_error("Choose a photo first: the filter repaints it.", None);
        };
        let (name, photo_url) = (self.picture_name(), self.photo_url());
        self.stop_and_wait().await;
        // a run started while the pass goes on has the result view: this pass's picture then stays out of its way
        let runs = self.run_control.runs_begun();
        let started = dom::now_ms();
        let mut stylizer = match Stylizer::new(&gpu, arch, &params) {
            Ok(s) => s,
            Err(e) => return ui.show_error(&sentence(&e.to_string()), None),
        };
        let (pw, ph) = (photo.width(), photo.height());
        // larger than one pass holds goes in tiles
        let size = self.current_size().unwrap_or(pw.max(ph));
        let (w, h) = crate::image::fit(pw, ph, size);
        let input = if (w, h) == (pw, ph) {
            photo
        } else {
            crate::image::resize(&photo, w, h)
        };
        let result = stylizer.apply(&input).await;
        if self.run_control.runs_begun() != runs {
            return;
        }
        match result {
            Ok(image) => {
                ui.size_preview(w, h, photo_url.as_deref());
                ui.clear_error();
                self.run_control.name_pictures(name);
                self.show_picture(image, started);
                self.set_status(&format!(
                    "Live filter \u{201c}{}\u{201d} applied: {w}x{h} in {:.0} ms.",
                    filter.name,
                    dom::now_ms() - started
                ));
            }
            Err(crate::Error::DeviceLost(m)) => self.device_lost(&m),
            Err(e) => ui.show_error(&sentence(&e.to_string()), None),
        }
    }
}
