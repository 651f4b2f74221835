"""A sample render per model for the Models tab: a project example in, the model's answer out.

Inputs are the tabs' own examples (app.examples: assets/, made by the project, or drawn anew when
absent): a sketch model gets the first example sketch; a label model gets the first layout of the
example kind whose class names its palette carries, painted in its own colours; a photo model
gets the first painted example photo (a horse, for its first direction). Renders are made when
first asked for (the first time the Models tab opens), never at import, and kept for as long as
the model's files are the same.
"""
from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Callable

import numpy as np
from PIL import Image

import engine
from engine import ModelCard

from .examples import LAYOUTS, layout_examples, photo_examples, sketch_examples
from .drawings.facade_layouts import colorize
from .model_words import TAB_OF
from .models import HUB, ModelHub, studio_order
from .styles import style_space

logger = logging.getLogger(__name__)

GAP = 6  # px of white between input and output

TIMED_RENDERS = 3  # warm renders timed after the sample (the first one loads and warms up)

_cache: dict[tuple, tuple[Image.Image, str] | None] = {}
_render_ms: dict[str, float] = {}
_lock = threading.Lock()


def sample_input(card: ModelCard) -> tuple[Image.Image, str] | None:
    """(input picture, what it is) for a model, or None when the project has none of its kind."""
    c = card.contract
    if c.kind == "sketch":
        example = sketch_examples()[0]
        return Image.fromarray(example.picture).convert("L"), f"sketch “{example.name}”"
    if c.kind == "labels" and c.palette:
        names = {p.name.strip().lower() for p in c.palette}
        palette = [(p.name, tuple(p.rgb)) for p in c.palette]
        for kind, layout in LAYOUTS.items():
            if {n.lower() for n in layout.classes} <= names:
                example = layout_examples(kind)[0]
                return Image.fromarray(colorize(example.picture, layout.classes, palette)), f"layout “{example.name}”"
    if c.kind == "photo":
        example = photo_examples()[0]
        return Image.open(example.path).convert("RGB"), f"painted “{example.name}”"
    return None


def side_by_side(left: Image.Image, right: Image.Image) -> Image.Image:
    """Input and output at the output's height, a white gap between."""
    h = right.height
    left = left.convert("RGB")
    left = left.resize((max(1, round(left.width * h / left.height)), h), Image.NEAREST if left.getcolors(64) else Image.LANCZOS)
    out = Image.new("RGB", (left.width + GAP + right.width, h), "white")
    out.paste(left, (0, 0))
    out.paste(right.convert("RGB"), (left.width + GAP, 0))
    return out


def render_sample(card: ModelCard, hub: ModelHub = HUB) -> tuple[Image.Image, str] | None:
    """(input | output picture, caption) for one model whose files are present, else None."""
    given = sample_input(card)
    if given is None:
        return None
    image, what = given
    model = hub.get(card.name)
    how, look = "", {}
    if model.nz:
        presets = style_space(z_dim=model.nz, extras=model.extras, config=model.config).presets if model.contract.style else np.zeros((0,))
        look, how = ({"z": presets[0]}, "first style preset") if len(presets) else ({"seed": 0}, "seed 0")
    out = model(image, **look)
    _render_ms[card.name] = timed_ms(lambda: model(image, **look))
    # Short: the gallery shows one line under each picture; the card below says the rest.
    caption = f"{TAB_OF.get(card.name, card.name)}: {what}" + (f", {how}" if how else "")  # how: the look used
    return side_by_side(image, out), caption


def timed_ms(render: Callable[[], object], *, repeats: int = TIMED_RENDERS) -> float:
    """Median wall time of a few warm renders, in ms."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        render()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def render_ms(name: str) -> float | None:
    """How long a picture of the model took on this server, when its sample was made."""
    return _render_ms.get(name)


def samples(hub: ModelHub = HUB) -> list[tuple[Image.Image, str]]:
    """(picture, caption) per registered model with its files present, rendered once each."""
    try:
        cards = sorted((c for c in engine.list_models() if c.available), key=lambda c: studio_order(c.name))
    except engine.ModelError:
        return []
    out = []
    for card in cards:
        key = (card.name, tuple(sorted(card.files.items())))
        with _lock:  # one render per model, however many pages open the tab at once
            if key not in _cache:
                try:
                    _cache[key] = render_sample(card, hub)
                except Exception:  # one broken model must not empty the tab
                    logger.warning("no sample render for %s", card.name, exc_info=True)
                    _cache[key] = None
            if _cache[key] is not None:
                out.append(_cache[key])
    return out


def clear() -> None:
    """Forget the renders (they are made again on next use)."""
    with _lock:
        _cache.clear()
        _render_ms.clear()
