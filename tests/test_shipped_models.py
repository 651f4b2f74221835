"""The shipped weights still give the outputs they gave when they were exported.

For every model in weights/manifest.json the test draws a fixed input itself (a label layout of
rectangles, a sketch of lines and circles, a photo-like gradient), renders it, and compares a
slice of the output with tests/golden/shipped_outputs.json. A change to the networks, the speed
rewrites, the int8 loading or the input handling that alters what users see fails here.

After re-exporting a model on purpose, refresh its golden slice:
    GANVAS_UPDATE_GOLDEN=1 python -m pytest -q tests/test_shipped_models.py
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

import engine
from engine.manifest import read_manifest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "weights"
GOLDEN = Path(__file__).resolve().parent / "golden" / "shipped_outputs.json"
TOLERANCE = 3  # uint8 levels: room for another CPU's float rounding, far below any real change
SLICE = (slice(96, 160, 8), slice(96, 160, 8))  # an 8 x 8 grid of pixels around the centre


def shipped_models() -> list[str]:
    return [m["name"] for m in read_manifest(WEIGHTS / "manifest.json")["models"]]


def fixed_input(contract: engine.InputContract) -> np.ndarray:
    """A 256 x 256 input of the model's kind, drawn here (no dataset image)."""
    side = 256
    if contract.kind == "labels":
        ids = np.zeros((side, side), np.uint8)
        k = len(contract.palette)
        ids[16:240, 16:240] = 1 % k
        for row in range(3):
            for col in range(3):
                y, x = 32 + row * 64, 40 + col * 64
                ids[y : y + 40, x : x + 32] = 2 % k
        ids[200:240, 100:150] = 3 % k
        return ids
    if contract.kind == "sketch":
        sketch = np.full((side, side), 255, np.uint8)
        cv2.ellipse(sketch, (128, 140), (80, 70), 0, 0, 360, 0, 2)
        cv2.polylines(sketch, [np.array([[60, 100], [70, 30], [110, 75]]), np.array([[146, 75], [186, 30], [196, 100]])], False, 0, 2)
        for cx in (98, 158):
            cv2.circle(sketch, (cx, 125), 10, 0, 2)
        cv2.line(sketch, (118, 160), (138, 160), 0, 2)
        return sketch
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
    photo = np.stack([80 + 120 * yy, 140 - 60 * xx, 60 + 100 * xx * yy], -1)
    photo[96:200, 64:192] = (150, 120, 90)
    return photo.astype(np.uint8)


def render(name: str) -> np.ndarray:
    model = engine.load(name, backend="torch")  # the weights themselves; their ONNX graphs: test_shipped_onnx.py
    image = fixed_input(model.contract)
    out = model(image, seed=0) if model.nz else model(image)
    return np.asarray(out.convert("RGB"))


def observed(name: str) -> dict:
    out = render(name)
    return {"slice": out[SLICE].tolist(), "mean": round(float(out.mean()), 2), "std": round(float(out.std()), 2)}


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN.read_text()) if GOLDEN.is_file() else {}


@pytest.mark.parametrize("name", shipped_models())
def test_shipped_model_matches_its_golden_slice(name: str, golden: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANVAS_WEIGHTS_DIR", str(WEIGHTS))
    got = observed(name)
    if os.environ.get("GANVAS_UPDATE_GOLDEN") == "1":
        golden[name] = got
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(golden.items())) + "\n}\n")
    assert name in golden, f"{name} is shipped but has no golden slice: run with GANVAS_UPDATE_GOLDEN=1 once after export"
    want = golden[name]
    assert got["std"] > 10, f"{name} renders a nearly flat image (std {got['std']})"
    diff = np.abs(np.array(got["slice"], np.int32) - np.array(want["slice"], np.int32)).max()
    assert diff <= TOLERANCE, f"{name}: output slice differs from the golden one by up to {diff} levels"
    assert abs(got["mean"] - want["mean"]) <= TOLERANCE


def test_shipped_variations_draw_z_near_real_cats(monkeypatch: pytest.MonkeyPatch) -> None:
    """BicycleGAN's seeds come from its training photos' codes (engine.latent_prior), not N(0, I),
    whose far corners render casts no photo had (issue #41)."""
    monkeypatch.setenv("GANVAS_WEIGHTS_DIR", str(WEIGHTS))
    model = engine.load("bicyclegan.edges2cats", backend="torch")
    prior = model.latent_prior
    assert prior.fitted and prior.codes.shape[0] > 1000, "the shipped prior should hold every training photo's code"
    assert bool((prior.noise > 0).all())
