"""End-to-end test of the served page in headless Chromium (WebGPU through SwiftShader, a fake camera).

Loads the page; chooses a photo and two paintings through the drop zones' file inputs and checks the blend shares
add up to 100%; opens the advanced settings, switches pooling and sees a bad layer weight refused; runs a small
transfer coarse to fine with L-BFGS and the photo's colours, waits for previews and both stages and downloads the
PNG; saves a filter, reloads the page and finds it still in the gallery; exports it (a JSON file of
format "artsy-filter"), deletes it, imports the exported file back, refuses a bad file with a message, applies the
filter with one click and sees the run start; takes a photo with the fake camera. First, with the weights held back
on their way, it checks that a photo and painting chosen right after load are kept and painted (never replaced by
the samples) and that the zones show the samples before the weights arrive. Then the live filters: makes one from
the default painting with a few training steps, finds it in the gallery, applies it to a new photo at once, runs
the fake camera through it (frames drawn, the frame rate shown, a drawn frame unlike the camera's own and not one
flat colour, a snapshot PNG, a switch of filters while live) and sees the camera off after Stop. With --dist, first
the built site (./build.sh dist) served under a sub-path: installable (a manifest Chromium accepts), a run of the
default pair, then offline: a reload still opens the page and a second run completes. The browser decodes
pictures: a sideways phone photo (EXIF orientation 6) shows and is painted upright, an ICO is read. The default
flow works with the keyboard alone (Enter on a zone opens the file picker, Start, Download), and axe-core finds no
serious or critical violation before, during and after a run. The result compares with the photo (slider, press and
hold) and is drawn at whole device pixels; the estimate beside Start follows the size and warns of a long run. On a
first visit the GPU is timed when the weights are ready: a Start pressed meanwhile runs normally, and the estimate
shows a rough time before any run. Screenshots go to OUT_DIR.
Usage: [E2E_SIZE=64] [E2E_ITERS=8] [E2E_TRAIN_STEPS=4] [E2E_LIVE_SIZES=320x240,640x480]
       python3 tests/e2e/page_test.py URL OUT_DIR [--dist DIST_URL] [--only early-choice|live|dist|decoding|keyboard|first-estimate]
       python3 tests/e2e/page_test.py URL OUT_DIR --only decode-timing   (no test: times decoding a 6000x4000 JPEG)
       python3 tests/e2e/page_test.py URL OUT_DIR --only install --dist DIST_URL   (not in the default run: installs
           the built site as an app in a fresh profile through Chromium's DevTools protocol and launches it)
"""

import base64
import json
import os
import re
import struct
import sys
import time
import zlib

from playwright.sync_api import sync_playwright

URL, OUT = sys.argv[1], sys.argv[2]
SIZE = int(os.environ.get("E2E_SIZE", "64"))
AXE = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "axe-core", "axe.min.js")
ITERS = int(os.environ.get("E2E_ITERS", "8"))
TRAIN_STEPS = int(os.environ.get("E2E_TRAIN_STEPS", "4"))
CAMERA_TRAIN_STEPS = int(os.environ.get("E2E_CAMERA_TRAIN_STEPS", "200"))  # stopped once the frame is renewed
LIVE_SIZES = os.environ.get("E2E_LIVE_SIZES", "320x240").split(",")
IMAGES = os.path.join(os.path.dirname(__file__), "..", "..", "assets", "images")
# The fake-media flags give a synthetic camera and grant its permission without asking.
FLAGS = ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
         "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
# Headless Chromium's default compositor loses the WebGPU device as soon as a WebGPU canvas presents (Dawn runs on
# Vulkan SwiftShader, the compositor on ANGLE's GL SwiftShader); with these the compositor runs on Vulkan SwiftShader
# too and the live view's canvas works (the video element can then be copied from directly, too).
CANVAS_FLAGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist", "--enable-gpu",
                "--enable-features=Vulkan", "--use-vulkan=swiftshader"]
START = "section.actions button.primary"
DOWNLOAD = "section.actions button:nth-child(4)"
STOP = "section.actions button:nth-child(3)"


def text(page, selector):
    return page.locator(selector).inner_text()


def shot(page, name):
    page.screenshot(path=os.path.join(OUT, name), full_page=True, timeout=300_000)


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
    page.set_input_files(".drop[data-kind=content] input[type=file]", os.path.join(IMAGES, "content_chelsea_cat.png"))
    page.set_input_files(".painting >> nth=0 >> input[type=file]", os.path.join(IMAGES, "style_great_wave_hokusai.jpg"))
    page.wait_for_function("document.querySelector('.drop[data-kind=content] .caption').textContent.includes('chelsea')")
    page.wait_for_function("document.querySelector('.painting .caption').textContent.includes('wave')")
    # one painting: no blend row, no remove button
    assert not page.locator(".painting .blend").is_visible()
    page.click("button.add-painting")
    assert page.locator(".painting").count() == 2
    page.set_input_files(".painting >> nth=1 >> input[type=file]",
                         os.path.join(IMAGES, "style_starry_night_vangogh.jpg"))
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
    page.set_input_files(".drop[data-kind=content] input[type=file]", os.path.join(IMAGES, "content_chelsea_cat.png"))
    page.set_input_files(".painting >> nth=0 >> input[type=file]", os.path.join(IMAGES, "style_great_wave_hokusai.jpg"))
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


