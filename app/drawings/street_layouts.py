"""Procedural street scenes as CamVid-style label maps, drawn from a seed.

`street_layout(seed)` returns an H x W map of class ids in `STREET_CLASSES` order: a road that
runs to a vanishing point, pavements on both sides, rows of buildings whose roof lines follow the
perspective, trees, poles with signs, fences, parked and moving cars, pedestrians and the odd
cyclist, each sized by its distance. Colour it with `facade_layouts.colorize` and a palette.
"""
from __future__ import annotations

import cv2
import numpy as np

STREET_CLASSES = ("Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car", "Pedestrian", "Bicyclist", "Unlabelled")
(SKY, BUILDING, POLE, ROAD, PAVEMENT, TREE, SIGN, FENCE, CAR, PEDESTRIAN, BICYCLIST, UNLABELLED) = range(len(STREET_CLASSES))


def _poly(ids: np.ndarray, pts: list[tuple[float, float]], cls: int) -> None:
    cv2.fillPoly(ids, [np.round(np.array(pts)).astype(np.int32)], int(cls))


def _ellipse(ids: np.ndarray, cx: float, cy: float, rx: float, ry: float, cls: int) -> None:
    cv2.ellipse(ids, (round(cx), round(cy)), (max(1, round(rx)), max(1, round(ry))), 0, 0, 360, int(cls), -1)


def _box(ids: np.ndarray, x0: float, y0: float, x1: float, y1: float, cls: int) -> None:
    cv2.rectangle(ids, (round(x0), round(y0)), (round(x1), round(y1)), int(cls), -1)


class _View:
    """A one-point perspective: ground points and sizes as a function of depth d (0 far, 1 near)."""

    def __init__(self, width: int, height: int, vx: float, vy: float) -> None:
        self.w, self.h, self.vx, self.vy = width, height, vx, vy

    def y(self, d: float) -> float:
        return self.vy + d * (self.h - self.vy)

    def x(self, bottom_x: float, d: float) -> float:
        """x at depth d of the ground line that meets the bottom edge at bottom_x."""
        return self.vx + d * (bottom_x - self.vx)


STREET_CANVAS = (320, 240)  # the street canvas and its example layouts: CamVid's 4:3 at the model's native 320 px long side


