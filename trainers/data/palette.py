"""Colour label maps: snap pixels to a palette, and recover the palette from JPEG-damaged maps.

Colour-coded label maps (CMP facades) are stored as JPEGs, so the class colours are blurred
into in-between shades at every boundary and jittered by a few levels inside regions. The
palette is recovered from the *flat* interior pixels only, where JPEG noise is small: their
colour histogram has one sharp mode per class.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["snap_to_palette", "recover_palette"]


def _pack(rgb: np.ndarray) -> np.ndarray:
    c = rgb.reshape(-1, 3).astype(np.int32)
    return (c[:, 0] << 16) | (c[:, 1] << 8) | c[:, 2]


def _unpack(codes: np.ndarray) -> np.ndarray:
    return np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], axis=1).astype(np.int32)


def snap_to_palette(rgb: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 colours -> HxW uint8 ids of the nearest palette colour (squared RGB distance).

    Distances are computed once per distinct colour (a label map has a few thousand at most,
    against tens of thousands of pixels); ties go to the lower id.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected HxWx3 colours, got shape {rgb.shape}")
    pal = np.asarray(palette, dtype=np.int32).reshape(-1, 3)
    if not 1 <= len(pal) <= 256:
        raise ValueError(f"palette must hold 1..256 colours, got {len(pal)}")
    colours, inverse = np.unique(_pack(rgb), return_inverse=True)
    dist = ((_unpack(colours)[:, None, :] - pal[None, :, :]) ** 2).sum(-1)
    return dist.argmin(1).astype(np.uint8)[inverse.reshape(-1)].reshape(rgb.shape[:2])


def _flat_pixels(rgb: np.ndarray, *, max_range: int) -> np.ndarray:
    """Colours (K x 3 int32) of pixels whose 3x3 neighbourhood varies by at most max_range."""
    k = np.ones((3, 3), np.uint8)
    spread = (cv2.dilate(rgb, k).astype(np.int16) - cv2.erode(rgb, k).astype(np.int16)).max(axis=2)
    return rgb[spread <= max_range].astype(np.int32)


def recover_palette(
    images: list[np.ndarray],
    *,
    n_colors: int,  # number of classes in the maps
    min_distance: float = 48.0,  # RGB distance below which two modes are one class
    max_range: int = 24,  # a pixel is "flat" when its 3x3 neighbourhood spans <= this per channel
    bin_size: int = 8,  # histogram bin width per channel
    max_pixels: int = 4_000_000,  # flat pixels used at most (evenly strided, deterministic)
    refine_steps: int = 3,
) -> np.ndarray:
    """The n_colors true colours (n_colors x 3 uint8, sorted by R, G, B) of colour label maps."""
    if n_colors < 1:
        raise ValueError(f"n_colors must be >= 1, got {n_colors}")
    flats = [_flat_pixels(np.ascontiguousarray(im[:, :, :3]), max_range=max_range) for im in images]
    pixels = np.concatenate(flats) if flats else np.zeros((0, 3), np.int32)
    if len(pixels) == 0:
        raise ValueError("recover_palette: no flat pixels in the given images")
    if len(pixels) > max_pixels:
        pixels = pixels[:: -(-len(pixels) // max_pixels)]

    # Dominant histogram modes, greedily taken in order of mass, each far from those taken.
    bins = pixels // bin_size
    codes, counts = np.unique(_pack(bins), return_counts=True)
    centres = _unpack(codes) * bin_size + bin_size / 2.0
    order = np.argsort(-counts, kind="stable")
    chosen: list[np.ndarray] = []
    for i in order:
        c = centres[i]
        if all(np.sum((c - o) ** 2) >= min_distance**2 for o in chosen):
            chosen.append(c)
            if len(chosen) == n_colors:
                break
    if len(chosen) < n_colors:
        raise ValueError(
            f"recover_palette found only {len(chosen)} distinct colours, wanted {n_colors} "
            f"(try a smaller min_distance)"
        )

    # Refine each mode to the mean of the flat pixels that snap to it (k-means steps).
    palette = np.stack(chosen)
    for _ in range(refine_steps):
        ids = snap_to_palette(pixels.astype(np.uint8)[:, None, :], np.clip(np.round(palette), 0, 255))[:, 0]
        for k in range(n_colors):
            members = pixels[ids == k]
            if len(members):
                palette[k] = members.mean(axis=0)
    palette = np.clip(np.round(palette), 0, 255).astype(np.uint8)
    order = np.lexsort((palette[:, 2], palette[:, 1], palette[:, 0]))
    logger.info("recovered palette of %d colours from %d flat pixels", n_colors, len(pixels))
    return palette[order]
