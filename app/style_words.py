"""Words for the street painter's style controls, measured on renders of one fixed street.

A slider is named after what it visibly does. Once per loaded model, the fixed layout (street
seed 1, the first example in assets/streets) is rendered at -2 and +2 spreads from the mean style
along each direction, and under each preset (a couple of dozen renders at the model's native
size, ~160 px, in batches of 8). Four properties are measured, in units of the 0..1 pixel range:

- brightness: mean luma (Rec. 601 weights);
- saturation: mean HSV saturation, (max - min) / max per pixel;
- warmth: mean of red minus blue;
- contrast: standard deviation of luma.

They are measured over the whole picture and over each class region that covers at least a
tenth of it (for CamVid: sky, buildings, road). A direction is named after its strongest change
over the whole picture ("darker ↔ brighter"); when nothing changes that much over the whole
picture, after its strongest change in one region ("buildings: darker ↔ brighter"). A second
change of the same scope is added when it is at least half the first. The left word is what the
slider's negative end looks like.

A direction is hidden when no change reaches VISIBLE = 0.03 (8 of 255 grey levels between -2 and
+2, about 5% of a typical street's mean brightness of 0.58: above the 1-2% Weber fraction at
which a change of a large even area starts to show, side by side; the slider runs on to ±3). A
direction whose strongest change is the same property of the same region as an earlier,
stronger one is hidden too: a second slider doing the same thing only confuses.

Presets named by the trainer after dataset files ("style 1 (like 0016E5_01080)", "preset 2")
are renamed after their render of the same street (see `preset_name`); names a person chose
are kept. The shipped names stay valid as aliases (API callers, old links).
"""
from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
import weakref
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

import engine

from .drawings.facade_layouts import colorize
from .examples import LAYOUTS, layout_examples
from .styles import StyleSpace, style_space

logger = logging.getLogger(__name__)

MEASURE_AT = 2.0  # renders at -2 and +2 spreads along each direction
VISIBLE = 0.03  # smallest change (0..1 units) a slider must make to be shown; see the docstring
SECOND = 0.5  # a second change joins the label when at least this share of the first
MIN_REGION = 0.10  # share of the picture a class region needs to be measured on its own
WHOLE = ""  # the scope of changes over the whole picture

# property -> (word at its low end, word at its high end)
WORDS = {
    "brightness": ("darker", "brighter"),
    "saturation": ("paler", "more colourful"),
    "warmth": ("cooler", "warmer"),
    "contrast": ("flatter", "more contrast"),
}
PLURALS = {"building": "buildings", "tree": "trees", "car": "cars", "pedestrian": "pedestrians", "pole": "poles", "window": "windows"}
GENERATED_NAME = re.compile(r"^(style|preset) \d+\b")  # names the trainer makes from dataset files

Render = Callable[[np.ndarray], np.ndarray]  # N x z_dim codes -> N x H x W x 3 pictures in [0, 1]


def image_stats(pixels: np.ndarray) -> dict[str, float]:
    """Brightness, saturation, warmth and contrast of pixels (... x 3, values in [0, 1])."""
    p = np.asarray(pixels, dtype=np.float32).reshape(-1, 3)
    if not len(p):
        return dict.fromkeys(WORDS, 0.0)
    luma = p @ np.array(engine.LUMA_WEIGHTS, np.float32)
    top, bottom = p.max(1), p.min(1)
    saturation = np.where(top > 1e-3, (top - bottom) / np.maximum(top, 1e-3), 0.0)
    return {
        "brightness": float(luma.mean()),
        "saturation": float(saturation.mean()),
        "warmth": float((p[:, 0] - p[:, 2]).mean()),
        "contrast": float(luma.std()),
    }