def run_tiny(page):
    """A run of whatever pair is chosen at 32 px for 2 steps, to its end."""
    page.fill(".controls input[type=number] >> nth=0", "32")
    page.fill(".controls input[type=number] >> nth=1", "2")
    page.click(START)
    page.wait_for_function("document.querySelector('.stats').textContent.startsWith('Done')", timeout=300_000)


def check_dist_offline(browser, url, results):
    """The built site under a sub-path: the page, its hashed files and the weights load from there; it is
    installable; the default pair runs; then, with the network off, a reload opens the page again (from the service
    worker's copy, the weights from the page's cache) and a second run completes."""
    assert re.search(r"/[^/]+/[^/]+/$", url), f"serve the site under a sub-path, not at the root: {url}"
    context = browser.new_context(viewport={"width": 1100, "height": 1400}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    fetched = []
    page.on("requestfinished", lambda r: fetched.append(r.url))
    t0 = time.time()
    page.goto(url)
    wait_ready(page)
    results["dist first visit s"] = round(time.time() - t0, 1)
    assert any(re.search(r"/tools/artsy/artsy_bg\.[0-9a-f]{12}\.wasm$", u) for u in fetched), fetched
    assert any(re.search(r"/data/vgg19-conv-u8\.[0-9a-f]{12}\.safetensors$", u) for u in fetched), fetched
    # the service worker takes the page over once it has kept the shell
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60_000)
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest.get("errors")
    assert json.loads(manifest["data"])["short_name"] == "Artsy"
    installability = [e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    results["dist installability errors"] = installability
    # Playwright's contexts are incognito ones, where Chromium installs nothing; any other reason is the site's
    assert not [e for e in installability if e != "in-incognito"], installability
    # the app's identity is its own folder: two sites on one host are two apps, and an update keeps the install
    app_id = cdp.send("Page.getAppId")["appId"]
    results["dist app id"] = app_id
    assert app_id == url, f"the installed app's id is {app_id}, not the site's folder {url}"
    run_tiny(page)
    shot(page, "dist-first.png")
    # a repeat visit, online: everything but the page comes from the kept copies
    t0 = time.time()
    page.reload()
    wait_ready(page)
    results["dist repeat visit s"] = round(time.time() - t0, 1)

    context.set_offline(True)
    page.reload()
    wait_ready(page)
    weights = text(page, ".weights span")
    assert "cache" in weights, weights
    run_tiny(page)
    with page.expect_download() as info:
        page.click(DOWNLOAD)
    assert info.value.suggested_filename == "artsy-astronaut-starry_night_vangogh.png", info.value.suggested_filename
    shot(page, "dist-offline.png")
    results["dist offline"] = text(page, ".stats")
    context.close()
    assert not errors, errors


def picture_from_page(page, width, height, kind):
    """A picture drawn and encoded by the page's canvas: red on the left half, blue on the right; kind is a MIME type
    the canvas encodes (image/jpeg, image/png)."""
    data = page.evaluate("""([w, h, kind]) => new Promise((done) => {
        const c = document.createElement('canvas'); c.width = w; c.height = h;
        const g = c.getContext('2d'); g.fillStyle = '#d22'; g.fillRect(0, 0, w, h);
        g.fillStyle = '#23d'; g.fillRect(w / 2, 0, w / 2, h);
        c.toBlob((b) => { const r = new FileReader(); r.onload = () => done(r.result.split(',')[1]);
                          r.readAsDataURL(b); }, kind, 0.92); })""", [width, height, kind])
    return base64.b64decode(data)


def with_exif_orientation(jpeg, orientation):
    """The JPEG with an EXIF segment (APP1) saying how to turn it upright, as a phone camera writes it: 6 means
    "rotate 90 degrees clockwise to view"."""
    assert jpeg[:2] == b"\xff\xd8"
    entry = struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)  # Orientation, SHORT, one value
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + struct.pack(">I", 0)
    body = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


def ico_of(png):
    """An ICO file holding `png` (a format browsers read and the image crate, as built here, does not)."""
    width, height = struct.unpack(">II", png[16:24])
    return struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", width, height, 0, 0, 1, 32, len(png), 22) + png


