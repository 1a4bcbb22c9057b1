//! The filter network's buffers for one picture size, and the forward dispatches that fill them: every layer's
//! convolution output and its output after normalisation are kept, for the backward pass and its ReLU masks.

use super::{After, Architecture, IMAGE_CHANNELS};
use crate::gpu::{Dispatch, Gpu};
use crate::kernels::conv::ConvForward;
use crate::kernels::instance_norm::{NormForward, NormShape};
use crate::kernels::{pointwise, upsample};

/// Where a forward pass's normalisations get their mean and deviation.
#[derive(Clone, Copy)]
enum Statistics {
    /// From the picture itself (written into the layers' `stats`).
    Measured,
    /// From the layers' `stats` as they are.
    Given,
}

/// One layer's buffers.
pub struct LayerBuffers {
    /// The upsampled input [2h][2w][cin], for layers that upsample first.
    pub upsampled: Option<wgpu::Buffer>,
    /// The convolution's output [h][w][cout] (before the normalisation).
    pub conv_out: wgpu::Buffer,
    /// The layer's output [h][w][cout]: the next layer's input (the picture, for the last layer).
    pub out: wgpu::Buffer,
    /// The normalisation's per-channel mean and inverse deviation, kept for the backward pass.
    pub stats: wgpu::Buffer,
}

/// Everything one forward pass at `height` x `width` writes.
pub struct Activations {
    pub height: u32,
    pub width: u32,
    /// The photo [H][W] vec4 (r, g, b, 0) in 0..1.
    pub input: wgpu::Buffer,
    pub layers: Vec<LayerBuffers>,
    /// (height, width) of each layer's output.
    pub sizes: Vec<(u32, u32)>,
    /// Scratch for the normalisations' partial sums, shared by every layer (they run one after another).
    norm_partials: wgpu::Buffer,
}

impl Activations {
    pub fn new(gpu: &Gpu, arch: &Architecture, height: u32, width: u32) -> Activations {
        let sizes = arch.sizes(height, width);
        let mut input_size = (height, width);
        let mut partials_len = 4;
        let layers = arch
            .layers
            .iter()
            .zip(&sizes)
            .map(|(l, &(h, w))| {
                let pixels = (h * w) as usize;
                let upsampled = l
                    .upsample_before
                    .then(|| gpu.storage("filter upsampled", (4 * input_size.0 * input_size.1 * l.cin) as usize));
                input_size = (h, w);
                let norm = NormShape {
                    pixels: h * w,
                    channels: l.cout,
                };
                partials_len = partials_len.max(norm.partials_len());
                LayerBuffers {
                    upsampled,
                    conv_out: gpu.storage("filter conv out", pixels * l.cout as usize),
                    out: gpu.storage("filter layer out", pixels * l.cout as usize),
                    stats: gpu.storage("filter norm stats", norm.stats_len()),
                }
            })
            .collect();
        Activations {
            height,
            width,
            input: gpu.storage("filter input", (height * width * IMAGE_CHANNELS) as usize),
            layers,
            sizes,
            norm_partials: gpu.storage("filter norm partials", partials_len),
        }
    }

    /// Buffers for `height` x `width` whose normalisation statistics are `source`'s own buffers (they do not
    /// depend on the size): a pass with `forward_given_stats` normalises like `source`'s last measured pass.
    pub fn sharing_stats(gpu: &Gpu, arch: &Architecture, height: u32, width: u32, source: &Activations) -> Activations {
        let mut acts = Activations::new(gpu, arch, height, width);
        for (mine, theirs) in acts.layers.iter_mut().zip(&source.layers) {
            mine.stats = theirs.stats.clone();
        }
        acts
    }

    /// The picture the network made: [H][W] vec4 (r, g, b, 0) in 0..1.
    pub fn output(&self) -> &wgpu::Buffer {
        &self.layers.last().expect("a network has layers").out
    }

