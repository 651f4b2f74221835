"""Event handlers of the studio: UI values in, (output, status line) out.

Every handler catches its own problems and answers with a status line (Markdown) instead of
raising, so a missing model, a bad upload or a bad seed never shows a stack trace and the app
keeps serving. Models come from `models.HUB` (loaded on first use); image conversions live in
`canvas`, seeds in `seeds`, style controls in `styles`. The street painter's handlers are in
`street_handlers`.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence

import gradio as gr
import numpy as np
import torch
from PIL import Image

import engine
from engine import SEED_KEY, SOURCE_SIZE_KEY

from . import canvas as cv
from . import seeds as sd
from .errors import report
from .examples import LAYOUTS, sketch_examples
from .drawings.facade_layouts import palette_ids
from .models import FACADE, HUB, SKETCH, VARIATIONS, ZEBRA, count_render
from .drawings.palettes import display_palette, palette_of
from .uploads import load_upload

logger = logging.getLogger(__name__)

SKETCH_CANVAS = (256, 256)
FACADE_CANVAS = (256, 256)
MAX_VARIATIONS = 12


def ok(name: str, started: float, extra: str = "") -> str:
    ms = (time.perf_counter() - started) * 1000
    return f"✓ `{name}` · {ms:.0f} ms" + (f" · {extra}" if extra else "")


def stamp(image: Image.Image | None, model: str, seed: int | None = None) -> Image.Image | None:
    """Record how an output was made in its PNG text chunks (kept in the download).

    The render id also makes every output file unique: gradio caches outputs under a hash of the
    PNG bytes, and two requests writing the same file while a third downloads it break the
    download ("Too much data for declared Content-Length").
    """
    if image is None:
        return None
    count_render(model)
    image.info.update({"Software": f"GANvas {model}", "ganvas_render": uuid.uuid4().hex})
    seed = image.info.get(SEED_KEY) if seed is None else seed
    if seed is not None:
        image.info["seed"] = str(seed)
    return image


# ----- Sketch -> Cat ------------------------------------------------------------------------
def render_sketch(canvas: object) -> tuple[Image.Image | None, str]:
    images, statuses = render_sketch_batch([canvas])
    return images[0], statuses[0]


def render_sketch_batch(canvases: list) -> tuple[list, list]:
    """Sketch canvases -> cat photos; one forward pass for all (gradio batches them on a GPU)."""
    started = time.perf_counter()
    try:
        model = HUB.get(SKETCH)
    except Exception as exc:
        status = report(exc, where="sketch render", toast=False)
        return [None] * len(canvases), [status] * len(canvases)
    sketches, statuses = [], [""] * len(canvases)
    for i, value in enumerate(canvases):
        try:
            sketches.append(cv.sketch_from_canvas(value, size=SKETCH_CANVAS))
        except Exception as exc:
            sketches.append(None)
            statuses[i] = report(exc, where="sketch canvas")
    todo = [i for i, s in enumerate(sketches) if s is not None]
    outputs: list[Image.Image | None] = [None] * len(canvases)
    try:
        for i, out in zip(todo, model.translate_many([sketches[i] for i in todo])):
            outputs[i] = stamp(out, SKETCH)
            statuses[i] = ok(SKETCH, started, "empty canvas: drawing paper only" if cv.is_blank(sketches[i]) else "")
    except Exception as exc:
        status = report(exc, where="sketch render")
        for i in todo:
            statuses[i] = status
    return outputs, statuses


def sketch_canvas_value(sketch: np.ndarray) -> dict:
    """A sketch (H x W, ink 0) fitted into the canvas, as a value the canvas loads and renders."""
    ink = cv.fit_into(sketch, SKETCH_CANVAS, fill=255)
    return cv.canvas_value(np.repeat(ink[:, :, None], 3, axis=2))


def sketch_example(index: int) -> dict:
    """The index-th example sketch as a canvas value (the canvas renders it as it loads)."""
    return sketch_canvas_value(sketch_examples()[index].picture)


def sketch_upload(payload: object, line_width: float = 2) -> tuple[dict | None, str]:
    """An uploaded photo becomes a sketch (engine edge pipeline); a drawing is used as it is."""
    started = time.perf_counter()
    try:
        image = load_upload(payload)
        if image is None:
            return gr.skip(), ""
        rgb = np.asarray(image.convert("RGB"))
        if cv.looks_like_sketch(rgb):
            grey = np.asarray(image.convert("L"))
            sketch = np.where(grey < cv.INK_THRESHOLD, 0, 255).astype(np.uint8)
            how = "used as a drawing"
        else:
            small = cv.fit_into(rgb, (512, 512), fill=255) if max(rgb.shape[:2]) > 512 else rgb
            sketch = engine.photo_to_sketch(small, line_width=max(1, int(line_width)))
            how = "photo turned into a sketch"
        ms = (time.perf_counter() - started) * 1000
        return sketch_canvas_value(sketch), f"✓ {how} · {ms:.0f} ms: edit it on the canvas"
    except Exception as exc:
        return gr.skip(), report(exc, where="sketch upload")


# ----- Variations (BicycleGAN) ---------------------------------------------------------------
def _gallery(model, sketch: Image.Image, seeds: list[int], locked: set[int]) -> list[tuple[Image.Image, str]]:
    zs = torch.cat([model.random_z(s) for s in seeds])
    images = model.render_latents(sketch, zs)
    for im, s in zip(images, seeds):
        im.info[SEED_KEY] = s
        stamp(im, model.name, s)
    return list(zip(images, sd.captions(seeds, locked)))


def latents_for_page(zs: torch.Tensor, output: str, captions: list[str] | None = None) -> dict:
    """Latents for the page to render the variations with itself (ganvas_web.js)."""
    return {"zs": zs.float().tolist(), "captions": captions or [], "output": output, "canvas": "sketch-canvas"}


def variations(canvas: object, n: float, seeds_text: str, locked: Sequence[object] | None, *, reroll: bool = False) -> tuple:
    """N renderings of the sketch, one per seed -> (gallery, seeds text, lock choices, status,
    latents for the page). Where the page renders (its canvas value says so), the server only
    turns the seeds into latents and the gallery is left to the page."""
    started = time.perf_counter()
    try:
        n = int(n)
        if not 1 <= n <= MAX_VARIATIONS:
            raise ValueError(f"choose between 1 and {MAX_VARIATIONS} variations, got {n}")
        seeds = sd.parse_seeds(seeds_text, n)
        keep = sd.parse_locks(locked, n)
        if reroll:
            seeds = sd.reroll(seeds, keep)
        locks = gr.CheckboxGroup(choices=sd.lock_choices(seeds), value=sorted(keep))
        if cv.rendered_in_page(canvas):
            prior = HUB.latent_prior(VARIATIONS)
            zs = torch.cat([prior.sample(s) for s in seeds])
            page = latents_for_page(zs, "variation-gallery", sd.captions(seeds, keep))
            return gr.skip(), sd.format_seeds(seeds), locks, "", page
        model = HUB.get(VARIATIONS)
        gallery = _gallery(model, cv.sketch_from_canvas(canvas, size=SKETCH_CANVAS), seeds, keep)
        return gallery, sd.format_seeds(seeds), locks, ok(VARIATIONS, started, f"{n} samples"), gr.skip()
    except Exception as exc:
        return gr.skip(), gr.skip(), gr.skip(), report(exc, where="variations"), gr.skip()


def variations_reroll(canvas: object, n: float, seeds_text: str, locked: Sequence[object] | None) -> tuple:
    return variations(canvas, n, seeds_text, locked, reroll=True)


def variations_morph(canvas: object, seeds_text: str, a: float, b: float, t: float, *, quiet: bool = False) -> tuple:
    """The sketch rendered with z between sample a's and sample b's (1-based numbers)
    -> (picture, status, latents for the page: where it renders, the server sends only z).
    quiet: a morph that follows new variations by itself; a problem is logged, not shown."""
    started = time.perf_counter()
    try:
        parts = [p for p in (seeds_text or "").replace(",", " ").split() if p]
        if len(parts) < 2:
            raise ValueError("render some variations first: the morph goes between two of them")
        seeds = sd.parse_seeds(seeds_text, len(parts))
        ia, ib = sd.slot(a, len(seeds)), sd.slot(b, len(seeds))
        prior = HUB.latent_prior(VARIATIONS)
        z = sd.interpolate_z(prior.sample(seeds[ia])[0], prior.sample(seeds[ib])[0], float(t), mode=prior.interpolation)
        how = f"{t:.2f} of the way from seed {seeds[ia]} to seed {seeds[ib]}"
        if cv.rendered_in_page(canvas):
            return gr.skip(), f"morph: {how}", latents_for_page(z[None], "variation-morph")
        out = stamp(HUB.get(VARIATIONS)(cv.sketch_from_canvas(canvas, size=SKETCH_CANVAS), z=z), VARIATIONS)
        return out, ok(VARIATIONS, started, how), gr.skip()
    except Exception as exc:
        status = report(exc, where="morph", toast=not quiet)
        return gr.skip(), gr.skip() if quiet else status, gr.skip()


def variations_morph_follow(canvas: object, seeds_text: str, a: float, b: float, t: float) -> tuple:
    """The morph of freshly rendered variations, so it is never empty beside them -> (picture,
    latents for the page); the variations' own status line stays."""
    picture, _, page = variations_morph(canvas, seeds_text, a, b, t, quiet=True)
    return picture, page


