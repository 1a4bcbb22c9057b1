//! The loss's fixed parts, computed once per session: the photo's content features and the painting's Gram
//! matrices (blended when there are several paintings), and the weight each loss term carries.

use image::RgbaImage;

use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::kernels::{gram, pool2x2::Pooling};
use crate::network::Network;
use crate::vgg::{LAYERS, MIN_SIDE};
use crate::weights::GpuWeights;

/// One content layer: its target features and the scale of its mean squared error.
pub struct ContentTerm {
    pub layer: usize,
    pub target: wgpu::Buffer,
    /// content_weight * layer weight / (C * P)
    pub scale: f32,
}

/// One style layer: the painting's Gram matrix and the scale of the Gram mean squared error.
pub struct StyleTerm {
    pub layer: usize,
    pub target: wgpu::Buffer,
    /// style_weight * layer weight / C^2
    pub scale: f32,
}

/// The total-variation term's scale for a picture of `pixels` pixels: `tv_weight` times the mean over its pixels.
pub fn tv_scale(tv_weight: f32, pixels: u32) -> f32 {
    tv_weight / pixels as f32
}

/// Copies the content features of `layers` out of a network that has just run forward on the photo.
pub fn content_terms(gpu: &Gpu, net: &Network, layers: &[(usize, f32)], content_weight: f32) -> Vec<ContentTerm> {
    let mut encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("content targets"),
    });
    let terms = layers
        .iter()
        .map(|&(layer, w)| {
            let source = &net.features[layer];
            let target = gpu.storage("content target", (source.size() / 4) as usize);
            encoder.copy_buffer_to_buffer(source, 0, &target, 0, source.size());
            let count = net.pixels(layer) as f32 * LAYERS[layer].cout as f32;
            ContentTerm {
                layer,
                target,
                scale: content_weight * w / count,
            }
        })
        .collect();
    gpu.queue.submit([encoder.finish()]);
    terms
}

/// The size a painting is analysed at: its aspect ratio, longer side `longer` (and never thinner than VGG needs).
pub fn style_size(image: &RgbaImage, longer: u32) -> (u32, u32) {
    style_size_of((image.width(), image.height()), longer)
}

/// `style_size` for a painting of `(width, height)` pixels.
pub fn style_size_of((width, height): (u32, u32), longer: u32) -> (u32, u32) {
    let (w, h) = crate::image::fit(width, height, longer.max(MIN_SIDE));
    let short = w.min(h);
    if short >= MIN_SIDE {
        (w, h)
    } else {
        let k = MIN_SIDE as f64 / short as f64;
        ((w as f64 * k).ceil() as u32, (h as f64 * k).ceil() as u32)
    }
}

/// The Gram matrices of `layers` for each painting, blended by `blend` (normalised to sum to 1), on the GPU.
pub async fn style_terms(
    gpu: &Gpu,
    weights: &GpuWeights,
    pooling: Pooling,
    paintings: &[(RgbaImage, f32)],
    longer_side: u32,
    layers: &[(usize, f32)],
    style_weight: f32,
) -> Result<Vec<StyleTerm>> {
    if layers.is_empty() {
        return Ok(Vec::new());
    }
    let total: f32 = paintings.iter().map(|(_, w)| w.max(0.0)).sum();
    if paintings.is_empty() || !total.is_finite() || total <= 0.0 {
        return Err(Error::InvalidParams(
            "give at least one style image with a blend weight above 0".into(),
        ));
    }
    let last = layers.iter().map(|&(l, _)| l).max().unwrap();
    let mut blended: Vec<Vec<f32>> = layers
        .iter()
        .map(|&(l, _)| vec![0.0; (LAYERS[l].cout * LAYERS[l].cout) as usize])
        .collect();
    for (painting, blend) in paintings {
        let blend = blend.max(0.0) / total;
        if blend == 0.0 {
            continue;
        }
        let (w, h) = style_size(painting, longer_side);
        let resized = crate::image::resize(painting, w, h);
        let pixels = gpu.storage_from("style pixels", &crate::image::to_pixels(&resized));
        let net = Network::new(gpu, h, w, last);
        let mut dispatches = net.forward(gpu, weights, pooling, &pixels);
        let grams: Vec<wgpu::Buffer> = layers
            .iter()
            .map(|&(l, _)| {
                let f = gram::Features::one(net.pixels(l), LAYERS[l].cout);
                let split = f.split();
                let partials = gpu.storage("gram partials", f.partials_len(split));
                let g = gpu.storage("style gram", f.grams_len());
                dispatches.push(gram::partials(gpu, f, split, &net.features[l], &partials));
                dispatches.push(gram::reduce(gpu, f, split, &partials, &g));
                g
            })
            .collect();
        gpu.run(&dispatches);
        for (acc, g) in blended.iter_mut().zip(&grams) {
            let values = gpu.read_f32(g).await?;
            for (a, v) in acc.iter_mut().zip(values) {
                *a += blend * v;
            }
        }
    }
    Ok(layers
        .iter()
        .zip(blended)
        .map(|(&(layer, w), g)| {
            let c = LAYERS[layer].cout as f32;
            StyleTerm {
                layer,
                target: gpu.storage_from("style target", &g),
                scale: style_weight * w / (c * c),
            }
        })
        .collect())
}
