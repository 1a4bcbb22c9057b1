//! The feed-forward filter network (Johnson, Alahi and Fei-Fei 2016) as data: its layers, where each layer's
//! parameters sit in the one flat parameter buffer, and their first values. A network is trained once per
//! painting (training.rs) and then stylises any photo in one forward pass (apply.rs).
//!
//! Layout, for a width factor w (channels c = 32w, 2c, 4c; w = 1/2 by default):
//!   9x9 conv 3 -> c, two stride-2 3x3 convs down to 4c, five residual blocks of two 3x3 convs,
//!   two (nearest 2x upsample, 3x3 conv) steps up, a 9x9 conv to 3 channels squashed into 0..1 by a sigmoid.
//! Every convolution but the last is followed by instance normalisation (its own scale and shift) and a ReLU; the
//! second convolution of a residual block by instance normalisation and the block's input added back. Padding is
//! by reflection. Convolutions followed by a normalisation carry no bias (the normalisation would cancel it).

pub mod apply;
pub mod backward;
pub mod forward;
pub mod tiles;

pub use apply::Stylizer;
pub use backward::Backward;
pub use forward::Activations;

use crate::error::{Error, Result};
use crate::kernels::conv::ConvShape;
use crate::random::Random;

/// Channels of the first convolution at width factor 1 (Johnson's layout); the default network halves them.
pub const FULL_WIDTH: u32 = 32;
/// The default first-layer channels: Johnson's instance-norm networks lose nothing visible at half width.
pub const DEFAULT_WIDTH: u32 = 16;
/// The first-layer channel counts a network may have (multiples of 4 for the vec4 kernels).
pub const WIDTHS: [u32; 3] = [8, 16, 32];
/// Residual blocks between the way down and the way up.
pub const RESIDUAL_BLOCKS: usize = 5;
/// Image channels as stored on the GPU: r, g, b and a fourth lane that is always 0.
pub const IMAGE_CHANNELS: u32 = 4;
/// Height and width must be multiples of this (two stride-2 steps down, two 2x steps up).
pub const SIDE_MULTIPLE: u32 = 4;
/// The smallest side the network runs at: the 9x9 reflection padding needs 5 pixels, the bottleneck's 3x3 two.
pub const MIN_SIDE: u32 = 16;

/// What follows a layer's convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum After {
    /// Instance normalisation, then ReLU.
    NormRelu,
    /// Instance normalisation, then the output of layer `skip` added (the end of a residual block).
    NormAdd { skip: usize },
    /// A bias, then the sigmoid into 0..1: the picture.
    Squash,
}

/// One layer: an optional 2x upsample, a convolution, and what follows it, with its parameters' offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer {
    pub kernel: u32,
    pub stride: u32,
    pub cin: u32,
    pub cout: u32,
    pub upsample_before: bool,
    pub after: After,
    /// Offset of the weights [kernel][kernel][cin][cout] in the parameter buffer.
    pub weights: u32,
    /// Offset of the normalisation's scale, then its shift (cout each), or of the bias (cout) for `Squash`.
    pub affine: u32,
}

impl Layer {
    /// The convolution's shape for an input (after any upsample) of `height` x `width`.
    pub fn conv_shape(&self, height: u32, width: u32) -> ConvShape {
        ConvShape {
            height,
            width,
            cin: self.cin,
            cout: self.cout,
            kernel: self.kernel,
            stride: self.stride,
        }
    }

    /// The normalisation's shift (after its scale).
    pub fn shift(&self) -> u32 {
        self.affine + self.cout
    }

    /// Whether a normalisation follows the convolution.
    pub fn is_normalised(&self) -> bool {
        self.after != After::Squash
    }

    fn param_count(&self) -> u32 {
        let affine = if self.is_normalised() { 2 * self.cout } else { self.cout };
        self.kernel * self.kernel * self.cin * self.cout + affine
    }
}

/// The whole network's layout for one width.
#[derive(Clone, Debug, PartialEq)]
pub struct Architecture {
    /// Channels of the first convolution (one of WIDTHS).
    pub width: u32,
    pub layers: Vec<Layer>,
    /// f32 values in the parameter buffer.
    pub param_count: usize,
}

