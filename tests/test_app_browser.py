"""The studio in a real browser: Playwright driving Debian's chromium against `python app.py`
(tiny stand-in models). Draws strokes on the sketch canvas with the mouse and checks that the
cat appears and changes; paints on the facade canvas; opens every tab and saves a screenshot of
each to /tmp/app_shots/ (look at them). Skips only when chromium is not installed.
"""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np

import pytest
from PIL import Image

from standins import serving

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp/app_shots")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 60_000
PHONE = {"width": 390, "height": 844}
TABS = ("Sketch → Cat", "Facade painter", "Street painter", "Horse ↔ Zebra", "Models")
CANVAS_TABS = (("Sketch → Cat", "sketch"), ("Facade painter", "facade"), ("Street painter", "street"))

if not CHROMIUM.exists():
    pytest.skip(f"no chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def studio():
    """(the served app, a chromium browser) for this module's pages."""
    from playwright.sync_api import sync_playwright  # pip install playwright==1.65.2

    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with serving(args=["--device", "cpu"]) as served, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield served, browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def page(studio):
    served, browser = studio
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    page.goto(served.url)
    page.wait_for_selector("#sketch-canvas canvas")
    yield page
    page.screenshot(path=str(SHOTS / "last.png"), full_page=True)
    page.close()


@pytest.fixture(scope="module")
def phone(studio):
    """The studio as a phone shows it: 390 x 844, touch, 2 device pixels a CSS pixel."""
    served, browser = studio
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    phone = context.new_page()
    phone.set_default_timeout(WAIT_MS)
    phone.goto(served.url)
    phone.wait_for_selector("#sketch-canvas canvas")
    yield phone
    context.close()


def output_src(page, elem_id: str) -> str | None:
    img = page.locator(f"#{elem_id} img")
    return img.first.get_attribute("src") if img.count() else None


def wait_for_new_output(page, elem_id: str, previous: str | None) -> str:
    page.wait_for_function(
        "([id, prev]) => { const im = document.querySelector(`#${id} img`); return im && im.src && im.src !== prev; }",
        arg=[elem_id, previous],
    )
    return output_src(page, elem_id)


def stroke(page, elem_id: str, points: list[tuple[float, float]]) -> None:
    """Drag the mouse through points given as fractions of the canvas, from its centre."""
    page.locator(f"#{elem_id} canvas").first.scroll_into_view_if_needed()
    box = page.locator(f"#{elem_id} canvas").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    side = min(box["width"], box["height"])
    xs = [(cx + dx * side, cy + dy * side) for dx, dy in points]
    page.mouse.move(*xs[0])
    page.mouse.down()
    for x, y in xs[1:]:
        page.mouse.move(x, y, steps=6)
    page.mouse.up()


def touch_stroke(page, elem_id: str, points: list[tuple[float, float]]) -> None:
    """A finger through points given as fractions of the canvas, from its centre (real touch
    events through the DevTools protocol: the page sees pointers of type "touch")."""
    box = page.locator(f"#{elem_id} canvas").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    side = min(box["width"], box["height"])
    xs = [{"x": cx + dx * side, "y": cy + dy * side} for dx, dy in points]
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [xs[0]]})
    for a, b in zip(xs, xs[1:]):
        for i in range(1, 5):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": a["x"] + (b["x"] - a["x"]) * i / 4, "y": a["y"] + (b["y"] - a["y"]) * i / 4}]})
            page.wait_for_timeout(30)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"] + 0.5 and box["y"] + box["height"] <= size["height"] + 0.5


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def outputs_seen(page, elem_id: str) -> None:
    """Count, in the page, every new picture of an output from now on (window.__seen[elem_id])."""
    page.evaluate(
        """(id) => { window.__seen = window.__seen || {}; window.__srcs = window.__srcs || {};
           const watched = id in window.__seen; window.__seen[id] = 0; window.__srcs[id] = [];
           if (watched) return;
           const box = document.querySelector('#' + id); let last = box.querySelector('img')?.src;
           new MutationObserver(() => { const s = box.querySelector('img')?.src;
             if (s && s !== last) { last = s; window.__seen[id]++; window.__srcs[id].push(s); } })
             .observe(box, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']}); }""",
        elem_id,
    )


