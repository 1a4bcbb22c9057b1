// The number format of the filter network's activations in this module: f16 (applying a filter where the GPU has
// shader-f16): half the memory traffic, and two multiply-adds per instruction on many GPUs. Kernels compiled in both
// formats read and write activations as Act4 and compute in f32 outside their innermost sums
// (src/kernels/precision.rs).
enable f16;
alias Act = f16;
alias Act4 = vec4<f16>;