def check_browser_decoding(browser, results):
    """Pictures are decoded by the browser: a phone photo (a JPEG stored sideways with EXIF orientation 6) shows and
    is painted upright (its size and the preview's aspect are those of the turned picture), and an ICO, which only
    the browser reads, is accepted as a painting."""
    context = browser.new_context(viewport={"width": 1100, "height": 1400}, device_scale_factor=2)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(URL)
    wait_ready(page)
    # a picture past the largest output size is kept smaller, and its caption says so
    wide = picture_from_page(page, 5000, 100, "image/png")
    page.set_input_files(".drop[data-kind=content] input[type=file]",
                         files={"name": "wide.png", "mimeType": "image/png", "buffer": wide})
    page.wait_for_function("document.querySelector('.drop[data-kind=content] .caption').textContent.includes('wide')")
    results["wide photo"] = caption(page, ".drop[data-kind=content]")
    assert "(5000x100, kept at 4096x82)" in results["wide photo"], results["wide photo"]
    phone = with_exif_orientation(picture_from_page(page, 120, 80, "image/jpeg"), 6)
    page.set_input_files(".drop[data-kind=content] input[type=file]",
                         files={"name": "phone.jpg", "mimeType": "image/jpeg", "buffer": phone})
    page.wait_for_function("document.querySelector('.drop[data-kind=content] .caption').textContent.includes('phone')")
    results["sideways phone photo"] = caption(page, ".drop[data-kind=content]")
    assert "(80x120)" in results["sideways phone photo"], results["sideways phone photo"]
    icon = ico_of(picture_from_page(page, 48, 32, "image/png"))
    page.set_input_files(".painting >> nth=0 >> input[type=file]",
                         files={"name": "icon.ico", "mimeType": "image/x-icon", "buffer": icon})
    page.wait_for_function("document.querySelector('.painting .caption').textContent.includes('icon')")
    results["ico painting"] = caption(page, ".painting")
    assert "(48x32)" in results["ico painting"], results["ico painting"]
    run_tiny(page)
    width, height = page.evaluate("[document.querySelector('canvas.preview').width,"
                                  " document.querySelector('canvas.preview').height]")
    results["sideways photo painted"] = f"{width}x{height}"
    assert height == 32 and width < height, (width, height)
    # drawn sharp on a screen of pixel ratio 2: a whole number of device pixels per picture pixel, both ways
    scale = page.evaluate("(() => { const c = document.querySelector('canvas.preview'), r = c.getBoundingClientRect();"
                          " return [r.width * devicePixelRatio / c.width, r.height * devicePixelRatio / c.height]; })()")
    results["preview device pixels per pixel"] = scale
    assert all(abs(k - round(k)) < 1e-6 and k >= 1 for k in scale) and scale[0] == scale[1], scale
    # upright: the stored picture's left half (red) is now on top, its right half (blue) below
    whole = page.screenshot(full_page=True, scale="css")
    cells = grid(whole, page_box(page, "canvas.preview"), cells=(1, 2))
    top, bottom = cells
    assert top[0] > top[2] and bottom[2] > bottom[0], f"the painted photo is not upright: {cells}"
    shot(page, "upright.png")
    context.close()
    assert not errors, errors


def measure_decoding(browser, results, width=6000, height=4000):
    """The time to decode a large JPEG in the page, with the browser's decoders and with the image crate."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(URL)
    wait_ready(page)
    module = page.evaluate("document.querySelector('script[type=module]').textContent.match(/from \"([^\"]+)\"/)[1]")
    timing = page.evaluate("""async ([module, w, h]) => {
        const c = new OffscreenCanvas(w, h), g = c.getContext('2d');
        const data = g.createImageData(w, h), px = data.data;
        let seed = 1;
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
            seed = (seed * 1103515245 + 12345) & 0x7fffffff;
            const i = 4 * (y * w + x), n = seed % 48;
            px[i] = (x * 255 / w + n) & 255; px[i + 1] = (y * 255 / h + n) & 255; px[i + 2] = ((x ^ y) + n) & 255;
            px[i + 3] = 255;
        }
        g.putImageData(data, 0, 0);
        const jpeg = new Uint8Array(await (await c.convertToBlob({type: 'image/jpeg', quality: 0.9})).arrayBuffer());
        const m = await import(new URL(module, location.href).href);
        const runs = [];
        for (let i = 0; i < 3; i++) runs.push(JSON.parse(await m.decode_timing(jpeg)));
        return runs;
    }""", [module, width, height])
    results["decode timing"] = timing
    context.close()


def check_accessible(page, moment, results):
    """axe-core's check of the page as it is now: no serious or critical violation."""
    assert os.path.exists(AXE), f"{AXE} is missing: npm install --no-save axe-core (.ci/run does)"
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=AXE)
    found = page.evaluate("""() => axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`))""")
    results[f"axe {moment}"] = found or "no serious or critical violation"
    assert not found, f"accessibility, {moment}: {found}"


def check_control_names(page, results):
    """Each setting is named by its label alone, its line of help being its description: a screen reader says
    "Iterations", then the help after a pause, rather than both as one long name."""
    named = {"spinbutton": ["Output size", "Iterations", "Training steps", "Crop size", "Batch"],
             "slider": ["Style strength", "Smoothness", "Style scale"],
             "checkbox": ["Coarse to fine", "Keep the photo's colours"],
             "combobox": ["Optimizer", "Network width", "Filter", "Size"]}
    for role, names in named.items():
        for name in names:
            found = page.get_by_role(role, name=name, exact=True)
            assert found.count() == 1, f"no {role} named exactly {name!r} ({found.count()} found)"
    iterations = page.get_by_role("spinbutton", name="Iterations", exact=True)
    help_id = iterations.get_attribute("aria-describedby")
    described = page.locator(f"#{help_id}").text_content() if help_id else ""
    assert "Optimisation steps" in described, f"Iterations is described by {described!r}"
    results["control names"] = f"{sum(map(len, named.values()))} settings named by their labels alone"


