//! Getting data back from the GPU: a one-off read (awaits the GPU), a staging buffer for reads asked for now and
//! collected later without waiting (previews), and a ring of small staging buffers for the losses that is filled
//! by copies recorded with the steps and drained without ever waiting.

use std::sync::{Arc, Mutex};

use super::Gpu;
use crate::error::{Error, Result};

/// Copies `buffer` to a staging buffer and returns its bytes once the GPU is done.
/// Natively this blocks on the queue; in the browser it awaits the map callback and never blocks the page.
pub async fn read_buffer(gpu: &Gpu, buffer: &wgpu::Buffer) -> Result<Vec<u8>> {
    let staging = staging_buffer(gpu, buffer.size());
    read_buffer_via(gpu, buffer, &staging).await
}

/// A MAP_READ buffer of `size` bytes for `read_buffer_via`.
pub fn staging_buffer(gpu: &Gpu, size: u64) -> wgpu::Buffer {
    gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("read staging"),
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// Like `read_buffer`, through a staging buffer the caller keeps (so repeated reads allocate nothing on the GPU).
pub async fn read_buffer_via(gpu: &Gpu, buffer: &wgpu::Buffer, staging: &wgpu::Buffer) -> Result<Vec<u8>> {
    gpu.check_alive()?;
    let size = buffer.size();
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("read") });
    encoder.copy_buffer_to_buffer(buffer, 0, staging, 0, size);
    gpu.queue.submit([encoder.finish()]);
    let (sender, receiver) = futures_channel::oneshot::channel();
    staging.map_async(wgpu::MapMode::Read, .., move |result| {
        let _ = sender.send(result);
    });
    #[cfg(not(target_arch = "wasm32"))]
    gpu.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| Error::Gpu(format!("waiting for the GPU: {e}")))?;
    mapped_bytes(gpu, staging, receiver.await)
}

/// The bytes of `staging` once its map has answered (then unmapped), or why there are none: the lost device when
/// it was lost, else the map's failure.
fn mapped_bytes(
    gpu: &Gpu,
    staging: &wgpu::Buffer,
    answer: std::result::Result<MapResult, futures_channel::oneshot::Canceled>,
) -> Result<Vec<u8>> {
    let failure = match answer {
        Ok(Ok(())) => {
            let bytes = staging
                .get_mapped_range(..)
                .map_err(|e| Error::Gpu(format!("reading a buffer back: {e}")))?
                .to_vec();
            staging.unmap();
            return Ok(bytes);
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => "the request was dropped".into(),
    };
    gpu.check_alive()?;
    Err(Error::Gpu(format!("reading a buffer back: {failure}")))
}

/// What a map request sends back when the GPU has made the copy.
type MapResult = std::result::Result<(), wgpu::BufferAsyncError>;

/// One staging buffer for a buffer read back now and then, in two ways: `request` queues a copy and asks for its map,
/// and `try_take` hands over the bytes once the GPU has made it, never waiting (a loop shows previews this way while
/// it keeps the GPU fed); `read` waits, as `read_buffer_via` does.
pub struct StagedRead {
    staging: wgpu::Buffer,
    state: Mutex<Staging>,
}

/// What the staging buffer is doing.
enum Staging {
    Free,
    /// A requested copy, its map asked for, until `try_take` collects it or `read` drops it.
    Requested(futures_channel::oneshot::Receiver<MapResult>),
    /// A `read` is using it (nothing else may until it ends).
    Reading,
}

impl StagedRead {
    pub fn new(gpu: &Gpu, size: u64) -> StagedRead {
        StagedRead {
            staging: staging_buffer(gpu, size),
            state: Mutex::new(Staging::Free),
        }
    }

    /// Queues a copy of `source` (as it will be after the work submitted so far) and asks for its map; false, and
    /// nothing queued, while an earlier request or a read is on its way.
    pub fn request(&self, gpu: &Gpu, source: &wgpu::Buffer) -> bool {
        let mut state = self.state.lock().unwrap();
        if !matches!(*state, Staging::Free) {
            return false;
        }
        let mut encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("requested read"),
        });
        encoder.copy_buffer_to_buffer(source, 0, &self.staging, 0, self.staging.size());
        gpu.queue.submit([encoder.finish()]);
        let (sender, receiver) = futures_channel::oneshot::channel();
        self.staging.map_async(wgpu::MapMode::Read, .., move |result| {
            let _ = sender.send(result);
        });
        *state = Staging::Requested(receiver);
        true
    }

    /// Whether a requested copy is on its way (not yet collected).
    pub fn is_pending(&self) -> bool {
        matches!(*self.state.lock().unwrap(), Staging::Requested(_))
    }

    /// The requested copy's bytes once the GPU has made it; None while it has not, or when nothing was requested.
    pub fn try_take(&self, gpu: &Gpu) -> Option<Result<Vec<u8>>> {
        #[cfg(not(target_arch = "wasm32"))]
        let _ = gpu.device.poll(wgpu::PollType::Poll);
        let mut state = self.state.lock().unwrap();
        let Staging::Requested(receiver) = &mut *state else {
            return None;
        };
        let answer = receiver.try_recv().transpose()?; // None: not yet
        *state = Staging::Free;
        Some(mapped_bytes(gpu, &self.staging, answer))
    }

    /// Copies `source` and returns its bytes once the GPU is done, after waiting for (and dropping) a requested copy
    /// still on its way.
    pub async fn read(&self, gpu: &Gpu, source: &wgpu::Buffer) -> Result<Vec<u8>> {
        let earlier = match std::mem::replace(&mut *self.state.lock().unwrap(), Staging::Reading) {
            Staging::Free => None,
            Staging::Requested(receiver) => Some(receiver),
            Staging::Reading => return Err(Error::Gpu("reading a buffer back: a read is already on its way".into())),
        };
        let read = async {
            if let Some(receiver) = earlier {
                #[cfg(not(target_arch = "wasm32"))]
                gpu.device
                    .poll(wgpu::PollType::wait_indefinitely())
                    .map_err(|e| Error::Gpu(format!("waiting for the GPU: {e}")))?;
                if let Ok(Ok(())) = receiver.await {
                    self.staging.unmap();
                }
            }
            read_buffer_via(gpu, source, &self.staging).await
        };
        let bytes = read.await;
        *self.state.lock().unwrap() = Staging::Free;
        bytes
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Free,
    /// A copy of the losses after step `iteration` is queued and its map requested.
    Pending {
        iteration: u32,
    },
}

