#!/usr/bin/env bash
# Runs the tensor-core tests on the CPU. Debian sid's Mesa lavapipe offers cooperative matrices (8x8x8, f16 into
# f32) where Debian bookworm's Mesa has none, so tests/tensor_cores.rs skips there. This fetches sid's
# mesa-vulkan-drivers and everything it depends on from deb.debian.org into target/lavapipe-sid (nothing is
# installed) and runs the test binary through sid's own dynamic loader, with that lavapipe as the only driver.
#
# Usage, from anywhere in the checkout:
#   tests/lavapipe_coop.sh [TEST ARGS...]        cargo test --release --test tensor_cores, on sid's lavapipe
#   tests/lavapipe_coop.sh --run BINARY [ARGS]   any binary (target/release/bench --tensor-cores on ...)
set -euo pipefail
cd "$(dirname "$0")/.."
cache=target/lavapipe-sid
root=$cache/root
mirror=https://deb.debian.org/debian

if [ ! -f "$cache/ready" ]; then
    mkdir -p "$cache/debs" "$root"
    echo "fetching sid's lavapipe and its dependencies into $cache (once)" >&2
    curl -sSfL -o "$cache/Packages.xz" "$mirror/dists/sid/main/binary-amd64/Packages.xz"
    # mesa-vulkan-drivers and its Depends / Pre-Depends, recursively (first alternative of each)
    python3 - "$cache/Packages.xz" > "$cache/files.txt" <<'EOF'
import lzma, re, sys
packages = {}
for stanza in lzma.open(sys.argv[1], "rt").read().split("\n\n"):
    fields = dict(re.findall(r"^([\w-]+): (.*)$", stanza, re.M))
    if "Package" in fields:
        packages.setdefault(fields["Package"], fields)
todo, seen = ["mesa-vulkan-drivers"], set()
while todo:
    name = todo.pop()
    if name in seen or name not in packages:
        continue
    seen.add(name)
    p = packages[name]
    print(p["Filename"])
    for field in ("Pre-Depends", "Depends"):
        for dep in filter(None, p.get(field, "").split(",")):
            todo.append(dep.split("|")[0].split("(")[0].split(":")[0].strip())
EOF
    while read -r file; do
        deb=$cache/debs/$(basename "$file")
        [ -f "$deb" ] || curl -sSfL -o "$deb" "$mirror/$file"
        dpkg-deb -x "$deb" "$root"
    done < "$cache/files.txt"
    lvp=$(find "$root" -name libvulkan_lvp.so | head -1)
    python3 - "$lvp" "$cache/lvp_icd.json" <<'EOF'
import json, os, sys
json.dump({"file_format_version": "1.0.1",
           "ICD": {"library_path": os.path.abspath(sys.argv[1]), "api_version": "1.4.0"}}, open(sys.argv[2], "w"))
EOF
    touch "$cache/ready"
fi

libs=$PWD/$root/usr/lib/x86_64-linux-gnu:$PWD/$root/lib/x86_64-linux-gnu:$PWD/$root/usr/lib
loader=$PWD/$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
export VK_DRIVER_FILES=$PWD/$cache/lvp_icd.json VK_ICD_FILENAMES=$PWD/$cache/lvp_icd.json
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
# sid's lavapipe has cooperative matrices and f16: a test that finds none fails instead of skipping
export ARTSY_REQUIRE=${ARTSY_REQUIRE-f16,tensor-cores}

if [ "${1:-}" = --run ]; then
    shift
    exec "$loader" --library-path "$libs" "$@"
fi
binary=$(cargo test --release --test tensor_cores --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "tensor_cores" and m.get("executable"):
        print(m["executable"])')
exec "$loader" --library-path "$libs" "$binary" "$@"
