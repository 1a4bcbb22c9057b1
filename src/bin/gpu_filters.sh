#!/usr/bin/env bash
# The live filters' figures from one run on a GPU machine.
# Speed: a training step on 256 px crops in batches of 4, one forward pass at 640x480, 512x512 and 1280x720, the
# GPU memory each holds, each kernel's share of a step and of a pass and each layer's time (at width 16, the CLI's,
# and at width 8, the page's live filters'); with the engine's
# kernels, every convolution direct, every one tiled (the training step's gradients too), natively on tensor cores,
# and the forward pass in Dawn (the browser's WebGPU) for the live camera's frame rate; each pass in f32 and in f16
# activations.
# Quality: one network trained on Starry Night and one on the Great Wave for MINUTES each on the sample photos but
# the cat and Grace Hopper, applied to those two (in f16 where the GPU has it, and in f32) and measured by the
# optimisation's losses, beside the optimisation's own pictures and losses after 100 and 500 steps on the same photos
# with the same settings.
#
# Usage, from the repository root on a machine with a GPU and its Vulkan driver:
#   [SIZE=512] [MINUTES=2] [MORE_MINUTES=0] [ITERS="100 500"] [SPEED=1] [QUALITY=1] src/bin/gpu_filters.sh [OUT_DIR]
# SPEED=0 skips the speed part and QUALITY=0 the quality part; STYLES names the paintings (default
# "starry_night_vangogh great_wave_hokusai"); TRAIN_FLAGS adds flags to `artsy train`; RECIPES="A;B" trains one
# network per recipe (flags added to TRAIN_FLAGS, none in both; "" is the defaults), e.g.
# RECIPES=";--crop 512 --batch 1";
# MORE_MINUTES trains each network on for that long (--continue) and measures it again; ITERS="" skips the
# optimisation's pictures. On a machine without a GPU, BIN=target/release SIZE=64 MINUTES=0.2 MORE_MINUTES=0.1
# ITERS=5 SPEED=0 TRAIN_FLAGS="--crop 32 --width 8 --batch 2" checks it.
# It uses target/release/{bench,artsy} (see gpu_run_common.sh). Each part has a time limit and the run goes on when
# one fails, and every part ends by DEADLINE (gpu_run_common.sh); everything is logged to OUT_DIR/log.txt (default
# out/gpu-filters), the filters are written beside it and the pictures into OUT_DIR/pictures.tar.
set -u
cd "$(dirname "$0")/../.."
out=${1:-out/gpu-filters}
size=${SIZE:-512}
minutes=${MINUTES:-2}
iters=${ITERS-100 500}
mkdir -p "$out"
exec > >(tee -a "$out/log.txt") 2>&1
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
images=assets/images

# the binaries (built here, or carried compressed) and `part`
source src/bin/gpu_run_common.sh

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null

# 0. the filter network's kernels (direct, tiled, on tensor cores; in f32 and f16) and the whole network against
# the f64 reference on this GPU, where the test binaries were carried (.bench/filter_conv.xz, filter_layers.xz,
# filter_net.xz, tensor_cores.xz); gpu_run_common.sh's ARTSY_REQUIRE makes a missing f16 or tensor core a failure
for t in filter_conv filter_layers filter_net tensor_cores; do
    [ -x "$bin/$t" ] && part 120 "$bin/$t" --test-threads 1
done

# 1. speed: natively, and the forward pass per camera frame in the browser's WebGPU (Dawn, from the .dawn/ bundle of
# `./build.sh bench-bundle` when it is there)
if [ "${SPEED:-1}" = 1 ]; then
    part 300 "$bin/bench" --filter-net --train-crop 256 --train-batch 4 --apply-sizes 640x480,512x512,1280x720 \
        --per-dispatch
    # every convolution direct, then as tiled GEMMs (the forward pass, and the training step's gradients), layer
    # by layer, to choose the defaults; and without wgpu's runtime checks, and with all of them
    for conv in direct tiled; do
        part 120 "$bin/bench" --filter-net --filter-conv $conv --train-crop 256 --train-batch 4 \
            --apply-sizes 640x480,1280x720 --per-dispatch
    done
    part 120 "$bin/bench" --filter-net --unchecked --train-crop 256 --train-batch 4 --apply-sizes 1280x720 \
        --per-dispatch
    part 120 "$bin/bench" --filter-net --shader-checks all --train-crop 256 --train-batch 4 --apply-sizes 1280x720
    # the forward convolutions on tensor cores (f16 inputs, f32 sums; conv_coop.wgsl), the way to 2 ms at 1280x720
    part 120 "$bin/bench" --filter-net --tensor-cores on --train-crop 256 --train-batch 4 \
        --apply-sizes 640x480,512x512,1280x720 --per-dispatch
    part 120 "$bin/bench" --filter-net --tensor-cores on --unchecked --train-crop 256 --train-batch 4 \
        --apply-sizes 1280x720 --per-dispatch
    # the page's live filters are width 8 (web/live_filter.rs): their passes at camera sizes
    part 120 "$bin/bench" --filter-net --train-width 8 --train-crop 128 --train-batch 2 \
        --apply-sizes 640x480,1280x720 --per-dispatch
    if [ -f .dawn/run.sh ]; then
        # the engine's kernels (in f16 where Dawn offers shader-f16, as the page runs them), the same in f32, then
        # every convolution direct, then tiled; then a live filter of the page's width
        for conv in "" "--precision f32" "--filter-conv direct" "--filter-conv tiled" "--width 8"; do
            part 240 bash .dawn/run.sh --filter-net $conv --apply-sizes 640x480,1280x720 --steps 50
        done
    fi