def pixel(page, elem_id: str, fx: float, fy: float) -> list[int]:
    """The canvas pixel at fractions (fx, fy) of its width and height, as [r, g, b]."""
    return page.evaluate(
        """([id, fx, fy]) => { const c = document.querySelector(`#${id} canvas`);
           const x = Math.floor(fx * c.width), y = Math.floor(fy * c.height);
           return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3)); }""",
        [elem_id, fx, fy],
    )


def hex_rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]


def test_the_cat_follows_the_pen_while_drawing(page):
    first = wait_for_new_output(page, "sketch-output", None)  # the starting example renders on load
    assert first.endswith("ganvas-edges2cats.png")  # downloads are named after the model
    outputs_seen(page, "sketch-output")
    box = page.locator("#sketch-canvas canvas").bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    for i in range(12):  # a slow stroke, ~2 s: live pictures arrive before the pen lifts
        page.mouse.move(box["x"] + 40 + 12 * i, box["y"] + 40 + 5 * i, steps=3)
        page.wait_for_timeout(160)
    live = page.evaluate("window.__seen['sketch-output']")
    page.mouse.up()
    assert live >= 1, "no picture arrived while the pen was moving"
    second = wait_for_new_output(page, "sketch-output", output_src(page, "sketch-output"))
    stroke(page, "sketch-canvas", [(-0.2, -0.3), (-0.1, -0.45), (0.0, -0.3)])
    third = wait_for_new_output(page, "sketch-output", second)
    assert len({first, second, third}) == 3
    # Settled, the picture shown is the render of the final canvas (no live frame landed after it).
    page.wait_for_timeout(1500)
    shown = np.asarray(Image.open(io.BytesIO(page.request.get(output_src(page, "sketch-output")).body())).convert("RGB"))
    final = page.evaluate("document.querySelector('#sketch-canvas canvas').toDataURL('image/png')")
    again, _ = Client(page.url, verbose=False).predict({"png": final, "final": True, "origin": "browser"}, api_name="/sketch_render")
    assert np.array_equal(shown, np.asarray(Image.open(again).convert("RGB")))
    page.wait_for_function("() => document.querySelector('#sketch-render-status').innerText.startsWith('✓')")
    page.screenshot(path=str(SHOTS / "sketch.png"), full_page=True)


def test_sketch_tools_undo_redo_and_clear(page):
    canvas = "sketch-canvas"
    stroke(page, canvas, [(-0.4, 0.4), (0.4, 0.4)])  # a line near the bottom
    assert pixel(page, canvas, 0.5, 0.9) == [0, 0, 0]
    page.keyboard.press("Control+z")
    assert pixel(page, canvas, 0.5, 0.9) == [255, 255, 255]
    page.keyboard.press("Control+Shift+z")
    assert pixel(page, canvas, 0.5, 0.9) == [0, 0, 0]
    page.locator("#sketch-canvas [data-tool=eraser]").click()
    stroke(page, canvas, [(-0.45, 0.4), (0.45, 0.4)])
    assert pixel(page, canvas, 0.5, 0.9) == [255, 255, 255]
    page.locator("#sketch-canvas [data-tool=pen]").click()
    page.locator("#sketch-canvas [data-act=clear]").click()
    page.wait_for_function("() => document.querySelector('#sketch-render-status').innerText.includes('empty canvas')")
    page.locator("#sketch-canvas [data-act=undo]").click()  # clear is undoable too


def test_an_example_loads_and_renders_once_and_marks_variations_stale(page):
    page.wait_for_timeout(1500)  # renders of earlier strokes have landed
    outputs_seen(page, "sketch-output")
    page.locator("#sketch-examples").get_by_text("cat face 2").click()
    page.wait_for_function("() => window.__seen['sketch-output'] >= 1")
    page.wait_for_timeout(1500)
    assert page.evaluate("window.__seen['sketch-output']") == 1, page.evaluate("window.__srcs")  # one render, no blank first
    page.locator("#variations").get_by_text("Variations (BicycleGAN)").click()
    page.get_by_role("button", name="Render variations").click()
    page.wait_for_function(
        "() => { const ims = [...document.querySelectorAll('#variation-gallery img')];"
        " return ims.length >= 6 && ims.every(i => i.complete && i.naturalWidth > 0); }"
    )
    assert page.locator("#variation-seeds textarea, #variation-seeds input").first.input_value().count(",") == 5
    assert page.locator("#variations-stale").inner_text().strip() == ""
    # The morph comes with them, before the slider is touched.
    page.wait_for_function("() => { const i = document.querySelector('#variation-morph img'); return i && i.complete && i.naturalWidth > 0; }")
    stroke(page, "sketch-canvas", [(0.3, 0.3), (0.4, 0.4)])
    page.wait_for_function("() => document.querySelector('#variations-stale').innerText.includes('changed')")
    page.screenshot(path=str(SHOTS / "sketch_variations.png"), full_page=True)


