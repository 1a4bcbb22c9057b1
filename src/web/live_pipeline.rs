//! The live camera on the GPU: each frame is copied from the video element (or an ImageBitmap of it, see
//! frame_source.rs) into a texture, from there into a buffer, unpacked into the filter network's input, run
//! through the network and drawn from the output buffer straight onto a WebGPU canvas. Everything is built once
//! per (frame size, network); a frame only records and submits (no buffers, no bind groups, no read-back).

use image::RgbaImage;
use web_sys::{HtmlCanvasElement, HtmlVideoElement, ImageBitmap};

use crate::filter_net::forward::largest_buffer_bytes;
use crate::filter_net::{Activations, Architecture};
use crate::gpu::{Dispatch, SetUpErrors};
use crate::kernels::frame_unpack::{self, FrameShape};
use crate::kernels::precision::Precision;
use crate::{Error, Gpu};

const PRESENT_WGSL: &str = include_str!("../../shaders/present.wgsl");
/// Every WebGPU canvas accepts this format.
const CANVAS_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// The network's buffers and dispatches at the output size, and the bind group that draws its output.
struct NetworkRun {
    acts: Activations,
    forward: Vec<Dispatch>,
    present: wgpu::BindGroup,
}

/// The frame's texture and buffer at the camera's size, and the dispatch that unpacks it.
struct FrameCopy {
    shape: FrameShape,
    texture: wgpu::Texture,
    buffer: wgpu::Buffer,
    unpack: Dispatch,
}

pub struct LivePipeline {
    gpu: Gpu,
    surface: wgpu::Surface<'static>,
    /// The output (and canvas) size, sides multiples of 4.
    width: u32,
    height: u32,
    render: wgpu::RenderPipeline,
    present_params: wgpu::Buffer,
    source: wgpu::CopyExternalImageSourceInfo,
    net: NetworkRun,
    frame: Option<FrameCopy>,
}

/// Builds with an out-of-memory and a validation scope around `build`: a failure is a message, not a lost page.
async fn guarded<T>(gpu: &Gpu, what: &str, build: impl FnOnce() -> T) -> Result<T, Error> {
    let scopes = gpu.set_up_scopes().await;
    let value = build();
    let SetUpErrors { out_of_memory, invalid } = scopes.finish().await;
    if out_of_memory.is_some() {
        return Err(Error::InvalidParams(format!(
            "{what} does not fit in this GPU's memory; choose a smaller size"
        )));
    }
    if let Some(e) = invalid {
        return Err(Error::Gpu(format!("{what}: {e}")));
    }
    gpu.check_alive()?;
    Ok(value)
}

