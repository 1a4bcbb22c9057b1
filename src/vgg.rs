//! VGG19's topology as data: the 13 convolutions up to conv5_1, where each pools, and the feature maps' sizes.

/// One 3x3 convolution + ReLU of VGG19.
#[derive(Clone, Copy, Debug)]
pub struct ConvLayer {
    /// The tensor name stem in the weights file, e.g. "conv4_2"; its ReLU output is "relu4_2".
    pub name: &'static str,
    pub cin: u32,
    pub cout: u32,
    /// A 2x2 pooling sits between the previous layer and this one.
    pub pool_before: bool,
}

const fn conv(name: &'static str, cin: u32, cout: u32, pool_before: bool) -> ConvLayer {
    ConvLayer {
        name,
        cin,
        cout,
        pool_before,
    }
}

/// conv1_1 .. conv5_1: everything Gatys style transfer reads. Nothing after relu5_1 is needed.
pub const LAYERS: [ConvLayer; 13] = [
    conv("conv1_1", 3, 64, false),
    conv("conv1_2", 64, 64, false),
    conv("conv2_1", 64, 128, true),
    conv("conv2_2", 128, 128, false),
    conv("conv3_1", 128, 256, true),
    conv("conv3_2", 256, 256, false),
    conv("conv3_3", 256, 256, false),
    conv("conv3_4", 256, 256, false),
    conv("conv4_1", 256, 512, true),
    conv("conv4_2", 512, 512, false),
    conv("conv4_3", 512, 512, false),
    conv("conv4_4", 512, 512, false),
    conv("conv5_1", 512, 512, true),
];

/// conv1_1 reads 3 colour channels padded to 4, so every buffer is read as vec4.
pub const INPUT_CHANNELS_PADDED: u32 = 4;

/// The index in LAYERS of a ReLU output named like "relu4_2" (or "conv4_2").
pub fn layer_index(name: &str) -> Option<usize> {
    let stem = name
        .strip_prefix("relu")
        .map(|s| format!("conv{s}"))
        .unwrap_or_else(|| name.to_string());
    LAYERS.iter().position(|l| l.name == stem)
}

/// The ReLU output name of layer `index`, e.g. "relu4_2".
pub fn relu_name(index: usize) -> String {
    LAYERS[index].name.replacen("conv", "relu", 1)
}

/// Input channels of layer `index` as stored on the GPU (conv1_1 padded to 4).
pub fn stored_cin(index: usize) -> u32 {
    if index == 0 {
        INPUT_CHANNELS_PADDED
    } else {
        LAYERS[index].cin
    }
}

/// (height, width) of every layer's feature map for an input of `height` x `width`.
pub fn feature_sizes(height: u32, width: u32) -> Vec<(u32, u32)> {
    let (mut h, mut w) = (height, width);
    LAYERS
        .iter()
        .map(|l| {
            if l.pool_before {
                h /= 2;
                w /= 2;
            }
            (h, w)
        })
        .collect()
}

/// The smallest image side for which relu5_1 still has a pixel.
pub const MIN_SIDE: u32 = 16;
