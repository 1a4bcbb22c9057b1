"""End-to-end test of the served page in headless Chromium (WebGPU through SwiftShader).

Loads the page, chooses two images through the drop zones' file inputs, starts a small run, waits for several
preview updates, downloads the PNG, and saves screenshots before, during and after the run.
Usage: [E2E_SIZE=64] [E2E_ITERS=8] python3 tests/e2e/page_test.py URL OUT_DIR
"""

import json
import os
import struct
import sys
import time

from playwright.sync_api import sync_playwright

URL, OUT = sys.argv[1], sys.argv[2]
SIZE = int(os.environ.get("E2E_SIZE", "64"))
ITERS = int(os.environ.get("E2E_ITERS", "8"))
# E2E_DEFAULTS=1 runs the preloaded pair (astronaut + Starry Night) instead of choosing the cat and the wave
DEFAULTS = os.environ.get("E2E_DEFAULTS") == "1"
SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "data", "images")
FLAGS = ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"]


def text(page, selector):
    return page.locator(selector).inner_text()


def choose_cat_and_wave(page):
    """Chooses the cat and the Great Wave through the drop zones' file inputs, as a user clicking each zone would."""
    page.set_input_files(".drop[data-kind=content] input[type=file]", os.path.join(SHARED, "content_chelsea_cat.png"))
    page.set_input_files(".drop[data-kind=style] input[type=file]", os.path.join(SHARED, "style_great_wave_hokusai.jpg"))
    page.wait_for_function("document.querySelector('.drop[data-kind=content] .caption').textContent.includes('chelsea')")
    page.wait_for_function("document.querySelector('.drop[data-kind=style] .caption').textContent.includes('wave')")


def main():
    os.makedirs(OUT, exist_ok=True)
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1100, "height": 1500}, accept_downloads=True)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(URL)
        page.wait_for_selector(".drop.filled[data-kind=style]", timeout=120_000)
        page.wait_for_function("!document.querySelector('section.actions button.primary').disabled", timeout=120_000)
        results["gpu"] = text(page, ".gpu")
        page.screenshot(path=os.path.join(OUT, "before.png"), full_page=True)

        if not DEFAULTS:
            choose_cat_and_wave(page)

        page.fill(".controls input[type=number] >> nth=0", str(SIZE))  # output size
        page.fill(".controls input[type=number] >> nth=1", str(ITERS))  # iterations
        t0 = time.time()
        page.click("section.actions button.primary")
        # first preview: the canvas gets its size and the download button wakes up
        page.wait_for_function("document.querySelector('canvas.preview').width > 0 && "
                               "!document.querySelector('section.actions button:nth-child(4)').disabled", timeout=300_000)
        results["first_preview_s"] = round(time.time() - t0, 1)
        page.wait_for_function("/Step [1-9][0-9]*\\/%d/.test(document.querySelector('.stats').textContent)" % ITERS,
                               timeout=300_000)
        page.screenshot(path=os.path.join(OUT, "during.png"), full_page=True)
        results["during"] = text(page, ".stats")
        page.wait_for_function("document.querySelector('.stats').textContent.startsWith('Done')", timeout=600_000)
        results["after"] = text(page, ".stats")
        page.screenshot(path=os.path.join(OUT, "after.png"), full_page=True)

        with page.expect_download() as info:
            page.click("section.actions button:nth-child(4)")
        download = info.value
        path = os.path.join(OUT, "download.png")
        download.save_as(path)
        results["download_name"] = download.suggested_filename
        with open(path, "rb") as f:
            head = f.read(24)
        assert head[:8] == b"\x89PNG\r\n\x1a\n", "the download is not a PNG"
        w, h = struct.unpack(">II", head[16:24])
        results["download_size"] = [w, h]
        assert max(w, h) == SIZE, (w, h)
        expected = "artsy-astronaut-starry_night_vangogh.png" if DEFAULTS else "artsy-chelsea_cat-great_wave_hokusai.png"
        assert download.suggested_filename == expected, download.suggested_filename
        assert not errors, errors
        browser.close()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
