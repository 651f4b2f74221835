"""Uploaded files -> clean PIL images, or a ValueError with a short reason.

Upload events run with gradio's preprocessing off, so a file that is not an image (or is
truncated, animated, huge, CMYK, 16-bit...) reaches the engine's loader, which converts what it
can and explains what it cannot, instead of failing inside gradio with a generic error.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image

from engine import MIN_SIDE, load_image

MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # a 200 MP phone JPEG fits
# Uploads are read at most this big (a JPEG decodes at 1/2-1/8 scale): no tab works above 1024 px
# (horse -> zebra on a GPU; 512 on a CPU), so more pixels would only cost time and memory.
READ_SIDE = 1024


def upload_path(payload: object) -> Path | None:
    """The file behind an upload payload: a FileData dict or object, or a plain path."""
    if payload is None:
        return None
    if isinstance(payload, dict):
        path = payload.get("path")
    elif isinstance(payload, (str, Path)):
        path = payload
    else:
        path = getattr(payload, "path", None)
    if not path:
        return None
    return Path(path)


def load_upload(payload: object, *, keep_gray: bool = False, labels: bool = False) -> Image.Image | None:
    """An upload -> an RGB (or L) PIL image, scaled down to READ_SIDE (the size it came at is in
    info[SOURCE_SIZE_KEY]; a label map with nearest neighbours, so no class colours blend);
    None when nothing was uploaded."""
    read = dict(keep_gray=keep_gray, max_side=READ_SIDE, min_side=MIN_SIDE, resample=Image.NEAREST if labels else Image.LANCZOS)
    if isinstance(payload, Image.Image):
        return load_image(payload, **read)
    path = upload_path(payload)
    if path is None:
        return None
    if not path.is_file():
        raise ValueError("the uploaded file is gone from the server; upload it again")
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise ValueError(f"the file is {path.stat().st_size / 2**20:.0f} MB; the limit is {MAX_UPLOAD_BYTES / 2**20:.0f} MB")
    if path.suffix.lower() == ".svg":
        raise ValueError("SVG drawings are not supported; export a PNG first")
    return load_image(path, **read)
