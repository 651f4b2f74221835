"""Outputs as files named after what made them, so a download is `ganvas-edges2cats-seed123.png`,
not `image.png` (gradio names a PIL output after nothing). The PNG keeps the text chunks that
`handlers.stamp` wrote (model, seed, render id)."""
from __future__ import annotations

import contextlib
import functools
import itertools
import re
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

OUT_DIR = Path(tempfile.gettempdir()) / "ganvas-downloads"
KEEP_FILES = 256  # older files go: gradio has copied each into its own cache by then
PRUNE_EVERY = 32  # look for old files every this many saves (listing them costs ~5 ms)
_saves = itertools.count()


def file_name(image: Image.Image) -> str:
    """ganvas-<dataset>[-seed<N>].png from the stamped model name (e.g. "pix2pix.edges2cats")."""
    model = image.info.get("Software", "").removeprefix("GANvas ").strip()
    dataset = model.split(".")[-1] if model else "output"
    seed = image.info.get("seed")
    name = f"ganvas-{dataset}" + (f"-seed{seed}" if seed not in (None, "") else "")
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name) + ".png"


def _prune() -> None:
    old = sorted(OUT_DIR.glob("*/*.png"), key=lambda p: p.stat().st_mtime)
    for path in old[: max(0, len(old) - KEEP_FILES)]:
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()


def save_named(image: Image.Image | None) -> str | None:
    if image is None:
        return None
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if next(_saves) % PRUNE_EVERY == 0:
        _prune()
    folder = OUT_DIR / uuid.uuid4().hex[:12]  # one folder per render: same name, different files
    folder.mkdir()
    info = PngInfo()
    for key, value in image.info.items():
        if isinstance(value, str):
            info.add_text(key, value)
    path = folder / file_name(image)
    image.save(path, pnginfo=info, compress_level=1)
    return str(path)


def _named(value: object) -> object:
    if isinstance(value, Image.Image):
        return save_named(value)
    if isinstance(value, list):  # a batch of outputs, or a gallery of (image, caption)
        return [_named(v) for v in value]
    if isinstance(value, tuple) and value and isinstance(value[0], Image.Image):
        return (save_named(value[0]), *value[1:])
    return value


def named_outputs(fn: Callable, *, first: int = 1) -> Callable:
    """fn, with the images among its first `first` outputs saved as named files (paths returned)."""

    @functools.wraps(fn)
    def wrapper(*args: object) -> object:
        result = fn(*args)
        if not isinstance(result, tuple):
            return _named(result)
        return tuple(_named(v) if i < first else v for i, v in enumerate(result))

    return wrapper
