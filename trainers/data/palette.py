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

from engine.labels import pack_rgb, unpack_rgb, snap_to_palette

logger = logging.getLogger(__name__)

__all__ = ["snap_to_palette", "recover_palette"]


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
    codes, counts = np.unique(pack_rgb(bins), return_counts=True)
    centres = unpack_rgb(codes) * bin_size + bin_size / 2.0
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
