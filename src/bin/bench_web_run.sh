#!/usr/bin/env bash
# Runs the web benchmark from the .dawn/ bundle (./build.sh bench-bundle) on a machine with no Node, npm or Rust.
#   bash .dawn/run.sh [--sizes 512,1024,largest] [--steps 20] [--dawn backend=vulkan] [--json FILE] [--weights FILE]
# Unpacks Node and Dawn into $ARTSY_DAWN_TMP (default /tmp/artsy-dawn) and times the engine with the weights in the
# checkout's assets/. Dawn needs the Vulkan loader (the bundle brings one, used where the system has none) and, for an
# NVIDIA GPU, VK_DRIVER_FILES naming its driver (set here when the H100 machine's is found).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
work=${ARTSY_DAWN_TMP:-/tmp/artsy-dawn}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

# Decompresses $1 (xz) to $2, with xz or, where there is none, Python's lzma.
unpack() {
    if [ -e "$2" ] && [ "$2" -nt "$1" ]; then
        return
    fi
    if command -v xz >/dev/null; then
        xz -dc "$1" >"$2.part"
    elif command -v python3 >/dev/null; then
        python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
            "$1" "$2.part"
    else
        echo "error: neither xz nor python3 is here to unpack $1" >&2
        exit 1
    fi
    chmod +x "$2.part"
    mv "$2.part" "$2"
}

mkdir -p "$work/webgpu/dist/linux-x64"
cp "$here"/webgpu/* "$work/webgpu/"
unpack "$here/node.xz" "$work/node"
dawn=$work/webgpu/dist/linux-x64/dawn.node
unpack "$here/dawn.node.xz" "$dawn"
unpack "$here/lib.tar.xz" "$work/lib.tar"
mkdir -p "$work/pkg"
cp "$here/pkg/artsy.js" "$work/pkg/"
unpack "$here/pkg/artsy_bg.wasm.xz" "$work/pkg/artsy_bg.wasm"
rm -rf "$work/lib" && mkdir -p "$work/lib/use"
tar xf "$work/lib.tar" -C "$work/lib"

# The Vulkan loader and its GL kin: the system's where it has them, else the bundle's (nothing is installed).
installed=$({ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null || true)
for lib in "$work"/lib/vulkan/*; do
    if ! grep -q "^[[:space:]]*${lib##*/} (.*x86-64" <<<"$installed"; then
        echo "${lib##*/} is not installed here: using the bundle's copy" >&2
        ln -s "$lib" "$work/lib/use/"
    fi
done
export LD_LIBRARY_PATH=$work/lib/use${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# dawn.node needs a C++ runtime as new as the one it was built with (GLIBCXX_3.4.30).
if ! problem=$("$work/node" -e "require('$dawn')" 2>&1); then
    echo "dawn.node does not load with this system's libraries (${problem##*Error: }): using the bundle's C++ runtime" >&2
    export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$work/lib/cxx
    "$work/node" -e "require('$dawn')" || { echo "error: dawn.node does not load" >&2; exit 1; }
fi

nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -e "$nvidia_icd" ]; then
    echo "VK_DRIVER_FILES=$nvidia_icd (the NVIDIA driver found here)" >&2
    export VK_DRIVER_FILES=$nvidia_icd
fi

# The options given come after the defaults, so they win.
exec "$work/node" "$here/bench_web.mjs" --webgpu "$work/webgpu" --pkg "$work/pkg" \
    --weights "$repo/assets/vgg19/vgg19-conv-u8.safetensors" "$@"
