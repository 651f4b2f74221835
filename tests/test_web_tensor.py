"""The page's pre/post-processing (app/static/ganvas_tensor.js, run in Node) against the engine's
own (app.canvas + Translator.prepare, Translator._to_image) on the shipped models' web specs:
the tensors the page feeds a graph must be the very tensors the server feeds it.
"""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import engine
from app import canvas as cv
from app.drawings.palettes import display_palette, palette_of
from app.models import FACADE, SKETCH, STREET
from app.street_handlers import STREET_CANVAS
from app.web_serving import page_spec
from engine.geometry import plan_placement

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parent.parent / "app" / "static" / "ganvas_tensor.js"
NODE = shutil.which("node")
if NODE is None:
    pytest.skip("Node.js is not installed", allow_module_level=True)

RUNNER = """
const T = require(process.argv[1]);
const job = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const bytes = (b64) => new Uint8Array(Buffer.from(b64, 'base64'));
const floats = (b64) => { const b = Buffer.from(b64, 'base64'); return new Float32Array(b.buffer, b.byteOffset, b.length / 4); };
let out;
if (job.fn === 'input') {
  const r = T.modelInput(bytes(job.rgba), job.width, job.height, job.spec);
  out = { dims: r.dims, data: Buffer.from(r.data.buffer).toString('base64'), placement: r.placement };
} else if (job.fn === 'placements') {
  out = job.sizes.map(([w, h]) => T.placement(w, h, job.spec));
} else if (job.fn === 'output') {
  const r = T.outputPixels(floats(job.data), job.dims, job.placement, job.index);
  out = { width: r.width, height: r.height, rgba: Buffer.from(r.rgba.buffer).toString('base64') };
}
process.stdout.write(JSON.stringify(out));
"""


def run_js(job: dict) -> object:
    done = subprocess.run([NODE, "-e", RUNNER, str(SCRIPT)], input=json.dumps(job), capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def js_input(rgba: np.ndarray, spec: dict) -> np.ndarray:
    h, w = rgba.shape[:2]
    out = run_js({"fn": "input", "rgba": base64.b64encode(rgba.tobytes()).decode(), "width": w, "height": h, "spec": spec})
    return np.frombuffer(base64.b64decode(out["data"]), dtype=np.float32).reshape(out["dims"])


@pytest.fixture(scope="module")
def models():
    return {name: engine.load(name, device="cpu", backend="torch") for name in (SKETCH, FACADE, STREET)}


def painted_labels(rng: np.random.Generator, palette: list, size: tuple[int, int]) -> np.ndarray:
    """Rectangles of random classes in the canvas's colours, opaque RGBA as the canvas holds them."""
    w, h = size
    ids = np.zeros((h, w), np.uint8)
    for _ in range(40):
        x0, y0 = rng.integers(0, w), rng.integers(0, h)
        ids[y0 : y0 + rng.integers(3, 60), x0 : x0 + rng.integers(3, 60)] = rng.integers(0, len(palette))
    rgb = np.asarray(palette, np.uint8)[ids]
    return np.dstack([rgb, np.full((h, w), 255, np.uint8)])


def test_a_sketch_canvas_becomes_the_servers_tensor(models):
    rng = np.random.default_rng(0)
    rgba = np.full((256, 256, 4), 255, np.uint8)
    for _ in range(30):  # ink lines, grey antialiasing and half-transparent pixels
        y, x = rng.integers(0, 256, 2)
        rgba[y : y + 3, x : x + rng.integers(5, 80), :3] = rng.choice([0, 90, 127, 128, 200])
    rgba[rng.random((256, 256)) < 0.02, 3] = 100
    spec = page_spec(SKETCH)
    want, _ = models[SKETCH].prepare(cv.sketch_from_canvas(rgba, size=(256, 256)))
    np.testing.assert_array_equal(js_input(rgba, spec), want.numpy())


@pytest.mark.parametrize("name, size", [(FACADE, (256, 256)), (STREET, STREET_CANVAS)])
def test_a_label_canvas_becomes_the_servers_tensor(models, name, size):
    spec = page_spec(name)
    shown = [rgb for _, rgb in display_palette(palette_of(models[name].contract, []))]
    assert spec["canvas_palette"] == [list(c) for c in shown]
    rgba = painted_labels(np.random.default_rng(1), shown, size)
    ids = cv.labels_from_canvas(rgba, shown, blank_class=models[name].contract.blank_class, size=size)
    want, placement = models[name].prepare(Image.fromarray(ids))
    got = js_input(rgba, spec)
    assert got.shape == tuple(want.shape), (got.shape, placement)
    np.testing.assert_array_equal(got, want.numpy())


def test_placement_rounds_like_python():
    spec = {"size": 160, "size_multiple": 32, "min_side": 1}
    sizes = [(256, 192), (255, 170), (321, 1), (1, 999), (480, 360), (333, 250), (100, 100)] + [(w, 3 * w // 2 + 1) for w in range(1, 200, 7)]
    got = run_js({"fn": "placements", "spec": spec, "sizes": sizes})
    for (w, h), p in zip(sizes, got):
        want = plan_placement(w, h, long_side=160, multiple=32, min_side=1)
        assert (tuple(p["scaled"]), tuple(p["padded"])) == (want.scaled, want.padded), (w, h)


def test_output_pixels_round_like_the_engine(models):
    translator = models[SKETCH]
    placement = plan_placement(250, 170, long_side=256, multiple=32, min_side=32)
    y = torch.rand(2, 3, *placement.padded[::-1]) * 2.4 - 1.2
    y[0, :, :4, :4] = torch.tensor([-1.0, 1 / 127.5 - 1, 0.5 / 127.5 - 1, 1.0])  # rounding edges
    for index in (0, 1):
        want = np.asarray(translator._to_image(y[index : index + 1], placement, keep_size=False))
        out = run_js({"fn": "output", "data": base64.b64encode(y.numpy().tobytes()).decode(), "dims": list(y.shape),
                      "placement": {"scaled": list(placement.scaled)}, "index": index})
        got = np.frombuffer(base64.b64decode(out["rgba"]), np.uint8).reshape(out["height"], out["width"], 4)
        np.testing.assert_array_equal(got[..., :3], want)