    /// The input of layer `i`'s convolution (after any upsample), and its size.
    pub fn conv_input(&self, i: usize) -> (&wgpu::Buffer, (u32, u32)) {
        let (below, (h, w)) = self.layer_input(i);
        match &self.layers[i].upsampled {
            Some(up) => (up, (2 * h, 2 * w)),
            None => (below, (h, w)),
        }
    }

    /// The output of the layer below `i` (the photo for the first), and its size.
    pub fn layer_input(&self, i: usize) -> (&wgpu::Buffer, (u32, u32)) {
        if i == 0 {
            (&self.input, (self.height, self.width))
        } else {
            (&self.layers[i - 1].out, self.sizes[i - 1])
        }
    }

    /// The dispatches of one forward pass from `input` to `output()` with the parameters in `params`; each
    /// normalisation measures its statistics (into the layer's `stats`).
    pub fn forward(&self, gpu: &Gpu, arch: &Architecture, params: &wgpu::Buffer) -> Vec<Dispatch> {
        self.forward_dispatches(gpu, arch, params, Statistics::Measured)
    }

    /// A forward pass whose normalisations use the statistics already in the layers' `stats` (shared with the
    /// pass that measured them on the whole photo; see `sharing_stats`) instead of measuring this picture's.
    pub fn forward_given_stats(&self, gpu: &Gpu, arch: &Architecture, params: &wgpu::Buffer) -> Vec<Dispatch> {
        self.forward_dispatches(gpu, arch, params, Statistics::Given)
    }

    fn forward_dispatches(
        &self,
        gpu: &Gpu,
        arch: &Architecture,
        params: &wgpu::Buffer,
        statistics: Statistics,
    ) -> Vec<Dispatch> {
        let mut d = Vec::new();
        for (i, l) in arch.layers.iter().enumerate() {
            let bufs = &self.layers[i];
            if let Some(up) = &bufs.upsampled {
                let (below, (h, w)) = self.layer_input(i);
                d.push(upsample::forward(gpu, h, w, l.cin, below, up));
            }
            let (x, (h, w)) = self.conv_input(i);
            let shape = l.conv_shape(h, w);
            let bias = (l.after == After::Squash).then_some(l.affine);
            let conv = ConvForward {
                shape,
                x,
                params,
                w_offset: l.weights,
                bias_offset: bias,
                y: &bufs.conv_out,
            };
            d.extend(conv.dispatches(gpu));
            let (oh, ow) = self.sizes[i];
            match l.after {
                After::Squash => {
                    d.push(pointwise::sigmoid_forward(
                        gpu,
                        (oh * ow) as usize,
                        &bufs.conv_out,
                        &bufs.out,
                    ));
                }
                After::NormRelu | After::NormAdd { .. } => {
                    let norm = NormForward {
                        shape: NormShape {
                            pixels: oh * ow,
                            channels: l.cout,
                        },
                        x: &bufs.conv_out,
                        params,
                        gamma_offset: l.affine,
                        beta_offset: l.shift(),
                        relu: l.after == After::NormRelu,
                        residual: match l.after {
                            After::NormAdd { skip } => Some(&self.layers[skip].out),
                            _ => None,
                        },
                        stats: &bufs.stats,
                        partials: &self.norm_partials,
                        y: &bufs.out,
                    };
                    match statistics {
                        Statistics::Measured => d.extend(norm.dispatches(gpu)),
                        Statistics::Given => d.push(norm.with_given_stats(gpu)),
                    }
                }
            }
        }
        d
    }

    /// Bytes of GPU memory these buffers hold.
    pub fn bytes(&self) -> u64 {
        self.input.size()
            + self.norm_partials.size()
            + self
                .layers
                .iter()
                .map(|b| {
                    b.conv_out.size() + b.out.size() + b.stats.size() + b.upsampled.as_ref().map_or(0, |u| u.size())
                })
                .sum::<u64>()
    }
}
