#!/usr/bin/env bash
# Every figure of the README's speed table from one run on one GPU machine: Artsy native (f32 with and without
# shader bounds checks, each convolution tiling, tensor cores), Artsy's wasm build in Dawn (Chrome's WebGPU),
# PyTorch fp32 and TF32, the loss fidelity of Artsy against PyTorch, and the f32 and tensor-core pictures.
#
# Usage, from the repository root on a machine with a GPU, its Vulkan driver, python3 with torch and Pillow:
#   src/bin/bench_all.sh [OUT_DIR]
# It uses target/release/{bench,artsy} (or .bench/{bench,artsy}.xz, unpacked to /tmp, where the machine has no
# Rust; .bench/{kernels,kernels_unchecked,tensor_cores}.xz, the test binaries, are run first when they are there) and the Dawn
# bundle of `./build.sh bench-bundle` (.dawn/) when it is there. Each part has a time limit and
# the run goes on when one fails; everything is logged to OUT_DIR/log.txt (default out/bench-all).
set -u
cd "$(dirname "$0")/../.."
out=${1:-${OUT:-out/bench-all}}
mkdir -p "$out" "$out/fidelity"
exec > >(tee -a "$out/log.txt") 2>&1
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
weights=assets/vgg19/vgg19-conv-u8.safetensors

# the binaries (built here, or carried compressed) and `part`
source src/bin/gpu_run_common.sh

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>/dev/null

# 1. the f32 kernel tests on this GPU (every tiling), then the f32 path: the headline numbers (with the engine's
# default shader checks, the bounds checks alone), with each convolution dispatch's time; then with every runtime
# check wgpu has, and with none (after the same tests in that mode)
[ -x "$bin/kernels" ] && part 120 "$bin/kernels" --test-threads 1
part 120 "$bin/bench" --sizes 512,1024,2048 --steps 20 --tensor-cores off --per-dispatch --json "$out/native_f32.json"
part 120 "$bin/bench" --sizes 512,1024 --steps 20 --tensor-cores off --shader-checks all
[ -x "$bin/kernels_unchecked" ] && part 120 "$bin/kernels_unchecked" --test-threads 1
part 120 "$bin/bench" --sizes 512,1024,2048 --steps 20 --tensor-cores off --unchecked
# 2. PyTorch on the same GPU
part 240 python3 src/bin/bench_pytorch.py --sizes 512,1024,2048 --steps 20 --weights "$weights"
# 3. fidelity: the same pixels, the first step and step 100 (Artsy f32, PyTorch fp32)
part 60 "$bin/bench" --fidelity 100 --sizes 512 --tensor-cores off --inputs-out "$out/fidelity"
part 60 python3 src/bin/bench_pytorch.py --fidelity 100 --inputs "$out/fidelity" --sizes 512 --weights "$weights"
# 4. the browser's WebGPU (Dawn) running the wasm build
if [ -f .dawn/run.sh ]; then
    part 240 bash .dawn/run.sh --sizes 512,1024,2048,largest --steps 20
fi
# 5. the tensor-core path, where the adapter has them (off by default; last, being the newest): its tests, speed,
# and the loss and picture after 200 steps against the f32 path's
[ -x "$bin/tensor_cores" ] && part 120 "$bin/tensor_cores" --test-threads 1 --nocapture --include-ignored
part 120 "$bin/bench" --sizes 512,1024,2048 --steps 20 --tensor-cores on --per-dispatch
part 60 "$bin/bench" --fidelity 200 --sizes 512 --tensor-cores off --picture-out "$out/f32.png"
part 60 "$bin/bench" --fidelity 200 --sizes 512 --tensor-cores on --picture-out "$out/tensor_cores.png"
echo
echo "=== done ($(date +%T))"
