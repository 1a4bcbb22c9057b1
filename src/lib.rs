//! Artsy: Gatys-Ecker-Bethge neural style transfer on the GPU with hand-written WGSL, for the browser (WebGPU)
//! and natively (Vulkan, Metal, DX12). This crate is the engine; the CLI (main.rs) and the web page (web/) are
//! thin faces over `Transfer` (a Session per size).

pub mod bench;
pub mod error;
pub mod filter;
pub mod filter_net;
pub mod gpu;
pub mod image;
pub mod kernels;
pub mod loss;
pub mod network;
pub mod params;
pub mod random;
pub mod session;
pub mod step;
pub mod training;
pub mod transfer;
pub mod vgg;
#[cfg(target_arch = "wasm32")]
pub mod web;
pub mod weights;

pub use error::{Error, Result};
pub use filter::{Filter, FilterStyle};
pub use gpu::{Gpu, GpuOptions};
pub use kernels::pool2x2::Pooling;
pub use params::{Init, Optimizer, Params};
pub use session::{Losses, Session};
pub use transfer::{Stage, Transfer};
pub use weights::{GpuWeights, VggWeights};
