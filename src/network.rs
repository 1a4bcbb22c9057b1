//! VGG19's feature maps for one image size, and the forward dispatches that fill them.

use crate::gpu::{Dispatch, Gpu};
use crate::kernels::{conv3x3, pool2x2, pool2x2::Pooling, preprocess};
use crate::vgg::{LAYERS, feature_sizes, stored_cin};
use crate::weights::GpuWeights;

/// The buffers of one forward pass through conv1_1 .. LAYERS[last] at `height` x `width`.
pub struct Network {
    pub height: u32,
    pub width: u32,
    /// (height, width) of each layer's output.
    pub sizes: Vec<(u32, u32)>,
    /// Preprocessed input [H][W][4].
    pub input: wgpu::Buffer,
    /// ReLU outputs [h][w][cout], one per layer up to `last`: loss inputs and the backward pass's masks.
    pub features: Vec<wgpu::Buffer>,
    /// Scratch for a pooled map; only the next convolution reads it, so one buffer serves all four pools.
    pooled: wgpu::Buffer,
    pub last: usize,
}

impl Network {
    pub fn new(gpu: &Gpu, height: u32, width: u32, last: usize) -> Network {
        let sizes = feature_sizes(height, width);
        let pixels = (height * width) as usize;
        let input = gpu.storage("vgg input", pixels * 4);
        let features = (0..=last)
            .map(|i| {
                let (h, w) = sizes[i];
                gpu.storage(&crate::vgg::relu_name(i), (h * w * LAYERS[i].cout) as usize)
            })
            .collect();
        let pooled_len = (1..=last)
            .filter(|&i| LAYERS[i].pool_before)
            .map(|i| (sizes[i].0 * sizes[i].1 * LAYERS[i].cin) as usize)
            .max()
            .unwrap_or(0);
        let pooled = gpu.storage("pooled", pooled_len);
        Network {
            height,
            width,
            sizes,
            input,
            features,
            pooled,
            last,
        }
    }

    /// Number of pixels of layer `i`'s output.
    pub fn pixels(&self, i: usize) -> u32 {
        self.sizes[i].0 * self.sizes[i].1
    }

    /// Preprocess `pixels` and run conv1_1 .. LAYERS[last], pooling where VGG does.
    pub fn forward(&self, gpu: &Gpu, weights: &GpuWeights, pooling: Pooling, pixels: &wgpu::Buffer) -> Vec<Dispatch> {
        let mut out = vec![preprocess::forward(
            gpu,
            pixels,
            &self.input,
            (self.height * self.width) as usize,
        )];
        for (i, layer) in LAYERS.iter().enumerate().take(self.last + 1) {
            let (h, w) = self.sizes[i];
            let input = if i == 0 {
                &self.input
            } else if layer.pool_before {
                let (ph, pw) = self.sizes[i - 1];
                out.push(pool2x2::forward(
                    gpu,
                    pooling,
                    ph,
                    pw,
                    layer.cin,
                    &self.features[i - 1],
                    &self.pooled,
                ));
                &self.pooled
            } else {
                &self.features[i - 1]
            };
            let shape = conv3x3::Shape {
                height: h,
                width: w,
                cin: stored_cin(i),
                cout: layer.cout,
            };
            let lw = &weights.layers[i];
            out.push(conv3x3::forward(
                gpu,
                shape,
                input,
                &lw.forward,
                &lw.bias,
                &self.features[i],
            ));
        }
        out
    }

    /// Bytes of GPU memory this network holds.
    pub fn bytes(&self) -> u64 {
        self.input.size() + self.pooled.size() + self.features.iter().map(|b| b.size()).sum::<u64>()
    }
}
