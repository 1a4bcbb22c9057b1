//! The filter network's buffers for one picture size, and the forward dispatches that fill them. For training,
//! every layer's convolution output and its output after normalisation are kept, for the backward pass and its
//! ReLU masks; for applying a filter, layers share buffers wherever one's contents are no longer read, and the
//! activations may be f16 (kernels::precision).

use super::{After, Architecture, IMAGE_CHANNELS, Layer};
use crate::gpu::{Dispatch, Gpu};
use crate::kernels::conv::{ConvForward, ForwardKernel};
use crate::kernels::instance_norm::{NormForward, NormShape};
use crate::kernels::precision::Precision;
use crate::kernels::{pointwise, upsample};

/// Where a forward pass's normalisations get their mean and deviation.
#[derive(Clone, Copy)]
enum Statistics {
    /// From the picture itself (written into the layers' `stats`).
    Measured,
    /// From the layers' `stats` as they are.
    Given,
}

/// One layer's buffers.
pub struct LayerBuffers {
    /// The upsampled input [2h][2w][cin], for layers that upsample first, unless the convolution reads the layer
    /// below's output upsampled (applying, `ConvForward::upsample`).
    pub upsampled: Option<wgpu::Buffer>,
    /// The convolution's output [h][w][cout] (before the normalisation).
    pub conv_out: wgpu::Buffer,
    /// The layer's output [h][w][cout]: the next layer's input (the picture, for the last layer).
    pub out: wgpu::Buffer,
    /// The normalisation's per-channel mean and inverse deviation, kept for the backward pass.
    pub stats: wgpu::Buffer,
}

/// What a layer's convolution reads.
pub struct ConvInput<'a> {
    pub x: &'a wgpu::Buffer,
    /// The convolution's input size (after any upsampling).
    pub size: (u32, u32),
    /// Whether `x` is the layer below's output, which the convolution reads upsampled 2x.
    pub upsample: bool,
}

/// Everything one forward pass at `height` x `width` writes.
pub struct Activations {
    pub height: u32,
    pub width: u32,
    /// The photo [H][W] vec4 (r, g, b, 0) in 0..1, f32 whatever the activations' precision.
    pub input: wgpu::Buffer,
    /// The format of the layers' buffers but the picture's (always f32).
    pub precision: Precision,
    /// In f16: the photo and the parameters as f16, converted by the pass's first dispatches.
    input_f16: Option<wgpu::Buffer>,
    params_f16: Option<wgpu::Buffer>,
    pub layers: Vec<LayerBuffers>,
    /// (height, width) of each layer's output.
    pub sizes: Vec<(u32, u32)>,
    /// Scratch for the normalisations' partial sums, shared by every layer (they run one after another).
    norm_partials: wgpu::Buffer,
    /// Scratch for the folded weights of the convolutions that read their input upsampled, if any does.
    folded: Option<wgpu::Buffer>,
    /// Whether every layer keeps its buffers (a backward pass can follow).
    keeps_all: bool,
    /// GPU memory held, each buffer counted once.
    bytes: u64,
}

impl Activations {
    /// Buffers of a pass that training's backward pass follows: every layer keeps its own.
    pub fn new(gpu: &Gpu, arch: &Architecture, height: u32, width: u32) -> Activations {
        Activations::build(gpu, arch, (height, width), true, Precision::F32)
    }

    /// Buffers of forward passes alone (applying a filter), in `precision` (`Precision::for_applying` is the
    /// GPU's best): the convolutions after an upsampling step compute from the map below (`ConvForward::upsample`,
    /// conv_upsampled.wgsl), so that no upsampled map is written; a layer's convolution output (and any
    /// upsampled input) is one scratch buffer for all layers, and a layer's output shares a buffer with earlier
    /// layers' outputs that no later layer reads (a residual block's input is read until the block's end). At
    /// 1280x720 and width 16 this holds a quarter of what `new` does in f32.
    pub fn for_inference(gpu: &Gpu, arch: &Architecture, height: u32, width: u32, precision: Precision) -> Activations {
        Activations::build(gpu, arch, (height, width), false, precision)
    }

