//! One optimisation step as a fixed list of dispatches, built once per session and recorded as-is every step:
//! forward to the deepest loss layer, losses, backward down to the pixels, total variation, Adam.
//! Read top to bottom, `Step::new` is the data flow of DESIGN.md.

use crate::gpu::{Dispatch, Gpu};
use crate::kernels::{
    adam, conv3x3, gram, lbfgs, loss_reduce, mse_loss, pool2x2, pool2x2::Pooling, preprocess, tv_loss,
};
use crate::loss::{ContentTerm, StyleTerm};
use crate::network::Network;
use crate::params::Optimizer;
use crate::vgg::{LAYERS, stored_cin};
use crate::weights::GpuWeights;

/// L-BFGS's step length after the first step: the quasi-Newton step itself, as in the classic implementations.
const LBFGS_STEP: f32 = 1.0;

/// The optimiser's half of a step: its state and the dispatches that apply the gradient to the pixels.
pub enum Update {
    Adam(adam::AdamState, Vec<Dispatch>),
    Lbfgs(lbfgs::LbfgsState),
}

impl Update {
    /// The update dispatches of step `k` (0-based).
    pub fn dispatches(&self, k: u32) -> &[Dispatch] {
        match self {
            Update::Adam(_, d) => d,
            Update::Lbfgs(state) => state.dispatches(k),
        }
    }

    fn bytes(&self) -> u64 {
        match self {
            Update::Adam(state, _) => state.m.size() + state.v.size() + state.state.size(),
            Update::Lbfgs(state) => state.bytes(),
        }
    }
}

/// Everything one step needs on the GPU besides the pixels and the network's own buffers.
pub struct Step {
    /// Computes the losses and dLoss/d pixels; `update` then moves the pixels.
    pub dispatches: Vec<Dispatch>,
    pub update: Update,
    /// dLoss/d pixels [H][W] vec4, valid after dispatches[..update_begin].
    pub grad_pixels: wgpu::Buffer,
    /// (content, style, tv, total) of the latest step, computed before its update.
    pub losses: wgpu::Buffer,
    // Held for the bind groups' sake and for memory accounting.
    buffers: Vec<wgpu::Buffer>,
}

pub struct StepInputs<'a> {
    pub net: &'a Network,
    pub weights: &'a GpuWeights,
    pub pooling: Pooling,
    pub content: &'a [ContentTerm],
    pub style: &'a [StyleTerm],
    /// tv_weight / (H * W)
    pub tv_scale: f32,
    pub optimizer: Optimizer,
    pub learning_rate: f32,
    pub pixels: &'a wgpu::Buffer,
}