def check_before_after(page, results):
    """The comparison under the result: the slider at 100 shows the photo in the preview's place, at 0 the result,
    at 50 the photo on the left half and the result on the right; pressing and holding shows the photo."""
    slider = ".compare-slider input"
    assert page.locator(slider).is_visible()
    page.locator(".compare").scroll_into_view_if_needed()

    def seen():
        png = page.locator(".compare").screenshot(scale="css")
        return grid(png, (0, 0) + struct.unpack(">II", png[16:24]), cells=(8, 4))

    def at(value):
        page.locator(slider).fill(str(value))
        return seen()
    photo, result, half = at(100), at(0), at(50)
    shot(page, "compare.png")
    def differ(a, b):
        return sum(abs(x[i] - y[i]) for x, y in zip(a, b) for i in range(3)) / (3 * len(a))
    left = [i for i in range(len(half)) if i % 8 < 4]
    right = [i for i in range(len(half)) if i % 8 >= 4]
    pick = lambda cells, idx: [cells[i] for i in idx]  # noqa: E731
    results["before/after"] = {"photo vs result": round(differ(photo, result), 1),
                               "left half vs photo": round(differ(pick(half, left), pick(photo, left)), 1),
                               "right half vs result": round(differ(pick(half, right), pick(result, right)), 1)}
    assert differ(photo, result) > 3, results["before/after"]
    assert differ(pick(half, left), pick(photo, left)) < 2, results["before/after"]
    assert differ(pick(half, right), pick(result, right)) < 2, results["before/after"]
    page.locator(slider).fill("0")
    where = page.locator(".compare").bounding_box()  # in the viewport, where the mouse goes
    page.mouse.move(where["x"] + where["width"] / 2, where["y"] + where["height"] / 2)
    page.mouse.down()
    held = seen()
    page.mouse.up()
    assert differ(held, photo) < 2, f"pressing and holding does not show the photo: {differ(held, photo)}"


def estimated_seconds(page):
    """The estimate beside Start, in seconds (it reads "About 1m 05s on this GPU", "About 2 h 05 min ..." or
    "About 40 days ...")."""
    shown = text(page, ".actions .estimate")
    m = re.match(r"About (?:(\d+) days|(\d+) h (\d+) min|(?:(\d+)m )?(\d+)s) on this GPU", shown)
    assert m, f"no estimate beside Start: {shown!r}"
    days, hours, minutes, short_minutes, seconds = (int(g or 0) for g in m.groups())
    return days * 86400 + hours * 3600 + (minutes + short_minutes) * 60 + seconds, shown


def check_estimate(page, results):
    """After a run, the estimate beside Start follows the settings: twice the size costs about four times the time
    per stage, and a very large run says it is long. The settings are put back."""
    size_field, steps_field = ".controls input[type=number] >> nth=0", ".controls input[type=number] >> nth=1"
    size, steps = page.locator(size_field).input_value(), page.locator(steps_field).input_value()
    page.uncheck("input[name=multiscale]")
    page.fill(size_field, "64")
    page.fill(steps_field, "100")
    small, small_text = estimated_seconds(page)
    page.fill(size_field, "128")
    large, large_text = estimated_seconds(page)
    results["estimate"] = [small_text, large_text]
    assert small > 0 and 3 <= large / small <= 5, results["estimate"]
    page.fill(size_field, "1024")
    page.fill(steps_field, "1000")
    shot(page, "estimate.png")
    results["estimate, long"] = text(page, ".actions .estimate")
    assert "long run" in results["estimate, long"], results["estimate, long"]
    page.fill(size_field, size)
    page.fill(steps_field, steps)
    page.check("input[name=multiscale]")


