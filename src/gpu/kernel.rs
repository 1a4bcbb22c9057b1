//! A compiled compute kernel (pipeline + bind layout) and a ready-to-record dispatch of it.

/// What a kernel's binding slot holds; slot 0 is always its uniform parameter block.
#[derive(Clone, Copy, Debug)]
pub enum Binding {
    Uniform,
    Read,
    ReadWrite,
}

pub struct Kernel {
    pub name: &'static str,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

impl Kernel {
    /// Compiles `entry` of a WGSL module with an explicit bind layout.
    pub fn new(
        device: &wgpu::Device,
        module: &wgpu::ShaderModule,
        name: &'static str,
        entry: &str,
        bindings: &[Binding],
    ) -> Kernel {
        let entries: Vec<wgpu::BindGroupLayoutEntry> = bindings
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
            label: Some(name),
            entries: &entries,
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(name),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(name),
            layout: Some(&pipeline_layout),
            module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        });
        Kernel { name, pipeline, layout }
    }

    /// A dispatch of this kernel over `groups` workgroups with `buffers` bound in slot order.
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

const MAX_GROUPS: u32 = 65535;

/// Workgroups for `threads` threads in groups of 256, as a 2D grid that the kernels flatten row by row
/// (`i = gid.x + gid.y * nwg.x * 256`).
pub fn grid_1d(threads: usize) -> [u32; 3] {
    let groups = threads.div_ceil(256).max(1) as u32;
    if groups <= MAX_GROUPS {
        [groups, 1, 1]
    } else {
        [MAX_GROUPS, groups.div_ceil(MAX_GROUPS), 1]
    }
}

/// Workgroups for a tiled GEMM: `n_tiles` along x, `m_tiles` split over y and z (`tile = wid.y + wid.z * nwg.y`).
/// Tiles past the end in the last z slice find no pixels and store nothing.
pub fn grid_tiles(n_tiles: u32, m_tiles: u32) -> [u32; 3] {
    if m_tiles <= MAX_GROUPS {
        [n_tiles, m_tiles.max(1), 1]
    } else {
        let z = m_tiles.div_ceil(MAX_GROUPS);
        [n_tiles, m_tiles.div_ceil(z), z]
    }
}
