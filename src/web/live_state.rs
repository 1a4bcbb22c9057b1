//! The live filter's state on the page: where the sample photos are served, the training photos once loaded, and
//! the live camera's requests and readings (running, stop, snapshot, a filter to switch to, frames per second).

use std::cell::{Cell, RefCell};

use image::RgbaImage;

use super::camera::Camera;
use crate::filter_net::{Architecture, Stylizer};

#[derive(Default)]
pub struct LiveState {
    /// The folder the page's data is served from ("data/").
    pub base: RefCell<String>,
    /// The sample photos the filters learn from (file name, picture), once fetched.
    pub samples: RefCell<Option<Vec<(String, RgbaImage)>>>,
    /// The camera while the live view runs.
    pub camera: RefCell<Option<Camera>>,
    pub running: Cell<bool>,
    pub stop_requested: Cell<bool>,
    pub snapshot_requested: Cell<bool>,
    /// A network to switch to (its layout and its parameters on the GPU), picked up between two frames.
    pub switch_to: RefCell<Option<(Architecture, Stylizer)>>,
    /// The key of the filter shown live.
    pub filter_key: Cell<Option<u32>>,
    /// Frames drawn per second over the last second or so.
    pub fps: Cell<f64>,
    /// Frames drawn since the live view started.
    pub frames: Cell<u32>,
}
