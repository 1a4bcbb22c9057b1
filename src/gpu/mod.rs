//! The GPU context: adapter, device and queue, the pipelines compiled so far (built on first use from the
//! kernels' own declarations, cached per device), and small buffer helpers.

mod in_flight;
mod kernel;
mod profiler;
mod readback;
mod shader_checks;
mod tensor_cores;

pub use in_flight::InFlight;
pub use kernel::{Binding, Dispatch, Kernel, Pipeline, Shader};
pub use profiler::time_dispatches;
pub use readback::{LossReadback, StagedRead, read_buffer, read_buffer_via, staging_buffer};
pub use shader_checks::ShaderChecks;
pub use tensor_cores::TensorCores;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// What the adapter says about itself, for display.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub driver: String,
    /// A CPU rasteriser (lavapipe, SwiftShader, WARP): correct but slow.
    pub is_software: bool,
    /// Whether the 3x3 convolutions run on tensor cores, or why not ("tensor cores: {}" for display).
    pub tensor_cores: TensorCores,
}

/// How to open the GPU. `GpuOptions::default()` (everything off) is what `Gpu::new` does.
#[derive(Clone, Debug, Default)]
pub struct GpuOptions {
    /// The runtime checks wgpu compiles into the shaders (native only; see `Gpu::pipeline`): by default the
    /// bounds checks alone (`ShaderChecks`).
    pub shader_checks: ShaderChecks,
    /// Allow buffers of at most this many bytes (or the adapter's own limit if that is lower): behaves like a GPU
    /// with small limits, so the size checks can be exercised on any machine.
    pub max_buffer_bytes: Option<u64>,
    /// Allow at most this many workgroups per grid dimension (or the adapter's own limit if that is lower): the
    /// grids then fold into their second and third dimensions at small sizes, as they do past 1024 px on any GPU.
    pub max_groups: Option<u32>,
    /// Run the 3x3 convolutions and the filter network's forward convolutions on tensor cores (f16 inputs, f32
    /// accumulation) where the adapter has them (native only). Off by default: right, but slower than the f32
    /// kernels on an H100 as last measured (README, "Tensor cores").
    pub tensor_cores: bool,
}

impl std::fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}", self.name, self.backend)?;
        if !self.driver.is_empty() {
            write!(f, ", {}", self.driver)?;
        }
        write!(f, ")")
    }
}

/// The modules and pipelines compiled so far on one device, by the names their declarations give, each with what
/// it was made from: a second declaration under a name already taken is caught, not served the first's pipeline.
#[derive(Default)]
struct PipelineCache {
    modules: HashMap<&'static str, (wgpu::ShaderModule, ShaderMadeFrom)>,
    pipelines: HashMap<&'static str, (Arc<Pipeline>, KernelMadeFrom)>,
}

/// A shader declaration's generated constants and sources.
type ShaderMadeFrom = (&'static [(&'static str, u32)], &'static [&'static str]);
/// A kernel declaration's shader name, entry point and bindings.
type KernelMadeFrom = (&'static str, &'static str, &'static [Binding]);

/// One GPU device and the kernels compiled on it so far. Cheap to clone (shared handles).
#[derive(Clone)]
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterSummary,
    pub limits: wgpu::Limits,
    /// The runtime checks wgpu compiles into the shaders (in the browser, WebGPU's own).
    shader_checks: ShaderChecks,
    /// The convolutions dispatch the tensor-core kernels (src/kernels/conv3x3_coop.rs, conv.rs's Coop).
    tensor_cores: bool,
    /// Shaders may use f16 (the device has shader-f16).
    f16: bool,
    cache: Arc<Mutex<PipelineCache>>,
    /// Why the device went away, once it has (set by wgpu's device-lost callback).
    lost: Arc<Mutex<Option<String>>>,
    /// A GPU error that no error scope caught (reported once by `check_alive`; the device itself lives on).
    uncaptured: Arc<Mutex<Option<String>>>,
    /// Held from pushing error scopes to popping them (see `SetUpScopes`).
    scopes: Arc<futures_util::lock::Mutex<()>>,
}

