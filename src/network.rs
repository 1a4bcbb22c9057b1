//! VGG19's feature maps for one image size (one image, or a batch of them stacked along the rows), and the
//! forward dispatches that fill them.

use crate::gpu::{Dispatch, Gpu};
use crate::kernels::{conv3x3, pool2x2, pool2x2::Pooling, preprocess};
use crate::vgg::{LAYERS, feature_sizes, stored_cin};
use crate::weights::GpuWeights;

/// The buffers of one forward pass through conv1_1 .. LAYERS[last] over `images` images of `height` x `width`.
/// A batch of images is stacked along the rows ([images][h][w][c]); every convolution pads each image at its own
/// borders, and every pooling halves each image alike (a batch needs even heights down to `last`).
pub struct Network {
    pub height: u32,
    pub width: u32,
    pub images: u32,
    /// (height, width) of each layer's output, per image.
    pub sizes: Vec<(u32, u32)>,
    /// Preprocessed input [images][H][W][4].
    pub input: wgpu::Buffer,
    /// ReLU outputs [images][h][w][cout], one per layer up to `last`: loss inputs and the backward pass's masks.
    pub features: Vec<wgpu::Buffer>,
    /// Scratch for a pooled map; only the next convolution reads it, so one buffer serves all four pools.
    pooled: wgpu::Buffer,
    pub last: usize,
}

impl Network {
    /// One image of `height` x `width`.
    pub fn new(gpu: &Gpu, height: u32, width: u32, last: usize) -> Network {
        Network::batch(gpu, 1, height, width, last)
    }

    /// `images` images of `height` x `width`, run as one. With more than one, every pooling up to `last` must
    /// see an even height (a height that is a multiple of 16 does for any layer).
    pub fn batch(gpu: &Gpu, images: u32, height: u32, width: u32, last: usize) -> Network {
        let sizes = feature_sizes(height, width);
        if images > 1 {
            for i in (1..=last).filter(|&i| LAYERS[i].pool_before) {
                assert!(
                    sizes[i - 1].0.is_multiple_of(2),
                    "a batch of {images} images of height {height}: the pooling before {} halves an odd height",
                    LAYERS[i].name
                );
            }
        }
        let n = images as usize;
        let input = gpu.storage("vgg input", n * (height * width) as usize * 4);
        let features = (0..=last)
            .map(|i| {
                let (h, w) = sizes[i];
                gpu.storage(&crate::vgg::relu_name(i), n * (h * w * LAYERS[i].cout) as usize)
            })
            .collect();
        let pooled_len = (1..=last)
            .filter(|&i| LAYERS[i].pool_before)
            .map(|i| n * (sizes[i].0 * sizes[i].1 * LAYERS[i].cin) as usize)
            .max()
            .unwrap_or(0);
        let pooled = gpu.storage("pooled", pooled_len);
        Network {
            height,
            width,
            images,
            sizes,
            input,
            features,
            pooled,
            last,
        }
    }

    /// Number of pixels of layer `i`'s output, in one image.
    pub fn pixels(&self, i: usize) -> u32 {
        self.sizes[i].0 * self.sizes[i].1
    }

    /// Pixels of the input picture(s), all images together.
    pub fn input_pixels(&self) -> usize {
        self.images as usize * (self.height * self.width) as usize
    }

    /// The shape of layer `i`'s convolution.
    pub fn conv_shape(&self, i: usize) -> conv3x3::Shape {
        let (height, width) = self.sizes[i];
        conv3x3::Shape {
            height,
            width,
            cin: stored_cin(i),
            cout: LAYERS[i].cout,
            images: self.images,
        }
    }

    /// (rows, width) of layer `i`'s output with the images stacked: what a pooling sees.
    pub fn stacked_size(&self, i: usize) -> (u32, u32) {
        (self.images * self.sizes[i].0, self.sizes[i].1)
    }

    /// Preprocess `pixels` (the images stacked, [images][H][W] vec4) and run conv1_1 .. LAYERS[last], pooling
    /// where VGG does.
    pub fn forward(&self, gpu: &Gpu, weights: &GpuWeights, pooling: Pooling, pixels: &wgpu::Buffer) -> Vec<Dispatch> {
        let mut out = vec![preprocess::forward(gpu, pixels, &self.input, self.input_pixels())];
        for (i, layer) in LAYERS.iter().enumerate().take(self.last + 1) {
            let input = if i == 0 {
                &self.input
            } else if layer.pool_before {
                let (ph, pw) = self.stacked_size(i - 1);
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
            let lw = &weights.layers[i];
            out.push(conv3x3::forward(
                gpu,
                self.conv_shape(i),
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
