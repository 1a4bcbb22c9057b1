//! Applying a trained filter network: one forward pass over a photo, with the buffers kept for the next photo of
//! the same size (a camera's frames); photos too large for the GPU's buffers go through in overlapping tiles.

use image::RgbaImage;

use super::Architecture;
use super::forward::{Activations, largest_buffer_bytes};
use super::tiles::{self, Blend};
use crate::error::{Error, Result};
use crate::gpu::{Dispatch, Gpu, SetUpErrors, StagedRead};
use crate::kernels::precision::Precision;

/// Longest side of the whole-photo pass that measures the normalisations' statistics for the tiles of a large
/// photo (smaller than the photo: its statistics hardly change with the size).
const STATS_SIDE: u32 = 1024;
/// Longest side of a tile.
const TILE_SIDE: u32 = 1024;
/// The side of the largest square picture (a 48-megapixel photo fits with room to spare).
const MAX_SQUARE_SIDE: u32 = 8192;
/// The most pixels one picture may have: the photo, the picture and the tiles' cross-fade sums hold about 64 bytes
/// of the computer's memory a pixel, so 4 GB here, whatever the GPU.
pub const MAX_PIXELS: u64 = MAX_SQUARE_SIDE as u64 * MAX_SQUARE_SIDE as u64;

/// Refuses a photo without pixels, or with more than MAX_PIXELS.
fn check_photo(photo: &RgbaImage) -> Result<()> {
    if photo.width() == 0 || photo.height() == 0 {
        return Err(Error::Image {
            name: "the photo".into(),
            reason: "has no pixels".into(),
        });
    }
    check_size(photo.width(), photo.height())
}

/// `photo` as the network's input ([H][W] vec4) at its run size `rw` x `rh`.
fn run_input(photo: &RgbaImage, rw: u32, rh: u32) -> Vec<f32> {
    if (rw, rh) == (photo.width(), photo.height()) {
        crate::image::to_pixels(photo)
    } else {
        crate::image::to_pixels(&crate::image::resize(photo, rw, rh))
    }
}

/// The network's output `out` ([H][W] vec4 at `run` size) as a picture of the photo's `size`.
fn picture_at(out: &[f32], run: (u32, u32), size: (u32, u32)) -> RgbaImage {
    let picture = crate::image::from_pixels(run.0, run.1, out);
    if run == size {
        picture
    } else {
        crate::image::resize(&picture, size.0, size.1)
    }
}

/// Refuses a picture of `width` x `height` with more than MAX_PIXELS, before anything that size is made.
pub fn check_size(width: u32, height: u32) -> Result<()> {
    let pixels = width as u64 * height as u64;
    if pixels > MAX_PIXELS {
        return Err(Error::InvalidParams(format!(
            "{width}x{height} is {:.1} million pixels; a filter stylises at most {:.1} million \
             ({MAX_SQUARE_SIDE}x{MAX_SQUARE_SIDE}) in one picture: choose a smaller size",
            pixels as f64 / 1e6,
            MAX_PIXELS as f64 / 1e6
        )));
    }
    Ok(())
}