/// A set-up's error scopes (validation and out-of-memory) on this device, pushed by `Gpu::set_up_scopes` and
/// popped together by `finish`, or by dropping it (an early return), which discards what they caught. It holds the
/// device's scope lock throughout, so that two set-ups awaiting in between cannot pop each other's scopes (which
/// wgpu refuses with a panic) or catch each other's errors.
pub struct SetUpScopes {
    // dropped in this order: the scopes in reverse order of pushing, then the lock
    memory: wgpu::ErrorScopeGuard,
    validation: wgpu::ErrorScopeGuard,
    _lock: futures_util::lock::OwnedMutexGuard<()>,
}

/// What a set-up's scopes caught.
pub struct SetUpErrors {
    /// An allocation failed: the set-up does not fit in the GPU's memory.
    pub out_of_memory: Option<wgpu::Error>,
    /// A GPU rule was broken (after an allocation failed, every use of that buffer is also invalid).
    pub invalid: Option<wgpu::Error>,
}

impl SetUpScopes {
    /// Pops both scopes and lets the next set-up in.
    pub async fn finish(self) -> SetUpErrors {
        let SetUpScopes {
            memory,
            validation,
            _lock,
        } = self;
        let out_of_memory = memory.pop().await;
        let invalid = validation.pop().await;
        SetUpErrors { out_of_memory, invalid }
    }
}

impl Gpu {
    /// Opens the default high-performance adapter: Vulkan/Metal/DX12 natively, WebGPU in the browser.
    pub async fn new() -> Result<Gpu> {
        Self::open_with(GpuOptions::default()).await
    }

    /// Like `new`, with none of wgpu's shader runtime checks (native only; see `Gpu::pipeline`).
    #[cfg(not(target_arch = "wasm32"))]
    pub async fn new_unchecked() -> Result<Gpu> {
        Self::open_with(GpuOptions {
            shader_checks: ShaderChecks::NONE,
            ..GpuOptions::default()
        })
        .await
    }

    /// Like `new`, but the device allows buffers of at most `max_buffer_bytes` (or the adapter's own limit if that
    /// is lower): behaves like a GPU with small limits, so the size checks can be exercised on any machine.
    #[cfg(not(target_arch = "wasm32"))]
    pub async fn with_buffer_limit(max_buffer_bytes: u64) -> Result<Gpu> {
        Self::open_with(GpuOptions {
            max_buffer_bytes: Some(max_buffer_bytes),
            ..GpuOptions::default()
        })
        .await
    }