def check_estimate_before_any_run(browser, results):
    """On a first visit the page times this GPU briefly when the weights are ready: on a fresh page left alone the
    estimate beside Start then shows a time, marked rough, before any run, which a run's first steps refine; and a
    run started at once, while that timing still goes on, completes with no error."""
    context = browser.new_context(viewport={"width": 1100, "height": 1400})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(URL)
    wait_ready(page)
    t0 = time.time()
    page.wait_for_function("!document.querySelector('.actions .estimate').textContent.startsWith('Timing')",
                           timeout=300_000)
    results["first estimate"] = text(page, ".actions .estimate")
    results["GPU timed in s"] = round(time.time() - t0, 1)
    seconds, _ = estimated_seconds(page)
    assert seconds > 0 and "rough" in results["first estimate"], results["first estimate"]
    shot(page, "estimate-first.png")
    # a run's first steps refine it: after a run stopped at its fourth step or later it is no longer rough
    page.uncheck("input[name=multiscale]")
    page.fill(".controls input[type=number] >> nth=0", "32")
    page.fill(".controls input[type=number] >> nth=1", "50")
    page.click(START)
    page.wait_for_function("/Step ([4-9]|[1-9][0-9])\\/50/.test(document.querySelector('.stats').textContent)",
                           timeout=300_000)
    page.click(STOP)
    page.wait_for_function("document.querySelector('.stats').textContent.startsWith('Stopped')", timeout=300_000)
    results["estimate after a stopped run"] = text(page, ".actions .estimate")
    assert "rough" not in results["estimate after a stopped run"], results["estimate after a stopped run"]
    context.close()
    assert not errors, errors

    context = browser.new_context(viewport={"width": 1100, "height": 1400})
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    # a panic in the page's module is printed to the console (and the module is dead after it)
    page.on("console", lambda m: errors.append(m.text) if "panicked" in m.text else None)
    page.goto(URL)
    wait_ready(page)
    page.uncheck("input[name=multiscale]")
    page.fill(".controls input[type=number] >> nth=0", "32")
    page.fill(".controls input[type=number] >> nth=1", "2")
    timing = text(page, ".actions .estimate")
    t0 = time.time()
    page.click(START)
    assert timing == "Timing this GPU ...", f"Start was not pressed while the GPU was being timed: {timing!r}"
    deadline = time.time() + 300
    while not page.evaluate("document.querySelector('.stats').textContent.startsWith('Done') || "
                            "!document.querySelector('.alert').hidden"):
        assert not errors, errors
        assert time.time() < deadline, f"the run started while timing did not end: {text(page, '.stats')!r}"
        time.sleep(0.2)
    results["started while timing"] = text(page, ".stats")
    results["started while timing: s from Start to Done"] = round(time.time() - t0, 1)
    assert results["started while timing"].startswith("Done: 2 steps"), (results["started while timing"],
                                                                       text(page, ".alert"), errors)
    # the run's own rate replaces the timing's (the timing, cut short, left none)
    results["estimate after that run"] = text(page, ".actions .estimate")
    assert "rough" not in results["estimate after that run"], results["estimate after that run"]
    assert not errors, errors
    context.close()


