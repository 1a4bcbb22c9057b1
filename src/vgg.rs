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

/// The ReLU outputs' names, one per entry of LAYERS: how loss layers are written in files and flags.
const RELU_NAMES: [&str; LAYERS.len()] = [
    "relu1_1", "relu1_2", "relu2_1", "relu2_2", "relu3_1", "relu3_2", "relu3_3", "relu3_4", "relu4_1", "relu4_2",
    "relu4_3", "relu4_4", "relu5_1",
];

/// A loss layer: the ReLU output of one of LAYERS, written "relu4_2" in files and flags (serialised as that
/// string, so a filter's layer entry reads `["relu4_2", 1.0]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Layer(u8);

impl Layer {
    /// Every layer the engine offers, in network order.
    pub const ALL: [Layer; LAYERS.len()] = {
        let mut all = [Layer(0); LAYERS.len()];
        let mut i = 0;
        while i < all.len() {
            all[i] = Layer(i as u8);
            i += 1;
        }
        all
    };

    /// The layer at `index` in LAYERS (panics beyond relu5_1: a programming error, not a user's).
    pub const fn at(index: usize) -> Layer {
        assert!(index < LAYERS.len(), "VGG19 has 13 layers up to relu5_1");
        Layer(index as u8)
    }

    /// Its index in LAYERS.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// "relu4_2".
    pub const fn name(self) -> &'static str {
        RELU_NAMES[self.0 as usize]
    }

    /// Its convolution in LAYERS.
    pub const fn conv(self) -> &'static ConvLayer {
        &LAYERS[self.0 as usize]
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Layer {
    type Err = crate::Error;

    /// "relu4_2" (or its convolution's name, "conv4_2").
    fn from_str(text: &str) -> crate::Result<Layer> {
        let text = text.trim();
        Layer::ALL
            .into_iter()
            .find(|l| l.name() == text || l.conv().name == text)
            .ok_or_else(|| {
                crate::Error::InvalidParams(format!(
                    "unknown layer `{text}`: the layers are {}",
                    RELU_NAMES.join(", ")
                ))
            })
    }
}

impl serde::Serialize for Layer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Layer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Layer, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The index in LAYERS of a ReLU output named like "relu4_2" (or "conv4_2").
pub fn layer_index(name: &str) -> Option<usize> {
    name.parse::<Layer>().ok().map(Layer::index)
}

/// The ReLU output name of layer `index`, e.g. "relu4_2".
pub fn relu_name(index: usize) -> String {
    Layer::at(index).name().to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_names_follow_the_convolutions_and_round_trip() {
        for (l, conv) in Layer::ALL.iter().zip(&LAYERS) {
            assert_eq!(l.name().replacen("relu", "conv", 1), conv.name);
            assert_eq!(l.to_string().parse::<Layer>().unwrap(), *l);
            assert_eq!(conv.name.parse::<Layer>().unwrap(), *l);
            assert_eq!(serde_json::to_string(l).unwrap(), format!("\"{l}\""));
        }
        let err = "relu9_9".parse::<Layer>().unwrap_err().to_string();
        assert!(
            err.contains("relu9_9") && err.contains("relu1_1") && err.contains("relu5_1"),
            "{err}"
        );
        assert!(serde_json::from_str::<Layer>("\"pool3\"").is_err());
    }
}
