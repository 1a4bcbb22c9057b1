#!/usr/bin/env bash
# Artsy's one entry point for building, running, testing and benchmarking. See README.md.
#   ./build.sh setup   link the weights and sample images from ../shared into ignored folders
#   ./build.sh run     CLI demo: repaint the sample photo (extra arguments go to the CLI)
#   ./build.sh test    every test: native kernels, gradients, end to end, bad input
set -euo pipefail
cd "$(dirname "$0")"

SHARED=${ARTSY_SHARED:-../shared}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

setup() {
    for f in "$SHARED/vgg19/vgg19-conv-u8.safetensors" "$SHARED/images/content_astronaut.png"; do
        [ -e "$f" ] || { echo "missing $f: put the shared data beside this checkout (or set ARTSY_SHARED)" >&2; exit 1; }
    done
    local shared_abs
    shared_abs=$(cd "$SHARED" && pwd)
    mkdir -p data
    ln -sfn "$shared_abs/vgg19" data/vgg19
    ln -sfn "$shared_abs/images" data/images
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case "$cmd" in
    setup) setup ;;
    run)
        setup
        cargo run --release -- "$@"
        ;;
    test)
        setup
        cargo test --release -- --test-threads=2
        ;;
    *)
        echo "usage: ./build.sh [setup|run|test]" >&2
        exit 2
        ;;
esac
