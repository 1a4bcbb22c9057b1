//! One Rust wrapper per WGSL kernel family in shaders/: each file declares its shader (sources and generated
//! constants) and its kernels (entry point, bindings), and gives each kernel a function that builds its parameter
//! block, asserts the shape rules and computes its grid. The GPU context compiles a declared kernel on first use
//! and caches it. Nothing here decides *when* a kernel runs (that is step.rs, and filter_net/ and training.rs for
//! the filter network) or *why* (loss.rs).

pub mod adam;
pub mod conv;
pub mod conv3x3;
pub mod conv3x3_coop;
pub mod crop;
pub mod frame_unpack;
pub mod gram;
pub mod instance_norm;
pub mod keep_best;
pub mod lbfgs;
pub mod loss_reduce;
pub mod mse_loss;
pub mod pointwise;
pub mod pool2x2;
pub mod precision;
pub mod preprocess;
pub mod shape_rules;
pub mod sizes;
pub mod tv_loss;
pub mod upsample;
