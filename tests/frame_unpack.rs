//! The live camera's frame unpacking (shaders/frame_unpack.wgsl) against a CPU reference: rgba8 texels in rows
//! padded to 256 bytes, resampled to the network's size (down and up), alpha dropped.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use artsy::kernels::frame_unpack::{self, FrameShape};
use common::{gpu, read};

/// The reference: nearest texel centre, the frame stretched over the output.
fn reference(frame: &[u8], shape: FrameShape) -> Vec<f32> {
    let pitch = frame_unpack::row_bytes(shape.src_width) as usize;
    let mut out = Vec::new();
    for y in 0..shape.height {
        for x in 0..shape.width {
            let sx = (((2 * x + 1) * shape.src_width) / (2 * shape.width)).min(shape.src_width - 1);
            let sy = (((2 * y + 1) * shape.src_height) / (2 * shape.height)).min(shape.src_height - 1);
            let at = sy as usize * pitch + sx as usize * 4;
            out.extend(frame[at..at + 3].iter().map(|&b| b as f32 / 255.0));
            out.push(0.0);
        }
    }
    out
}

#[test]
fn frames_unpack_to_the_networks_size_down_and_up() {
    let gpu = gpu();
    let (src_width, src_height) = (70, 9); // 280 bytes a row: padded to 512
    assert_eq!(frame_unpack::row_bytes(src_width), 512);
    assert_eq!(frame_unpack::row_bytes(64), 256);
    for (width, height) in [(16, 4), (140, 20), (70, 9)] {
        let shape = FrameShape {
            src_width,
            src_height,
            width,
            height,
        };
        let frame: Vec<u8> = (0..shape.frame_bytes()).map(|i| (i * 37 % 251) as u8).collect();
        let frame_buffer = gpu.storage("frame", frame.len() / 4);
        gpu.queue.write_buffer(&frame_buffer, 0, &frame);
        let out = gpu.storage("out", (width * height * 4) as usize);
        gpu.run(&[frame_unpack::unpack(&gpu, shape, &frame_buffer, &out)]);
        let got = read(&gpu, &out, (width * height * 4) as usize);
        let want = reference(&frame, shape);
        let worst = common::max_abs_diff(&got, &want);
        assert!(worst < 1e-6, "{width}x{height}: off by {worst}");
    }
}
