"""A tiny pen for drawing sketches as strokes: smooth curves with a slight hand wobble.

Shared by the procedural cat sketches; black ink (0) on white paper (255), uint8, crisp edges
(no antialiasing) like the engine's photo -> sketch edge maps.
"""
from __future__ import annotations

import cv2
import numpy as np

INK = 0
PAPER = 255


def bezier(points: np.ndarray, n: int = 48) -> np.ndarray:
    """Points along the Bezier curve with the given control points (K x 2), n samples."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    k = len(points) - 1
    coeffs = np.array([_binomial(k, i) for i in range(k + 1)], dtype=np.float64)
    basis = coeffs * (t**np.arange(k + 1)) * ((1 - t) ** (k - np.arange(k + 1)))
    return basis @ np.asarray(points, dtype=np.float64)


def _binomial(n: int, k: int) -> int:
    out = 1
    for i in range(1, k + 1):
        out = out * (n - i + 1) // i
    return out


def ellipse_points(cx: float, cy: float, rx: float, ry: float, *, start: float = 0.0, end: float = 360.0, rotation: float = 0.0, n: int = 64) -> np.ndarray:
    """Points on an elliptic arc; angles in degrees, 0 = +x, counter-clockwise on screen is negative y."""
    a = np.radians(np.linspace(start, end, n))
    x, y = rx * np.cos(a), ry * np.sin(a)
    r = np.radians(rotation)
    return np.stack([cx + x * np.cos(r) - y * np.sin(r), cy + x * np.sin(r) + y * np.cos(r)], axis=1)


class Pen:
    """Draws polylines on a paper canvas with a given width and a seeded wobble."""

    def __init__(self, size: int | tuple[int, int] = 256, *, width: int = 3, wobble: float = 0.8, seed: int = 0) -> None:
        w, h = (size, size) if isinstance(size, int) else size
        self.paper = np.full((h, w), PAPER, np.uint8)
        self.width = width
        self.wobble = wobble
        self.rng = np.random.default_rng(seed)

    def _shake(self, pts: np.ndarray) -> np.ndarray:
        if not self.wobble or len(pts) < 12:
            return pts
        # Low-frequency wobble: noise smoothed along the stroke, so lines bend rather than jitter.
        noise = self.rng.normal(0.0, self.wobble, size=pts.shape)
        kernel = np.ones(9) / 9.0
        smooth = np.stack([np.convolve(noise[:, i], kernel, mode="same") for i in range(2)], axis=1)
        return pts + smooth * 2.0

    def stroke(self, pts: np.ndarray, *, closed: bool = False, width: int | None = None) -> None:
        pts = self._shake(np.asarray(pts, dtype=np.float64))
        cv2.polylines(self.paper, [np.round(pts).astype(np.int32)], closed, INK, width or self.width, cv2.LINE_8)

    def curve(self, *control: tuple[float, float], width: int | None = None) -> None:
        self.stroke(bezier(np.array(control)), width=width)

    def line(self, a: tuple[float, float], b: tuple[float, float], *, width: int | None = None) -> None:
        self.stroke(np.linspace(a, b, 24), width=width)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, *, start: float = 0.0, end: float = 360.0, rotation: float = 0.0, width: int | None = None) -> None:
        closed = end - start >= 360.0
        self.stroke(ellipse_points(cx, cy, rx, ry, start=start, end=end, rotation=rotation), closed=closed, width=width)

    def dot(self, cx: float, cy: float, r: float) -> None:
        cv2.circle(self.paper, (round(cx), round(cy)), max(1, round(r)), INK, -1, cv2.LINE_8)

    def fill(self, pts: np.ndarray) -> None:
        cv2.fillPoly(self.paper, [np.round(np.asarray(pts)).astype(np.int32)], INK, cv2.LINE_8)

    def erase_ellipse(self, cx: float, cy: float, rx: float, ry: float) -> None:
        """Paint paper over an ellipse, so a shape drawn next covers the lines behind it."""
        cv2.ellipse(self.paper, (round(cx), round(cy)), (round(rx), round(ry)), 0, 0, 360, PAPER, -1)
