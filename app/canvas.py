"""Canvas values <-> model inputs: pure functions, no gradio, no models.

A canvas value is the painting canvas's dict {"png": data URL, ...} (app/paint_canvas.py), or
in-process a numpy array or PIL image. Here it becomes what a model takes: a black-on-white sketch, or a map of class
ids snapped to a palette. An empty canvas becomes the model's blank input (white paper, or the
blank class everywhere).
"""
from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

PAPER_RGB = (255, 255, 255)
INK_THRESHOLD = 128  # grey levels below this are ink: sketch models are trained on binary line maps
CONFIDENT_DISTANCE = 40.0  # RGB distance within which a painted pixel clearly belongs to a class
PNG_URL = "data:image/png;base64,"
MAX_URL_CHARS = 8_000_000  # a 2048 px noisy canvas as PNG is ~6 MB of base64; more is not a canvas
MAX_CANVAS_SIDE = 4096


def decode_png_url(url: object) -> np.ndarray:
    """A canvas's PNG data URL -> H x W x 3|4 uint8; a clear ValueError for anything else."""
    if not isinstance(url, str) or not url.startswith(PNG_URL):
        raise ValueError("the canvas sent something that is not a PNG picture; reload the page")
    if len(url) > MAX_URL_CHARS:
        raise ValueError(f"the canvas picture is too large ({len(url) / 1e6:.1f} MB)")
    try:
        data = base64.b64decode(url[len(PNG_URL) :], validate=True)
        with Image.open(io.BytesIO(data)) as im:
            if im.format != "PNG":
                raise ValueError(f"the canvas sent a {im.format} picture, not a PNG; reload the page")
            if max(im.size) > MAX_CANVAS_SIDE:
                raise ValueError(f"the canvas is {im.width}x{im.height}; at most {MAX_CANVAS_SIDE} px a side")
            return np.asarray(im.convert("RGBA" if "A" in im.getbands() else "RGB"))
    except (binascii.Error, OSError) as exc:
        raise ValueError("the canvas picture could not be read (a broken PNG); reload the page") from exc


def png_url(rgb: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=1)  # speed over size: it is local
    return PNG_URL + base64.b64encode(buffer.getvalue()).decode("ascii")


def canvas_value(rgb: np.ndarray, *, render: bool = True) -> dict:
    """A picture for the painting canvas to load; with render, the canvas posts it back to render."""
    return {"png": png_url(rgb), "origin": "server", "render": render}


def rendered_in_page(value: object) -> bool:
    """True for a canvas value whose pictures the page renders itself (ganvas_web.js)."""
    return isinstance(value, dict) and value.get("where") == "device"


def to_array(image: object) -> np.ndarray | None:
    """A numpy array (H x W, H x W x 3 or 4, uint8) of an image given as array or PIL image.

    Never a path: canvas values come from the browser, and a path would read the server's disk.
    """
    if image is None:
        return None
    if isinstance(image, np.ndarray):
        a = image
    elif isinstance(image, Image.Image):
        a = np.asarray(image if image.mode in ("L", "RGB", "RGBA") else image.convert("RGBA"))
    else:
        raise ValueError(f"the canvas sent something that is not a picture ({type(image).__name__}); reload the page")
    if a.dtype != np.uint8:
        raise ValueError(f"canvas images must be 8-bit, got {a.dtype}")
    return a


def flatten(image: np.ndarray, under: Sequence[int]) -> np.ndarray:
    """H x W (x 3|4) uint8 -> H x W x 3 uint8, transparent parts showing the colour `under`."""
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.shape[2] == 3:
        return image
    alpha = image[:, :, 3:4].astype(np.float32) / 255.0
    under_arr = np.asarray(under, dtype=np.float32).reshape(1, 1, 3)
    out = image[:, :, :3].astype(np.float32) * alpha + under_arr * (1.0 - alpha)
    return (out + 0.5).astype(np.uint8)


def canvas_image(value: object, *, under: Sequence[int]) -> np.ndarray | None:
    """A canvas value -> H x W x 3 uint8, transparent parts on `under`; None if empty."""
    if value is None:
        return None
    if isinstance(value, dict) and "png" in value:
        return None if value["png"] is None else flatten(decode_png_url(value["png"]), under)
    a = to_array(value)
    return None if a is None else flatten(a, under)


def blank_sketch(size: tuple[int, int] = (256, 256)) -> Image.Image:
    return Image.new("L", size, 255)


