//! The backward pass: from the loss terms' gradients at their layers, through every ReLU, convolution and
//! pooling, down to dLoss/d pixels.

use crate::gpu::{Dispatch, Gpu};
use crate::kernels::{conv3x3, pool2x2, pool2x2::Pooling, preprocess};
use crate::network::Network;
use crate::vgg::{LAYERS, stored_cin};
use crate::weights::GpuWeights;

/// Builds, given the gradient buffer and whether to add to it, the dispatch of one loss term's gradient.
pub type SeedDispatch<'a> = Box<dyn Fn(&wgpu::Buffer, bool) -> Dispatch + 'a>;

/// One loss term's gradient at the ReLU output of `layer`: `dispatch(grad, accumulate)` builds the dispatch that
/// writes (accumulate = false) or adds its dLoss/d relu_layer into `grad`.
pub struct Seed<'a> {
    pub layer: usize,
    pub dispatch: SeedDispatch<'a>,
}

/// The backward dispatches and the buffers they write.
pub struct Backward {
    pub dispatches: Vec<Dispatch>,
    /// dLoss/d pixels [H][W] vec4.
    pub grad_pixels: wgpu::Buffer,
    /// The two ping-pong gradient buffers, held for the bind groups' sake.
    pub buffers: [wgpu::Buffer; 2],
}

impl Backward {
    /// Walks relu_{net.last} .. relu1_1 down: at each layer the seeds of that layer write or add their gradient
    /// (in the order given; the deepest layer must have one), then through the ReLU mask and the convolution, then
    /// the pooling below it. Two ping-pong buffers, big enough for the largest feature map, carry the gradient.
    pub fn new(gpu: &Gpu, net: &Network, weights: &GpuWeights, pooling: Pooling, seeds: &[Seed]) -> Backward {
        let pixel_count = net.input_pixels();
        let grad_len = (0..=net.last)
            .map(|i| net.images as usize * (net.pixels(i) * LAYERS[i].cout.max(stored_cin(i))) as usize)
            .max()
            .unwrap();
        let mut grad = gpu.storage("grad a", grad_len);
        let mut other = gpu.storage("grad b", grad_len);
        let grad_pixels = gpu.storage("grad pixels", pixel_count * 4);
        let mut d = Vec::new();
        let mut seeded = false;
        for i in (0..=net.last).rev() {
            for seed in seeds.iter().filter(|s| s.layer == i) {
                d.push((seed.dispatch)(&grad, seeded));
                seeded = true;
            }
            d.push(conv3x3::backward_input(
                gpu,
                net.conv_shape(i),
                &grad,
                &weights.layers[i].backward,
                &net.features[i],
                &other,
            ));
            if i == 0 {
                d.push(preprocess::backward(gpu, &other, &grad_pixels, pixel_count));
            } else if LAYERS[i].pool_before {
                let (ph, pw) = net.stacked_size(i - 1);
                d.push(pool2x2::backward(
                    gpu,
                    pooling,
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
        Backward {
            dispatches: d,
            grad_pixels,
            buffers: [grad, other],
        }
    }
}
