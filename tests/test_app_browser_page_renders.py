"""The page renders its own pictures (ONNX Runtime Web), in real chromium against `python app.py`
on stand-in models with fp32 ONNX graphs at the canvases' own size.

While a stroke is drawn the page shows pictures during and after it and the server renders none
(its /ganvas/stats counter); the page's picture equals the server's for the same canvas and seed
(fp32: within 3/255); with the runtime's file blocked, or the visitor's switch on "server", the
server renders and the indicator says so. Screenshots of each tab with the indicator go to
/tmp/app_shots/page_*.png. Skips without chromium or without the runtime
(`python -m app.web_runtime` installs it).
"""
from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app import web_runtime
from app.models import FACADE, SKETCH, STREET, VARIATIONS
from standins import serving, write_standins

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp/app_shots")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
WAIT_MS = 60_000
BOUND = 3  # uint8 levels: page (WASM fp32) vs server (ORT CPU fp32) for the same canvas and latent

if not CHROMIUM.exists():
    pytest.skip(f"no chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)
if not web_runtime.installed():
    pytest.skip("ONNX Runtime Web is not installed: python -m app.web_runtime", allow_module_level=True)

# Every picture the page renders itself, and pen down/up, in the page's clock.
RECORDER = """() => {
  window.__rec = {pics: [], downs: [], ups: []};
  document.addEventListener('ganvas-picture', (e) => window.__rec.pics.push({t: performance.now(), final: e.detail.final, name: e.detail.name}));
  document.addEventListener('pointerdown', () => window.__rec.downs.push(performance.now()), true);
  document.addEventListener('pointerup', () => window.__rec.ups.push(performance.now()), true);
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    weights = write_standins(tmp_path_factory.mktemp("page") / "weights", native=256, onnx=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serving(weights, args=["--device", "cpu"]) as s:
        yield s


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    try:
        yield b
    finally:
        b.close()


def new_page(browser, served, *, block_runtime: bool = False):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    if block_runtime:
        page.route("**/ort.*.min.js", lambda route: route.abort())
    page.goto(served.url)
    page.wait_for_selector("#sketch-canvas canvas")
    page.evaluate(RECORDER)
    return page


@pytest.fixture(scope="module")
def page(browser, served):
    page = new_page(browser, served)
    yield page
    page.close()


def where(page, model: str) -> str:
    return page.locator(f'.pc-where[data-model="{model}"]').first.get_attribute("data-where")


def wait_device(page, model: str) -> None:
    page.wait_for_function("(m) => document.querySelector(`.pc-where[data-model='${m}']`)?.dataset.where === 'device'", arg=model)


def server_renders(page, served) -> int:
    return sum(page.request.get(served.url + "ganvas/stats").json()["renders"].values())


def slow_stroke(page, elem_id: str, *, steps: int = 12) -> None:
    """~2 s with the pen down, moving across the canvas."""
    box = page.locator(f"#{elem_id} canvas.pc-canvas").bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    for i in range(steps):
        page.mouse.move(box["x"] + 40 + 12 * i, box["y"] + 40 + 5 * i, steps=3)
        page.wait_for_timeout(160)
    page.mouse.up()


def settle(page) -> None:
    """Wait until a settled picture came after the last pen-up and nothing is rendering."""
    page.wait_for_function(
        "() => { const r = window.__rec, up = r.ups[r.ups.length - 1];"
        " return r.pics.some(p => p.final && p.t > up) && Object.values(Ganvas.web.state.jobs).every(q => !q.busy && !q.next); }"
    )


def page_picture(page, output_id: str) -> np.ndarray:
    data = page.evaluate(
        "(id) => { const c = document.querySelector(`#${id} .ganvas-device-out > canvas`);"
        " return {w: c.width, h: c.height, d: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)}; }",
        output_id,
    )
    return np.asarray(data["d"], np.uint8).reshape(data["h"], data["w"], 4)[..., :3]


def canvas_value(page, elem_id: str) -> dict:
    return {"png": page.evaluate(f"document.querySelector('#{elem_id} canvas.pc-canvas').toDataURL('image/png')"), "final": True, "origin": "browser"}


def picture(path_or_url: str) -> np.ndarray:
    return np.asarray(Image.open(path_or_url).convert("RGB"))


def test_a_stroke_renders_in_the_page_during_and_after_it_and_never_on_the_server(page, served):
    wait_device(page, SKETCH)
    assert page.evaluate("self.crossOriginIsolated")  # COOP/COEP: WASM on several threads
    before = server_renders(page, served)
    slow_stroke(page, "sketch-canvas")
    settle(page)
    rec = page.evaluate("window.__rec")
    down, up = rec["downs"][-1], rec["ups"][-1]
    live = [p for p in rec["pics"] if down < p["t"] <= up]
    assert len(live) >= 3, rec["pics"]  # pictures while the pen moved
    assert any(p["final"] and p["t"] > up for p in rec["pics"])
    assert server_renders(page, served) == before
    assert "on this device" in page.locator("#sketch-canvas .pc-where").inner_text()
    page.screenshot(path=str(SHOTS / "page_sketch.png"))


def test_the_pages_picture_is_the_servers_picture(page, served):
    client = Client(served.url, verbose=False)
    wait_device(page, SKETCH)
    slow_stroke(page, "sketch-canvas", steps=4)
    settle(page)
    out, _ = client.predict(canvas_value(page, "sketch-canvas"), api_name="/sketch_render")
    diff = np.abs(page_picture(page, "sketch-output").astype(int) - picture(out).astype(int)).max()
    assert diff <= BOUND, diff

    page.get_by_role("tab", name="Facade painter").click()
    wait_device(page, FACADE)
    page.locator("#facade-canvas [data-tool=rect]").click()
    slow_stroke(page, "facade-canvas", steps=4)
    settle(page)
    out, _ = client.predict(canvas_value(page, "facade-canvas"), api_name="/facade_render")
    assert np.abs(page_picture(page, "facade-output").astype(int) - picture(out).astype(int)).max() <= BOUND
    page.screenshot(path=str(SHOTS / "page_facade.png"))

    page.get_by_role("tab", name="Street painter").click()
    wait_device(page, STREET)  # its style code (seed 0) has come too
    slow_stroke(page, "street-canvas", steps=4)
    settle(page)
    out, _ = client.predict(canvas_value(page, "street-canvas"), "random", 0, None, 0, 0, 0, 0, api_name="/street_render")
    assert np.abs(page_picture(page, "street-output").astype(int) - picture(out).astype(int)).max() <= BOUND
    page.screenshot(path=str(SHOTS / "page_street.png"))


def test_variations_render_in_the_page(page, served):
    page.get_by_role("tab", name="Sketch → Cat").click()
    page.locator("#variations").get_by_text("Variations (BicycleGAN)").click()
    page.wait_for_function("(m) => Ganvas.web.ready(m)", arg=VARIATIONS)
    before = server_renders(page, served)
    page.locator("#variation-seeds textarea, #variation-seeds input").first.fill("11, 12, 13")
    page.get_by_role("button", name="Render variations").click()
    page.wait_for_function("() => document.querySelectorAll('#variation-gallery .gdo-grid canvas').length >= 6")
    page.wait_for_function("() => document.querySelector('#variation-gallery .gdo-grid a').textContent.includes('seed 11')")
    shown = page.evaluate(
        "() => { const c = document.querySelector('#variation-gallery .gdo-grid canvas');"
        " return {w: c.width, h: c.height, d: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)}; }"
    )
    mine = np.asarray(shown["d"], np.uint8).reshape(shown["h"], shown["w"], 4)[..., :3]
    assert server_renders(page, served) == before
    gallery, *_ = Client(served.url, verbose=False).predict(canvas_value(page, "sketch-canvas"), 6, "11, 12, 13", [], api_name="/variations")
    assert np.abs(mine.astype(int) - picture(gallery[0]["image"]).astype(int)).max() <= BOUND
    page.screenshot(path=str(SHOTS / "page_variations.png"), full_page=True)


def test_the_switch_sends_pictures_to_the_server_and_back(page, served):
    page.get_by_role("tab", name="Sketch → Cat").click()
    wait_device(page, SKETCH)
    page.locator("#sketch-canvas .pc-where button").click()
    assert where(page, SKETCH) == "server" and "your choice" in page.locator("#sketch-canvas .pc-where").inner_text()
    before = server_renders(page, served)
    slow_stroke(page, "sketch-canvas", steps=3)
    page.wait_for_function("(n) => fetch('/ganvas/stats').then(r => r.json()).then(s => Object.values(s.renders).reduce((a, b) => a + b, 0) > n)", arg=before)
    page.locator("#sketch-canvas .pc-where button").click()
    wait_device(page, SKETCH)


def test_a_blocked_runtime_leaves_the_rendering_to_the_server(browser, served):
    page = new_page(browser, served, block_runtime=True)
    try:
        page.wait_for_function("() => document.querySelector('#sketch-canvas .pc-where .pc-where-text').innerText.includes('could not load')")
        assert where(page, SKETCH) == "server"
        before = server_renders(page, served)
        slow_stroke(page, "sketch-canvas", steps=3)
        page.wait_for_function(
            "() => { const im = document.querySelector('#sketch-output img'); return im && im.complete && im.naturalWidth > 0; }"
        )
        assert server_renders(page, served) > before
        page.screenshot(path=str(SHOTS / "page_blocked.png"))
    finally:
        page.close()


def test_a_software_webgpu_adapter_is_passed_over_for_webassembly(playwright, served):
    """SwiftShader's WebGPU (a fallback adapter) stalled on these graphs: the page renders with
    WebAssembly instead, and says so."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*ARGS, "--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader"])
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        page.goto(served.url)
        assert page.evaluate("async () => Boolean(navigator.gpu && await navigator.gpu.requestAdapter())")  # there is one
        wait_device(page, SKETCH)
        assert "WebAssembly" in page.locator("#sketch-canvas .pc-where").inner_text()
    finally:
        browser.close()
