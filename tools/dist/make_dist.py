"""Builds dist/, the static site to upload anywhere (under any path prefix: every URL in it is relative), from the
built page in www/ (./build.sh web) and assets/: the module, the wasm, the style and the weights named by content
hash (cache them forever), a small index.html naming them, the sample pictures, a web app manifest with icons,
and a service worker that keeps the app shell for offline use.
Usage: python3 tools/dist/make_dist.py [OUT_DIR]   (run from the repository root; OUT_DIR defaults to dist)"""

import hashlib
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from icon import icon_png  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else "dist"
WEIGHTS = "assets/vgg19/vgg19-conv-u8.safetensors"
# what the page fetches from data/: the default pair and the photos a live filter learns from
SAMPLES = sorted(f for f in os.listdir("assets/images") if f.startswith("content_")) + \
    ["style_starry_night_vangogh.jpg"]


def short_hash(data):
    return hashlib.sha256(data).hexdigest()[:12]


def hashed_name(stem, ext, data):
    return f"{stem}.{short_hash(data)}.{ext}"


def write(path, data):
    full = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    if not os.path.exists("www/pkg/artsy.js"):
        sys.exit("error: www/pkg/artsy.js is missing: build the page first (./build.sh web)")
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)

    wasm = read("www/pkg/artsy_bg.wasm")
    wasm_name = hashed_name("artsy_bg", "wasm", wasm)
    module = read("www/pkg/artsy.js").decode()
    if "new URL('artsy_bg.wasm', import.meta.url)" not in module:
        sys.exit("error: www/pkg/artsy.js no longer names artsy_bg.wasm as expected; update tools/dist/make_dist.py")
    module = module.replace("new URL('artsy_bg.wasm', import.meta.url)",
                            f"new URL('{wasm_name}', import.meta.url)").encode()
    module_name = hashed_name("artsy", "js", module)
    style = read("www/style.css")
    style_name = hashed_name("style", "css", style)
    weights = read(WEIGHTS)
    weights_name = "data/" + hashed_name("vgg19-conv-u8", "safetensors", weights)
    write(wasm_name, wasm)
    write(module_name, module)
    write(style_name, style)
    write(weights_name, weights)
    for sample in SAMPLES:
        write("data/" + sample, read("assets/images/" + sample))

    icons = {}
    for size in (192, 512):
        png = icon_png(size)
        icons[size] = hashed_name(f"icon-{size}", "png", png)
        write(icons[size], png)
    manifest = {
        "name": "Artsy: style transfer on your own GPU",
        "short_name": "Artsy",
        "description": "Repaint a photo in a painting's style, on your own GPU (WebGPU).",
        "start_url": "./",
        "scope": "./",
        "display": "standalone",
        "background_color": "#f7f5f0",
        "theme_color": "#18265c",
        "icons": [{"src": icons[192], "sizes": "192x192", "type": "image/png", "purpose": "any"},
                  {"src": icons[512], "sizes": "512x512", "type": "image/png", "purpose": "any"},
                  {"src": icons[512], "sizes": "512x512", "type": "image/png", "purpose": "maskable"}],
    }
    write("manifest.webmanifest", json.dumps(manifest, indent=1).encode())

    index = read(os.path.join(HERE, "index.html")).decode()
    for key, value in {"__MODULE__": module_name, "__STYLE__": style_name, "__WEIGHTS__": weights_name,
                       "__ICON192__": icons[192]}.items():
        index = index.replace(key, value)
    write("index.html", index.encode())

    # The shell the service worker keeps: everything but the weights (the page keeps those itself).
    shell = ["./", module_name, wasm_name, style_name, "manifest.webmanifest", icons[192], icons[512]] + \
        ["data/" + s for s in SAMPLES]
    # the version changes with the content of every file kept, also of those with fixed names (the sample
    # pictures, the manifest, the page), so that a changed one reaches returning visitors
    kept = [index.encode() if url == "./" else read(os.path.join(OUT, url)) for url in shell]
    version = short_hash(b"".join(hashlib.sha256(data).digest() for data in kept))
    worker = read(os.path.join(HERE, "sw.js")).decode()
    worker = worker.replace("__VERSION__", version).replace("__SHELL__", json.dumps(shell))
    write("sw.js", worker.encode())

    total = 0
    for root, _, files in os.walk(OUT):
        for name in sorted(files):
            path = os.path.join(root, name)
            total += os.path.getsize(path)
            print(f"{os.path.getsize(path):>10}  {os.path.relpath(path, OUT)}")
    print(f"{total:>10}  in all ({OUT}/)")


if __name__ == "__main__":
    main()