    fn build(
        gpu: &Gpu,
        arch: &Architecture,
        (height, width): (u32, u32),
        keeps_all: bool,
        precision: Precision,
    ) -> Activations {
        assert!(
            !keeps_all || precision == Precision::F32,
            "a backward pass's buffers are f32"
        );
        assert!(
            precision.runs_on(gpu),
            "this device has no {} kernels",
            precision.name()
        );
        let sizes = arch.sizes(height, width);
        let n = arch.layers.len();
        let Plan {
            out_len,
            upsampled_len,
            partials_len,
            folded_len,
        } = Plan::new(arch, (height, width), keeps_all);
        let stats: Vec<_> = (arch.layers.iter().zip(&sizes))
            .map(|(l, &(h, w))| gpu.storage("filter norm stats", norm_shape(l, h, w).stats_len()))
            .collect();
        let mut bytes: u64 = stats.iter().map(|b| b.size()).sum();
        // f32 words of `len` values in the activations' precision
        let act = |len: usize| precision.words(len);
        let mut allocate = |label: &str, words: usize| {
            let b = gpu.storage(label, words);
            bytes += b.size();
            b
        };
        let (conv_out, out, upsampled): (Vec<_>, Vec<_>, Vec<_>) = if keeps_all {
            (
                out_len.iter().map(|&len| allocate("filter conv out", len)).collect(),
                out_len.iter().map(|&len| allocate("filter layer out", len)).collect(),
                upsampled_len
                    .iter()
                    .map(|&len| (len > 0).then(|| allocate("filter upsampled", len)))
                    .collect(),
            )
        } else {
            let conv_out = allocate("filter conv out", act(out_len.iter().copied().max().unwrap_or(4)));
            let up_len = upsampled_len.iter().copied().max().unwrap_or(0);
            let up = (up_len > 0).then(|| allocate("filter upsampled", act(up_len)));
            let (slot_lens, slot_of) = output_slots(arch, &out_len);
            let picture_slot = slot_of[n - 1];
            // the picture is f32 whatever the precision
            let slots: Vec<_> = (slot_lens.iter().enumerate())
                .map(|(s, &len)| {
                    if s == picture_slot {
                        allocate("filter picture", len)
                    } else {
                        allocate("filter layer out", act(len))
                    }
                })
                .collect();
            (
                vec![conv_out; n],
                slot_of.iter().map(|&s| slots[s].clone()).collect(),
                upsampled_len
                    .iter()
                    .map(|&len| up.clone().filter(|_| len > 0))
                    .collect(),
            )
        };
        let input_len = (height * width * IMAGE_CHANNELS) as usize;
        let input = allocate("filter input", input_len);
        let (input_f16, params_f16) = match precision {
            Precision::F32 => (None, None),
            Precision::F16 => (
                Some(allocate("filter input f16", act(input_len))),
                Some(allocate("filter params f16", act(arch.param_count))),
            ),
        };
        let norm_partials = allocate("filter norm partials", partials_len);
        let folded = (folded_len > 0).then(|| allocate("filter folded weights", act(folded_len)));
        let layers = (0..n)
            .map(|i| LayerBuffers {
                upsampled: upsampled[i].clone(),
                conv_out: conv_out[i].clone(),
                out: out[i].clone(),
                stats: stats[i].clone(),
            })
            .collect();
        Activations {
            height,
            width,
            input,
            precision,
            input_f16,
            params_f16,
            layers,
            sizes,
            norm_partials,
            folded,
            keeps_all,
            bytes,
        }
    }

    /// Buffers for `height` x `width` whose normalisation statistics are `source`'s own buffers (they do not
    /// depend on the size): a pass with `forward_given_stats` normalises like `source`'s last measured pass. For
    /// forward passes alone, as `for_inference`.
    pub fn sharing_stats(gpu: &Gpu, arch: &Architecture, height: u32, width: u32, source: &Activations) -> Activations {
        let mut acts = Activations::for_inference(gpu, arch, height, width, source.precision);
        for (mine, theirs) in acts.layers.iter_mut().zip(&source.layers) {
            acts.bytes -= mine.stats.size();
            mine.stats = theirs.stats.clone();
        }
        acts
    }

    /// Whether every layer keeps its own buffers, as a backward pass needs.
    pub fn keeps_all(&self) -> bool {
        self.keeps_all
    }

    /// The picture the network made: [H][W] vec4 (r, g, b, 0) in 0..1.
    pub fn output(&self) -> &wgpu::Buffer {
        &self.layers.last().expect("a network has layers").out
    }

