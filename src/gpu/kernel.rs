//! How a kernel is declared (its WGSL module, entry point and bindings), the compiled pipeline made from a
//! declaration, and a ready-to-record dispatch of it.

/// What a kernel's binding slot holds; slot 0 is always its uniform parameter block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    Uniform,
    Read,
    ReadWrite,
}

/// One WGSL module as the GPU compiles it: a header of `const`s generated from the Rust constants named in
/// `constants`, then the shared pieces of shaders/common/ it uses, then its own file, concatenated in order.
/// A source's `enable` directives are moved above the header, where WGSL wants them.
pub struct Shader {
    /// Cache key and label; unique among shaders.
    pub name: &'static str,
    /// (WGSL name, value): each becomes `const NAME: u32 = VALUEu;` at the top of the module.
    pub constants: &'static [(&'static str, u32)],
    /// WGSL sources, `include_str!`ed: shared snippets first, the kernel family's own file last.
    pub sources: &'static [&'static str],
}

impl Shader {
    /// The full WGSL text handed to the compiler.
    pub fn source(&self) -> String {
        let is_directive = |line: &&str| line.starts_with("enable ");
        let mut wgsl = String::new();
        for part in self.sources {
            for line in part.lines().filter(is_directive) {
                wgsl.push_str(line);
                wgsl.push('\n');
            }
        }
        wgsl.push_str("// Generated from the Rust constants (src/kernels/).\n");
        for (name, value) in self.constants {
            wgsl.push_str(&format!("const {name}: u32 = {value}u;\n"));
        }
        for part in self.sources {
            wgsl.push('\n');
            for line in part.lines().filter(|line| !is_directive(line)) {
                wgsl.push_str(line);
                wgsl.push('\n');
            }
        }
        wgsl
    }
}

/// A kernel as declared beside its wrapper in src/kernels/: which module, which entry point, which bindings.
/// The GPU context compiles it on first use and caches the pipeline under `name`.
pub struct Kernel {
    /// Cache key, label and the name the benchmark groups timings by; unique among kernels.
    pub name: &'static str,
    pub shader: &'static Shader,
    pub entry: &'static str,
    pub bindings: &'static [Binding],
}

impl Kernel {
    pub const fn new(
        name: &'static str,
        shader: &'static Shader,
        entry: &'static str,
        bindings: &'static [Binding],
    ) -> Kernel {
        Kernel {
            name,
            shader,
            entry,
            bindings,
        }
    }
}

/// A compiled kernel: pipeline and bind layout, made once per device.
pub struct Pipeline {
    name: &'static str,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

impl Pipeline {
    /// Compiles `kernel.entry` of `module` with the explicit bind layout `kernel.bindings`.
    pub fn new(device: &wgpu::Device, module: &wgpu::ShaderModule, kernel: &Kernel) -> Pipeline {
        let entries: Vec<wgpu::BindGroupLayoutEntry> = kernel
            .bindings
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupLayoutEntry {
                binding: i as u32,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: match b {
                        Binding::Uniform => wgpu::BufferBindingType::Uniform,
                        Binding::Read => wgpu::BufferBindingType::Storage { read_only: true },
                        Binding::ReadWrite => wgpu::BufferBindingType::Storage { read_only: false },
                    },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            })
            .collect();
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(kernel.name),
            entries: &entries,
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(kernel.name),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(kernel.name),
            layout: Some(&pipeline_layout),
            module,
            entry_point: Some(kernel.entry),
            compilation_options: Default::default(),
            cache: None,
        });
        Pipeline {
            name: kernel.name,
            pipeline,
            layout,
        }
    }

    /// A dispatch of this pipeline over `groups` workgroups with `buffers` bound in slot order.
    /// Bind groups are made here, once, when a session is built; the step only records dispatches.
    pub fn dispatch(&self, device: &wgpu::Device, buffers: &[&wgpu::Buffer], groups: [u32; 3]) -> Dispatch {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(self.name),
            layout: &self.layout,
            entries: &entries,
        });
        Dispatch {
            name: self.name,
            pipeline: self.pipeline.clone(),
            bind_group,
            groups,
        }
    }
}

/// One recorded-ahead kernel launch: everything bound, nothing left to create.
#[derive(Clone)]
pub struct Dispatch {
    pub name: &'static str,
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    pub groups: [u32; 3],
}

impl Dispatch {
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.dispatch_workgroups(self.groups[0], self.groups[1], self.groups[2]);
    }
}