def test_uploads_report_apart_from_renders(page, tmp_path):
    drawing = tmp_path / "drawing.png"
    Image.new("L", (200, 160), 255).save(drawing)
    page.locator("#sketch-upload input[type=file]").set_input_files(str(drawing))
    page.wait_for_function("() => document.querySelector('#sketch-upload-status').innerText.includes('drawing')")
    page.wait_for_function("() => document.querySelector('#sketch-render-status').innerText.includes('empty canvas')")
    assert "drawing" in page.locator("#sketch-upload-status").inner_text()  # not overwritten by the render
    photo = tmp_path / "photo.png"
    Image.effect_mandelbrot((256, 256), (-2, -1.2, 1, 1.2), 60).convert("RGB").save(photo)
    page.locator("#sketch-upload input[type=file]").set_input_files(str(photo))
    page.wait_for_function("() => document.querySelector('#sketch-upload-status').innerText.includes('photo turned into a sketch')")
    page.wait_for_timeout(500)
    ink = "() => { const c = document.querySelector('#sketch-canvas canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;" \
          " let n = 0; for (let i = 0; i < d.length; i += 4) n += d[i] < 128; return n; }"
    thin = page.evaluate(ink)
    slider = page.locator("#sketch-line-width input[type=range]")
    slider.focus()
    page.keyboard.press("End")  # 5 px; the release re-sketches the same upload
    slider.dispatch_event("pointerup")
    page.wait_for_function(f"() => ({ink})() > {thin} * 1.3")


def test_label_painter_palette_rectangle_fill_eraser_and_undo(page):
    open_tab(page, "Facade painter")
    first = wait_for_new_output(page, "facade-output", None)  # opening the tab renders its first example
    canvas = "facade-canvas"
    window = page.locator("#facade-canvas [data-class]").filter(has_text="window")
    window.click()
    assert "window" in page.locator("#facade-canvas .pc-current").inner_text()
    shown = hex_rgb(window.evaluate("b => getComputedStyle(b).getPropertyValue('--swatch').trim()"))
    page.locator("#facade-canvas [data-tool=rect]").click()
    stroke(page, canvas, [(-0.3, -0.3), (0.3, 0.3)])  # a drag: a rectangle over the middle
    second = wait_for_new_output(page, "facade-output", first)
    assert pixel(page, canvas, 0.5, 0.5) == shown and pixel(page, canvas, 0.25, 0.25) == shown
    page.locator("#facade-canvas [data-class]").filter(has_text="door").click()
    page.locator("#facade-canvas [data-tool=fill]").click()
    stroke(page, canvas, [(0.0, 0.0)])  # a click in the rectangle fills exactly it
    door = hex_rgb(page.locator("#facade-canvas [data-class]").filter(has_text="door").evaluate("b => getComputedStyle(b).getPropertyValue('--swatch').trim()"))
    assert pixel(page, canvas, 0.5, 0.5) == door and pixel(page, canvas, 0.1, 0.1) != door
    page.keyboard.press("Control+z")
    assert pixel(page, canvas, 0.5, 0.5) == shown
    page.locator("#facade-canvas [data-tool=eraser]").click()
    assert "background" in page.locator("#facade-canvas .pc-current").inner_text()
    page.locator("#facade-canvas [data-act=clear]").click()
    background = hex_rgb(page.locator("#facade-canvas [data-class]").filter(has_text="background").evaluate("b => getComputedStyle(b).getPropertyValue('--swatch').trim()"))
    assert pixel(page, canvas, 0.5, 0.5) == background
    wait_for_new_output(page, "facade-output", second)
    page.get_by_role("button", name="Random facade").click()
    page.wait_for_function("() => document.querySelector('#facade-upload-status').innerText.includes('seed')")
    assert page.locator("#facade-seed input").input_value() != ""
    page.locator("#facade-examples img").nth(1).click()
    page.wait_for_function("() => document.querySelector('#facade-upload-status').innerText.includes('example')")
    assert page.locator("#facade-seed input").input_value() == ""  # an example is no seed's layout
    page.screenshot(path=str(SHOTS / "facade.png"), full_page=True)