# ----- Label painters (facade here; the street painter adds styles in street_handlers) --------
def label_palette(name: str, default: list) -> list[tuple[str, tuple[int, int, int]]]:
    return palette_of(HUB.contract(name), default)


def painter_palette(name: str, default: list) -> list[tuple[str, tuple[int, int, int]]]:
    """(class name, colour shown on the canvas) per class id: see palettes.display_palette."""
    return display_palette(label_palette(name, default))


def blank_class(name: str) -> int:
    contract = HUB.contract(name)
    return contract.blank_class if contract else 0


def label_canvas_value(name: str, default: list, ids: np.ndarray, size: tuple[int, int]) -> dict:
    """A map of class ids fitted into the canvas, in the painter's colours, for the canvas to load."""
    shown = [rgb for _, rgb in painter_palette(name, default)]
    fitted = cv.fit_into(ids, size, fill=blank_class(name), nearest=True)
    return cv.canvas_value(cv.ids_to_rgb(fitted, shown))


def canvas_palette(value: object, model_palette: list, shown_palette: list) -> list:
    """The colours a canvas value is painted in: the painter's display colours for the painting
    canvas, the model's own palette for any other picture (an API client's label map)."""
    return shown_palette if isinstance(value, dict) and "png" in value else model_palette


def render_labels(name: str, canvases: list, *, size: tuple[int, int], zs: list | None = None, seeds: list | None = None) -> tuple[list, list]:
    started = time.perf_counter()
    try:
        model = HUB.get(name)
    except Exception as exc:
        status = report(exc, where=f"{name} render", toast=False)
        return [None] * len(canvases), [status] * len(canvases)
    named = palette_of(model.contract, [])
    palette, shown = [rgb for _, rgb in named], [rgb for _, rgb in display_palette(named)]
    maps, statuses = [], [""] * len(canvases)
    for i, value in enumerate(canvases):
        try:
            ids = cv.labels_from_canvas(value, canvas_palette(value, palette, shown), blank_class=model.contract.blank_class, size=size)
            maps.append(Image.fromarray(ids))
        except Exception as exc:
            maps.append(None)
            statuses[i] = report(exc, where=f"{name} canvas")
    todo = [i for i, m in enumerate(maps) if m is not None]
    outputs: list[Image.Image | None] = [None] * len(canvases)
    try:
        results = model.translate_many(
            [maps[i] for i in todo],
            zs=[zs[i] for i in todo] if zs is not None else None,
            seeds=[seeds[i] for i in todo] if seeds is not None else None,
        )
        for i, out in zip(todo, results):
            outputs[i] = stamp(out, name)
            statuses[i] = ok(name, started, f"style seed {seeds[i]}" if seeds and seeds[i] is not None else "")
    except Exception as exc:
        status = report(exc, where=f"{name} render")
        for i in todo:
            statuses[i] = status
    return outputs, statuses