    /// Opens the default high-performance adapter as `options` say.
    pub async fn open_with(options: GpuOptions) -> Result<Gpu> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::NoAdapter(e.to_string()))?;
        Self::with_adapter(adapter, options).await
    }

    async fn with_adapter(adapter: wgpu::Adapter, options: GpuOptions) -> Result<Gpu> {
        let info = adapter.get_info();
        let (tensor_cores, tensor_core_features) = tensor_cores::probe(&adapter, options.tensor_cores);
        let is_software = info.device_type == wgpu::DeviceType::Cpu
            || ["llvmpipe", "lavapipe", "swiftshader", "warp"].iter().any(|s| {
                format!("{} {} {}", info.name, info.driver, info.driver_info)
                    .to_lowercase()
                    .contains(s)
            });
        let summary = AdapterSummary {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            driver: [info.driver.as_str(), info.driver_info.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
            is_software,
            tensor_cores: tensor_cores.clone(),
        };
        // Ask for the adapter's own buffer limits: big images need big storage buffers.
        let supported = adapter.limits();
        let cap = options.max_buffer_bytes.unwrap_or(u64::MAX);
        let limits = wgpu::Limits {
            max_storage_buffer_binding_size: supported.max_storage_buffer_binding_size.min(cap),
            max_buffer_size: supported.max_buffer_size.min(cap),
            max_storage_buffers_per_shader_stage: supported.max_storage_buffers_per_shader_stage.min(8),
            max_compute_workgroup_storage_size: supported.max_compute_workgroup_storage_size,
            max_compute_workgroups_per_dimension: supported
                .max_compute_workgroups_per_dimension
                .min(options.max_groups.unwrap_or(u32::MAX)),
            ..wgpu::Limits::downlevel_defaults()
        };
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("artsy"),
                // Timestamps only feed the benchmark's per-kernel breakdown, and f16 only makes applying filters
                // faster (kernels::precision); everything works without them.
                required_features: (adapter.features()
                    & (wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::SHADER_F16))
                    | tensor_core_features,
                required_limits: limits.clone(),
                // SAFETY: the only experimental feature ever requested is cooperative matrices, used by the
                // conv3x3_coop kernels alone, in the configuration `tensor_cores::probe` found on this adapter.
                experimental_features: if tensor_cores.is_on() {
                    unsafe { wgpu::ExperimentalFeatures::enabled() }
                } else {
                    wgpu::ExperimentalFeatures::disabled()
                },
                ..Default::default()
            })
            .await
            .map_err(|e| Error::NoDevice(e.to_string()))?;
        let f16 = device.features().contains(wgpu::Features::SHADER_F16);
        let lost = Arc::new(Mutex::new(None));
        {
            let lost = lost.clone();
            device.set_device_lost_callback(move |reason, message| {
                *lost.lock().unwrap() = Some(format!("{reason:?}: {message}"));
            });
        }
        let uncaptured = Arc::new(Mutex::new(None));
        {
            // Without a handler wgpu panics on a validation or out-of-memory error; record it instead, so the
            // next call into the engine returns it as an error. Such an error does not lose the device.
            let uncaptured = uncaptured.clone();
            device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                let mut slot = uncaptured.lock().unwrap();
                if slot.is_none() {
                    *slot = Some(e.to_string());
                }
            }));
        }
        Ok(Gpu {
            device,
            queue,
            adapter: summary,
            limits,
            shader_checks: if cfg!(target_arch = "wasm32") {
                ShaderChecks::ALL
            } else {
                options.shader_checks
            },
            tensor_cores: tensor_cores.is_on(),
            f16,
            cache: Arc::default(),
            lost,
            uncaptured,
            scopes: Arc::default(),
        })
    }

    /// Waits until no other set-up on this device has its error scopes open, then opens this one's: everything
    /// made until `SetUpScopes::finish` is checked for memory and validity (see `SetUpScopes`).
    pub async fn set_up_scopes(&self) -> SetUpScopes {
        let lock = self.scopes.clone().lock_owned().await;
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        SetUpScopes {
            memory,
            validation,
            _lock: lock,
        }
    }

    /// The runtime checks wgpu compiles into the shaders (see `GpuOptions::shader_checks`).
    pub fn shader_checks(&self) -> ShaderChecks {
        self.shader_checks
    }

    /// Whether the 3x3 convolutions run on tensor cores (see `GpuOptions::tensor_cores`).
    pub fn tensor_cores(&self) -> bool {
        self.tensor_cores
    }

    /// Whether shaders may use f16 (kernels::precision's F16 kernels run).
    pub fn has_f16(&self) -> bool {
        self.f16
    }

    /// The pipeline of `kernel`, compiled (with its module) on the first call and cached for the device's life.
    /// Called when dispatches are built at set-up, never in the hot loop.
    ///
    /// With fewer than all `shader_checks`, modules are compiled without those of wgpu's runtime checks (native
    /// only): every kernel guards its own indices, ends its loops and divides by no zero, given the shapes and
    /// buffer lengths its wrapper in src/kernels/ asserts (channels multiples of 4, of 64 for Gram matrices,
    /// buffers long enough), so this is safe, and the benchmark measures what each check costs.
    pub fn pipeline(&self, kernel: &Kernel) -> Arc<Pipeline> {
        let shader = kernel.shader;
        let kernel_from: KernelMadeFrom = (shader.name, kernel.entry, kernel.bindings);
        let shader_from: ShaderMadeFrom = (shader.constants, shader.sources);
        let mut cache = self.cache.lock().unwrap();
        if let Some((pipeline, made_from)) = cache.pipelines.get(kernel.name) {
            let (pipeline, same) = (pipeline.clone(), *made_from == kernel_from);
            drop(cache); // the assert below leaves the cache usable
            assert!(
                same,
                "two kernels are named {:?}: a kernel's name must be unique",
                kernel.name
            );
            return pipeline;
        }
        if let Some((_, made_from)) = cache.modules.get(shader.name)
            && *made_from != shader_from
        {
            drop(cache);
            panic!(
                "two shaders are named {:?}: a shader's name must be unique",
                shader.name
            );
        }
        let (module, _) = cache.modules.entry(shader.name).or_insert_with(|| {
            let desc = wgpu::ShaderModuleDescriptor {
                label: Some(shader.name),
                source: wgpu::ShaderSource::Wgsl(shader.source().into()),
            };
            let module = if self.shader_checks != ShaderChecks::ALL {
                // SAFETY: see above and ShaderChecks: every buffer index in shaders/ is behind a guard of its own,
                // every loop ends, and no divisor is zero.
                unsafe {
                    self.device
                        .create_shader_module_trusted(desc, self.shader_checks.runtime_checks())
                }
            } else {
                self.device.create_shader_module(desc)
            };
            (module, shader_from)
        });
        let pipeline = Arc::new(Pipeline::new(&self.device, module, kernel));
        cache.pipelines.insert(kernel.name, (pipeline.clone(), kernel_from));
        pipeline
    }

    /// A dispatch of `kernel` over `groups` workgroups with `buffers` bound in slot order (slot 0 its uniform
    /// parameters). Bind groups are made here, once, when a session is built.
    pub fn dispatch(&self, kernel: &Kernel, buffers: &[&wgpu::Buffer], groups: [u32; 3]) -> Dispatch {
        assert_eq!(
            buffers.len(),
            kernel.bindings.len(),
            "{}: {} buffers for {} bindings",
            kernel.name,
            buffers.len(),
            kernel.bindings.len()
        );
        self.pipeline(kernel).dispatch(&self.device, buffers, groups)
    }

    /// The largest buffer the device lets one binding have, in bytes.
    pub fn largest_buffer(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }

    /// The most workgroups a dispatch may have along one dimension (the grids in src/kernels/sizes.rs fold into
    /// further dimensions past it).
    pub fn max_groups(&self) -> u32 {
        self.limits.max_compute_workgroups_per_dimension
    }

    /// Fails with `DeviceLost` once the device has gone away (driver reset, tab in the background too long...),
    /// and once with `Gpu` after an error that no error scope caught (the device stays usable).
    pub fn check_alive(&self) -> Result<()> {
        if let Some(reason) = self.lost.lock().unwrap().as_ref() {
            return Err(Error::DeviceLost(reason.clone()));
        }
        match self.uncaptured.lock().unwrap().take() {
            Some(message) => Err(Error::Gpu(message)),
            None => Ok(()),
        }
    }

    /// A storage buffer of `len` f32 values, zero-initialised.
    pub fn storage(&self, label: &str, len: usize) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (len.max(4) * 4) as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// A storage buffer holding `data`.
    pub fn storage_from(&self, label: &str, data: &[f32]) -> wgpu::Buffer {
        let buffer = self.storage(label, data.len());
        self.queue.write_buffer(&buffer, 0, bytemuck::cast_slice(data));
        buffer
    }

    /// A uniform buffer holding `value` (a kernel's parameter block).
    pub fn uniform<T: bytemuck::Pod>(&self, label: &str, value: &T) -> wgpu::Buffer {
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: std::mem::size_of::<T>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue.write_buffer(&buffer, 0, bytemuck::bytes_of(value));
        buffer
    }

    /// Records `dispatches` into one compute pass and submits it.
    pub fn run(&self, dispatches: &[Dispatch]) {
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("run") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            for d in dispatches {
                d.record(&mut pass);
            }
        }
        self.queue.submit([encoder.finish()]);
    }

    /// Reads a whole f32 buffer back (waits for the GPU; for setup, tests and final results, never the hot loop).
    pub async fn read_f32(&self, buffer: &wgpu::Buffer) -> Result<Vec<f32>> {
        let bytes = read_buffer(self, buffer).await?;
        // the bytes of a Vec<u8> need not be 4-aligned: copy rather than cast
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }
}