impl Architecture {
    pub fn new(width: u32) -> Result<Architecture> {
        if !WIDTHS.contains(&width) {
            return Err(Error::InvalidParams(format!(
                "a filter network's width is one of {WIDTHS:?} channels, not {width}"
            )));
        }
        let (c1, c2, c3) = (width, 2 * width, 4 * width);
        let layer = |kernel, stride, cin, cout, upsample_before, after| Layer {
            kernel,
            stride,
            cin,
            cout,
            upsample_before,
            after,
            weights: 0,
            affine: 0,
        };
        let mut layers = vec![
            layer(9, 1, IMAGE_CHANNELS, c1, false, After::NormRelu),
            layer(3, 2, c1, c2, false, After::NormRelu),
            layer(3, 2, c2, c3, false, After::NormRelu),
        ];
        for _ in 0..RESIDUAL_BLOCKS {
            let skip = layers.len() - 1;
            layers.push(layer(3, 1, c3, c3, false, After::NormRelu));
            layers.push(layer(3, 1, c3, c3, false, After::NormAdd { skip }));
        }
        layers.push(layer(3, 1, c3, c2, true, After::NormRelu));
        layers.push(layer(3, 1, c2, c1, true, After::NormRelu));
        layers.push(layer(9, 1, c1, IMAGE_CHANNELS, false, After::Squash));
        let mut offset = 0;
        for l in &mut layers {
            l.weights = offset;
            l.affine = offset + l.kernel * l.kernel * l.cin * l.cout;
            offset += l.param_count();
        }
        Ok(Architecture {
            width,
            layers,
            param_count: offset as usize,
        })
    }

    /// First values: each convolution's weights uniform in +-sqrt(3 / fan_in) (unit variance out of unit variance
    /// in, before normalisation), scales 1, shifts and biases 0. The padding lane of the image (input channel 3,
    /// output channel 3) has zero weights and stays so: its gradient is always 0.
    pub fn initial_params(&self, seed: u64) -> Vec<f32> {
        let mut random = Random::new(seed);
        let mut params = vec![0.0; self.param_count];
        for l in &self.layers {
            let real_cin = if l.cin == IMAGE_CHANNELS { 3 } else { l.cin };
            let bound = (3.0 / (l.kernel * l.kernel * real_cin) as f32).sqrt();
            let n = (l.kernel * l.kernel * l.cin * l.cout) as usize;
            for (i, w) in params[l.weights as usize..][..n].iter_mut().enumerate() {
                let (ci, co) = ((i as u32 / l.cout) % l.cin, i as u32 % l.cout);
                let padding_lane = (l.cin == IMAGE_CHANNELS && ci == 3) || (l.cout == IMAGE_CHANNELS && co == 3);
                let value = random.range(-bound, bound);
                *w = if padding_lane { 0.0 } else { value };
            }
            if l.is_normalised() {
                params[l.affine as usize..][..l.cout as usize].fill(1.0);
            }
        }
        params
    }

    /// (height, width) of each layer's output for an input of `height` x `width` (multiples of SIDE_MULTIPLE).
    pub fn sizes(&self, height: u32, width: u32) -> Vec<(u32, u32)> {
        let mut size = (height, width);
        self.layers
            .iter()
            .map(|l| {
                let input = if l.upsample_before {
                    (size.0 * 2, size.1 * 2)
                } else {
                    size
                };
                let s = l.conv_shape(input.0, input.1);
                size = (s.out_height(), s.out_width());
                size
            })
            .collect()
    }

    /// The size the network runs at for a picture of `width` x `height`: each side rounded to a multiple of
    /// SIDE_MULTIPLE, and at least MIN_SIDE (the picture is resized to it, by at most 3 pixels per side where it
    /// is not smaller, and back).
    pub fn run_size(width: u32, height: u32) -> (u32, u32) {
        let round = |v: u32| (v.div_ceil(SIDE_MULTIPLE) * SIDE_MULTIPLE).max(MIN_SIDE);
        (round(width), round(height))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_follows_johnson_and_keeps_the_size() {
        let a = Architecture::new(DEFAULT_WIDTH).unwrap();
        assert_eq!(a.layers.len(), 3 + 2 * RESIDUAL_BLOCKS + 3);
        assert_eq!(a.sizes(64, 32).last(), Some(&(64, 32)));
        assert_eq!(a.sizes(64, 32)[2], (16, 8));
        // offsets are contiguous, vec4-aligned, and the last layer ends the buffer
        let last = a.layers.last().unwrap();
        assert_eq!(last.affine as usize + last.cout as usize, a.param_count);
        assert!(a.layers.iter().all(|l| l.weights % 4 == 0 && l.affine % 4 == 0));
        // the residual blocks add the block's input: layer 4 adds layer 2's output
        assert_eq!(a.layers[4].after, After::NormAdd { skip: 2 });
        // about 0.45 M parameters at half width, four times as many at full width
        assert!((400_000..500_000).contains(&a.param_count), "{}", a.param_count);
        assert!(Architecture::new(FULL_WIDTH).unwrap().param_count > 3 * a.param_count);
        assert!(Architecture::new(12).is_err());
    }

    #[test]
    fn initial_params_leave_the_padding_lane_at_zero() {
        let a = Architecture::new(8).unwrap();
        let p = a.initial_params(1);
        let first = a.layers[0];
        for k in 0..81 {
            for co in 0..first.cout {
                assert_eq!(p[(first.weights + (k * 4 + 3) * first.cout + co) as usize], 0.0);
            }
        }
        let last = *a.layers.last().unwrap();
        for i in 0..(81 * last.cin) {
            assert_eq!(p[(last.weights + i * 4 + 3) as usize], 0.0);
        }
        assert_eq!(p, a.initial_params(1), "deterministic");
    }
}
