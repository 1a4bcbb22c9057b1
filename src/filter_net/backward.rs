//! The filter network's backward pass: from dLoss/d picture down through every layer, writing (or, for the
//! later pictures of a batch, adding) dLoss/d parameters into the flat gradient buffer.

use super::forward::{Activations, ConvInput};
use super::{After, Architecture};
use crate::gpu::{Dispatch, Gpu};
use crate::kernels::{conv, instance_norm, instance_norm::NormShape, pointwise, upsample};

/// The backward pass's scratch buffers and its dispatches.
pub struct Backward {
    /// Overwrites the gradient (the first picture of a batch).
    pub first: Vec<Dispatch>,
    /// Adds to the gradient (every later picture of a batch).
    pub accumulate: Vec<Dispatch>,
    scratch: Scratch,
}

/// What a backward pass writes on its way down besides the parameters' gradient. Passes that run one after
/// another (the pictures of a batch) share one set.
#[derive(Clone)]
struct Scratch {
    /// dLoss/d each layer's output but the last (given).
    grad_out: Vec<wgpu::Buffer>,
    grad_conv: wgpu::Buffer,
    conv: wgpu::Buffer,
    conv_partials: wgpu::Buffer,
    norm_partials: wgpu::Buffer,
    grad_upsampled: wgpu::Buffer,
}

impl Backward {
    /// The dispatches that take `grad_output` (dLoss/d `acts.output()`) to dLoss/d parameters in `grads`, with
    /// scratch buffers of their own, or, given `scratch_of`, with that pass's (for activations of the same size,
    /// in passes that never run at the same time: the crops of a batch).
    pub fn new(
        gpu: &Gpu,
        arch: &Architecture,
        acts: &Activations,
        params: &wgpu::Buffer,
        grad_output: &wgpu::Buffer,
        grads: &wgpu::Buffer,
        scratch_of: Option<&Backward>,
    ) -> Backward {
        assert!(
            acts.keeps_all(),
            "a backward pass needs the activations of Activations::new, not of for_inference"
        );
        let scratch = match scratch_of {
            Some(other) => other.scratch.clone(),
            None => Scratch::new(gpu, arch, acts),
        };
        let n = arch.layers.len();
        let Scratch {
            grad_out,
            grad_conv,
            conv: conv_scratch,
            conv_partials,
            norm_partials,
            grad_upsampled,
        } = &scratch;
        let build = |accumulate: bool| {
            let mut d = Vec::new();
            for (i, l) in arch.layers.iter().enumerate().rev() {
                let bufs = &acts.layers[i];
                let dy = if i == n - 1 { grad_output } else { &grad_out[i] };
                let (oh, ow) = acts.sizes[i];
                match l.after {
                    After::Squash => d.push(pointwise::sigmoid_backward(
                        gpu,
                        (oh * ow) as usize,
                        &bufs.out,
                        dy,
                        grad_conv,
                    )),
                    After::NormRelu | After::NormAdd { .. } => d.extend(instance_norm::backward(
                        gpu,
                        NormShape {
                            pixels: oh * ow,
                            channels: l.cout,
                        },
                        &bufs.conv_out,
                        &bufs.out,
                        dy,
                        l.after == After::NormRelu,
                        params,
                        l.affine,
                        &bufs.stats,
                        norm_partials,
                        grads,
                        l.shift(),
                        accumulate,
                        grad_conv,
                    )),
                }
                let ConvInput { x, size: (h, w), .. } = acts.conv_input(i, arch);
                let shape = l.conv_shape(h, w);
                d.extend(
                    conv::ConvWeightGrad {
                        shape,
                        x,
                        dy: grad_conv,
                        partials: conv_partials,
                        grads,
                        w_offset: l.weights,
                        bias_offset: (l.after == After::Squash).then_some(l.affine),
                        accumulate,
                    }
                    .dispatches(gpu),
                );
                if i == 0 {
                    break; // nothing needs dLoss/d photo
                }
                let below = &grad_out[i - 1];
                let dx = if l.upsample_before { grad_upsampled } else { below };
                d.extend(
                    conv::ConvInputGrad {
                        shape,
                        dy: grad_conv,
                        params,
                        w_offset: l.weights,
                        scratch: conv_scratch,
                        dx,
                        accumulate: false,
                    }
                    .dispatches(gpu),
                );
                if l.upsample_before {
                    let (bh, bw) = acts.sizes[i - 1];
                    d.push(upsample::backward(gpu, bh, bw, l.cin, grad_upsampled, below));
                }
                // A residual block's input also receives the gradient at the block's output, unchanged.
                for (j, later) in arch.layers.iter().enumerate().skip(i) {
                    if later.after == (After::NormAdd { skip: i - 1 }) {
                        let count = (acts.sizes[i - 1].0 * acts.sizes[i - 1].1 * arch.layers[i - 1].cout) as usize;
                        d.push(pointwise::add_into(gpu, count, &grad_out[j], below));
                    }
                }
            }
            d
        };
        let first = build(false);
        let accumulate = build(true);
        Backward {
            first,
            accumulate,
            scratch,
        }
    }

    /// Bytes of GPU memory the backward pass holds (its scratch, which passes sharing it count once).
    pub fn bytes(&self) -> u64 {
        let s = &self.scratch;
        s.grad_out.iter().map(|b| b.size()).sum::<u64>()
            + [
                &s.grad_conv,
                &s.conv,
                &s.conv_partials,
                &s.norm_partials,
                &s.grad_upsampled,
            ]
            .iter()
            .map(|b| b.size())
            .sum::<u64>()
    }
}

impl Scratch {
    fn new(gpu: &Gpu, arch: &Architecture, acts: &Activations) -> Scratch {
        let n = arch.layers.len();
        let grad_out: Vec<wgpu::Buffer> = (0..n - 1)
            .map(|i| gpu.storage("filter grad out", (acts.layers[i].out.size() / 4) as usize))
            .collect();
        let mut conv_len = 4;
        let mut scratch_len = 4;
        let mut conv_partials_len = 4;
        let mut norm_partials_len = 4;
        let mut upsampled_len = 4;
        for (i, l) in arch.layers.iter().enumerate() {
            let (h, w) = acts.conv_input(i, arch).size;
            let shape = l.conv_shape(h, w);
            let (oh, ow) = acts.sizes[i];
            conv_len = conv_len.max((oh * ow * l.cout) as usize);
            scratch_len = scratch_len.max(shape.scratch_len());
            conv_partials_len = conv_partials_len.max(shape.partials_len());
            norm_partials_len = norm_partials_len.max(
                NormShape {
                    pixels: oh * ow,
                    channels: l.cout,
                }
                .partials_len(),
            );
            if l.upsample_before {
                upsampled_len = upsampled_len.max((h * w * l.cin) as usize);
            }
        }
        Scratch {
            grad_out,
            grad_conv: gpu.storage("filter grad conv out", conv_len),
            conv: gpu.storage("filter conv scratch", scratch_len),
            conv_partials: gpu.storage("filter weight partials", conv_partials_len),
            norm_partials: gpu.storage("filter norm grad partials", norm_partials_len),
            grad_upsampled: gpu.storage("filter grad upsampled", upsampled_len),
        }
    }
}
