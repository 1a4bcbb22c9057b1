//! Applying a trained filter network: one forward pass over a photo at any size the GPU's buffers allow, with the
//! buffers kept for the next photo of the same size (a camera's frames).

use image::RgbaImage;

use super::{Architecture, forward::Activations};
use crate::error::{Error, Result};
use crate::gpu::{Dispatch, Gpu};

/// A network ready to stylise photos: its parameters on the GPU and the buffers of the latest size.
pub struct Stylizer {
    gpu: Gpu,
    arch: Architecture,
    params: wgpu::Buffer,
    /// The buffers, forward dispatches and read-back staging of the size last applied.
    ready: Option<(Activations, Vec<Dispatch>, wgpu::Buffer)>,
}

/// Bytes of the largest single buffer the network needs at `width` x `height` (run size).
pub fn largest_buffer_bytes(arch: &Architecture, width: u32, height: u32) -> u64 {
    let sizes = arch.sizes(height, width);
    arch.layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (h, w) = sizes[i];
            let out = h as u64 * w as u64 * l.cout as u64;
            let upsampled = if l.upsample_before {
                h as u64 * w as u64 * l.cin as u64
            } else {
                0
            };
            out.max(upsampled) * 4
        })
        .max()
        .unwrap_or(0)
}

impl Stylizer {
    /// `params` as the network of `arch` stores them (`arch.param_count` values).
    pub fn new(gpu: &Gpu, arch: Architecture, params: &[f32]) -> Result<Stylizer> {
        if params.len() != arch.param_count {
            return Err(Error::InvalidParams(format!(
                "a filter network of width {} has {} parameters, not {}",
                arch.width,
                arch.param_count,
                params.len()
            )));
        }
        if let Some(i) = params.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidParams(format!(
                "the filter network's parameter {i} is {} (not a finite number)",
                params[i]
            )));
        }
        Ok(Stylizer {
            gpu: gpu.clone(),
            params: gpu.storage_from("filter params", params),
            arch,
            ready: None,
        })
    }

    /// A stylizer reading the parameters from `params`, a buffer someone else writes (a training run, to show
    /// its network's current output).
    pub fn sharing(gpu: &Gpu, arch: Architecture, params: &wgpu::Buffer) -> Stylizer {
        Stylizer {
            gpu: gpu.clone(),
            params: params.clone(),
            arch,
            ready: None,
        }
    }

    pub fn architecture(&self) -> &Architecture {
        &self.arch
    }

    /// The largest longer side a photo of `(width, height)` can be stylised at on this GPU.
    pub fn largest_size(&self, photo: (u32, u32)) -> u32 {
        let limit = self
            .gpu
            .limits
            .max_storage_buffer_binding_size
            .min(self.gpu.limits.max_buffer_size);
        let (mut lo, mut hi) = (super::MIN_SIDE, 1u32 << 15);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let (w, h) = crate::image::fit(photo.0, photo.1, mid);
            let (w, h) = Architecture::run_size(w, h);
            if largest_buffer_bytes(&self.arch, w, h) <= limit {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// Builds the buffers for pictures of `width` x `height` (run size) unless they are there already.
    async fn prepare(&mut self, width: u32, height: u32) -> Result<()> {
        if self.ready.as_ref().is_some_and(|(a, _, _)| (a.width, a.height) == (width, height)) {
            return Ok(());
        }
        self.ready = None; // free the old size's buffers first
        let limit = self
            .gpu
            .limits
            .max_storage_buffer_binding_size
            .min(self.gpu.limits.max_buffer_size);
        let needed = largest_buffer_bytes(&self.arch, width, height);
        if needed > limit {
            return Err(Error::InvalidParams(format!(
                "stylising {width}x{height} needs a {} MB buffer, more than this GPU allows ({} MB); choose a smaller size",
                needed >> 20,
                limit >> 20
            )));
        }
        let scope = self.gpu.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let acts = Activations::new(&self.gpu, &self.arch, height, width);
        let forward = acts.forward(&self.gpu, &self.arch, &self.params);
        let staging = crate::gpu::staging_buffer(&self.gpu, acts.output().size());
        if scope.pop().await.is_some() {
            return Err(Error::InvalidParams(format!(
                "stylising {width}x{height} does not fit in this GPU's memory; choose a smaller size"
            )));
        }
        self.ready = Some((acts, forward, staging));
        Ok(())
    }

    /// `photo` stylised at its own size. The photo is resized to the network's run size (sides multiples of 4)
    /// and the result back, so any size works.
    pub async fn apply(&mut self, photo: &RgbaImage) -> Result<RgbaImage> {
        self.gpu.check_alive()?;
        let (w, h) = (photo.width(), photo.height());
        if w == 0 || h == 0 {
            return Err(Error::Image {
                name: "photo".into(),
                reason: "has no pixels".into(),
            });
        }
        let (rw, rh) = Architecture::run_size(w, h);
        self.prepare(rw, rh).await?;
        let (acts, forward, staging) = self.ready.as_ref().expect("prepared");
        let input = if (rw, rh) == (w, h) {
            crate::image::to_pixels(photo)
        } else {
            crate::image::to_pixels(&crate::image::resize(photo, rw, rh))
        };
        self.gpu.queue.write_buffer(&acts.input, 0, bytemuck::cast_slice(&input));
        self.gpu.run(forward);
        let bytes = crate::gpu::read_buffer_via(&self.gpu, acts.output(), staging).await?;
        let out = crate::image::from_pixels(rw, rh, &bytemuck::pod_collect_to_vec::<u8, f32>(&bytes));
        Ok(if (rw, rh) == (w, h) {
            out
        } else {
            crate::image::resize(&out, w, h)
        })
    }

    /// The parameter buffer (training writes it; `apply` reads it).
    pub fn params_buffer(&self) -> &wgpu::Buffer {
        &self.params
    }
}
