"""Procedural facade layouts: plausible CMP-style label maps drawn from a seed.

`facade_layout(seed)` returns an H x W map of class ids in `FACADE_CLASSES` order: a facade body
framed by background (sky, neighbours), floors separated by cornices or moldings, a grid of
windows with sills, blinds and decorations, balconies on some floors, pillars, and a street
level with a door and shop windows. `colorize` paints ids with a model's palette, matching
classes by name, so the layouts work with whatever colours a trained model's contract carries.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FACADE_CLASSES = ("background", "facade", "window", "door", "cornice", "sill", "balcony", "blind", "deco", "molding", "pillar", "shop")
(BACKGROUND, FACADE, WINDOW, DOOR, CORNICE, SILL, BALCONY, BLIND, DECO, MOLDING, PILLAR, SHOP) = range(len(FACADE_CLASSES))


def _rect(ids: np.ndarray, x0: float, y0: float, x1: float, y1: float, cls: int) -> None:
    h, w = ids.shape
    a, b = int(np.clip(round(y0), 0, h)), int(np.clip(round(y1), 0, h))
    c, d = int(np.clip(round(x0), 0, w)), int(np.clip(round(x1), 0, w))
    if b > a and d > c:
        ids[a:b, c:d] = cls


def facade_layout(seed: int, *, size: tuple[int, int] = (256, 256)) -> np.ndarray:
    """A facade label map, H x W uint8 class ids; size is (width, height)."""
    rng = np.random.default_rng(seed)
    width, height = size
    ids = np.full((height, width), BACKGROUND, np.uint8)
    u = width / 256.0  # lengths below are tuned at 256 px
    v = height / 256.0

    left = rng.uniform(0, 14) * u if rng.random() < 0.6 else 0.0
    right = width - (rng.uniform(0, 14) * u if rng.random() < 0.6 else 0.0)
    top = rng.uniform(6, 40) * v
    _rect(ids, left, top, right, height, FACADE)

    floors = int(rng.integers(3, 7))
    ground_h = (height - top) * rng.uniform(0.2, 0.3)
    roof_h = rng.uniform(6, 12) * v
    upper_top = top + roof_h
    floor_h = (height - ground_h - upper_top) / (floors - 1)
    cols = int(rng.integers(3, 7))
    body_w = right - left
    pitch = body_w / cols
    win_w = pitch * rng.uniform(0.42, 0.62)
    win_h = floor_h * rng.uniform(0.5, 0.66)
    blinds = rng.choice(["none", "shutters", "roller"], p=[0.45, 0.35, 0.2])
    deco = rng.random() < 0.4
    band = CORNICE if rng.random() < 0.6 else MOLDING
    balcony_floors = {f for f in range(1, floors - 1) if rng.random() < 0.35}
    full_balcony = rng.random() < 0.5
    pillars = rng.random() < 0.35

    # The roof cornice, and a band under each upper floor.
    _rect(ids, left, top, right, top + roof_h, CORNICE)
    for f in range(floors - 1):
        y = upper_top + f * floor_h
        if f > 0 and rng.random() < 0.8:
            _rect(ids, left, y - 2 * v, right, y + 1.5 * v, band)
    _rect(ids, left, height - ground_h - 4 * v, right, height - ground_h, CORNICE)

    if pillars:
        pw = pitch * 0.12
        for c in range(cols + 1):
            x = left + c * pitch
            _rect(ids, x - pw / 2, upper_top, x + pw / 2, height - ground_h - 4 * v, PILLAR)

    for f in range(floors - 1):
        y_floor = upper_top + f * floor_h
        y0 = y_floor + (floor_h - win_h) * 0.45
        y1 = y0 + win_h
        for c in range(cols):
            cx = left + (c + 0.5) * pitch
            x0, x1 = cx - win_w / 2, cx + win_w / 2
            if deco:
                _rect(ids, x0 - 2 * u, y0 - 6 * v, x1 + 2 * u, y0 - 2 * v, DECO)
            _rect(ids, x0 - 1.5 * u, y0 - 1.5 * v, x1 + 1.5 * u, y1 + 1.5 * v, MOLDING)
            _rect(ids, x0, y0, x1, y1, WINDOW)
            if blinds == "shutters":
                sw = win_w * 0.45
                _rect(ids, x0 - sw - 1.5 * u, y0, x0 - 1.5 * u, y1, BLIND)
                _rect(ids, x1 + 1.5 * u, y0, x1 + sw + 1.5 * u, y1, BLIND)
            elif blinds == "roller":
                _rect(ids, x0, y0, x1, y0 + win_h * rng.uniform(0.15, 0.6), BLIND)
            if f in balcony_floors:
                bx0, bx1 = (left, right) if full_balcony else (x0 - 4 * u, x1 + 4 * u)
                _rect(ids, bx0, y1 - win_h * 0.35, bx1, y1 + 3 * v, BALCONY)
            else:
                _rect(ids, x0 - 3 * u, y1, x1 + 3 * u, y1 + 3 * v, SILL)

    # Street level: shop windows, one door, maybe pillars between them.
    g0 = height - ground_h
    door_col = int(rng.integers(cols))
    shop = rng.random() < 0.75
    for c in range(cols):
        cx = left + (c + 0.5) * pitch
        if c == door_col:
            dw = min(pitch * 0.55, 36 * u)
            _rect(ids, cx - dw / 2, g0 + ground_h * 0.18, cx + dw / 2, height, DOOR)
        elif shop:
            _rect(ids, left + c * pitch + pitch * 0.1, g0 + ground_h * 0.15, left + (c + 1) * pitch - pitch * 0.1, height - ground_h * 0.08, SHOP)
        else:
            _rect(ids, cx - win_w / 2, g0 + ground_h * 0.25, cx + win_w / 2, g0 + ground_h * 0.75, WINDOW)
    if shop and rng.random() < 0.5:
        for c in range(cols + 1):
            x = left + c * pitch
            _rect(ids, x - 3 * u, g0, x + 3 * u, height, PILLAR)
    return ids


def palette_for(class_names: Sequence[str], palette_names: Sequence[str]) -> list[int]:
    """For each class of a generator, the index of the palette entry with that name.

    Names are matched case-insensitively; without a full match the classes map by position.
    """
    lookup = {name.strip().lower(): i for i, name in enumerate(palette_names)}
    mapped = [lookup.get(name.lower()) for name in class_names]
    if all(m is not None for m in mapped):
        return [int(m) for m in mapped]
    if len(palette_names) < len(class_names):
        raise ValueError(f"the palette has {len(palette_names)} classes; this layout needs {len(class_names)} ({', '.join(class_names)})")
    return list(range(len(class_names)))


def palette_ids(ids: np.ndarray, class_names: Sequence[str], palette: Sequence[tuple[str, tuple[int, int, int]]]) -> np.ndarray:
    """Class ids in `class_names` order -> the same classes as ids of the palette (name, rgb)."""
    index = np.asarray(palette_for(class_names, [name for name, _ in palette]), dtype=np.uint8)
    return index[ids]


def colorize(ids: np.ndarray, class_names: Sequence[str], palette: Sequence[tuple[str, tuple[int, int, int]]]) -> np.ndarray:
    """Class ids in `class_names` order -> H x W x 3 uint8 in the palette's colours (name, rgb)."""
    index = palette_for(class_names, [name for name, _ in palette])
    colours = np.array([palette[i][1] for i in index], dtype=np.uint8)
    return colours[ids]