def layout_canvas_value(name: str, default: list, kind: str, ids: np.ndarray, size: tuple[int, int]) -> dict:
    """Class ids of a procedural layout (its own class order) as the painter's canvas value."""
    return label_canvas_value(name, default, palette_ids(ids, LAYOUTS[kind].classes, label_palette(name, default)), size)


def layout_colours(name: str, default: list, kind: str):
    """ids in the layout's class order -> H x W x 3 in the painter's colours (for thumbnails)."""
    shown = [rgb for _, rgb in painter_palette(name, default)]
    return lambda ids: cv.ids_to_rgb(palette_ids(ids, LAYOUTS[kind].classes, label_palette(name, default)), shown)


def render_facade(canvas: object) -> tuple[Image.Image | None, str]:
    images, statuses = render_labels(FACADE, [canvas], size=FACADE_CANVAS)
    return images[0], statuses[0]


def render_facade_batch(canvases: list) -> tuple[list, list]:
    return render_labels(FACADE, canvases, size=FACADE_CANVAS)


def label_upload(name: str, default: list, payload: object, size: tuple[int, int]) -> tuple[dict, str]:
    """An uploaded label map, snapped to the palette (JPEG seams and antialiasing cleaned)."""
    try:
        image = load_upload(payload, labels=True)
        if image is None:
            return gr.skip(), ""
        palette = label_palette(name, default)
        ids = cv.snap_labels(np.asarray(image.convert("RGB")), [rgb for _, rgb in palette])
        found = ", ".join(palette[i][0] for i in np.unique(ids))
        return label_canvas_value(name, default, ids, size), f"✓ label map snapped to the palette: {found}"
    except Exception as exc:
        return gr.skip(), report(exc, where=f"{name} label upload")


# ----- Horse <-> Zebra ------------------------------------------------------------------------
def size_words(image: Image.Image) -> str:
    """"800x600" for a photo read at full size; "6000x4000 (read at 1024x683)" for a scaled one."""
    source = image.info.get(SOURCE_SIZE_KEY)
    if not source or tuple(source) == image.size:
        return f"{image.width}x{image.height}"
    return f"{source[0]}x{source[1]} (read at {image.width}x{image.height})"


def translate_photo(payload: object, direction: str | None) -> tuple[Image.Image | None, str]:
    started = time.perf_counter()
    try:
        photo = load_upload(payload)
        if photo is None:
            return None, "Upload a photo of horses or zebras."
        model = HUB.get(ZEBRA)
        direction = direction or "AtoB"
        out = stamp(model(photo, direction=direction), ZEBRA)
        label = model.contract.directions.get(direction, direction)
        return out, ok(ZEBRA, started, f"{label} · {size_words(photo)} in, {out.width}x{out.height} out")
    except Exception as exc:
        return None, report(exc, where="horse/zebra")