impl LivePipeline {
    /// A pipeline drawing `video` through the network `arch` (parameters in `params`) at `size` onto `canvas`.
    pub async fn new(
        gpu: &Gpu,
        canvas: &HtmlCanvasElement,
        video: &HtmlVideoElement,
        size: (u32, u32),
        arch: &Architecture,
        params: &wgpu::Buffer,
    ) -> Result<LivePipeline, Error> {
        let (width, height) = Architecture::run_size(size.0, size.1);
        let limit = gpu.largest_buffer();
        let needed = largest_buffer_bytes(arch, height, width, Precision::for_applying(gpu));
        if needed > limit {
            return Err(Error::InvalidParams(format!(
                "the live filter at {width}x{height} needs a {} MB buffer, more than this GPU allows ({} MB); \
                 choose a smaller size",
                needed >> 20,
                limit >> 20
            )));
        }
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let surface = instance
            .create_surface(wgpu::SurfaceTarget::Canvas(canvas.clone()))
            .map_err(|e| Error::Gpu(format!("no WebGPU canvas: {e}")))?;
        let (render, present_params) = guarded(gpu, "setting up the live view", || {
            surface.configure(
                &gpu.device,
                &wgpu::SurfaceConfiguration {
                    usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
                    format: CANVAS_FORMAT,
                    color_space: Default::default(),
                    width,
                    height,
                    present_mode: wgpu::PresentMode::Fifo,
                    desired_maximum_frame_latency: 2,
                    alpha_mode: wgpu::CompositeAlphaMode::Opaque,
                    view_formats: vec![],
                },
            );
            let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("present"),
                source: wgpu::ShaderSource::Wgsl(PRESENT_WGSL.into()),
            });
            let render = gpu.device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some("present"),
                layout: None,
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some("vertex"),
                    compilation_options: Default::default(),
                    buffers: &[],
                },
                primitive: wgpu::PrimitiveState::default(),
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some("fragment"),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format: CANVAS_FORMAT,
                        blend: None,
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            });
            let present_params = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("present"),
                size: 16,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            gpu.queue
                .write_buffer(&present_params, 0, bytemuck::cast_slice(&[width, height, 0, 0]));
            (render, present_params)
        })
        .await?;
        let net = Self::network_run(gpu, &render, &present_params, width, height, arch, params).await?;
        Ok(LivePipeline {
            gpu: gpu.clone(),
            surface,
            width,
            height,
            render,
            present_params,
            source: wgpu::CopyExternalImageSourceInfo {
                source: wgpu::ExternalImageSource::HTMLVideoElement(video.clone()),
                origin: wgpu::Origin2d::ZERO,
                flip_y: false,
            },
            net,
            frame: None,
        })
    }

    async fn network_run(
        gpu: &Gpu,
        render: &wgpu::RenderPipeline,
        present_params: &wgpu::Buffer,
        width: u32,
        height: u32,
        arch: &Architecture,
        params: &wgpu::Buffer,
    ) -> Result<NetworkRun, Error> {
        guarded(gpu, &format!("the live filter at {width}x{height}"), || {
            let acts = Activations::for_inference(gpu, arch, height, width, Precision::for_applying(gpu));
            let forward = acts.forward(gpu, arch, params);
            let present = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("present"),
                layout: &render.get_bind_group_layout(0),
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: present_params.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: acts.output().as_entire_binding(),
                    },
                ],
            });
            NetworkRun { acts, forward, present }
        })
        .await
    }

    /// The output size (the canvas's).
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Switches to another network (the frame copy stays). On failure the old network stays.
    pub async fn set_network(&mut self, arch: &Architecture, params: &wgpu::Buffer) -> Result<(), Error> {
        let net = Self::network_run(
            &self.gpu,
            &self.render,
            &self.present_params,
            self.width,
            self.height,
            arch,
            params,
        )
        .await?;
        self.net = net;
        // the unpack dispatch writes the old network's input
        self.frame = None;
        Ok(())
    }

    /// Builds the frame's texture, buffer and unpack dispatch for a camera frame of `width` x `height`.
    async fn prepare_frame(&mut self, width: u32, height: u32) -> Result<(), Error> {
        if self
            .frame
            .as_ref()
            .is_some_and(|f| (f.shape.src_width, f.shape.src_height) == (width, height))
        {
            return Ok(());
        }
        self.frame = None;
        let shape = FrameShape {
            src_width: width,
            src_height: height,
            width: self.width,
            height: self.height,
        };
        let gpu = self.gpu.clone();
        let input = &self.net.acts.input;
        let frame = guarded(&gpu, "the camera frame", || {
            let texture = gpu.device.create_texture(&wgpu::TextureDescriptor {
                label: Some("camera frame"),
                size: wgpu::Extent3d {
                    width,
                    height,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba8Unorm,
                // copyExternalImageToTexture needs RENDER_ATTACHMENT as well as COPY_DST
                usage: wgpu::TextureUsages::COPY_DST
                    | wgpu::TextureUsages::COPY_SRC
                    | wgpu::TextureUsages::RENDER_ATTACHMENT,
                view_formats: &[],
            });
            let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("camera frame"),
                size: shape.frame_bytes(),
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let unpack = frame_unpack::unpack(&gpu, shape, &buffer, input);
            FrameCopy {
                shape,
                texture,
                buffer,
                unpack,
            }
        })
        .await?;
        self.frame = Some(frame);
        Ok(())
    }

    /// Sets up for the video's current frame size; call when `ready_for` says no.
    pub async fn prepare(&mut self, video: &HtmlVideoElement) -> Result<(), Error> {
        let (w, h) = (video.video_width(), video.video_height());
        if w == 0 || h == 0 {
            return Err(Error::InvalidParams(
                "the camera has not delivered a picture yet".into(),
            ));
        }
        self.prepare_frame(w, h).await
    }

    /// Whether a frame of the video's current size can be drawn without setting anything up.
    pub fn ready_for(&self, video: &HtmlVideoElement) -> bool {
        self.frame
            .as_ref()
            .is_some_and(|f| (f.shape.src_width, f.shape.src_height) == (video.video_width(), video.video_height()))
    }

    /// Draws the video's current frame (or `bitmap`, a picture of it, where the video cannot be copied from)
    /// through the network onto the canvas. Records and submits only; returns false, skipping the frame, when the
    /// canvas had no texture to draw into or the picture is no longer the size set up for (the camera turned
    /// since `ready_for`: the copy would throw, which wgpu does not survive).
    pub fn draw(&mut self, bitmap: Option<ImageBitmap>) -> Result<bool, Error> {
        self.gpu.check_alive()?;
        if let Some(bitmap) = bitmap {
            let old = std::mem::replace(&mut self.source.source, wgpu::ExternalImageSource::ImageBitmap(bitmap));
            if let wgpu::ExternalImageSource::ImageBitmap(old) = old {
                old.close(); // its memory goes back at once, not at the next garbage collection
            }
        }
        let Some(frame) = &self.frame else {
            return Ok(false);
        };
        let (w, h) = (frame.shape.src_width, frame.shape.src_height);
        if (self.source.source.width(), self.source.source.height()) != (w, h) {
            return Ok(false);
        }
        let target = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t) | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
            _ => return Ok(false),
        };
        let extent = wgpu::Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        };
        self.gpu.queue.copy_external_image_to_texture(
            &self.source,
            wgpu::CopyExternalImageDestInfo {
                texture: &frame.texture,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
                color_space: wgpu::PredefinedColorSpace::Srgb,
                premultiplied_alpha: false,
            },
            extent,
        );
        let view = target.texture.create_view(&wgpu::TextureViewDescriptor::default());
        let mut encoder = self.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("live frame"),
        });
        encoder.copy_texture_to_buffer(
            frame.texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &frame.buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(frame_unpack::row_bytes(w)),
                    rows_per_image: Some(h),
                },
            },
            extent,
        );
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("live filter"),
                timestamp_writes: None,
            });
            frame.unpack.record(&mut pass);
            for d in &self.net.forward {
                d.record(&mut pass);
            }
        }
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("live view"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_pipeline(&self.render);
            pass.set_bind_group(0, &self.net.present, &[]);
            pass.draw(0..3, 0..1);
        }
        self.gpu.queue.submit([encoder.finish()]);
        self.gpu.queue.present(target);
        Ok(true)
    }

    /// The newest drawn frame as a picture (one read-back: for a snapshot, never per frame).
    pub async fn snapshot(&self) -> Result<RgbaImage, Error> {
        let pixels = self.gpu.read_f32(self.net.acts.output()).await?;
        let n = (self.width * self.height * 4) as usize;
        Ok(crate::image::from_pixels(
            self.width,
            self.height,
            &pixels[..n.min(pixels.len())],
        ))
    }
}