impl Step {
    pub fn new(gpu: &Gpu, s: &StepInputs) -> Step {
        let net = s.net;
        let pixel_count = (net.height * net.width) as usize;
        let mut d = net.forward(gpu, s.weights, s.pooling, s.pixels);

        // Loss partial sums live in three contiguous ranges: content, style, tv.
        let mut slots = 0u32;
        let content_slots: Vec<u32> = s
            .content
            .iter()
            .map(|t| {
                let at = slots;
                slots += mse_loss::partial_count((net.pixels(t.layer) * LAYERS[t.layer].cout) as usize);
                at
            })
            .collect();
        let style_begin = slots;
        let style_slots: Vec<u32> = s
            .style
            .iter()
            .map(|t| {
                let at = slots;
                let c = LAYERS[t.layer].cout as usize;
                slots += mse_loss::partial_count(c * c);
                at
            })
            .collect();
        let tv_begin = slots;
        slots += tv_loss::partial_count(pixel_count);
        let partials = gpu.storage("loss partials", slots as usize);
        let losses = gpu.storage("losses", 4);

        // Style: Gram of each style layer, then its error against the painting's, giving dLoss/dG.
        let mut d_grams = Vec::new();
        let mut buffers = Vec::new();
        for (t, &slot) in s.style.iter().zip(&style_slots) {
            let c = LAYERS[t.layer].cout;
            let p = net.pixels(t.layer);
            let split = gram::Split::for_shape(p, c);
            let g_partials = gpu.storage("gram partials", split.partials_len(c));
            let g = gpu.storage("gram", (c * c) as usize);
            let d_g = gpu.storage("d gram", (c * c) as usize);
            d.push(gram::partials(gpu, p, c, split, &net.features[t.layer], &g_partials));
            d.push(gram::reduce(gpu, p, c, split, &g_partials, &g));
            d.push(mse_loss::mse_loss(
                gpu,
                (c * c) as usize,
                t.scale,
                &g,
                &t.target,
                &d_g,
                false,
                &partials,
                slot,
            ));
            buffers.extend([g_partials, g]);
            d_grams.push(d_g);
        }

        // Backward: two ping-pong gradient buffers, big enough for the largest feature map.
        let grad_len = (0..=net.last)
            .map(|i| (net.pixels(i) * LAYERS[i].cout.max(stored_cin(i))) as usize)
            .max()
            .unwrap();
        let mut grad = gpu.storage("grad a", grad_len);
        let mut other = gpu.storage("grad b", grad_len);
        let grad_pixels = gpu.storage("grad pixels", pixel_count * 4);
        let mut seeded = false;
        for i in (0..=net.last).rev() {
            // Seeds: every loss that reads relu_i adds its gradient here.
            for (_, d_g) in s.style.iter().zip(&d_grams).filter(|(t, _)| t.layer == i) {
                d.push(gram::backward(
                    gpu,
                    net.pixels(i),
                    LAYERS[i].cout,
                    &net.features[i],
                    d_g,
                    &grad,
                    seeded,
                ));
                seeded = true;
            }
            for (t, &slot) in s.content.iter().zip(&content_slots).filter(|(t, _)| t.layer == i) {
                let count = (net.pixels(i) * LAYERS[i].cout) as usize;
                d.push(mse_loss::mse_loss(
                    gpu,
                    count,
                    t.scale,
                    &net.features[i],
                    &t.target,
                    &grad,
                    seeded,
                    &partials,
                    slot,
                ));
                seeded = true;
            }
            // Through the ReLU and the convolution, then the pooling below it.
            let (h, w) = net.sizes[i];
            let shape = conv3x3::Shape {
                height: h,
                width: w,
                cin: stored_cin(i),
                cout: LAYERS[i].cout,
            };
            d.push(conv3x3::backward_input(
                gpu,
                shape,
                &grad,
                &s.weights.layers[i].backward,
                &net.features[i],
                &other,
            ));
            if i == 0 {
                d.push(preprocess::backward(gpu, &other, &grad_pixels, pixel_count));
            } else if LAYERS[i].pool_before {
                let (ph, pw) = net.sizes[i - 1];
                d.push(pool2x2::backward(
                    gpu,
                    s.pooling,
                    ph,
                    pw,
                    LAYERS[i].cin,
                    &net.features[i - 1],
                    &other,
                    &grad,
                ));
            } else {
                std::mem::swap(&mut grad, &mut other);
            }
        }

        d.push(tv_loss::tv_loss(
            gpu,
            net.height,
            net.width,
            s.tv_scale,
            s.pixels,
            &grad_pixels,
            &partials,
            tv_begin,
        ));
        d.push(loss_reduce::loss_reduce(
            gpu,
            [0, style_begin, tv_begin, slots],
            &partials,
            &losses,
        ));
        let update = match s.optimizer {
            Optimizer::Adam => {
                let state = adam::AdamState::new(gpu, pixel_count);
                let dispatches = adam::step(gpu, pixel_count, s.learning_rate, &state, &grad_pixels, s.pixels);
                Update::Adam(state, dispatches.to_vec())
            }
            Optimizer::Lbfgs => Update::Lbfgs(lbfgs::LbfgsState::new(
                gpu,
                pixel_count,
                LBFGS_STEP,
                &grad_pixels,
                s.pixels,
            )),
        };

        buffers.extend(d_grams);
        buffers.extend([grad, other, partials]);
        Step {
            dispatches: d,
            update,
            grad_pixels,
            losses,
            buffers,
        }
    }

    /// Bytes of GPU memory the step holds beyond the network (gradients, Grams, Adam's moments).
    pub fn bytes(&self) -> u64 {
        self.buffers.iter().map(|b| b.size()).sum::<u64>()
            + self.grad_pixels.size()
            + self.update.bytes()
            + self.losses.size()
    }
}
