//! Loading VGG19 convolution weights from safetensors (U8 affine-quantized, F16 or F32), validating them, and
//! repacking them once into the layouts the kernels read.

use std::collections::HashMap;

use safetensors::{Dtype, SafeTensors};

use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::vgg::{LAYERS, stored_cin};

/// One layer's weights as in the file: HWIO [3][3][cin][cout], and bias [cout], as f32.
#[derive(Clone)]
pub struct LayerWeights {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// conv1_1 .. conv5_1 on the CPU, in file layout.
#[derive(Clone)]
pub struct VggWeights {
    pub layers: Vec<LayerWeights>,
}

fn err(msg: impl Into<String>) -> Error {
    Error::Weights(msg.into())
}

impl VggWeights {
    /// Parses a safetensors file with tensors `convB_I.weight` [3, 3, cin, cout] and `convB_I.bias` [cout].
    pub fn from_safetensors(bytes: &[u8]) -> Result<VggWeights> {
        if bytes.len() < 8 {
            return Err(err(format!(
                "the file is {} bytes long: too short to be a safetensors file",
                bytes.len()
            )));
        }
        let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap());
        if header_len > bytes.len() as u64 - 8 {
            return Err(err(format!(
                "not a safetensors file, or truncated inside its header (the header claims {header_len} bytes, the file has {})",
                bytes.len()
            )));
        }
        let (n, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| match e {
            safetensors::SafeTensorError::MetadataIncompleteBuffer => err(format!(
                "the file is truncated: its header describes more data than its {} bytes (download it again)",
                bytes.len()
            )),
            e => err(format!("not a valid safetensors file: {e}")),
        })?;
        let expected = 8 + n + metadata.data_len();
        if bytes.len() < expected {
            return Err(err(format!(
                "the file is truncated: it should be {expected} bytes long, but it is {} (download it again)",
                bytes.len()
            )));
        }
        let tensors = SafeTensors::deserialize(bytes).map_err(|e| err(format!("not a valid safetensors file: {e}")))?;
        let meta = metadata.metadata().clone().unwrap_or_default();
        let layers = LAYERS
            .iter()
            .map(|l| {
                let weight = read_tensor(
                    &tensors,
                    &meta,
                    &format!("{}.weight", l.name),
                    &[3, 3, l.cin as usize, l.cout as usize],
                )?;
                let bias = read_tensor(&tensors, &meta, &format!("{}.bias", l.name), &[l.cout as usize])?;
                Ok(LayerWeights { weight, bias })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(VggWeights { layers })
    }
}

fn read_tensor(tensors: &SafeTensors, meta: &HashMap<String, String>, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
    let view = tensors
        .tensor(name)
        .map_err(|_| err(format!("tensor `{name}` is missing (is this a VGG19 weights file?)")))?;
    if view.shape() != shape {
        return Err(err(format!(
            "tensor `{name}` has shape {:?}, expected {:?}",
            view.shape(),
            shape
        )));
    }
    let data = view.data();
    let values = match view.dtype() {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect(),
        Dtype::F16 => data
            .chunks_exact(2)
            .map(|b| f16_to_f32(u16::from_le_bytes(b.try_into().unwrap())))
            .collect(),
        Dtype::U8 => {
            let number = |key: &str| -> Result<f32> {
                let text = meta
                    .get(key)
                    .ok_or_else(|| err(format!("U8 tensor `{name}` has no `{key}` in the header metadata")))?;
                let value = text
                    .trim()
                    .parse::<f32>()
                    .map_err(|_| err(format!("metadata `{key}` = `{text}` is not a number")))?;
                if !value.is_finite() {
                    return Err(err(format!(
                        "metadata `{key}` = `{text}` is not a finite number (U8 tensor `{name}` cannot be dequantized)"
                    )));
                }
                Ok(value)
            };
            let scale = number(&format!("{name}.scale"))?;
            let min = number(&format!("{name}.min"))?;
            data.iter().map(|&q| q as f32 * scale + min).collect()
        }
        other => {
            return Err(err(format!(
                "tensor `{name}` has dtype {other:?}; U8, F16 and F32 are supported"
            )));
        }
    };
    let values: Vec<f32> = values;
    if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
        return Err(err(format!("tensor `{name}` holds a non-finite value at index {bad}")));
    }
    Ok(values)
}

/// IEEE 754 half to single precision.
fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let frac = (h & 0x3ff) as u32;
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, f) => {
            // subnormal: normalise
            let shift = f.leading_zeros() - 21;
            sign | ((127 - 15 + 1 - shift) << 23) | ((f << shift) & 0x3ff) << 13
        }
        (31, 0) => sign | 0x7f80_0000,
        (31, f) => sign | 0x7f80_0000 | (f << 13),
        (e, f) => sign | ((e + 127 - 15) << 23) | (f << 13),
    };
    f32::from_bits(bits)
}

/// Weights repacked for the kernels: forward [9][cin][cout] (conv1_1's cin padded to 4 with zeros), backward
/// flipped and transposed [9][cout][cin], bias [cout].
pub struct PackedLayer {
    pub forward: Vec<f32>,
    pub backward: Vec<f32>,
    pub bias: Vec<f32>,
}

/// Repacks layer `index` of `weights` (HWIO) into the kernels' layouts.
pub fn pack_layer(index: usize, w: &LayerWeights) -> PackedLayer {
    let l = &LAYERS[index];
    pack(l.cin as usize, stored_cin(index) as usize, l.cout as usize, w)
}

/// Repacks HWIO [3][3][cin][cout] weights, padding the input channels to `cin_padded` with zeros.
pub fn pack(cin: usize, cin_padded: usize, cout: usize, w: &LayerWeights) -> PackedLayer {
    let mut forward = vec![0.0; 9 * cin_padded * cout];
    let mut backward = vec![0.0; 9 * cout * cin_padded];
    for tap in 0..9 {
        for ci in 0..cin {
            for co in 0..cout {
                let v = w.weight[(tap * cin + ci) * cout + co];
                forward[(tap * cin_padded + ci) * cout + co] = v;
                backward[((8 - tap) * cout + co) * cin_padded + ci] = v;
            }
        }
    }
    PackedLayer {
        forward,
        backward,
        bias: w.bias.clone(),
    }
}

/// One layer's packed weights on the GPU.
pub struct GpuLayer {
    pub forward: wgpu::Buffer,
    pub backward: wgpu::Buffer,
    pub bias: wgpu::Buffer,
}

/// conv1_1 .. conv5_1 on the GPU, uploaded once and shared by every session on that device.
pub struct GpuWeights {
    pub layers: Vec<GpuLayer>,
}

impl GpuWeights {
    /// GPU memory the weights hold, in bytes.
    pub fn bytes(&self) -> u64 {
        self.layers
            .iter()
            .map(|l| l.forward.size() + l.backward.size() + l.bias.size())
            .sum()
    }

    pub fn upload(gpu: &Gpu, weights: &VggWeights) -> GpuWeights {
        let layers = weights
            .layers
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let p = pack_layer(i, w);
                GpuLayer {
                    forward: gpu.storage_from(LAYERS[i].name, &p.forward),
                    backward: gpu.storage_from(LAYERS[i].name, &p.backward),
                    bias: gpu.storage_from(LAYERS[i].name, &p.bias),
                }
            })
            .collect();
        GpuWeights { layers }
    }
}

#[cfg(test)]
mod tests {
    use super::f16_to_f32;

    #[test]
    fn half_floats_convert() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
    }
}