def scoped_stats(picture: np.ndarray, regions: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """scope ("" for the whole picture, else a region's name) -> its stats."""
    out = {WHOLE: image_stats(picture)}
    for name, mask in regions.items():
        out[name] = image_stats(picture[mask])
    return out


def changes(low: np.ndarray, high: np.ndarray, regions: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """scope -> property -> how much it changes from the `low` picture to the `high` one."""
    a, b = scoped_stats(low, regions), scoped_stats(high, regions)
    return {scope: {k: b[scope][k] - a[scope][k] for k in WORDS} for scope in a}


def direction_label(change: dict[str, dict[str, float]]) -> tuple[str, tuple[str, str] | None]:
    """-> (label, (scope, property) it is named after); ("", None) when no change is visible."""
    whole = change.get(WHOLE, {})
    if any(abs(v) >= VISIBLE for v in whole.values()):
        scope, effects = WHOLE, whole
    else:
        regional = [(abs(v), scope) for scope, props in change.items() if scope != WHOLE for v in props.values()]
        if not regional or max(regional)[0] < VISIBLE:
            return "", None
        scope = max(regional)[1]
        effects = change[scope]
    ranked = sorted(effects.items(), key=lambda kv: -abs(kv[1]))
    first = abs(ranked[0][1])
    chosen = [(k, v) for k, v in ranked[:2] if abs(v) >= VISIBLE and abs(v) >= SECOND * first]
    left = ", ".join(WORDS[k][1 if v < 0 else 0] for k, v in chosen)
    right = ", ".join(WORDS[k][0 if v < 0 else 1] for k, v in chosen)
    label = f"{left} ↔ {right}"
    return (f"{scope}: {label}" if scope else label), (scope, chosen[0][0])


def direction_labels(per_direction: list[dict[str, dict[str, float]]]) -> tuple[str, ...]:
    """Labels of all directions; one whose main change a stronger direction also makes is hidden."""
    named = [direction_label(c) for c in per_direction]

    def size(i: int) -> float:
        scope, prop = named[i][1]
        return abs(per_direction[i][scope][prop])

    out = []
    for i, (label, key) in enumerate(named):
        beaten = key is not None and any(j != i and named[j][1] == key and size(j) > size(i) for j in range(len(named)))
        out.append("" if beaten else label)
    return tuple(out)


def preset_name(whole: dict[str, float], sky: dict[str, float] | None) -> str:
    """Words for a preset's render, from its stats over the whole picture and over the sky.

    sky (when the model has one): mean sky brightness < 0.45 -> "dusk" if the picture is warm
    (warmth >= 0.02), else "dark sky"; sky warmth >= 0.03 -> "golden sky"; sky saturation >= 0.03
    and bluer than red -> "sunny" when the picture is contrasty (contrast >= 0.38: hard shadows),
    else "blue sky"; otherwise "overcast" (a white or grey sky).
    light: brightness >= 0.55 "bright", < 0.40 "dark" (unless the sky says so), 0.40-0.48 "dim".
    colour: warmth >= 0.03 "warm", <= -0.03 "cool".
    """
    words = []
    if sky is not None:
        if sky["brightness"] < 0.45:
            words.append("dusk" if whole["warmth"] >= 0.02 else "dark sky")
        elif sky["warmth"] >= 0.03:
            words.append("golden sky")
        elif sky["saturation"] >= 0.03 and sky["warmth"] < 0:
            words.append("sunny" if whole["contrast"] >= 0.38 else "blue sky")
        else:
            words.append("overcast")
    b = whole["brightness"]
    if b >= 0.55:
        words.append("bright")
    elif b < 0.40 and not {"dusk", "dark sky"} & set(words):
        words.append("dark")
    elif 0.40 <= b < 0.48:
        words.append("dim")
    if whole["warmth"] >= 0.03:
        words.append("warm")
    elif whole["warmth"] <= -0.03:
        words.append("cool")
    return ", ".join(words) or "neutral"


def describe(space: StyleSpace, render: Render, regions: dict[str, np.ndarray]) -> StyleSpace:
    """The space with measured words: a label per direction ("" = hidden) and preset names."""
    base = space.mean if space.mean is not None else np.zeros(space.z_dim, np.float32)
    codes = []
    for i in range(space.n_directions):
        step = MEASURE_AT * float(space.spread[i]) * space.components[i]
        codes += [base - step, base + step]
    codes += list(space.presets)
    pictures = render(np.stack(codes).astype(np.float32))
    per_direction = [changes(pictures[2 * i], pictures[2 * i + 1], regions) for i in range(space.n_directions)]
    labels = direction_labels(per_direction)
    for i, c in enumerate(per_direction):
        strongest = max(((abs(v), s or "whole", k) for s, props in c.items() for k, v in props.items()), default=(0.0, "", ""))
        logger.info("style direction %d: %s (strongest change %.3f, %s %s)", i + 1, labels[i] or "hidden", *strongest)
    taken = {n for n in space.preset_names if not GENERATED_NAME.match(n)}  # chosen by a person: kept
    names = []
    for j, name in enumerate(space.preset_names):
        if GENERATED_NAME.match(name):
            stats = scoped_stats(pictures[2 * space.n_directions + j], regions)
            words = preset_name(stats[WHOLE], stats.get("sky"))
            name, n = words, 1
            while name in taken:  # look-alike presets: numbered in preset order
                n += 1
                name = f"{words} {n}"
            taken.add(name)
        names.append(name)
    return dataclasses.replace(space, direction_labels=labels, preset_names=tuple(names), preset_aliases=space.preset_names)


# ----- on a loaded model ----------------------------------------------------------------------
def _region_name(name: str) -> str:
    low = name.strip().lower()
    return PLURALS.get(low, low)


def model_renderer(model) -> tuple[Render, dict[str, np.ndarray]]:
    """A renderer of the fixed street for a label model with a style code, and its class regions."""
    contract = model.contract
    palette = [(p.name, tuple(p.rgb)) for p in contract.palette]
    ids = layout_examples("street")[0].picture  # assets/streets/street_1: every measurement renders it
    try:
        rgb = colorize(ids, LAYOUTS["street"].classes, palette)
    except ValueError:  # a palette with fewer classes than a street: a band per class
        height, width = ids.shape
        bands = (np.arange(height) * len(palette) // height).astype(np.uint8)
        rgb = np.array([c for _, c in palette], np.uint8)[np.repeat(bands[:, None], width, 1)]
    image = Image.fromarray(rgb)

    def render(codes: np.ndarray) -> np.ndarray:
        out = []
        for start in range(0, len(codes), 8):  # a few at a time: bounded memory on any device
            z = torch.from_numpy(np.ascontiguousarray(codes[start : start + 8]))
            out += [np.asarray(im, dtype=np.float32) / 255.0 for im in model.render_latents(image, z)]
        return np.stack(out)

    _, placement = model.prepare(image)  # the renders come out at placement.scaled
    class_ids = np.asarray(Image.fromarray(engine.image_to_class_ids(image, contract)).resize(placement.scaled, Image.NEAREST))
    regions = {}
    for k, (name, _) in enumerate(palette):
        mask = class_ids == k
        if mask.mean() >= MIN_REGION:
            regions[_region_name(name)] = mask

    return render, regions


_described: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def described_space(model) -> StyleSpace:
    """The model's style space with measured words; measured once per loaded model (about two
    dozen renders: ~1-4 s on a CPU, instant on a GPU). If measuring fails, the plain space."""
    with _lock:
        cached = _described.get(model)
        if cached is not None:
            return cached
        space = style_space(z_dim=model.nz, extras=model.extras, config=model.config)
        if space.n_directions or space.n_presets:
            started = time.perf_counter()
            try:
                render, regions = model_renderer(model)
                space = describe(space, render, regions)
                logger.info("style words of %s measured in %.1f s", model.name, time.perf_counter() - started)
            except Exception:  # the words are a nicety: the sliders still work, numbered
                logger.warning("could not measure the style words of %s", model.name, exc_info=True)
        _described[model] = space
        return space
