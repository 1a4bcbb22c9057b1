# What the GPU-machine scripts (bench_all.sh, gpu_filters.sh) share; sourced from the repository root.
# `bin`: the folder of the release binaries, target/release, or /tmp/artsy-bin with .bench/*.xz unpacked into it
# where the machine has no Rust (BIN=DIR names another folder). `part SECONDS COMMAND...` runs one part of a run
# with a time limit, logs its start, and goes on when it fails.

bin=${BIN:-target/release}
if [ -z "${BIN:-}" ] && [ -f .bench/bench.xz ]; then
    bin=/tmp/artsy-bin
    mkdir -p "$bin"
    for b in bench artsy kernels kernels_unchecked tensor_cores filter_conv; do
        [ -f ".bench/$b.xz" ] || continue
        python3 -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" \
            ".bench/$b.xz" "$bin/$b"
        chmod +x "$bin/$b"
    done
fi

part() {
    local seconds=$1
    shift
    echo
    echo "=== $* ($(date +%T))"
    timeout "$seconds" "$@" || echo "=== FAILED or timed out ($?): $*"
}