/// A ring of staging buffers for the `N` loss values. `record` adds a copy to the step's encoder when a slot is
/// free; after submit, `arm` asks for the map; `poll` collects whatever the GPU has finished, without waiting.
pub struct LossReadback<const N: usize> {
    slots: Vec<(wgpu::Buffer, Slot, Arc<Mutex<bool>>)>,
    next: usize,
    armed: Vec<usize>,
}

const SLOTS: usize = 4;

impl<const N: usize> LossReadback<N> {
    pub fn new(gpu: &Gpu) -> LossReadback<N> {
        let slots = (0..SLOTS)
            .map(|_| {
                let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("loss staging"),
                    size: (N * std::mem::size_of::<f32>()) as u64,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                (buffer, Slot::Free, Arc::new(Mutex::new(false)))
            })
            .collect();
        LossReadback {
            slots,
            next: 0,
            armed: Vec::new(),
        }
    }

    /// Records a copy of `source` into the next free slot, if there is one (else this report is skipped).
    pub fn record(&mut self, encoder: &mut wgpu::CommandEncoder, source: &wgpu::Buffer, iteration: u32) {
        let index = self.next;
        let (buffer, slot, _) = &mut self.slots[index];
        if *slot != Slot::Free {
            return;
        }
        encoder.copy_buffer_to_buffer(source, 0, buffer, 0, buffer.size());
        *slot = Slot::Pending { iteration };
        self.armed.push(index);
        self.next = (self.next + 1) % SLOTS;
    }

    /// Requests the maps of the copies recorded since the last call; call right after the submit.
    pub fn arm(&mut self) {
        for index in self.armed.drain(..) {
            let (buffer, _, ready) = &self.slots[index];
            let ready = ready.clone();
            buffer.map_async(wgpu::MapMode::Read, .., move |result| {
                // On failure (device lost) the slot just never reports; the session notices the loss itself.
                if result.is_ok() {
                    *ready.lock().unwrap() = true;
                }
            });
        }
    }

    /// Returns the newest finished report as (iteration, values), freeing every finished slot.
    pub fn poll(&mut self, gpu: &Gpu) -> Option<(u32, [f32; N])> {
        #[cfg(not(target_arch = "wasm32"))]
        let _ = gpu.device.poll(wgpu::PollType::Poll);
        #[cfg(target_arch = "wasm32")]
        let _ = gpu;
        let mut newest: Option<(u32, [f32; N])> = None;
        for (buffer, slot, ready) in &mut self.slots {
            let Slot::Pending { iteration } = *slot else {
                continue;
            };
            let mut flag = ready.lock().unwrap();
            if !*flag {
                continue;
            }
            *flag = false;
            let Ok(view) = buffer.get_mapped_range(..) else {
                continue;
            };
            let mut values = [0.0f32; N];
            values.copy_from_slice(bytemuck::cast_slice(&view));
            drop(view);
            buffer.unmap();
            *slot = Slot::Free;
            if newest.as_ref().is_none_or(|(i, _)| iteration > *i) {
                newest = Some((iteration, values));
            }
        }
        newest
    }
}
