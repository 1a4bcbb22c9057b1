//! One optimisation step as a fixed list of dispatches, built once per session and recorded as-is every step:
//! forward to the deepest loss layer, the losses, backward down to the pixels, total variation, the loss report,
//! then the optimiser's update (Adam or L-BFGS). Read top to bottom, `Step::new` is that data flow; its parts
//! live in step/: where the loss partials go (layout.rs), the backward pass (backward.rs), the optimiser
//! (optimizer.rs). A `StyleReport` reads the style loss layer by layer back from those partials, on request.

mod backward;
mod layout;
mod optimizer;

pub use backward::{Backward, Seed};
pub use layout::{LossLayout, Terms};
pub use optimizer::Update;

use crate::error::Result;
use crate::gpu::{Dispatch, Gpu};
use crate::kernels::{gram, loss_reduce, mse_loss, pool2x2::Pooling, tv_loss};
use crate::loss::{ContentTerm, StyleTerm};
use crate::network::Network;
use crate::params::Optimizer;
use crate::vgg::{LAYERS, Layer};
use crate::weights::GpuWeights;

/// Everything one step needs on the GPU besides the pixels and the network's own buffers.
pub struct Step {
    /// Computes the losses and dLoss/d pixels; `update` then moves the pixels.
    pub dispatches: Vec<Dispatch>,
    pub update: Update,
    /// dLoss/d pixels [H][W] vec4, valid after `dispatches`.
    pub grad_pixels: wgpu::Buffer,
    /// (content, style, tv, total) of the latest step, computed before its update.
    pub losses: wgpu::Buffer,
    /// Each style layer's share of the latest step's style loss (read back on request, never in the loop).
    pub style_report: StyleReport,
    // Held for the bind groups' sake and for memory accounting.
    buffers: Vec<wgpu::Buffer>,
}

/// Where each style layer's loss lies after a step: the loss partials and the style terms' place in them.
pub struct StyleReport {
    partials: wgpu::Buffer,
    terms: Terms,
    /// The VGG layer of each style term, in the terms' order.
    layers: Vec<Layer>,
}

impl StyleReport {
    /// Each style layer with its style loss at the latest step (they sum to that step's style loss).
    pub async fn read(&self, gpu: &Gpu) -> Result<Vec<(Layer, f32)>> {
        let partials = gpu.read_f32(&self.partials).await?;
        Ok(self.layers.iter().copied().zip(self.terms.sums(&partials)).collect())
    }
}

/// What the loss of a picture (or of a batch of pictures, `net.images` of them) is made of.
pub struct LossInputs<'a> {
    pub net: &'a Network,
    pub weights: &'a GpuWeights,
    pub pooling: Pooling,
    pub content: &'a [ContentTerm],
    pub style: &'a [StyleTerm],
    /// tv_weight / (H * W)
    pub tv_scale: f32,
    /// The picture [H][W] vec4 in 0..1 (a batch: [images][H][W], the pictures stacked along the rows).
    pub pixels: &'a wgpu::Buffer,
}

pub struct StepInputs<'a> {
    pub loss: LossInputs<'a>,
    pub optimizer: Optimizer,
    pub learning_rate: f32,
}

/// The loss of a picture and its gradient: forward through VGG, the loss terms, backward to the pixels, total
/// variation and the loss report. For a batch, each picture's losses (its own Gram matrices, content features and
/// total variation), summed, and each picture's gradient. A step adds the optimiser's update; training a filter
/// network carries the gradient on into the network.
pub struct Objective {
    pub dispatches: Vec<Dispatch>,
    /// dLoss/d pixels [H][W] vec4, valid after `dispatches`.
    pub grad_pixels: wgpu::Buffer,
    /// (content, style, tv, total).
    pub losses: wgpu::Buffer,
    pub style_report: StyleReport,
    buffers: Vec<wgpu::Buffer>,
}

impl Step {
    pub fn new(gpu: &Gpu, s: &StepInputs) -> Step {
        let objective = Objective::new(gpu, &s.loss);
        let net = s.loss.net;
        let update = Update::new(
            gpu,
            s.optimizer,
            s.learning_rate,
            net.input_pixels(),
            &objective.grad_pixels,
            s.loss.pixels,
        );
        Step {
            dispatches: objective.dispatches,
            update,
            grad_pixels: objective.grad_pixels,
            losses: objective.losses,
            style_report: objective.style_report,
            buffers: objective.buffers,
        }
    }

