#!/usr/bin/env bash
# Runs the web benchmark from the .dawn/ bundle (./build.sh bench-bundle) on a machine with no Node, npm or Rust.
#   bash .dawn/run.sh [--sizes 512,1024,largest] [--steps 20] [--dawn backend=vulkan] [--json FILE] [--weights FILE]
# Unpacks Node and Dawn into $ARTSY_DAWN_TMP (default /tmp/artsy-dawn) and times the engine with the weights in the
# checkout's assets/. Dawn needs the Vulkan loader and, for an NVIDIA GPU, VK_DRIVER_FILES naming its driver.
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
unpack "$here/dawn.node.xz" "$work/webgpu/dist/linux-x64/dawn.node"

if ! { ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
    echo "warning: no Vulkan loader (libvulkan.so.1) is installed: Dawn will find no GPU. On a machine without a" >&2
    echo "package manager, bring its .deb files (libvulkan1 and its kin) and: for f in .gl/*.deb; do" >&2
    echo "dpkg -x \$f /; done; ldconfig" >&2
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -e "$nvidia_icd" ]; then
    echo "VK_DRIVER_FILES=$nvidia_icd (the NVIDIA driver found here)" >&2
    export VK_DRIVER_FILES=$nvidia_icd
fi

# The options given come after the defaults, so they win.
exec "$work/node" "$here/bench_web.mjs" --webgpu "$work/webgpu" --pkg "$here/pkg" \
    --weights "$repo/assets/vgg19/vgg19-conv-u8.safetensors" "$@"
