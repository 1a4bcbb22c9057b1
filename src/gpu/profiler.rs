//! GPU time per dispatch from timestamp queries, for the benchmark: each dispatch gets its own compute pass with
//! begin/end timestamps. Not for the hot loop (it allocates and waits).

use super::{Dispatch, Gpu};
use crate::error::Result;

/// Milliseconds of GPU time for each of `dispatches`, run once in order; None if the adapter has no timestamps.
pub async fn time_dispatches(gpu: &Gpu, dispatches: &[Dispatch]) -> Result<Option<Vec<f64>>> {
    if !gpu.device.features().contains(wgpu::Features::TIMESTAMP_QUERY) || dispatches.is_empty() {
        return Ok(None);
    }
    let mut times = Vec::with_capacity(dispatches.len());
    // Query sets hold at most 4096 queries: time in chunks.
    for chunk in dispatches.chunks(1024) {
        let count = 2 * chunk.len() as u32;
        let queries = gpu.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("profiler"),
            ty: wgpu::QueryType::Timestamp,
            count,
        });
        let resolved = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("profiler resolve"),
            size: count as u64 * 8,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("profile") });
        for (i, d) in chunk.iter().enumerate() {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(d.name),
                timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                    query_set: &queries,
                    beginning_of_pass_write_index: Some(2 * i as u32),
                    end_of_pass_write_index: Some(2 * i as u32 + 1),
                }),
            });
            d.record(&mut pass);
        }
        encoder.resolve_query_set(&queries, 0..count, &resolved, 0);
        gpu.queue.submit([encoder.finish()]);
        let bytes = super::read_buffer(gpu, &resolved).await?;
        let ticks: Vec<u64> = bytemuck::pod_collect_to_vec(&bytes);
        let period_ns = gpu.queue.get_timestamp_period() as f64;
        times.extend(
            ticks
                .chunks(2)
                .map(|t| t[1].saturating_sub(t[0]) as f64 * period_ns / 1e6),
        );
    }
    Ok(Some(times))
}