def tab_to(page, selector, most=120):
    """Presses Tab until the element matching `selector` has the focus, as a keyboard user would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def check_keyboard_only(browser, results):
    """The default flow with the keyboard alone: the photo and painting zones open the file picker with Enter and
    Space, the size and steps are typed, Start with Enter, then Download with Enter; focus is visible."""
    context = browser.new_context(viewport={"width": 1100, "height": 1400}, accept_downloads=True)
    page = context.new_page()
    # Playwright takes the file choosers over once something listens for them; listening from the start means the
    # first Enter's chooser is caught too (an expect_file_chooser alone may start listening after it opened)
    page.on("filechooser", lambda chooser: None)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(URL)
    wait_ready(page)
    tab_to(page, ".drop[data-kind=content]")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(os.path.join(IMAGES, "content_chelsea_cat.png"))
    page.wait_for_function("document.querySelector('.drop[data-kind=content] .caption').textContent.includes('chelsea')")
    tab_to(page, ".painting .drop")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press(" ")
    chooser.value.set_files(os.path.join(IMAGES, "style_great_wave_hokusai.jpg"))
    page.wait_for_function("document.querySelector('.painting .caption').textContent.includes('wave')")
    for nth, value in ((0, "32"), (1, "2")):
        tab_to(page, f".controls .control:nth-child({nth + 1}) input[type=number]")
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
    tab_to(page, START)
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), f"the focused Start button shows no focus ring: {outline}"
    shot(page, "keyboard-focus.png")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('.stats').textContent.startsWith('Done')", timeout=300_000)
    tab_to(page, DOWNLOAD)
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename == "artsy-chelsea_cat-great_wave_hokusai.png", info.value.suggested_filename
    results["keyboard only"] = text(page, ".stats")
    context.close()
    assert not errors, errors


def png_pixels(data):
    """(width, height, rows of (r, g, b)) of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's screenshots
    are), decoded here so that the test needs no imaging package."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, width = 8, b"", 0
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and not interlace, (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, up_left = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def grid(png, box, cells=(16, 12)):
    """The part `box` (x, y, width, height) of a picture averaged over cells x cells blocks: a small, size-free
    summary to compare pictures by."""
    _, _, rows = png_pixels(png)
    x0, y0, width, height = box
    rows = [row[x0:x0 + width] for row in rows[y0:y0 + height]]
    out = []
    for cy in range(cells[1]):
        for cx in range(cells[0]):
            block = [rows[y][x] for y in range(cy * height // cells[1], (cy + 1) * height // cells[1])
                     for x in range(cx * width // cells[0], (cx + 1) * width // cells[0])]
            out.append(tuple(sum(p[c] for p in block) / len(block) for c in range(3)))
    return out


def spread(cells):
    """Mean absolute deviation of the cells' colours from their mean: 0 for one flat colour."""
    mean = [sum(c[i] for c in cells) / len(cells) for i in range(3)]
    return sum(abs(c[i] - mean[i]) for c in cells for i in range(3)) / (3 * len(cells))


def luma(pixels):
    return [0.299 * r + 0.587 * g + 0.114 * b for r, g, b in pixels]


def correlation(a, b):
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    va, vb = sum((x - ma) ** 2 for x in a), sum((y - mb) ** 2 for y in b)
    return cov / (va * vb) ** 0.5 if va and vb else 0.0


def check_download_pixels(page, data):
    """The downloaded PNG holds the picture the preview canvas shows (pixel for pixel), is neither black nor one flat
    colour, and still shows the photo (its brightness correlates with the photo's, averaged to the same grid)."""
    width, height, rows = png_pixels(data)
    shown = page.evaluate("() => { const c = document.querySelector('canvas.preview');"
                          " return [c.width, c.height, Array.from(c.getContext('2d')"
                          ".getImageData(0, 0, c.width, c.height).data)]; }")
    assert [width, height] == shown[:2], f"download {width}x{height}, canvas {shown[0]}x{shown[1]}"
    down = [p for row in rows for p in row]
    canvas = [tuple(shown[2][i:i + 3]) for i in range(0, len(shown[2]), 4)]
    gaps = [abs(a - b) for p, q in zip(down, canvas) for a, b in zip(p, q)]
    assert max(gaps) <= 2, f"the download differs from the canvas by up to {max(gaps)}/255"
    with open(os.path.join(IMAGES, "content_chelsea_cat.png"), "rb") as f:
        photo = f.read()
    pw, ph, _ = png_pixels(photo)
    cells = (16, 12)
    ours, theirs = grid(data, (0, 0, width, height), cells), grid(photo, (0, 0, pw, ph), cells)
    brightness = luma(down)
    mean = sum(brightness) / len(brightness)
    assert mean > 20, f"the download is black (mean brightness {mean:.1f})"
    assert spread(ours) > 5, f"the download is one flat colour (spread {spread(ours):.1f})"
    likeness = correlation(luma(ours), luma(theirs))
    assert likeness > 0.5, f"the download does not resemble the photo (brightness correlation {likeness:.2f})"
    return {"max_gap_vs_canvas": max(gaps), "mean_brightness": round(mean, 1), "spread": round(spread(ours), 1),
            "correlation_with_photo": round(likeness, 3)}


def page_box(page, selector):
    """(x, y, width, height) of an element in page pixels."""
    return page.evaluate("(s) => { const r = document.querySelector(s).getBoundingClientRect();"
                         " return [r.x + scrollX, r.y + scrollY, r.width, r.height].map(Math.round); }", selector)


def check_live_filters(playwright, results):
    """Makes a live filter from the default painting with a few steps, finds it in the gallery, applies it to a new
    photo at once, then runs the fake camera through it at each of LIVE_SIZES and stops the camera."""
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS + CANVAS_FLAGS, headless=True)
    context = browser.new_context(viewport={"width": 1100, "height": 1500}, accept_downloads=True)
    context.grant_permissions(["camera"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(URL)
    wait_ready(page)
    assert "starry" in caption(page, ".painting")
    page.fill(".controls input[type=number] >> nth=0", str(SIZE))  # the previews' and the applied picture's size
    page.fill(".live-train input[type=number] >> nth=0", str(TRAIN_STEPS))
    page.fill(".live-train input[type=number] >> nth=1", "32")
    page.fill(".live-train input[type=number] >> nth=2", "2")
    page.select_option("select.live-width", "8")
    t0 = time.time()
    page.click("button.make-live")
    page.wait_for_function("document.querySelector('.stats').textContent.startsWith('Training the live filter: step')",
                           timeout=300_000)
    results["training"] = text(page, ".stats")
    # the network's first output on the photo comes a few seconds in
    page.wait_for_function("document.querySelector('.stats').textContent.startsWith('Live filter trained') ||"
                           " !document.querySelector('section.actions button:nth-child(4)').disabled",
                           timeout=300_000)
    shot(page, "training.png")
    page.wait_for_function("document.querySelector('.stats').textContent.startsWith('Live filter trained')",
                           timeout=600_000)
    results["trained"] = text(page, ".stats")
    results["training_s"] = round(time.time() - t0, 1)
    shot(page, "trained.png")

    # In the gallery, marked live; the live camera offers it.
    page.wait_for_selector(".filter-card.live", timeout=30_000)
    assert cards(page) == ["starry night vangogh (live)"], cards(page)
    assert text(page, ".filter-card.live .filter-badge") == "live"
    results["live summary"] = text(page, ".filter-card.live .filter-summary")
    assert f"{TRAIN_STEPS}\u00a0steps\u00a0trained" in results["live summary"], results["live summary"]

    # Applied to a new photo: one pass, at once, at the page's output size.
    page.set_input_files(".drop[data-kind=content] input[type=file]", os.path.join(IMAGES, "content_chelsea_cat.png"))
    page.wait_for_function("document.querySelector('.drop[data-kind=content] .caption').textContent.includes('chelsea')")
    page.click(".filter-card.live button.apply")
    page.wait_for_function("document.querySelector('.stats').textContent.includes('applied')", timeout=60_000)
    results["applied"] = text(page, ".stats")
    assert page.evaluate("document.querySelector('canvas.preview').width") == SIZE
    shot(page, "live-applied.png")

    # Export carries the network; importing it back gives a second live filter to switch to.
    with page.expect_download() as info:
        page.click(".filter-card.live button.export")
    exported = os.path.join(OUT, info.value.suggested_filename)
    info.value.save_as(exported)
    with open(exported) as f:
        assert json.load(f)["network"]["width"] == 8
    assert "Exported" in text(page, ".stats") and re.search(r"\((\d+ kB|[\d.]+ MB)\)", text(page, ".stats"))
    page.set_input_files(".filters input[type=file]", exported)
    page.wait_for_function("document.querySelectorAll('.filter-card.live').length === 2", timeout=30_000)

    # The live camera, at each size.
    for n, size in enumerate(LIVE_SIZES):
        page.select_option("select.live-size", size)
        if n == 0:
            page.click("button.live-start")
        page.wait_for_function("(s) => { const f = document.querySelector('.live-fps');"
                               " return f.dataset.size === s && f.textContent.includes('fps'); }",
                               arg=size, timeout=300_000)
        time.sleep(3)  # a few more seconds of frames for a steadier rate
        fps = text(page, ".live-fps")
        results[f"live {size}"] = fps
        assert float(fps.split()[0]) > 0, fps
        shot(page, f"live-{size}.png")
    # one screenshot of the whole page for both (a slow GPU busy with frames can hold the next one back a while)
    whole = page.screenshot(full_page=True, timeout=300_000)
    drawn = grid(whole, page_box(page, "canvas.live-canvas"))
    camera = grid(whole, page_box(page, "video.live-video"))
    difference = sum(abs(a[i] - b[i]) for a, b in zip(drawn, camera) for i in range(3)) / (3 * len(drawn))
    results["live frame"] = {"spread": round(spread(drawn), 1), "difference from the camera": round(difference, 1)}
    assert spread(drawn) > 2, f"the drawn frame is one flat colour: {results['live frame']}"
    assert difference > 8, f"the drawn frame is the camera's own: {results['live frame']}"

    # A snapshot is a PNG of the drawn size; switching filters while live keeps the frames coming.
    # (the next frame can be a while coming on a software GPU: 0.14 fps at 320 x 240)
    with page.expect_download(timeout=300_000) as info:
        page.click("button.live-snapshot", timeout=300_000)
    head = info.value.path().read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == tuple(
        page.evaluate("[document.querySelector('canvas.live-canvas').width,"
                      " document.querySelector('canvas.live-canvas').height]")), head
    options = page.locator("select.live-filter option").evaluate_all("os => os.map(o => o.value)")
    current = page.locator("select.live-filter").input_value()
    page.select_option("select.live-filter", [o for o in options if o != current][0])
    frames = int(re.search(r"(\d+) frames", text(page, ".live-fps")).group(1))
    page.wait_for_function("(f) => +(/(\\d+) frames/.exec(document.querySelector('.live-fps').textContent) || [0, 0])[1]"
                           " > f + 1", arg=frames, timeout=120_000)
    assert page.locator(".alert").is_hidden(), text(page, ".alert")

    # Making a live filter with the camera on: its frame is learned from too, renewed every few seconds, and the
    # camera shows the network learning (frames keep coming through it while it trains), then goes back to the
    # chosen filter. Enough steps to outlast a renewal of the frame however fast they go; stopped after it, which
    # keeps the network.
    live_cards = page.locator(".filter-card.live").count()
    page.fill(".live-train input[type=number] >> nth=0", str(CAMERA_TRAIN_STEPS))
    page.click("button.make-live")
    page.wait_for_function("document.querySelector('.stats').textContent.includes(\"one of them the camera's frame\")",
                           timeout=300_000, polling=50)
    results["training with the camera"] = text(page, ".stats")
    page.wait_for_function("document.querySelector('.stats').textContent.startsWith('Training the live filter: step')",
                           timeout=300_000)
    frames = int(re.search(r"(\d+) frames", text(page, ".live-fps")).group(1))
    page.wait_for_function("(f) => +(/(\\d+) frames/.exec(document.querySelector('.live-fps').textContent) || [0, 0])[1]"
                           " > f", arg=frames, timeout=300_000)
    results["frames while training"] = text(page, ".live-fps")
    page.wait_for_function("document.querySelector('.stats').textContent.includes('camera frames learned from: 2')",
                           timeout=300_000, polling=50)
    results["training, a newer camera frame"] = text(page, ".stats")
    shot(page, "training-camera.png")
    page.click(STOP)
    page.wait_for_function("document.querySelector('.stats').textContent.startsWith('Live filter stopped')",
                           timeout=600_000)
    results["training stopped"] = text(page, ".stats")
    page.wait_for_function("(n) => document.querySelectorAll('.filter-card.live').length === n + 1", arg=live_cards,
                           timeout=30_000)
    frames = int(re.search(r"(\d+) frames", text(page, ".live-fps")).group(1))
    page.wait_for_function("(f) => +(/(\\d+) frames/.exec(document.querySelector('.live-fps').textContent) || [0, 0])[1]"
                           " > f", arg=frames, timeout=300_000)
    assert page.locator(".alert").is_hidden(), text(page, ".alert")

    # Stop: the camera goes off.
    page.click("button.live-stop")
    page.wait_for_function("document.querySelector('video.live-video').srcObject === null", timeout=60_000)
    assert page.locator("button.live-start").is_enabled()
    results["after stop"] = text(page, ".live-message")
    assert results["after stop"].startswith("Camera off"), results["after stop"]
    context.close()
    browser.close()
    assert not errors, errors


def install_dist(p, url, results):
    """Installs the built site as an app (DevTools protocol PWA.install: an ordinary profile, since incognito ones
    install nothing), launches it and screenshots what the launch opened. Headless Chromium draws no app window, so
    the launched page reports the browser's display mode, not standalone."""
    import tempfile
    with tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(profile, executable_path="/usr/bin/chromium", args=FLAGS,
                                                       headless=True, viewport={"width": 1000, "height": 900})
        page = context.new_page()
        page.goto(url)
        wait_ready(page)
        cdp = context.new_cdp_session(page)
        results["install: installability errors"] = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        manifest_id = cdp.send("Page.getAppId")["appId"]
        assert manifest_id == url, manifest_id
        cdp.send("PWA.install", {"manifestId": manifest_id})
        results["install: app state"] = cdp.send("PWA.getOsAppState", {"manifestId": manifest_id})
        with context.expect_page(timeout=30_000) as launched:
            cdp.send("PWA.launch", {"manifestId": manifest_id})
        app = launched.value
        wait_ready(app)
        results["install: launched"] = app.url
        results["install: display mode standalone"] = app.evaluate("matchMedia('(display-mode: standalone)').matches")
        shot(app, "installed-app.png")
        context.close()


def main():
    os.makedirs(OUT, exist_ok=True)
    results = {}
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    with sync_playwright() as p:
        if only == "install":
            install_dist(p, sys.argv[sys.argv.index("--dist") + 1], results)
            print(json.dumps(results, indent=1))
            return
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS, headless=True)
        if "--dist" in sys.argv:
            check_dist_offline(browser, sys.argv[sys.argv.index("--dist") + 1], results)
        flows = {"decoding": check_browser_decoding, "keyboard": check_keyboard_only, "decode-timing": measure_decoding,
                 "first-estimate": check_estimate_before_any_run}
        if only in flows:
            flows[only](browser, results)
        if only in ("dist", *flows):
            browser.close()
            print(json.dumps(results, indent=1))
            return
        if only == "live":
            browser.close()
            check_live_filters(p, results)
            print(json.dumps(results, indent=1))
            return
        check_an_early_choice_wins(browser, results)
        check_browser_decoding(browser, results)
        check_keyboard_only(browser, results)
        check_estimate_before_any_run(browser, results)
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
        check_accessible(page, "before a run", results)
        check_control_names(page, results)

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
        check_accessible(page, "during a run", results)
        page.wait_for_function("document.querySelector('.stats').textContent.includes('px (stage 2 of 2)')",
                               timeout=300_000)
        results["stage 2"] = text(page, ".stats")
        page.wait_for_function("document.querySelector('.stats').textContent.startsWith('Done')", timeout=600_000)
        results["after"] = text(page, ".stats")
        shot(page, "after.png")
        check_accessible(page, "after a run", results)
        check_before_after(page, results)
        check_estimate(page, results)

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
        with open(path, "rb") as f:
            results["download vs canvas and photo"] = check_download_pixels(page, f.read())

        # Save a filter; it is in the gallery, and still there after a reload (IndexedDB).
        page.fill("input.filter-name", "Wave and stars")
        page.click("button.save-filter")
        page.wait_for_function("document.querySelectorAll('.filter-card').length === 1", timeout=30_000)
        assert cards(page) == ["Wave and stars"], cards(page)
        page.reload()
        wait_ready(page)
        page.wait_for_function("document.querySelectorAll('.filter-card').length === 1", timeout=30_000)
        assert cards(page) == ["Wave and stars"], cards(page)
        # the weights came from the cache: the served file is the one cached (its date and length, asked by HEAD)
        assert "from this browser's cache" in text(page, ".weights span"), text(page, ".weights span")
        results["estimate after a reload"] = estimated_seconds(page)[1]  # the rate is kept in the browser
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
        assert abs(filter_json["styles"][1]["blend"] - 0.25) < 1e-6, filter_json["styles"][1]["blend"]
        # the paintings are the files chosen, byte for byte (not re-encoded, not resized)
        for style in filter_json["styles"]:
            with open(os.path.join(IMAGES, style["name"]), "rb") as f:
                assert base64.b64decode(style["data"]) == f.read(), f"{style['name']} was not exported as chosen"
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
        check_live_filters(p, results)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
