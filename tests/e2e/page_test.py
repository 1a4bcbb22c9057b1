"""End-to-end test of the served page in headless Chromium (WebGPU through SwiftShader, a fake camera).

Loads the page; chooses a photo and two paintings through the drop zones' file inputs and checks the blend shares
add up to 100%; opens the advanced settings, switches pooling and sees a bad layer weight refused; runs a small
transfer coarse to fine with L-BFGS and the photo's colours, waits for previews and both stages and downloads the
PNG; saves a filter, reloads the page and finds it still in the gallery; exports it (a JSON file of
format "artsy-filter"), deletes it, imports the exported file back, refuses a bad file with a message, applies the
filter with one click and sees the run start; takes a photo with the fake camera. First, with the weights held back
on their way, it checks that a photo and painting chosen right after load are kept and painted (never replaced by
the samples) and that the zones show the samples before the weights arrive. Screenshots go to OUT_DIR.
Usage: [E2E_SIZE=64] [E2E_ITERS=8] python3 tests/e2e/page_test.py URL OUT_DIR [--only early-choice]
"""

import json
import os
import re
import struct
import sys
import time

from playwright.sync_api import sync_playwright

URL, OUT = sys.argv[1], sys.argv[2]
SIZE = int(os.environ.get("E2E_SIZE", "64"))
ITERS = int(os.environ.get("E2E_ITERS", "8"))
SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "data", "images")
# The fake-media flags give a synthetic camera and grant its permission without asking.
FLAGS = ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
         "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
START = "section.actions button.primary"
DOWNLOAD = "section.actions button:nth-child(4)"
STOP = "section.actions button:nth-child(3)"


def text(page, selector):
    return page.locator(selector).inner_text()


def shot(page, name):
    page.screenshot(path=os.path.join(OUT, name), full_page=True)


def wait_ready(page):
    page.wait_for_selector(".drop.filled[data-kind=style]", timeout=120_000)
    page.wait_for_function(f"!document.querySelector('{START}').disabled", timeout=120_000)


def wait_alert(page, fragment):
    page.wait_for_function("(f) => { const a = document.querySelector('.alert');"
                           " return !a.hidden && a.textContent.includes(f); }", arg=fragment, timeout=30_000)


def cards(page):
    return page.locator(".filter-card .filter-title").all_inner_texts()


def choose_images(page):
    """The cat as the photo, the Great Wave and Starry Night as two paintings, as a user clicking each zone would."""
    page.set_input_files(".drop[data-kind=content] input[type=file]", os.path.join(SHARED, "content_chelsea_cat.png"))
    page.set_input_files(".painting >> nth=0 >> input[type=file]", os.path.join(SHARED, "style_great_wave_hokusai.jpg"))
    page.wait_for_function("document.querySelector('.drop[data-kind=content] .caption').textContent.includes('chelsea')")
    page.wait_for_function("document.querySelector('.painting .caption').textContent.includes('wave')")
    # one painting: no blend row, no remove button
    assert not page.locator(".painting .blend").is_visible()
    page.click("button.add-painting")
    assert page.locator(".painting").count() == 2
    page.set_input_files(".painting >> nth=1 >> input[type=file]",
                         os.path.join(SHARED, "style_starry_night_vangogh.jpg"))
    page.wait_for_function("document.querySelectorAll('.painting .caption')[1].textContent.includes('starry')")
    shares = [int(s.rstrip("%")) for s in page.locator(".painting .share").all_inner_texts()]
    assert shares == [50, 50], shares
    page.locator(".painting >> nth=0 >> .blend input").fill("90")
    page.locator(".painting >> nth=1 >> .blend input").fill("30")
    shares = [int(s.rstrip("%")) for s in page.locator(".painting .share").all_inner_texts()]
    assert shares == [75, 25] and sum(shares) == 100, shares
    return shares


def caption(page, zone):
    return page.locator(f"{zone} .caption").first.inner_text()


def hold_weights(page):
    """Holds every request for the weights until the returned function is called (as a slow network would)."""
    held = []
    page.route("**/vgg19-conv-u8.safetensors", lambda route: held.append(route))

    def release():
        for _ in range(600):  # the request comes once the GPU is open
            if held:
                break
            page.wait_for_timeout(100)
        assert held, "the page never asked for the weights"
        for route in held:
            route.continue_()
    return release


