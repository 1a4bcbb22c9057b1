// The number format of the filter network's activations in this module: f32 (training, and applying a filter on a
// GPU without f16). Kernels compiled in both formats read and write activations as Act4 and compute in f32 outside
// their innermost sums (src/kernels/precision.rs).
alias Act = f32;
alias Act4 = vec4<f32>;
