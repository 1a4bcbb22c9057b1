//! One Rust wrapper per WGSL kernel in shaders/: its parameter block, its bindings and its grid. Nothing here
//! decides *when* a kernel runs (that is step.rs) or *why* (loss.rs).

pub mod adam;
pub mod conv3x3;
pub mod gram;
pub mod keep_best;
pub mod lbfgs;
pub mod loss_reduce;
pub mod mse_loss;
pub mod pool2x2;
pub mod preprocess;
pub mod tv_loss;

use crate::gpu::{Binding, Kernel};
use Binding::{Read, ReadWrite, Uniform};

/// Every compute pipeline, compiled once per device.
pub struct Kernels {
    pub preprocess_forward: Kernel,
    pub preprocess_backward: Kernel,
    pub conv3x3_forward: Kernel,
    pub conv3x3_backward_input: Kernel,
    pub max_pool_forward: Kernel,
    pub max_pool_backward: Kernel,
    pub avg_pool_forward: Kernel,
    pub avg_pool_backward: Kernel,
    pub gram_partials: Kernel,
    pub gram_reduce: Kernel,
    pub gram_backward: Kernel,
    pub mse_loss: Kernel,
    pub tv_loss: Kernel,
    pub loss_reduce: Kernel,
    pub adam_tick: Kernel,
    pub adam_update: Kernel,
    pub lbfgs_begin: Kernel,
    pub lbfgs_dot_partials: Kernel,
    pub lbfgs_dot_finish: Kernel,
    pub lbfgs_axpy: Kernel,
    pub lbfgs_update: Kernel,
    pub keep_best_copy: Kernel,
    pub keep_best_commit: Kernel,
}

impl Kernels {
    /// Compiles every kernel. `unchecked` drops wgpu's runtime bounds checks (native only): every kernel guards
    /// its own indices, given the host-side shapes the wrappers enforce (channels multiples of 4, and of 64 for
    /// Gram matrices), so this is safe, and the benchmark measures what it buys.
    pub fn new(device: &wgpu::Device, unchecked: bool) -> Kernels {
        let module = |name: &str, source: &str| {
            let desc = wgpu::ShaderModuleDescriptor {
                label: Some(name),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            };
            if unchecked {
                // SAFETY: see above; every buffer index in shaders/ is behind a bounds guard of its own.
                unsafe { device.create_shader_module_trusted(desc, wgpu::ShaderRuntimeChecks::unchecked()) }
            } else {
                device.create_shader_module(desc)
            }
        };
        let preprocess = module("preprocess", include_str!("../../shaders/preprocess.wgsl"));
        let conv = module("conv3x3", include_str!("../../shaders/conv3x3.wgsl"));
        let pool = module("pool2x2", include_str!("../../shaders/pool2x2.wgsl"));
        let gram = module("gram", include_str!("../../shaders/gram.wgsl"));
        let gram_bw = module("gram_backward", include_str!("../../shaders/gram_backward.wgsl"));
        let mse = module("mse_loss", include_str!("../../shaders/mse_loss.wgsl"));
        let tv = module("tv_loss", include_str!("../../shaders/tv_loss.wgsl"));
        let reduce = module("loss_reduce", include_str!("../../shaders/loss_reduce.wgsl"));
        let adam = module("adam", include_str!("../../shaders/adam.wgsl"));
        let lbfgs = module("lbfgs", include_str!("../../shaders/lbfgs.wgsl"));
        let keep_best = module("keep_best", include_str!("../../shaders/keep_best.wgsl"));
        let keep_best_bindings = [Uniform, Read, ReadWrite, Read, ReadWrite];
        let lbfgs_bindings = [Uniform, ReadWrite, Read, Read, ReadWrite, ReadWrite, ReadWrite];
        let k = |m: &wgpu::ShaderModule, name: &'static str, entry: &str, b: &[Binding]| {
            Kernel::new(device, m, name, entry, b)
        };
        Kernels {
            preprocess_forward: k(
                &preprocess,
                "preprocess_forward",
                "forward",
                &[Uniform, Read, ReadWrite],
            ),
            preprocess_backward: k(
                &preprocess,
                "preprocess_backward",
                "backward",
                &[Uniform, Read, ReadWrite],
            ),
            conv3x3_forward: k(
                &conv,
                "conv3x3_forward",
                "forward",
                &[Uniform, Read, Read, Read, ReadWrite],
            ),
            conv3x3_backward_input: k(
                &conv,
                "conv3x3_backward_input",
                "backward_input",
                &[Uniform, Read, Read, Read, ReadWrite],
            ),
            max_pool_forward: k(
                &pool,
                "max_pool_forward",
                "max_forward",
                &[Uniform, Read, Read, ReadWrite],
            ),
            max_pool_backward: k(
                &pool,
                "max_pool_backward",
                "max_backward",
                &[Uniform, Read, Read, ReadWrite],
            ),
            avg_pool_forward: k(
                &pool,
                "avg_pool_forward",
                "avg_forward",
                &[Uniform, Read, Read, ReadWrite],
            ),
            avg_pool_backward: k(
                &pool,
                "avg_pool_backward",
                "avg_backward",
                &[Uniform, Read, Read, ReadWrite],
            ),
            gram_partials: k(&gram, "gram_partials", "partials", &[Uniform, Read, ReadWrite]),
            gram_reduce: k(&gram, "gram_reduce", "reduce", &[Uniform, Read, ReadWrite]),
            gram_backward: k(&gram_bw, "gram_backward", "main", &[Uniform, Read, Read, ReadWrite]),
            mse_loss: k(&mse, "mse_loss", "main", &[Uniform, Read, Read, ReadWrite, ReadWrite]),
            tv_loss: k(&tv, "tv_loss", "main", &[Uniform, Read, ReadWrite, ReadWrite]),
            loss_reduce: k(&reduce, "loss_reduce", "main", &[Uniform, Read, ReadWrite]),
            adam_tick: k(
                &adam,
                "adam_tick",
                "tick",
                &[Uniform, ReadWrite, Read, ReadWrite, ReadWrite, ReadWrite],
            ),
            adam_update: k(
                &adam,
                "adam_update",
                "update",
                &[Uniform, ReadWrite, Read, ReadWrite, ReadWrite, ReadWrite],
            ),
            lbfgs_begin: k(&lbfgs, "lbfgs_begin", "begin", &lbfgs_bindings),
            lbfgs_dot_partials: k(&lbfgs, "lbfgs_dot_partials", "dot_partials", &lbfgs_bindings),
            lbfgs_dot_finish: k(&lbfgs, "lbfgs_dot_finish", "dot_finish", &lbfgs_bindings),
            lbfgs_axpy: k(&lbfgs, "lbfgs_axpy", "axpy", &lbfgs_bindings),
            lbfgs_update: k(&lbfgs, "lbfgs_update", "update", &lbfgs_bindings),
            keep_best_copy: k(&keep_best, "keep_best_copy", "copy", &keep_best_bindings),
            keep_best_commit: k(&keep_best, "keep_best_commit", "commit", &keep_best_bindings),
        }
    }
}