/// The longest side, at most its own, that a picture of the shape `width` x `height` may have (MAX_PIXELS).
pub fn largest_allowed_side(width: u32, height: u32) -> u32 {
    let (mut lo, mut hi) = (1, width.max(height).max(1));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let (w, h) = crate::image::fit(width, height, mid);
        if check_size(w, h).is_ok() {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// A network ready to stylise photos: its parameters on the GPU and the buffers of the latest size.
pub struct Stylizer {
    gpu: Gpu,
    arch: Architecture,
    params: wgpu::Buffer,
    /// The buffers, forward dispatches and read-back staging of the size last applied.
    ready: Option<(Activations, Vec<Dispatch>, StagedRead)>,
    /// The photo size of the pass `request` queued, until `take` hands its picture over.
    requested: Option<(u32, u32)>,
    /// The largest buffer one pass may use: the GPU's limit, or less (`limit_buffers`).
    buffer_limit: u64,
    /// The activations' format: `Precision::for_applying` unless set.
    precision: Precision,
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
            requested: None,
            buffer_limit: gpu.largest_buffer(),
            precision: Precision::for_applying(gpu),
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
            requested: None,
            buffer_limit: gpu.largest_buffer(),
            precision: Precision::for_applying(gpu),
        }
    }

    /// The activations' format from the next photo on (f16 needs a GPU with shader-f16).
    pub fn set_precision(&mut self, precision: Precision) -> Result<()> {
        if !precision.runs_on(&self.gpu) {
            return Err(Error::InvalidParams(format!(
                "this GPU ({}) cannot compute in {}",
                self.gpu.adapter.name,
                precision.name()
            )));
        }
        if precision != self.precision {
            self.precision = precision;
            self.ready = None;
        }
        Ok(())
    }

    /// The activations' format.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Holds each pass to buffers of at most `bytes` (less than the GPU allows): larger photos go in tiles. For a
    /// GPU whose memory is smaller than its limits suggest, and for tests.
    pub fn limit_buffers(&mut self, bytes: u64) {
        self.buffer_limit = bytes.min(self.gpu.largest_buffer());
        self.ready = None;
    }

    pub fn architecture(&self) -> &Architecture {
        &self.arch
    }

    /// Bytes of the largest buffer of one pass at `width` x `height` (run size) in this stylizer's precision.
    pub fn largest_buffer_bytes(&self, width: u32, height: u32) -> u64 {
        largest_buffer_bytes(&self.arch, height, width, self.precision)
    }

    /// Whether a photo of `width` x `height` is stylised in one pass (larger ones go in tiles).
    pub fn fits_one_pass(&self, width: u32, height: u32) -> bool {
        let (rw, rh) = Architecture::run_size(width.max(1), height.max(1));
        self.largest_buffer_bytes(rw, rh) <= self.buffer_limit
    }

    /// The largest longer side a photo of `(width, height)` can be stylised at in one pass (larger ones go in
    /// tiles).
    pub fn largest_size(&self, photo: (u32, u32)) -> u32 {
        let limit = self.buffer_limit;
        let (mut lo, mut hi) = (super::MIN_SIDE, 1u32 << 15);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let (w, h) = crate::image::fit(photo.0, photo.1, mid);
            let (w, h) = Architecture::run_size(w, h);
            if self.largest_buffer_bytes(w, h) <= limit {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// Builds the buffers for pictures of `width` x `height` (run size) unless they are there already.
    async fn prepare(&mut self, width: u32, height: u32) -> Result<()> {
        if self
            .ready
            .as_ref()
            .is_some_and(|(a, _, _)| (a.width, a.height) == (width, height))
        {
            return Ok(());
        }
        self.ready = None; // free the old size's buffers first
        let limit = self.buffer_limit;
        let needed = self.largest_buffer_bytes(width, height);
        if needed > limit {
            return Err(Error::InvalidParams(format!(
                "stylising {width}x{height} needs a {} MB buffer, more than this GPU allows ({} MB); choose a smaller size",
                needed >> 20,
                limit >> 20
            )));
        }
        let scopes = self.gpu.set_up_scopes().await;
        let acts = Activations::for_inference(&self.gpu, &self.arch, height, width, self.precision);
        let forward = acts.forward(&self.gpu, &self.arch, &self.params);
        let staging = StagedRead::new(&self.gpu, acts.output().size());
        let SetUpErrors { out_of_memory, invalid } = scopes.finish().await;
        if out_of_memory.is_some() {
            return Err(Error::InvalidParams(format!(
                "stylising {width}x{height} does not fit in this GPU's memory; choose a smaller size"
            )));
        }
        if let Some(e) = invalid {
            return Err(Error::Gpu(format!(
                "setting up the filter network at {width}x{height}: {e}"
            )));
        }
        self.ready = Some((acts, forward, staging));
        Ok(())
    }

    /// `photo` stylised at its own size. The photo is resized to the network's run size (sides multiples of 4)
    /// and the result back, so any size works; one pass when its buffers fit, tiles otherwise.
    pub async fn apply(&mut self, photo: &RgbaImage) -> Result<RgbaImage> {
        self.gpu.check_alive()?;
        check_photo(photo)?;
        let (w, h) = (photo.width(), photo.height());
        let (rw, rh) = Architecture::run_size(w, h);
        let input = run_input(photo, rw, rh);
        let out = if self.fits_one_pass(w, h) {
            self.prepare(rw, rh).await?;
            let (acts, forward, staging) = self.ready.as_ref().expect("prepared");
            self.gpu
                .queue
                .write_buffer(&acts.input, 0, bytemuck::cast_slice(&input));
            self.gpu.run(forward);
            let bytes = staging.read(&self.gpu, acts.output()).await?;
            bytemuck::pod_collect_to_vec::<u8, f32>(&bytes)
        } else {
            let tile = self.largest_tile().ok_or_else(|| {
                Error::InvalidParams(format!(
                    "this GPU's buffers ({} MB) are too small for even one tile of {} px",
                    self.buffer_limit >> 20,
                    tiles::MIN_TILE
                ))
            })?;
            self.apply_in_tiles(&input, (rw, rh), tile).await?
        };
        Ok(picture_at(&out, (rw, rh), (w, h)))
    }

    /// Like `apply` without waiting, for a photo whose pass fits in one go (a training run's preview): queues the
    /// pass and asks for its picture, which `take` hands over once the GPU has made it. Ok(false), and nothing
    /// queued, while an earlier request is on its way.
    pub async fn request(&mut self, photo: &RgbaImage) -> Result<bool> {
        self.gpu.check_alive()?;
        check_photo(photo)?;
        let (w, h) = (photo.width(), photo.height());
        let (rw, rh) = Architecture::run_size(w, h);
        if !self.fits_one_pass(w, h) {
            return Err(Error::InvalidParams(format!(
                "a {w}x{h} preview does not fit this GPU's buffers in one pass"
            )));
        }
        self.prepare(rw, rh).await?;
        let (acts, forward, staging) = self.ready.as_ref().expect("prepared");
        if staging.is_pending() {
            return Ok(false);
        }
        let input = run_input(photo, rw, rh);
        self.gpu
            .queue
            .write_buffer(&acts.input, 0, bytemuck::cast_slice(&input));
        self.gpu.run(forward);
        self.requested = Some((w, h));
        Ok(staging.request(&self.gpu, acts.output()))
    }

    /// The picture `request` asked for, at its photo's size, once the GPU has made it (never waits); None before
    /// that, or when nothing was asked for (an `apply` in between drops a request).
    pub fn take(&mut self) -> Option<Result<RgbaImage>> {
        let (acts, _, staging) = self.ready.as_ref()?;
        let bytes = staging.try_take(&self.gpu)?;
        let size = self.requested.take()?;
        let run = (acts.width, acts.height);
        Some(bytes.map(|b| picture_at(&bytemuck::pod_collect_to_vec::<u8, f32>(&b), run, size)))
    }

    /// The largest square tile side (a multiple of 4, at most TILE_SIDE) whose pass fits the buffers.
    fn largest_tile(&self) -> Option<u32> {
        (tiles::MIN_TILE..=TILE_SIDE)
            .rev()
            .step_by(super::SIDE_MULTIPLE as usize)
            .find(|&s| self.largest_buffer_bytes(s, s) <= self.buffer_limit)
    }

    /// `input` ([H][W] vec4 at `size`, a run size) stylised in overlapping tiles of at most `tile` px a side,
    /// cross-faded. The normalisations do not measure each tile (a tile of sky would come out unlike a tile of
    /// faces): one pass over the whole photo, at most STATS_SIDE px, measures their statistics and every tile uses
    /// them, so the tiles agree with each other and with a single pass.
    pub async fn apply_in_tiles(&mut self, input: &[f32], size: (u32, u32), tile: u32) -> Result<Vec<f32>> {
        let (rw, rh) = size;
        assert_eq!(
            input.len(),
            4 * (rw * rh) as usize,
            "the input is [H][W] vec4 at the size given"
        );
        self.ready = None; // free the one-pass buffers first
        let (gpu, arch) = (&self.gpu, &self.arch);
        let (tw, th) = (tile.min(rw), tile.min(rh));
        let stats_side = self.largest_size((rw, rh)).min(STATS_SIDE).min(rw.max(rh));
        let (sw, sh) = crate::image::fit(rw, rh, stats_side);
        let (sw, sh) = Architecture::run_size(sw, sh);
        let scopes = gpu.set_up_scopes().await;
        let whole = Activations::for_inference(gpu, arch, sh, sw, self.precision);
        let measure = whole.forward(gpu, arch, &self.params);
        let tile_acts = Activations::sharing_stats(gpu, arch, th, tw, &whole);
        let forward = tile_acts.forward_given_stats(gpu, arch, &self.params);
        let staging = crate::gpu::staging_buffer(gpu, tile_acts.output().size());
        let SetUpErrors { out_of_memory, invalid } = scopes.finish().await;
        if out_of_memory.is_some() {
            return Err(Error::InvalidParams(format!(
                "stylising {rw}x{rh} in tiles of {tw}x{th} does not fit in this GPU's memory; choose a smaller size"
            )));
        }
        if let Some(e) = invalid {
            return Err(Error::Gpu(format!("setting up the filter network's tiles: {e}")));
        }
        let small = crate::image::resize(&crate::image::from_pixels(rw, rh, input), sw, sh);
        gpu.queue
            .write_buffer(&whole.input, 0, bytemuck::cast_slice(&crate::image::to_pixels(&small)));
        gpu.run(&measure);
        drop((measure, whole)); // the statistics stay, in the tiles' buffers
        let mut blend = Blend::new(rw, rh, tw, th);
        for (x0, y0) in blend.tiles() {
            gpu.check_alive()?;
            let part = tiles::window(input, rw, x0, y0, tw, th);
            gpu.queue.write_buffer(&tile_acts.input, 0, bytemuck::cast_slice(&part));
            gpu.run(&forward);
            let bytes = crate::gpu::read_buffer_via(gpu, tile_acts.output(), &staging).await?;
            blend.add(x0, y0, tw, th, &bytemuck::pod_collect_to_vec::<u8, f32>(&bytes));
        }
        Ok(blend.finish())
    }

    /// The parameter buffer (training writes it; `apply` reads it).
    pub fn params_buffer(&self) -> &wgpu::Buffer {
        &self.params
    }
}