    /// The input of layer `i`'s convolution (after any upsample), and its size; whether the convolution reads it
    /// upsampled 2x (the buffer then holds a quarter of that size).
    pub fn conv_input(&self, i: usize, arch: &Architecture) -> ConvInput<'_> {
        let (below, (h, w)) = self.layer_input(i);
        match (&self.layers[i].upsampled, arch.layers[i].upsample_before) {
            (Some(up), _) => ConvInput {
                x: up,
                size: (2 * h, 2 * w),
                upsample: false,
            },
            (None, upsample) => ConvInput {
                x: below,
                size: if upsample { (2 * h, 2 * w) } else { (h, w) },
                upsample,
            },
        }
    }

    /// The output of the layer below `i` (the photo for the first, in the activations' precision), and its size.
    pub fn layer_input(&self, i: usize) -> (&wgpu::Buffer, (u32, u32)) {
        if i == 0 {
            (
                self.input_f16.as_ref().unwrap_or(&self.input),
                (self.height, self.width),
            )
        } else {
            (&self.layers[i - 1].out, self.sizes[i - 1])
        }
    }

    /// The dispatches of one forward pass from `input` to `output()` with the parameters in `params`; each
    /// normalisation measures its statistics (into the layer's `stats`).
    pub fn forward(&self, gpu: &Gpu, arch: &Architecture, params: &wgpu::Buffer) -> Vec<Dispatch> {
        self.forward_dispatches(gpu, arch, params, Statistics::Measured)
    }

    /// A forward pass whose normalisations use the statistics already in the layers' `stats` (shared with the
    /// pass that measured them on the whole photo; see `sharing_stats`) instead of measuring this picture's.
    pub fn forward_given_stats(&self, gpu: &Gpu, arch: &Architecture, params: &wgpu::Buffer) -> Vec<Dispatch> {
        self.forward_dispatches(gpu, arch, params, Statistics::Given)
    }

    fn forward_dispatches(
        &self,
        gpu: &Gpu,
        arch: &Architecture,
        params: &wgpu::Buffer,
        statistics: Statistics,
    ) -> Vec<Dispatch> {
        let precision = self.precision;
        let mut d = Vec::new();
        // the convolutions' weights in the activations' precision (the normalisations read theirs in f32)
        let mut weights = params;
        if let (Some(input), Some(params_f16)) = (&self.input_f16, &self.params_f16) {
            d.push(pointwise::to_f16(gpu, arch.param_count, params, params_f16));
            let pixels = (self.height * self.width * IMAGE_CHANNELS) as usize;
            d.push(pointwise::to_f16(gpu, pixels, &self.input, input));
            weights = params_f16;
        }
        for (i, l) in arch.layers.iter().enumerate() {
            let bufs = &self.layers[i];
            if let Some(up) = &bufs.upsampled {
                let (below, (h, w)) = self.layer_input(i);
                d.push(upsample::forward(gpu, h, w, l.cin, precision, below, up));
            }
            let ConvInput {
                x,
                size: (h, w),
                upsample,
            } = self.conv_input(i, arch);
            let shape = l.conv_shape(h, w);
            let bias = (l.after == After::Squash).then_some(l.affine);
            let conv = ConvForward {
                shape,
                x,
                upsample: upsample.then(|| self.folded.as_ref().expect("folded weights' scratch")),
                params: weights,
                w_offset: l.weights,
                bias_offset: bias,
                y: &bufs.conv_out,
                precision,
            };
            d.extend(conv.dispatches(gpu));
            let (oh, ow) = self.sizes[i];
            match l.after {
                After::Squash => {
                    d.push(pointwise::sigmoid_forward(
                        gpu,
                        (oh * ow) as usize,
                        precision,
                        &bufs.conv_out,
                        &bufs.out,
                    ));
                }
                After::NormRelu | After::NormAdd { .. } => {
                    let norm = NormForward {
                        shape: NormShape {
                            pixels: oh * ow,
                            channels: l.cout,
                        },
                        x: &bufs.conv_out,
                        params,
                        gamma_offset: l.affine,
                        beta_offset: l.shift(),
                        relu: l.after == After::NormRelu,
                        residual: match l.after {
                            After::NormAdd { skip } => Some(&self.layers[skip].out),
                            _ => None,
                        },
                        stats: &bufs.stats,
                        partials: &self.norm_partials,
                        y: &bufs.out,
                        precision,
                    };
                    match statistics {
                        Statistics::Measured => d.extend(norm.dispatches(gpu)),
                        Statistics::Given => d.push(norm.with_given_stats(gpu)),
                    }
                }
            }
        }
        d
    }

    /// Bytes of GPU memory these buffers hold (each shared buffer once; statistics shared with another pass's
    /// are that pass's).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// The lengths in values of a pass's buffers, before they are made.