def street_layout(seed: int, *, size: tuple[int, int] = (256, 192)) -> np.ndarray:
    """A street scene label map, H x W uint8 class ids; size is (width, height)."""
    rng = np.random.default_rng(seed)
    w, h = size
    ids = np.full((h, w), SKY, np.uint8)
    vx = w * rng.uniform(0.42, 0.58)
    vy = h * rng.uniform(0.38, 0.5)
    view = _View(w, h, vx, vy)

    road_l, road_r = vx - w * rng.uniform(0.55, 0.8), vx + w * rng.uniform(0.55, 0.8)
    pave_l, pave_r = road_l - w * rng.uniform(0.25, 0.5), road_r + w * rng.uniform(0.25, 0.5)
    _poly(ids, [(vx, vy), (pave_l, h), (pave_r, h)], PAVEMENT)
    _poly(ids, [(vx - 0.5, vy), (road_l, h), (road_r, h), (vx + 0.5, vy)], ROAD)

    # Far away where the street ends: a low skyline and some trees.
    _box(ids, vx - w * 0.08, vy - h * 0.06, vx + w * 0.08, vy, BUILDING)
    for _ in range(int(rng.integers(0, 4))):
        _ellipse(ids, vx + rng.uniform(-0.1, 0.1) * w, vy - h * 0.04, w * 0.03, h * 0.04, TREE)

    # Buildings on both sides: faces along the pavement's outer line, roofs converging to vp.
    for side, bottom_x in ((-1, pave_l), (1, pave_r)):
        if rng.random() < 0.12:
            continue  # an open side (a park, a square)
        d = 3.0  # start beyond the near edge of the picture
        while d > 0.06:
            d_far = max(0.05, d - rng.uniform(0.2, 0.55))
            rise = h * rng.uniform(0.45, 1.3)  # roof height above the ground at d = 1
            x_near, x_far = view.x(bottom_x, d), view.x(bottom_x, d_far)
            ground_near, ground_far = view.y(d), view.y(d_far)
            roof_near, roof_far = ground_near - rise * d, ground_far - rise * d_far
            _poly(ids, [(x_far, roof_far), (x_near, roof_near), (x_near, ground_near), (x_far, ground_far)], BUILDING)
            d = d_far
        if rng.random() < 0.3:  # a fence in front of the buildings
            fence_h = h * 0.1
            d0, d1 = rng.uniform(0.1, 0.3), rng.uniform(0.6, 1.5)
            pts = [(view.x(bottom_x, d0), view.y(d0) - fence_h * d0), (view.x(bottom_x, d1), view.y(d1) - fence_h * d1), (view.x(bottom_x, d1), view.y(d1)), (view.x(bottom_x, d0), view.y(d0))]
            _poly(ids, pts, FENCE)

    # Trees and poles along the pavements, far ones first so near ones cover them.
    items = []
    for side, kerb, outer in ((-1, road_l, pave_l), (1, road_r, pave_r)):
        for _ in range(int(rng.integers(0, 4))):
            items.append(("tree", rng.uniform(0.15, 1.0), side, kerb + (outer - kerb) * rng.uniform(0.3, 0.8)))
        for _ in range(int(rng.integers(1, 4))):
            items.append(("pole", rng.uniform(0.15, 1.0), side, kerb + (outer - kerb) * rng.uniform(0.05, 0.2)))
        for _ in range(int(rng.integers(0, 4))):
            items.append(("pedestrian", rng.uniform(0.25, 1.0), side, kerb + (outer - kerb) * rng.uniform(0.2, 0.9)))
    for _ in range(int(rng.integers(0, 4))):
        lane = rng.choice([0.2, 0.4, 0.6, 0.8])
        items.append(("car", rng.uniform(0.15, 0.9), 0, road_l + (road_r - road_l) * lane))
    if rng.random() < 0.3:
        items.append(("bicyclist", rng.uniform(0.3, 0.9), 0, road_l + (road_r - road_l) * rng.choice([0.12, 0.88])))
    for kind, d, side, bottom_x in sorted(items, key=lambda item: item[1]):
        x, y = view.x(bottom_x, d), view.y(d)
        s = d * h  # pixels per "unit" at this depth
        if kind == "tree":
            _box(ids, x - s * 0.02, y - s * 0.6, x + s * 0.02, y, TREE)
            _ellipse(ids, x, y - s * 0.75, s * 0.22, s * 0.3, TREE)
        elif kind == "pole":
            top = y - s * rng.uniform(0.6, 0.9)
            _box(ids, x - max(0.5, s * 0.012), top, x + max(0.5, s * 0.012), y, POLE)
            if rng.random() < 0.5:
                _box(ids, x - s * 0.05, top, x + s * 0.05, top + s * 0.08, SIGN)
        elif kind == "pedestrian":
            _ellipse(ids, x, y - s * 0.17, s * 0.035, s * 0.15, PEDESTRIAN)
            _ellipse(ids, x, y - s * 0.34, s * 0.025, s * 0.03, PEDESTRIAN)
        elif kind == "car":
            cw, ch = s * rng.uniform(0.5, 0.62), s * 0.22
            _box(ids, x - cw / 2, y - ch, x + cw / 2, y, CAR)
            _box(ids, x - cw * 0.35, y - ch * 1.7, x + cw * 0.35, y - ch * 0.9, CAR)
        elif kind == "bicyclist":
            _ellipse(ids, x - s * 0.06, y - s * 0.05, s * 0.05, s * 0.05, BICYCLIST)
            _ellipse(ids, x + s * 0.06, y - s * 0.05, s * 0.05, s * 0.05, BICYCLIST)
            _ellipse(ids, x, y - s * 0.22, s * 0.04, s * 0.14, BICYCLIST)
    return ids
