"""Example inputs for the tabs, from assets/ (made by assets/make_assets.py; drawn anew if absent).

Canvas examples are given to gradio as files: a paper background and the ink as a transparent
layer over it, so the eraser works on an example as on one's own strokes.
"""
from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from .canvas import fit_into
from .cat_sketches import example_sketches

ASSETS = Path(__file__).resolve().parent.parent / "assets"
SKETCH_DIR = ASSETS / "sketches"


def sketch_files() -> list[Path]:
    """The example sketches (ink on white PNGs): assets/sketches/*.png, or drawn into a temp dir."""
    files = sorted(SKETCH_DIR.glob("*.png"))
    if files:
        return files
    out = Path(tempfile.mkdtemp(prefix="ganvas-sketches-"))
    for name, sketch in example_sketches():
        Image.fromarray(sketch).save(out / f"{name}.png")
    return sorted(out.glob("*.png"))


@functools.cache
def sketch_examples(size: tuple[int, int] = (256, 256)) -> list[tuple[str, dict]]:
    """(label, canvas value of file paths) per example sketch."""
    work = Path(tempfile.mkdtemp(prefix="ganvas-examples-"))
    paper = work / "paper.png"
    Image.new("RGB", size, "white").save(paper)
    examples = []
    for path in sketch_files():
        ink = fit_into(np.asarray(Image.open(path).convert("L")), size, fill=255)
        layer = np.zeros(ink.shape + (4,), np.uint8)
        layer[..., 3] = np.where(ink < 128, 255, 0)
        layer_path = work / f"{path.stem}_ink.png"
        Image.fromarray(layer).save(layer_path)
        composite = work / f"{path.stem}.png"
        Image.fromarray(ink).convert("RGB").save(composite)
        examples.append((path.stem.replace("_", " "), {"background": str(paper), "layers": [str(layer_path)], "composite": str(composite)}))
    return examples