struct Plan {
    /// Each layer's output [h][w][cout].
    out_len: Vec<usize>,
    /// Each layer's upsampled input [2h][2w][cin], 0 where the layer does not upsample or where its convolution
    /// reads the input below upsampled (`upsample_in_conv`).
    upsampled_len: Vec<usize>,
    /// The normalisations' shared scratch.
    partials_len: usize,
    /// The folded weights of the convolutions that read their input upsampled (shared: each is written just before
    /// its convolution); 0 where none does.
    folded_len: usize,
}

impl Plan {
    fn new(arch: &Architecture, (height, width): (u32, u32), keeps_all: bool) -> Plan {
        let sizes = arch.sizes(height, width);
        let mut input_size = (height, width);
        let mut plan = Plan {
            out_len: Vec::new(),
            upsampled_len: Vec::new(),
            partials_len: 4,
            folded_len: 0,
        };
        for (l, &(h, w)) in arch.layers.iter().zip(&sizes) {
            let in_conv = l.upsample_before && !keeps_all && upsample_in_conv(l, input_size);
            if in_conv {
                plan.folded_len = plan
                    .folded_len
                    .max(l.conv_shape(2 * input_size.0, 2 * input_size.1).folded_len());
            }
            let upsampled = l.upsample_before && !in_conv;
            plan.upsampled_len.push(if upsampled {
                4 * input_size.0 as usize * input_size.1 as usize * l.cin as usize
            } else {
                0
            });
            input_size = (h, w);
            // in usize: the search for the largest size that fits (Stylizer::largest_size) tries sides whose maps
            // hold more values than a u32 counts
            plan.out_len.push(h as usize * w as usize * l.cout as usize);
            plan.partials_len = plan.partials_len.max(norm_shape(l, h, w).partials_len());
        }
        plan
    }
}

/// Whether layer `l`, which upsamples its input of `(h, w)` first, can leave the upsampling to its convolution
/// (`ConvForward::upsample`): where it is a 3x3 at stride 1, as in the network. A pass that keeps every buffer
/// writes the upsampled map, which the backward pass reads.
fn upsample_in_conv(l: &Layer, (h, w): (u32, u32)) -> bool {
    ForwardKernel::Upsampled.fits(&l.conv_shape(2 * h, 2 * w))
}

fn norm_shape(l: &Layer, h: u32, w: u32) -> NormShape {
    NormShape {
        pixels: h * w,
        channels: l.cout,
    }
}

/// Bytes of the largest single buffer of a pass that keeps nothing (`Activations::for_inference`) at `height` x
/// `width` in `precision`: what the GPU's limit on one binding must hold.
pub fn largest_buffer_bytes(arch: &Architecture, height: u32, width: u32, precision: Precision) -> u64 {
    let plan = Plan::new(arch, (height, width), false);
    let act = |len: usize| 4 * precision.words(len) as u64;
    let in_act = (plan.out_len.iter().chain(&plan.upsampled_len).chain([&plan.folded_len])).map(|&len| act(len));
    let picture = 4 * *plan.out_len.last().expect("a network has layers") as u64;
    let photo = 4 * height as u64 * width as u64 * IMAGE_CHANNELS as u64;
    in_act.chain([picture, photo]).max().unwrap_or(0)
}

/// For a pass that keeps nothing for a backward pass: the length of each buffer the layers' outputs share, and the
/// buffer of each layer's output. A layer's output is read by the next layer, and by the layer that adds it back at
/// a residual block's end; a buffer is free for layer i's output once every output it held has been read by a
/// layer before i. The last layer's output (the picture) has a buffer of its own size, which nothing else uses.
fn output_slots(arch: &Architecture, out_len: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let n = out_len.len();
    let last_read = |i: usize| {
        let skips = arch
            .layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.after == After::NormAdd { skip: i });
        skips.map(|(j, _)| j).fold(i + 1, usize::max)
    };
    let mut lens: Vec<usize> = Vec::new();
    let mut read_until: Vec<usize> = Vec::new();
    let mut slot_of = Vec::new();
    for (i, &len) in out_len.iter().enumerate() {
        let picture = i + 1 == n;
        let free = read_until.iter().position(|&until| until < i).filter(|_| !picture);
        let s = free.unwrap_or_else(|| {
            lens.push(0);
            read_until.push(0);
            lens.len() - 1
        });
        lens[s] = lens[s].max(len);
        read_until[s] = if picture { usize::MAX } else { last_read(i) };
        slot_of.push(s);
    }
    (lens, slot_of)
}
