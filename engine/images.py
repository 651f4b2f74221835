"""Turning whatever a caller hands us into a clean 8-bit PIL image, or a clear ValueError.

Accepts PIL images, numpy arrays, paths and raw bytes. Honours EXIF orientation, composites
transparency on white, converts palette, 16-bit, float, CMYK and 1-bit images, rejects animated
images, truncated files, non-images and anything above the pixel cap before decoding it.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 16_000_000  # 16 MP: bigger inputs are refused before they are decoded


def _open(source: str | Path | bytes) -> Image.Image:
    try:
        if isinstance(source, bytes):
            image = Image.open(io.BytesIO(source))
        else:
            path = Path(source)
            if not path.is_file():
                raise ValueError(f"{path} does not exist or is not a file")
            image = Image.open(path)
    except UnidentifiedImageError as exc:
        raise ValueError("this file is not an image that can be read (PNG, JPEG, WebP, BMP, TIFF, ...)") from exc
    except Image.DecompressionBombError as exc:  # far past our cap: PIL refuses before we can look
        raise ValueError(f"image is over the {MAX_PIXELS / 1e6:.0f} MP limit ({exc}); scale it down first") from exc
    return image


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ValueError(
            f"image is {width}x{height} = {width * height / 1e6:.1f} MP, over the {max_pixels / 1e6:.0f} MP limit; scale it down first"
        )
    if width < 1 or height < 1:
        raise ValueError("image is empty (zero width or height)")


def _from_array(array: np.ndarray) -> Image.Image:
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(f"an image array must be H x W, H x W x 3 or H x W x 4, got shape {a.shape}")
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise ValueError("image array contains NaN or infinite values")
        a = (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif a.dtype != np.uint8:
        if a.min() < 0 or a.max() > 255:
            raise ValueError(f"integer image array must hold 0..255, got {a.min()}..{a.max()}")
        a = a.astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(a))


def _flatten(image: Image.Image, *, keep_gray: bool) -> Image.Image:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(image, dtype=np.float64)
        top = 65535.0 if a.max() > 255 else 255.0
        image = Image.fromarray((np.clip(a / top, 0, 1) * 255 + 0.5).astype(np.uint8))
        mode = "L"
    if mode == "P" and "transparency" in image.info:
        image, mode = image.convert("RGBA"), "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba).convert("RGB")
        mode = "RGB"
    if mode == "1":
        image, mode = image.convert("L"), "L"
    if mode == "L":
        return image if keep_gray else image.convert("RGB")
    return image if mode == "RGB" else image.convert("RGB")


def load_image(source: object, *, keep_gray: bool = False, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Any supported input -> an RGB (or, with keep_gray, possibly L) PIL image, oriented upright."""
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, np.ndarray):
        if source.ndim < 2:
            raise ValueError(f"an image array must be H x W, H x W x 3 or H x W x 4, got shape {source.shape}")
        _check_pixels(source.shape[1] if source.ndim > 1 else 0, source.shape[0], max_pixels)
        return _flatten(_from_array(source), keep_gray=keep_gray)
    elif isinstance(source, (str, Path, bytes)):
        image = _open(source)
    else:
        raise ValueError(f"expected an image (PIL, numpy array, path or bytes), got {type(source).__name__}")
    _check_pixels(image.width, image.height, max_pixels)
    if getattr(image, "is_animated", False) and getattr(image, "n_frames", 1) > 1:
        raise ValueError("animated images are not supported; upload a single still image")
    try:
        image.load()
        image = ImageOps.exif_transpose(image) or image
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"the image file is truncated or corrupt ({exc})") from exc
    return _flatten(image, keep_gray=keep_gray)
