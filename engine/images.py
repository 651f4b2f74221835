"""Turning whatever a caller hands us into a clean 8-bit PIL image, or a clear ValueError.

Accepts PIL images, numpy arrays, paths and raw bytes. Honours EXIF orientation, composites
transparency on white, converts palette, 16-bit, float, CMYK and 1-bit images, rejects animated
images, truncated files, non-images and anything above the pixel cap before decoding it.

Phone photos (12-200 MP) are welcome: with `max_side`, a large image is scaled down as it is
read; a JPEG is decoded at 1/2, 1/4 or 1/8 scale by the decoder itself (draft mode), so a 24 MP
photo never occupies 72 MB of memory. Past MAX_PIXELS the header alone gets it refused, and past
Pillow's decompression-bomb guard (twice that) it is refused as a bomb, with its own message.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 250_000_000  # a 200 MP phone photo fits; bigger inputs are refused before they are decoded
SOURCE_SIZE_KEY = "ganvas_source_size"  # info key: the size a scaled-down image was read from
_ORIENTATION = 0x0112  # EXIF: values 5-8 turn the picture a quarter
MIN_SIDE = 32  # a picture needs this many pixels a side for a model to make anything of it
LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # Rec. 601: brightness from R, G, B (any common scale)
# Pillow warns above its cap and refuses twice it as a decompression bomb: ours is the cap, so
# every accepted size opens, and the bomb guard still stands, past twice our cap.
Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, MAX_PIXELS)


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
        raise ValueError(
            f"this file says it holds over {2 * Image.MAX_IMAGE_PIXELS / 1e6:,.0f} MP, which no camera makes: it is refused "
            f"as a possible decompression bomb (photos up to {MAX_PIXELS / 1e6:.0f} MP are welcome)"
        ) from exc
    return image


def _check_pixels(width: int, height: int, max_pixels: int, min_side: int = 1) -> None:
    if width * height > max_pixels:
        raise ValueError(
            f"image is {width}x{height} = {width * height / 1e6:.1f} MP, over the {max_pixels / 1e6:.0f} MP limit; scale it down first"
        )
    if width < 1 or height < 1:
        raise ValueError("image is empty (zero width or height)")
    if min(width, height) < min_side:
        raise ValueError(
            f"the image is only {width}x{height} pixels; it needs at least {min_side} pixels on each side to make a picture from"
        )


_RESIZABLE = ("L", "RGB", "RGBA", "LA")  # modes LANCZOS scales as they are


def draft_to_side(image: Image.Image, max_side: int) -> None:
    """Let a JPEG decode at the smallest 1/2^k scale that still keeps max_side on its long side."""
    long_side = max(image.size)
    if image.format != "JPEG" or long_side <= max_side:
        return
    keep = max_side / long_side
    mode = image.mode if image.mode in ("L", "RGB") else None
    image.draft(mode, (max(1, round(image.width * keep)), max(1, round(image.height * keep))))


def _fit(image: Image.Image, max_side: int | None, resample: int) -> Image.Image:
    """Scale down (never up) so the long side is at most max_side; reducing_gap keeps big cuts fast."""
    if max_side is None or max(image.size) <= max_side:
        return image
    keep = max_side / max(image.size)
    size = (max(1, round(image.width * keep)), max(1, round(image.height * keep)))
    return image.resize(size, resample, reducing_gap=None if resample == Image.NEAREST else 3.0)


def _shrink_and_flatten(image: Image.Image, *, keep_gray: bool, max_side: int | None, resample: int, source: tuple[int, int]) -> Image.Image:
    """Scaled down (before any conversion copies the full-size pixels, where the mode allows) and
    flattened; a scaled image keeps the size it was read from in info[SOURCE_SIZE_KEY]."""
    if image.mode in _RESIZABLE:
        image = _fit(image, max_side, resample)
    image = _fit(_flatten(image, keep_gray=keep_gray), max_side, resample)
    if source != image.size:
        image.info[SOURCE_SIZE_KEY] = source
    return image


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


def load_image(
    source: object, *, keep_gray: bool = False, max_pixels: int = MAX_PIXELS, max_side: int | None = None, min_side: int = 1,
    resample: int = Image.LANCZOS,
) -> Image.Image:
    """Any supported input -> an RGB (or, with keep_gray, possibly L) PIL image, oriented upright,
    scaled down to max_side on its long side where given (a JPEG as it is decoded); an image
    under min_side pixels a side is refused with a clear message. Label maps take
    resample=Image.NEAREST: no blended colours between classes (and no JPEG draft, which blends)."""
    if isinstance(source, Image.Image):
        image = source
    elif isinstance(source, np.ndarray):
        if source.ndim < 2:
            raise ValueError(f"an image array must be H x W, H x W x 3 or H x W x 4, got shape {source.shape}")
        _check_pixels(source.shape[1] if source.ndim > 1 else 0, source.shape[0], max_pixels, min_side)
        image = _from_array(source)
        return _shrink_and_flatten(image, keep_gray=keep_gray, max_side=max_side, resample=resample, source=image.size)
    elif isinstance(source, (str, Path, bytes)):
        image = _open(source)
    else:
        raise ValueError(f"expected an image (PIL, numpy array, path or bytes), got {type(source).__name__}")
    _check_pixels(image.width, image.height, max_pixels, min_side)
    if getattr(image, "is_animated", False) and getattr(image, "n_frames", 1) > 1:
        raise ValueError("animated images are not supported; upload a single still image")
    try:
        source_size = image.size if image.getexif().get(_ORIENTATION, 1) < 5 else image.size[::-1]  # as shown: upright
        if max_side is not None and resample != Image.NEAREST:
            draft_to_side(image, max_side)
        image.load()
        image = ImageOps.exif_transpose(image) or image
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"the image file is truncated or corrupt ({exc})") from exc
    return _shrink_and_flatten(image, keep_gray=keep_gray, max_side=max_side, resample=resample, source=source_size)
