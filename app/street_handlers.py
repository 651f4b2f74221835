"""Handlers of the street painter (SPADE): label canvas plus a style code.

The style comes from a seed ("random"), a shipped preset, or a reference photo through the
model's style encoder; sliders then move it along the model's main style directions. The
encoded photo is kept per session (a gr.State holding the code as a list of floats).
"""
from __future__ import annotations

import time
from collections.abc import Sequence

import gradio as gr
import numpy as np
from PIL import Image

import engine

from . import canvas as cv
from . import seeds as sd
from .errors import report
from .handlers import ok, render_labels
from .models import HUB, STREET
from .style_words import described_space
from .styles import MAX_SLIDERS, SOURCES, StyleSpace, preset_labels, preset_vector, slider_labels, steer, style_space
from .drawings.street_layouts import STREET_CANVAS
from .uploads import load_upload



def space_of(model) -> StyleSpace:
    """The style space with its measured words (slider and preset names): measured once per
    loaded model, ~1-3 s on a CPU, when the tab opens."""
    return described_space(model)


def render_space(model, preset: str | None) -> StyleSpace:
    """The space a render needs: the plain one (no measuring in the way of the first picture),
    or the worded one when a preset is asked for by its measured name."""
    plain = style_space(z_dim=model.nz, extras=model.extras, config=model.config)
    if preset in (None, "") or preset in plain.preset_names:
        return plain
    return described_space(model)


def style_code(model, source: str, seed: object, preset: str | None, photo_z: Sequence[float] | None, offsets: Sequence[float]) -> tuple[np.ndarray, int | None]:
    """The style code for the chosen source, steered by the sliders -> (z, seed used or None)."""
    space = render_space(model, preset if source == "preset" else None)
    used_seed = None
    if source == "preset":
        base = preset_vector(space, preset)
    elif source == "photo":
        if not photo_z:
            raise ValueError("upload a reference photo first (or choose a random style or a preset)")
        base = np.asarray(photo_z, dtype=np.float32)
    elif source == "random":
        used_seed = sd.seed_or_new(seed)
        base = model.random_z(used_seed)[0].numpy()
    else:
        raise ValueError(f"style source must be one of {', '.join(SOURCES)}, got {source!r}")
    return steer(space, base, [float(o or 0) for o in offsets]), used_seed


def render_street(canvas: object, source: str, seed: object, preset: str | None, photo_z: Sequence[float] | None, *offsets: float) -> tuple[Image.Image | None, str]:
    if cv.rendered_in_page(canvas):  # a style change while the page renders: it gets the code below
        return gr.skip(), gr.skip()
    try:
        model = HUB.get(STREET)
        z, used_seed = style_code(model, source, seed, preset, photo_z, offsets)
    except Exception as exc:
        return None, report(exc, where="street style", toast=False)
    images, statuses = render_labels(STREET, [canvas], size=STREET_CANVAS, zs=[z], seeds=[used_seed])
    return images[0], statuses[0]


def render_street_batch(canvases: list, sources: list, seeds: list, presets: list, photo_zs: list, *offset_columns: list) -> tuple[list, list]:
    """Many street requests (gradio batches them on a GPU): one forward pass per input shape."""
    n = len(canvases)
    try:
        model = HUB.get(STREET)
    except Exception as exc:
        status = report(exc, where="street render", toast=False)
        return [None] * n, [status] * n
    zs, used, statuses, todo = [], [], [""] * n, []
    for i in range(n):
        try:
            z, s = style_code(model, sources[i], seeds[i], presets[i], photo_zs[i], [col[i] for col in offset_columns])
            zs.append(z)
            used.append(s)
            todo.append(i)
        except Exception as exc:
            statuses[i] = report(exc, where="street style")
    images, done = render_labels(STREET, [canvases[i] for i in todo], size=STREET_CANVAS, zs=zs, seeds=used)
    outputs: list = [None] * n
    for i, image, status in zip(todo, images, done):
        outputs[i], statuses[i] = image, status
    return outputs, statuses


def street_style_code(source: str, seed: object, preset: str | None, photo_z: Sequence[float] | None, *offsets: float) -> dict:
    """The style code the controls choose, for the page to render with -> {"z": [...], "seed"}."""
    try:
        model = HUB.get(STREET)
        z, used_seed = style_code(model, source, seed, preset, photo_z, offsets)
        return {"z": [float(v) for v in z], "seed": used_seed}
    except Exception as exc:
        report(exc, where="street style", toast=False)
        return gr.skip()


def initial_style_code() -> dict | None:
    """The code of the controls' starting state (style seed 0), without loading the model."""
    contract = HUB.contract(STREET)
    if contract is None or not contract.nz:
        return None
    return {"z": [float(v) for v in engine.random_latent(contract.nz, 0)[0]], "seed": 0}


def street_style_photo(payload: object) -> tuple:
    """Encode a reference photo -> (style code for the session, source = "photo", status)."""
    started = time.perf_counter()
    try:
        photo = load_upload(payload)
        if photo is None:
            return gr.skip(), gr.skip(), ""
        model = HUB.get(STREET)
        z = model.encode(photo)
        return [float(v) for v in z], "photo", ok(STREET, started, "style taken from the photo")
    except Exception as exc:
        return gr.skip(), gr.skip(), report(exc, where="style photo")


def new_style_seed() -> tuple[int, str]:
    return sd.new_seed(), "random"


def street_controls() -> tuple:
    """Load the model (the tab is in use) and show the style controls it supports.

    -> (status, preset dropdown, photo upload, source radio, *MAX_SLIDERS sliders)
    """
    hidden = [gr.Slider(visible=False) for _ in range(MAX_SLIDERS)]
    try:
        model = HUB.get(STREET)
        space = space_of(model)
    except Exception as exc:
        return (report(exc, where="street controls", toast=False), gr.skip(), gr.skip(), gr.skip(), *hidden)
    sources = ["random"] + (["preset"] if space.n_presets else []) + (["photo"] if model.contract.encoder or model.contract.style else [])
    sliders = [gr.Slider(visible=bool(label), label=label or f"style direction {i + 1}") for i, label in enumerate(slider_labels(space))]
    # Choices only: setting a value here would fire a change and an extra (slow) render.
    presets = gr.Dropdown(choices=preset_labels(space), visible=bool(space.n_presets))
    return ("", presets, gr.Image(visible="photo" in sources), gr.Radio(choices=sources), *sliders)