fi
# 2. quality: every sample photo but the cat and Grace Hopper to learn from; those two held out
[ "${QUALITY:-1}" = 1 ] || { echo; echo "=== done ($(date +%T))"; exit 0; }
# the pictures go into one OUT_DIR/pictures.tar as each is made (a GPU machine's call returns at most 8 files)
keep() {
    [ -f "$out/$1" ] && tar rf "$out/pictures.tar" -C "$out" "$1" && rm "$out/$1"
}
limit=$(python3 -c "print(int($minutes * 60 + 120))")
learn=()
for photo in "$images"/content_*; do
    case "$photo" in *chelsea_cat* | *grace_hopper*) ;; *) learn+=(--photos "$photo") ;; esac
done
# RECIPES: training flags per network, ';' between recipes (the default: one recipe, the engine's defaults); the
# second recipe's files are named -r2, the third's -r3
IFS=';' read -r -a recipes <<< "${RECIPES:-}"
[ ${#recipes[@]} -gt 0 ] || recipes=("")
for style in ${STYLES:-starry_night_vangogh great_wave_hokusai}; do
  for r in "${!recipes[@]}"; do
    tag=""
    [ "$r" = 0 ] || tag="-r$((r + 1))"
    filter="$out/$style$tag.artsy-filter.json"
    echo "--- $style, recipe $((r + 1)): ${recipes[$r]:-the defaults} ${TRAIN_FLAGS:-}"
    # (--steps: the time, not the default step count, ends it)
    part "$limit" "$bin/artsy" train --style "$images/style_$style.jpg" --no-sample-photos "${learn[@]}" \
        --minutes "$minutes" --steps 200000 ${TRAIN_FLAGS:-} ${recipes[$r]} --out "$filter"
    for photo in content_chelsea_cat.png content_grace_hopper.jpg; do
        name="$style$tag-${photo%.*}"
        part 120 "$bin/artsy" apply --filter "$filter" --content "$images/$photo" --size "$size" --losses \
            --out "$out/$name-network.png"
        keep "$name-network.png"
        part 120 "$bin/artsy" apply --filter "$filter" --content "$images/$photo" --size "$size" --losses \
            --precision f32 --out "$out/$name-network-f32.png"
        keep "$name-network-f32.png"
        # the optimisation's pictures once per painting and photo (the same whatever the recipe)
        [ "$r" = 0 ] || continue
        for n in $iters; do
            part 300 "$bin/artsy" --filter "$filter" --content "$images/$photo" --size "$size" --iters "$n" \
                --out "$out/$name-optimised-$n.png"
            keep "$name-optimised-$n.png"
        done
    done
    # the same network trained MORE_MINUTES longer (--continue), and measured again: how quality grows with time
    if [ "${MORE_MINUTES:-0}" != 0 ]; then
        more="$out/$style$tag-more.artsy-filter.json"
        part "$(python3 -c "print(int(${MORE_MINUTES} * 60 + 120))")" "$bin/artsy" train --filter "$filter" \
            --continue --no-sample-photos "${learn[@]}" --minutes "$MORE_MINUTES" --steps 200000 --out "$more"
        for photo in content_chelsea_cat.png content_grace_hopper.jpg; do
            part 120 "$bin/artsy" apply --filter "$more" --content "$images/$photo" --size "$size" --losses \
                --out "$out/$style$tag-${photo%.*}-network-more.png"
            keep "$style$tag-${photo%.*}-network-more.png"
        done
    fi
  done
done
echo
echo "=== done ($(date +%T))"