def test_a_rectangle_may_start_just_outside_the_canvas(page):
    open_tab(page, "Facade painter")
    page.locator("#facade-canvas [data-class]").filter(has_text="window").click()
    shown = hex_rgb(page.locator("#facade-canvas [data-class]").filter(has_text="window").evaluate("b => getComputedStyle(b).getPropertyValue('--swatch').trim()"))
    page.locator("#facade-canvas [data-tool=rect]").click()
    box = page.locator("#facade-canvas canvas").bounding_box()
    page.mouse.move(box["x"] - 10, box["y"] - 10)  # above and left of the corner
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    assert pixel(page, "facade-canvas", 0.0, 0.0) == shown and pixel(page, "facade-canvas", 0.45, 0.45) == shown
    assert pixel(page, "facade-canvas", 0.6, 0.6) != shown
    page.keyboard.press("Control+z")


def test_on_a_phone_every_tab_is_in_view_and_a_finger_paints_with_its_picture_in_sight(phone):
    for name in TABS:  # no overflow menu: every tab's name is on the screen
        assert in_view(phone, f"button[role=tab]:has-text('{name}')"), name
    for name, key in CANVAS_TABS:
        open_tab(phone, name)
        wait_for_new_output(phone, f"{key}-output", None)
        # With the tools at the top of the screen, the canvas and its picture are on it too.
        phone.locator(f"#{key}-canvas .pc-bar").evaluate("e => e.scrollIntoView({block: 'start'})")
        for part in (f"#{key}-canvas .pc-bar", f"#{key}-canvas canvas", f"#{key}-output"):
            assert in_view(phone, part), f"{part} is off the 390x844 screen"
        cut = phone.evaluate(f"() => [...document.querySelectorAll('#{key}-canvas [data-class]')].filter(b => b.scrollWidth > b.clientWidth + 1).map(b => b.innerText)")
        assert cut == []  # class names read in full (the palette scrolls sideways instead)
        before = phone.evaluate(f"() => document.querySelector('#{key}-canvas canvas').toDataURL()")
        scrolled, shown = phone.evaluate("scrollY"), output_src(phone, f"{key}-output")
        touch_stroke(phone, f"{key}-canvas", [(-0.3, -0.2), (0.0, 0.1), (0.3, -0.1)])
        assert phone.evaluate(f"() => document.querySelector('#{key}-canvas canvas').toDataURL()") != before, "the finger drew nothing"
        assert phone.evaluate("scrollY") == scrolled, "drawing scrolled the page"
        wait_for_new_output(phone, f"{key}-output", shown)
        phone.screenshot(path=str(SHOTS / f"phone_{key}.png"))


def test_street_zebra_and_models_tabs(page, tmp_path):
    open_tab(page, "Street painter")
    first = wait_for_new_output(page, "street-output", None)
    assert "Sky" in page.locator("#street-canvas .pc-palette").inner_text()
    page.get_by_role("button", name="Random street").click()
    wait_for_new_output(page, "street-output", first)
    page.screenshot(path=str(SHOTS / "street.png"), full_page=True)

    open_tab(page, "Horse ↔ Zebra")
    photo = tmp_path / "photo.png"
    Image.effect_mandelbrot((300, 200), (-2, -1.2, 1, 1.2), 60).convert("RGB").save(photo)
    page.locator("#zebra-input input[type=file]").set_input_files(str(photo))
    wait_for_new_output(page, "zebra-output", None)
    page.screenshot(path=str(SHOTS / "zebra.png"), full_page=True)
    for name, message in (("notes.png", "not an image"), ("notes.txt", "Invalid file type")):
        (tmp_path / name).write_text("a note, not a photo")  # an image's name, then a text file's
        page.locator("#zebra-input input[type=file]").set_input_files(str(tmp_path / name))
        toast = page.locator(".toast-body").filter(has_text=message)
        toast.first.wait_for()  # a pop-up says why, as on the sketch tab
        page.locator(".toast-close").first.click()

    open_tab(page, "Models")
    page.wait_for_selector("#model-cards h3")
    assert "pix2pix.edges2cats" in page.locator("#model-cards").inner_text()
    page.wait_for_function(  # a sample render per model with an example input
        "() => { const ims = [...document.querySelectorAll('#model-samples img')];"
        " return ims.length >= 4 && ims.every(i => i.complete && i.naturalWidth > 0); }"
    )
    page.screenshot(path=str(SHOTS / "models.png"), full_page=True)
