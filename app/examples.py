"""Example inputs for the tabs, from assets/ (made by assets/make_assets.py; drawn anew if absent).

Photo examples (horses and zebras) are paintings by code (app/drawings/animal_scenes.py): the
project ships no dataset photos.

Each tab shows its examples as a gallery of thumbnails; picking one loads it into the canvas,
which renders it once (no blank canvas first). Label layouts are stored as class ids in the
layout's own class order (app/drawings/facade_layouts.py, app/drawings/street_layouts.py).
"""
from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .drawings.animal_scenes import example_scenes
from .drawings.cat_sketches import example_sketches
from .drawings.facade_layouts import FACADE_CLASSES, facade_layout
from .drawings.street_layouts import STREET_CLASSES, street_layout

ASSETS = Path(__file__).resolve().parent.parent / "assets"
SKETCH_DIR = ASSETS / "sketches"
PHOTO_DIR = ASSETS / "photos"
LAYOUT_SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)  # the seeds assets/make_assets.py draws
THUMBNAILS = Path(tempfile.gettempdir()) / "ganvas-thumbnails"


@dataclass(frozen=True)
class Example:
    name: str  # shown under the thumbnail
    picture: np.ndarray  # a sketch (H x W, ink 0 on 255) or class ids in the layout's class order


@dataclass(frozen=True)
class LayoutKind:
    folder: str
    classes: tuple[str, ...]
    draw: Callable[[int], np.ndarray]  # seed -> class ids, when the asset file is absent


LAYOUTS = {
    "facade": LayoutKind("facades", FACADE_CLASSES, facade_layout),  # 256 x 256
    "street": LayoutKind("streets", STREET_CLASSES, street_layout),  # 320 x 240, CamVid's 4:3
}


@functools.cache
def sketch_examples() -> tuple[Example, ...]:
    files = sorted(SKETCH_DIR.glob("*.png"))
    if files:
        return tuple(Example(p.stem.replace("_", " "), np.asarray(Image.open(p).convert("L"))) for p in files)
    return tuple(Example(name.replace("_", " "), sketch) for name, sketch in example_sketches())


@functools.cache
def layout_examples(kind: str) -> tuple[Example, ...]:
    layout = LAYOUTS[kind]
    examples = []
    for seed in LAYOUT_SEEDS:
        path = ASSETS / layout.folder / f"{kind}_{seed}_ids.png"
        ids = np.asarray(Image.open(path)) if path.exists() else layout.draw(seed)
        examples.append(Example(f"{kind} {seed}", ids))
    return tuple(examples)


@dataclass(frozen=True)
class PhotoExample:
    name: str  # shown under the thumbnail, e.g. "horse bay"
    path: Path  # a PNG the photo input can take as it is
    direction: str  # the direction it is an example of: AtoB (a horse) or BtoA (a zebra)


@functools.cache
def photo_examples() -> tuple[PhotoExample, ...]:
    """The Horse <-> Zebra examples: assets/photos/*.png, or painted into a temp folder if absent."""
    files = sorted(PHOTO_DIR.glob("*.png"))
    if not files:
        folder = THUMBNAILS / "photos"
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for name, picture in example_scenes():
            files.append(folder / f"{name}.png")
            Image.fromarray(picture).save(files[-1])
    return tuple(PhotoExample(p.stem.replace("_", " "), p, "BtoA" if p.stem.startswith("zebra") else "AtoB") for p in files)


def thumbnails(examples: Sequence[Example], colour: Callable[[np.ndarray], np.ndarray], *, tag: str) -> list[tuple[str, str]]:
    """(PNG path, caption) per example for a gallery, each picture coloured by `colour`."""
    # One fixed folder per gallery (not a new temp dir per page build): rewritten, never piling up.
    folder = THUMBNAILS / tag
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, example in enumerate(examples):
        path = folder / f"{i:02d}.png"
        partial = folder / f".{i:02d}.{os.getpid()}.png"
        Image.fromarray(colour(example.picture)).save(partial)
        partial.replace(path)  # atomic: two servers building at once never serve half a file
        out.append((str(path), example.name))
    return out