def check_an_early_choice_wins(browser, results):
    """A photo and a painting chosen through the zones' file inputs right after load, while the weights are still on
    their way, stay chosen when the weights and samples arrive, and the run paints them. Then, on a fresh visit, the
    zones show the sample pair while the weights are still held back."""
    context = browser.new_context(viewport={"width": 1100, "height": 1400}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    release = hold_weights(page)
    page.goto(URL)
    page.set_input_files(".drop[data-kind=content] input[type=file]", os.path.join(SHARED, "content_chelsea_cat.png"))
    page.set_input_files(".painting >> nth=0 >> input[type=file]", os.path.join(SHARED, "style_great_wave_hokusai.jpg"))
    page.wait_for_function("document.querySelector('.drop[data-kind=content] .caption').textContent.includes('chelsea')"
                           " && document.querySelector('.painting .caption').textContent.includes('wave')")
    time.sleep(3)
    release()
    wait_ready(page)
    time.sleep(2)  # whatever would replace the choice has had its chance
    shot(page, "early-choice.png")
    chosen = (caption(page, ".drop[data-kind=content]"), caption(page, ".painting"))
    assert "chelsea" in chosen[0] and "wave" in chosen[1], f"the user's choice was replaced: {chosen}"
    page.fill(".controls input[type=number] >> nth=0", "32")
    page.fill(".controls input[type=number] >> nth=1", "2")
    page.click(START)
    page.wait_for_function("document.querySelector('.stats').textContent.startsWith('Done')", timeout=300_000)
    with page.expect_download() as info:
        page.click(DOWNLOAD)
    assert info.value.suggested_filename == "artsy-chelsea_cat-great_wave_hokusai.png", info.value.suggested_filename
    shot(page, "early-choice-run.png")
    results["early choice"] = chosen
    context.close()

    # A fresh visit (no cached weights): the samples are shown while the weights are still held back.
    context = browser.new_context(viewport={"width": 1100, "height": 1400})
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    release = hold_weights(page)
    page.goto(URL)
    page.wait_for_function("document.querySelector('.drop[data-kind=content] .caption')?.textContent.includes('astronaut')"
                           " && document.querySelector('.painting .caption')?.textContent.includes('starry')",
                           timeout=60_000)
    assert "downloading" in text(page, ".weights span") or "loading" in text(page, ".weights span"), \
        text(page, ".weights span")
    shot(page, "samples-before-weights.png")
    release()
    wait_ready(page)
    context.close()
    assert not errors, errors


def main():
    os.makedirs(OUT, exist_ok=True)
    results = {}
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS, headless=True)
        check_an_early_choice_wins(browser, results)
        if only == "early-choice":
            browser.close()
            print(json.dumps(results, indent=1))
            return
        context = browser.new_context(viewport={"width": 1100, "height": 1400}, accept_downloads=True)
        context.grant_permissions(["camera"])
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(URL)
        wait_ready(page)
        results["gpu"] = text(page, ".gpu")
        size_help = text(page, ".controls .control >> nth=0 >> .help")
        assert re.search(r"up to \d+ px on this GPU", size_help), size_help
        shot(page, "before.png")

        results["shares"] = choose_images(page)

        # Advanced settings: closed at first; pooling switched to average; a bad weight is refused with a message.
        assert not page.locator(".advanced select >> nth=0").is_visible()
        page.click(".advanced summary")
        page.select_option(".advanced select >> nth=0", label="Average")  # the engine's label; its value is the token
        page.fill(".layers tr[data-layer=relu3_1] input.style + input.weight", "-2")
        page.click(START)
        wait_alert(page, "relu3_1")
        page.fill(".layers tr[data-layer=relu3_1] input.style + input.weight", "1")
        shot(page, "advanced.png")

        page.fill(".controls input[type=number] >> nth=0", str(SIZE))  # output size
        page.fill(".controls input[type=number] >> nth=1", str(ITERS))  # iterations
        page.check("input[name=original_colors]")
        # coarse to fine from half the size, with L-BFGS: the status names the stages
        page.check("input[name=multiscale]")
        page.fill(".advanced .control:has-text('Coarsest size') input", str(SIZE // 2))
        page.select_option(".controls select", "lbfgs")
        t0 = time.time()
        page.click(START)
        # first preview: the canvas gets its size and the download button wakes up
        page.wait_for_function(f"document.querySelector('canvas.preview').width > 0 && "
                               f"!document.querySelector('{DOWNLOAD}').disabled", timeout=300_000)
        results["first_preview_s"] = round(time.time() - t0, 1)
        page.wait_for_function("/Step [1-9][0-9]*\\/%d/.test(document.querySelector('.stats').textContent)" % ITERS,
                               timeout=300_000)
        shot(page, "during.png")
        results["during"] = text(page, ".stats")
        page.wait_for_function("document.querySelector('.stats').textContent.includes('px (stage 2 of 2)')",
                               timeout=300_000)
        results["stage 2"] = text(page, ".stats")
        page.wait_for_function("document.querySelector('.stats').textContent.startsWith('Done')", timeout=600_000)
        results["after"] = text(page, ".stats")
        shot(page, "after.png")

        with page.expect_download() as info:
            page.click(DOWNLOAD)
        download = info.value
        path = os.path.join(OUT, "download.png")
        download.save_as(path)
        with open(path, "rb") as f:
            head = f.read(24)
        assert head[:8] == b"\x89PNG\r\n\x1a\n", "the download is not a PNG"
        w, h = struct.unpack(">II", head[16:24])
        assert max(w, h) == SIZE, (w, h)
        assert download.suggested_filename == "artsy-chelsea_cat-great_wave_hokusai+starry_night_vangogh.png", \
            download.suggested_filename

        # Save a filter; it is in the gallery, and still there after a reload (IndexedDB).
        page.fill("input.filter-name", "Wave and stars")
        page.click("button.save-filter")
        page.wait_for_function("document.querySelectorAll('.filter-card').length === 1", timeout=30_000)
        assert cards(page) == ["Wave and stars"], cards(page)
        page.reload()
        wait_ready(page)
        page.wait_for_function("document.querySelectorAll('.filter-card').length === 1", timeout=30_000)
        assert cards(page) == ["Wave and stars"], cards(page)
        results["summary"] = text(page, ".filter-summary")
        shot(page, "gallery.png")

        # Export: a download named after the filter, JSON of format "artsy-filter" with everything in it.
        with page.expect_download() as info:
            page.click(".filter-card button.export")
        exported = os.path.join(OUT, info.value.suggested_filename)
        info.value.save_as(exported)
        assert info.value.suggested_filename == "Wave-and-stars.artsy-filter.json", info.value.suggested_filename
        with open(exported) as f:
            filter_json = json.load(f)
        assert filter_json["format"] == "artsy-filter", filter_json["format"]
        assert filter_json["name"] == "Wave and stars"
        assert [s["name"] for s in filter_json["styles"]] == ["style_great_wave_hokusai.jpg",
                                                              "style_starry_night_vangogh.jpg"]
        assert abs(filter_json["styles"][0]["blend"] - 0.75) < 1e-6, filter_json["styles"][0]["blend"]
        params = filter_json["params"]
        assert params["pooling"] == "Average" and params["original_colors"] is True, params
        assert params["size"] == SIZE and params["iterations"] == ITERS, params
        assert params["multiscale"] is True and params["multiscale_start"] == SIZE // 2, params
        assert params["optimizer"] == "Lbfgs", params

        # Delete it, import a bad file (a message, nothing added), then import the exported file back.
        page.click(".filter-card button.delete")  # the first click only asks
        assert text(page, ".filter-card button.delete") == "Really delete?"
        time.sleep(0.5)
        assert page.locator(".filter-card").count() == 1
        page.click(".filter-card button.delete")
        page.wait_for_function("document.querySelectorAll('.filter-card').length === 0", timeout=30_000)
        bad = os.path.join(OUT, "broken.artsy-filter.json")
        with open(bad, "w") as f:
            f.write('{"format": "something else"}')
        page.set_input_files(".filters input[type=file]", bad)
        wait_alert(page, "not a usable Artsy filter")
        assert page.locator(".filter-card").count() == 0
        page.set_input_files(".filters input[type=file]", exported)
        page.wait_for_function("document.querySelectorAll('.filter-card').length === 1", timeout=30_000)
        assert cards(page) == ["Wave and stars"], cards(page)

        # Apply with one click: the page takes the filter's paintings and settings and the run starts; the page's
        # output size (it depends on the photo and GPU) is kept.
        assert page.locator(".painting").count() == 1  # the reload brought back one painting
        page.fill(".controls input[type=number] >> nth=0", str(SIZE // 2))
        page.click(".filter-card button.apply")
        page.wait_for_function("/Step [1-9][0-9]*\\/%d/.test(document.querySelector('.stats').textContent)" % ITERS,
                               timeout=300_000)
        assert page.locator(".painting").count() == 2
        assert page.locator(".advanced select >> nth=0").input_value() == "avg"
        assert page.locator(".controls input[type=number] >> nth=0").input_value() == str(SIZE // 2)
        assert page.locator("input[name=original_colors]").is_checked()
        assert page.locator(".controls select").input_value() == "lbfgs"
        shares = [int(s.rstrip("%")) for s in page.locator(".painting .share").all_inner_texts()]
        assert shares == [75, 25], shares
        results["applied"] = text(page, ".stats")
        page.click(STOP)
        page.wait_for_function("/^(Stopped|Done)/.test(document.querySelector('.stats').textContent)",
                               timeout=300_000)

        # The camera: a live preview from the fake device, then its frame becomes the photo.
        page.click("button.camera-open")
        page.wait_for_function("!document.querySelector('.camera .primary').disabled", timeout=30_000)
        page.wait_for_function("document.querySelector('.camera video').videoWidth > 0", timeout=30_000)
        shot(page, "camera.png")
        page.click(".camera .primary")
        page.wait_for_function("document.querySelector('.drop[data-kind=content] .caption').textContent"
                               ".startsWith('camera-')", timeout=30_000)
        assert not page.locator(".camera").is_visible()
        page.wait_for_function("document.querySelector('.drop[data-kind=content] .thumb').naturalWidth === 640")
        assert page.locator(".camera video").evaluate("v => v.srcObject === null"), "the camera was not stopped"
        results["camera"] = text(page, ".drop[data-kind=content] .caption")
        assert not errors, errors
        browser.close()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
