# What the GPU-machine scripts (bench_all.sh, gpu_filters.sh) share; sourced from the repository root.
# `bin`: the folder of the release binaries, target/release, or /tmp/artsy-bin with .bench/*.xz unpacked into it
# where the machine has no Rust (BIN=DIR names another folder). `part SECONDS COMMAND...` runs one part of a run
# with a time limit, logs its start, and goes on when it fails. Where no Vulkan loader is installed, the Dawn
# bundle's is used.

bin=${BIN:-target/release}
# a GPU machine has f16 and tensor cores: a test binary that finds neither fails rather than skipping
export ARTSY_REQUIRE=${ARTSY_REQUIRE-f16,tensor-cores}
if [ -z "${BIN:-}" ] && [ -f .bench/bench.xz ]; then
    bin=/tmp/artsy-bin
    mkdir -p "$bin"
    for b in bench artsy kernels kernels_unchecked tensor_cores filter_conv filter_layers filter_net; do
        [ -f ".bench/$b.xz" ] || continue
        python3 -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" \
            ".bench/$b.xz" "$bin/$b"
        chmod +x "$bin/$b"
    done
fi

# The Vulkan loader: the system's, else the one the Dawn bundle brings (.dawn/lib.tar.xz), else none (wgpu then
# finds no adapter and says so). NVIDIA's driver, where it is mounted as on the GPU machines.
if ! { ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q 'libvulkan.so.1 '; then
    if [ -f .dawn/lib.tar.xz ]; then
        mkdir -p /tmp/artsy-vulkan
        python3 -c "import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())" .dawn/lib.tar.xz |
            tar x -C /tmp/artsy-vulkan
        export LD_LIBRARY_PATH=/tmp/artsy-vulkan/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        echo "no Vulkan loader installed here: using the Dawn bundle's"
    else
        echo "no Vulkan loader installed here (./build.sh bench-bundle brings one in .dawn/)"
    fi
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -z "${VK_DRIVER_FILES:-}" ] && [ -e "$nvidia_icd" ] && export VK_DRIVER_FILES=$nvidia_icd

# Every part ends by DEADLINE seconds after the script started (default 570: a device call may run 600 s), so that
# a part is cut short, or skipped, rather than the whole call killed with what it had not yet written.
# (PYTHONUNBUFFERED: a Python part's lines reach the log as they are printed, also when it is stopped.)
export PYTHONUNBUFFERED=1
part() {
    local seconds=$1 left=$((${DEADLINE:-570} - SECONDS)) began=$SECONDS
    shift
    echo
    if [ "$left" -lt 15 ]; then
        echo "=== skipped, ${left}s before the deadline: $*"
        return
    fi
    [ "$seconds" -gt "$left" ] && seconds=$left
    echo "=== $* ($(date +%T), at most ${seconds}s)"
    timeout "$seconds" "$@" || echo "=== FAILED or timed out ($?): $*"
    echo "=== took $((SECONDS - began))s"
}