def sketch_from_canvas(value: object, *, size: tuple[int, int] = (256, 256)) -> Image.Image:
    """Canvas -> binary sketch (mode "L", ink 0 on paper 255); an empty canvas is blank paper."""
    rgb = canvas_image(value, under=PAPER_RGB)
    if rgb is None:
        return blank_sketch(size)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return Image.fromarray(np.where(grey < INK_THRESHOLD, 0, 255).astype(np.uint8))


def is_blank(sketch: Image.Image) -> bool:
    return bool(np.asarray(sketch).min() >= INK_THRESHOLD)


def snap_labels(rgb: np.ndarray, palette: Sequence[Sequence[int]]) -> np.ndarray:
    """H x W x 3 painted colours -> H x W uint8 class ids of the nearest palette colour.

    Antialiased stroke edges and JPEG seams hold in-between colours that may be nearest to a third
    class (between blue and yellow lies green). Pixels far from every palette colour take the class
    of the nearest clearly painted pixel instead, so boundaries never grow thin stray classes.
    """
    rgb = np.ascontiguousarray(rgb[:, :, :3])
    pal = np.asarray(palette, dtype=np.int32).reshape(-1, 3)
    # One int per colour: np.unique over rows (axis=0) sorts records, ~10x slower on a 256 px canvas.
    keys = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
    unique_keys, inverse = np.unique(keys.reshape(-1), return_inverse=True)
    colours = np.stack([unique_keys >> 16, (unique_keys >> 8) & 255, unique_keys & 255], axis=1)
    dist = ((colours[:, None, :].astype(np.int32) - pal[None, :, :]) ** 2).sum(-1)
    nearest = dist.argmin(1).astype(np.uint8)
    confident_colour = np.sqrt(dist.min(1)) <= CONFIDENT_DISTANCE
    inverse = inverse.reshape(rgb.shape[:2])
    ids = nearest[inverse]
    unsure = ~confident_colour[inverse]
    if unsure.any() and not unsure.all():
        # For every pixel, the position of the nearest confident pixel (L2 distance transform).
        _, nearest_px = cv2.distanceTransformWithLabels(unsure.astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
        confident_ids = ids[~unsure]
        # Labels number the zero (confident) pixels in row-major order, starting at 1.
        ids = np.where(unsure, confident_ids[nearest_px - 1], ids).astype(np.uint8)
    return ids


def labels_from_canvas(value: object, palette: Sequence[Sequence[int]], *, blank_class: int = 0, size: tuple[int, int] = (256, 256)) -> np.ndarray:
    """Canvas -> H x W uint8 class ids; an empty canvas is the blank class everywhere."""
    rgb = canvas_image(value, under=tuple(palette[blank_class]))
    if rgb is None:
        return np.full((size[1], size[0]), blank_class, np.uint8)
    return snap_labels(rgb, palette)


def ids_to_rgb(ids: np.ndarray, palette: Sequence[Sequence[int]]) -> np.ndarray:
    pal = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
    return pal[np.clip(ids, 0, len(pal) - 1)]


def looks_like_sketch(rgb: np.ndarray) -> bool:
    """True for line drawings (mostly white paper, some dark ink, little in between or colour)."""
    a = rgb if rgb.ndim == 2 else cv2.cvtColor(rgb[:, :, :3], cv2.COLOR_RGB2GRAY)
    if rgb.ndim == 3 and np.abs(rgb[:, :, :3].astype(np.int16) - a[:, :, None]).max(axis=2).mean() > 12:
        return False  # colourful: a photo
    paper = (a >= 200).mean()
    ink = (a <= 60).mean()
    return paper >= 0.6 and paper + ink >= 0.9


def fit_into(image: np.ndarray, size: tuple[int, int], *, fill: Sequence[int] | int, nearest: bool = False) -> np.ndarray:
    """Scale an image to fit inside size (width, height), centred on `fill`, aspect kept."""
    w, h = size
    ih, iw = image.shape[:2]
    scale = min(w / iw, h / ih)
    nw, nh = max(1, round(iw * scale)), max(1, round(ih * scale))
    interp = cv2.INTER_NEAREST if nearest else (cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    small = cv2.resize(image, (nw, nh), interpolation=interp)
    shape = (h, w) if image.ndim == 2 else (h, w, image.shape[2])
    out = np.empty(shape, np.uint8)
    out[...] = np.asarray(fill, dtype=np.uint8)
    x0, y0 = (w - nw) // 2, (h - nh) // 2
    out[y0 : y0 + nh, x0 : x0 + nw] = small
    return out
