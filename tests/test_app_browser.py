"""The studio in a real browser: Playwright driving Debian's chromium against `python app.py`
(tiny stand-in models). Draws strokes on the sketch canvas with the mouse and checks that the
cat appears and changes; paints on the facade canvas; opens every tab and saves a screenshot of
each to /tmp/app_shots/ (look at them). Skips only when chromium is not installed.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from app.standins import serving

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

if not CHROMIUM.exists():
    pytest.skip(f"no chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright  # pip install playwright==1.65.2

    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with serving(args=["--device", "cpu"]) as served, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        page.goto(served.url)
        page.wait_for_selector("#sketch-canvas canvas")
        try:
            yield page
        finally:
            page.screenshot(path=str(SHOTS / "last.png"), full_page=True)
            browser.close()


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
    box = page.locator(f"#{elem_id} canvas").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    side = min(box["width"], box["height"])
    xs = [(cx + dx * side, cy + dy * side) for dx, dy in points]
    page.mouse.move(*xs[0])
    page.mouse.down()
    for x, y in xs[1:]:
        page.mouse.move(x, y, steps=6)
    page.mouse.up()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_drawing_on_the_sketch_canvas_renders_and_updates_the_cat(page):
    first = wait_for_new_output(page, "sketch-output", None)  # the blank paper renders on load
    stroke(page, "sketch-canvas", [(-0.25, -0.1), (0.0, 0.15), (0.25, -0.1)])
    second = wait_for_new_output(page, "sketch-output", first)
    stroke(page, "sketch-canvas", [(-0.2, -0.3), (-0.1, -0.45), (0.0, -0.3)])
    third = wait_for_new_output(page, "sketch-output", second)
    assert len({first, second, third}) == 3
    assert page.locator("#sketch-render-status").inner_text().startswith("✓")
    page.screenshot(path=str(SHOTS / "sketch.png"), full_page=True)


def test_an_example_sketch_fills_the_canvas_and_renders(page):
    before = output_src(page, "sketch-output")
    page.get_by_role("button", name="cat face 2").click()
    wait_for_new_output(page, "sketch-output", before)
    page.locator("#variations").get_by_text("Variations (BicycleGAN)").click()
    page.get_by_role("button", name="Render variations").click()
    page.wait_for_function(
        "() => { const ims = [...document.querySelectorAll('#variation-gallery img')];"
        " return ims.length >= 6 && ims.every(i => i.complete && i.naturalWidth > 0); }"
    )
    assert page.locator("#variation-seeds textarea, #variation-seeds input").first.input_value().count(",") == 5
    page.screenshot(path=str(SHOTS / "sketch_variations.png"), full_page=True)


def test_painting_on_the_facade_canvas(page):
    open_tab(page, "Facade painter")
    first = wait_for_new_output(page, "facade-output", None)  # opening the tab renders the blank map
    stroke(page, "facade-canvas", [(-0.3, -0.3), (0.3, -0.3), (0.3, 0.3), (-0.3, 0.3)])
    second = wait_for_new_output(page, "facade-output", first)
    page.get_by_role("button", name="Random layout").click()
    third = wait_for_new_output(page, "facade-output", second)
    assert len({first, second, third}) == 3
    page.screenshot(path=str(SHOTS / "facade.png"), full_page=True)


def test_street_zebra_and_models_tabs(page, tmp_path):
    open_tab(page, "Street painter")
    first = wait_for_new_output(page, "street-output", None)
    page.get_by_role("button", name="Random street").click()
    wait_for_new_output(page, "street-output", first)
    page.screenshot(path=str(SHOTS / "street.png"), full_page=True)

    open_tab(page, "Horse ↔ Zebra")
    photo = tmp_path / "photo.png"
    Image.effect_mandelbrot((300, 200), (-2, -1.2, 1, 1.2), 60).convert("RGB").save(photo)
    page.locator("#zebra-input input[type=file]").set_input_files(str(photo))
    wait_for_new_output(page, "zebra-output", None)
    page.screenshot(path=str(SHOTS / "zebra.png"), full_page=True)

    open_tab(page, "Models")
    page.wait_for_selector("#model-cards h3")
    assert "pix2pix.edges2cats" in page.locator("#model-cards").inner_text()
    page.screenshot(path=str(SHOTS / "models.png"), full_page=True)