    /// Bytes of GPU memory the step holds beyond the network (gradients, Grams, the optimiser's state).
    pub fn bytes(&self) -> u64 {
        self.buffers.iter().map(|b| b.size()).sum::<u64>()
            + self.grad_pixels.size()
            + self.update.bytes()
            + self.losses.size()
            + self.style_report.partials.size()
    }
}

impl Objective {
    pub fn new(gpu: &Gpu, s: &LossInputs) -> Objective {
        let net = s.net;
        let images = net.images;
        let features = |layer: usize| gram::Features {
            images,
            pixels: net.pixels(layer),
            channels: LAYERS[layer].cout,
        };
        let layout = LossLayout::new(
            &s.content.iter().map(|t| features(t.layer).values()).collect::<Vec<_>>(),
            &s.style
                .iter()
                .map(|t| features(t.layer).grams_len())
                .collect::<Vec<_>>(),
            net.input_pixels(),
        );
        let partials = gpu.storage("loss partials", layout.len());
        let losses = gpu.storage("losses", loss_reduce::LOSS_VALUES);

        let mut d = net.forward(gpu, s.weights, s.pooling, s.pixels);

        // Style: Gram of each style layer (of each image), then its error against the painting's, giving dLoss/dG.
        let mut d_grams = Vec::new();
        let mut buffers = Vec::new();
        for (t, &offset) in s.style.iter().zip(&layout.style.offsets) {
            let f = features(t.layer);
            let split = f.split();
            let g_partials = gpu.storage("gram partials", f.partials_len(split));
            let g = gpu.storage("gram", f.grams_len());
            let d_g = gpu.storage("d gram", f.grams_len());
            d.push(gram::partials(gpu, f, split, &net.features[t.layer], &g_partials));
            d.push(gram::reduce(gpu, f, split, &g_partials, &g));
            d.push(mse_loss::mse_loss(
                gpu,
                f.grams_len(),
                images,
                t.scale,
                &g,
                &t.target,
                &d_g,
                false,
                &partials,
                offset,
            ));
            buffers.extend([g_partials, g]);
            d_grams.push(d_g);
        }

        // Backward, seeded at each loss layer: style through the Gram matrix's backward, then content, whose
        // error kernel writes both its gradient and its loss partials.
        let backward = {
            let style_seeds = s.style.iter().zip(&d_grams).map(|(t, d_g)| Seed {
                layer: t.layer,
                dispatch: Box::new(move |grad: &wgpu::Buffer, accumulate: bool| {
                    gram::backward(gpu, features(t.layer), &net.features[t.layer], d_g, grad, accumulate)
                }),
            });
            let content_seeds = s.content.iter().zip(&layout.content.offsets).map(|(t, &offset)| Seed {
                layer: t.layer,
                dispatch: Box::new({
                    let partials = &partials;
                    move |grad: &wgpu::Buffer, accumulate: bool| {
                        let count = features(t.layer).values();
                        let x = &net.features[t.layer];
                        mse_loss::mse_loss(gpu, count, 1, t.scale, x, &t.target, grad, accumulate, partials, offset)
                    }
                }),
            });
            let seeds: Vec<Seed> = style_seeds.chain(content_seeds).collect();
            Backward::new(gpu, net, s.weights, s.pooling, &seeds)
        };
        d.extend(backward.dispatches);

        d.push(tv_loss::tv_loss(
            gpu,
            images,
            net.height,
            net.width,
            s.tv_scale,
            s.pixels,
            &backward.grad_pixels,
            &partials,
            layout.tv.offsets[0],
        ));
        d.push(loss_reduce::loss_reduce(gpu, layout.bounds(), &partials, &losses));
        buffers.extend(d_grams);
        buffers.extend(backward.buffers);
        Objective {
            dispatches: d,
            grad_pixels: backward.grad_pixels,
            losses,
            style_report: StyleReport {
                partials,
                terms: layout.style,
                layers: s.style.iter().map(|t| Layer::at(t.layer)).collect(),
            },
            buffers,
        }
    }

    /// Bytes of GPU memory it holds beyond the network.
    pub fn bytes(&self) -> u64 {
        self.buffers.iter().map(|b| b.size()).sum::<u64>()
            + self.grad_pixels.size()
            + self.losses.size()
            + self.style_report.partials.size()
    }
}
