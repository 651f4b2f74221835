"""Cat sketches drawn by code, as a person would with a pen: example inputs for the Sketch -> Cat tab.

`cat_face(seed)` draws a face (outline with cheeks, ears, eyes, nose, mouth, whiskers) whose
proportions and details vary with the seed; `whole_cat(seed, pose)` draws a sitting or lying
cat. Black ink (0) on white paper (255), uint8, 256 x 256 by default, pen width 3 px.
"""
from __future__ import annotations

import numpy as np

from .strokes import Pen, ellipse_points

POSES = ("sitting", "profile", "loaf")
EYE_STYLES = ("almond", "round", "closed", "sleepy")


def _head_outline(cx: float, cy: float, rx: float, ry: float, cheek: float, tufts: bool, rng: np.random.Generator) -> np.ndarray:
    """The lower contour of the head, from above the left cheek round the chin to the right one."""
    theta = np.linspace(205.0, -25.0, 120)
    bulge = cheek * (np.exp(-(((theta - 160.0) / 22.0) ** 2)) + np.exp(-(((theta - 20.0) / 22.0) ** 2)))
    r = 1.0 + bulge
    a = np.radians(theta)
    x = cx + rx * r * np.cos(a)
    y = cy + ry * r * np.sin(a)
    if tufts:
        # Fur tufts on the cheeks: a zigzag where the cheeks bulge most.
        zig = np.sin(np.linspace(0, 40 * np.pi, len(theta))) * 4.0 * (bulge > cheek * 0.35)
        x = x + zig * np.cos(a)
        y = y + zig * np.sin(a)
    return np.stack([x, y], axis=1)


def _ear(pen: Pen, base_out: np.ndarray, base_in: np.ndarray, *, height: float, lean: float, inner: bool) -> None:
    mid = (base_out + base_in) / 2
    tip = mid + np.array([lean, -height])
    bulge_out = (base_out + tip) / 2 + np.array([np.sign(lean) * height * 0.08, 0])
    pen.curve(tuple(base_out), tuple(bulge_out), tuple(tip))
    pen.curve(tuple(tip), tuple((tip + base_in) / 2 + np.array([-np.sign(lean) * 2, 2])), tuple(base_in))
    if inner:
        a = base_out + (tip - base_out) * 0.2 + (base_in - base_out) * 0.15
        b = tip + (mid - tip) * 0.3
        c = base_in + (tip - base_in) * 0.25 - (base_in - base_out) * 0.15
        pen.curve(tuple(a), tuple(b), tuple(c), width=2)


def _eye(pen: Pen, x: float, y: float, size: float, style: str, look: float) -> None:
    if style == "almond":
        pen.ellipse(x, y, size, size * 0.55, start=180, end=360)
        pen.ellipse(x, y, size, size * 0.55, start=0, end=180)
        pen.fill(ellipse_points(x + look, y, size * 0.18, size * 0.5, n=24))
    elif style == "round":
        pen.ellipse(x, y, size * 0.8, size * 0.8)
        pen.dot(x + look, y + 1, size * 0.42)
    elif style == "closed":
        pen.ellipse(x, y + size * 0.2, size * 0.85, size * 0.5, start=200, end=340)
    else:  # sleepy: a heavy lid over half an eye
        pen.line((x - size, y), (x + size, y))
        pen.ellipse(x, y, size * 0.9, size * 0.45, start=10, end=170)
        pen.dot(x + look, y + size * 0.15, size * 0.22)


def draw_face(pen: Pen, cx: float, cy: float, scale: float, rng: np.random.Generator, *, eye_style: str | None = None, whiskers: bool = True) -> None:
    """One cat face centred at (cx, cy); scale 1 spans about 170 px."""
    rx = scale * rng.uniform(72, 86)
    ry = scale * rng.uniform(58, 70)
    cheek = rng.uniform(0.04, 0.14)
    tufts = rng.random() < 0.35
    outline = _head_outline(cx, cy, rx, ry, cheek, tufts, rng)
    pen.stroke(outline)
    left_top, right_top = outline[0], outline[-1]
    # The crown between the ears.
    crown_l = np.array([cx - rx * 0.42, cy - ry * 0.92])
    crown_r = np.array([cx + rx * 0.42, cy - ry * 0.92])
    pen.curve(tuple(crown_l), (cx, cy - ry * rng.uniform(0.98, 1.08)), tuple(crown_r))
    ear_h = scale * rng.uniform(42, 62)
    lean = scale * rng.uniform(4, 18)
    inner = rng.random() < 0.7
    _ear(pen, left_top, crown_l, height=ear_h, lean=-lean, inner=inner)
    _ear(pen, right_top, crown_r, height=ear_h, lean=lean, inner=inner)

    style = eye_style or EYE_STYLES[rng.integers(len(EYE_STYLES))]
    eye_dx, eye_y = rx * rng.uniform(0.34, 0.44), cy - ry * rng.uniform(0.0, 0.15)
    eye_size = scale * rng.uniform(13, 19)
    look = scale * rng.uniform(-3, 3)
    _eye(pen, cx - eye_dx, eye_y, eye_size, style, look)
    _eye(pen, cx + eye_dx, eye_y, eye_size, style, look)

    nose_y = cy + ry * rng.uniform(0.2, 0.3)
    nw = scale * rng.uniform(7, 11)
    nose = np.array([[cx - nw, nose_y - nw * 0.5], [cx + nw, nose_y - nw * 0.5], [cx, nose_y + nw * 0.55]])
    if rng.random() < 0.6:
        pen.fill(nose)
    else:
        pen.stroke(nose, closed=True, width=2)
    # Mouth: a short line down from the nose, then two arcs (the "w").
    m_top = nose_y + nw * 0.55
    m_mid = m_top + scale * rng.uniform(6, 10)
    pen.line((cx, m_top), (cx, m_mid), width=2)
    mw = scale * rng.uniform(9, 15)
    pen.curve((cx, m_mid), (cx - mw * 0.4, m_mid + mw * 0.7), (cx - mw, m_mid + mw * 0.1))
    pen.curve((cx, m_mid), (cx + mw * 0.4, m_mid + mw * 0.7), (cx + mw, m_mid + mw * 0.1))
    if rng.random() < 0.3:  # forehead stripes
        for dx in (-0.14, 0.0, 0.14):
            x = cx + dx * rx
            pen.line((x, cy - ry * 0.85), (x + dx * 8, cy - ry * 0.6), width=2)
    if whiskers:
        n = int(rng.integers(2, 4))
        spread = rng.uniform(8, 14)
        for side in (-1, 1):
            root = np.array([cx + side * rx * 0.28, nose_y + scale * 4])
            for k in range(n):
                angle = np.radians((k - (n - 1) / 2) * spread + rng.uniform(-3, 3))
                length = scale * rng.uniform(70, 95)
                end = root + np.array([side * np.cos(angle), np.sin(angle)]) * length
                bend = (root + end) / 2 + np.array([0, -scale * rng.uniform(2, 7)])
                pen.curve(tuple(root + np.array([side * 6, 0])), tuple(bend), tuple(end), width=2)


def cat_face(seed: int, *, size: int = 256, width: int = 3) -> np.ndarray:
    """A cat face sketch, H x W uint8 (ink 0, paper 255)."""
    rng = np.random.default_rng(seed)
    pen = Pen(size, width=width, seed=seed)
    s = size / 256
    draw_face(pen, size / 2 + rng.uniform(-8, 8) * s, size * 0.56 + rng.uniform(-6, 6) * s, s * rng.uniform(0.9, 1.05), rng)
    return pen.paper


def _paw(pen: Pen, x: float, y: float, w: float) -> None:
    pen.ellipse(x, y, w, w * 0.55, start=180, end=360)
    pen.line((x - w, y), (x + w, y))
    for dx in (-w / 3, w / 3):
        pen.line((x + dx, y - w * 0.35), (x + dx, y), width=2)


def whole_cat(seed: int, pose: str = "sitting", *, size: int = 256, width: int = 3) -> np.ndarray:
    """A whole cat: "sitting" (front view), "profile" (sitting, side view) or "loaf" (lying)."""
    if pose not in POSES:
        raise ValueError(f"pose must be one of {POSES}, got {pose!r}")
    rng = np.random.default_rng(seed)
    pen = Pen(size, width=width, seed=seed)
    s = size / 256
    floor = size * 0.94
    if pose == "sitting":
        cx = size / 2 + rng.uniform(-10, 10) * s
        draw_face(pen, cx, 78 * s, 0.5 * s, rng, whiskers=True)
        neck_y = 78 * s + 30 * s
        hip = rng.uniform(62, 76) * s
        pen.curve((cx - 30 * s, neck_y), (cx - hip * 1.1, neck_y + 50 * s), (cx - hip * 1.05, floor - 10 * s), (cx - hip * 0.7, floor))
        pen.curve((cx + 30 * s, neck_y), (cx + hip * 1.1, neck_y + 50 * s), (cx + hip * 1.05, floor - 10 * s), (cx + hip * 0.7, floor))
        # Front legs and paws.
        for dx in (-16 * s, 16 * s):
            pen.line((cx + dx, neck_y + 40 * s), (cx + dx, floor - 8 * s))
            _paw(pen, cx + dx, floor - 2 * s, 11 * s)
        pen.line((cx - hip * 0.7, floor), (cx + hip * 0.7, floor))
        side = 1 if rng.random() < 0.5 else -1
        pen.curve((cx + side * hip * 0.7, floor), (cx + side * (hip + 50 * s), floor + 2 * s), (cx + side * (hip + 40 * s), floor - 70 * s), (cx + side * (hip + 18 * s), floor - 88 * s))
    elif pose == "profile":
        hx, hy = size * 0.64 + rng.uniform(-6, 6) * s, 74 * s
        r = 32 * s
        rear = hx - r * 0.8 - rng.uniform(70, 85) * s
        # Back and haunch, chest, one front leg: the body first, the head drawn over it.
        pen.curve((hx - r * 0.6, hy + r * 0.5), (rear - 10 * s, hy + 50 * s), (rear - 25 * s, floor - 30 * s), (rear + 10 * s, floor))
        pen.curve((rear + 25 * s, floor - 70 * s), (rear + 75 * s, floor - 75 * s), (rear + 70 * s, floor))
        chest = hx + r * 0.25
        pen.curve((chest, hy + r * 0.7), (chest + 14 * s, hy + 70 * s), (chest + 4 * s, floor - 6 * s))
        pen.line((chest - 12 * s, hy + 75 * s), (chest - 12 * s, floor - 6 * s))
        _paw(pen, chest - 4 * s, floor - 2 * s, 10 * s)
        pen.line((rear + 10 * s, floor), (chest + 6 * s, floor))
        curl = rng.uniform(0.7, 1.0)
        pen.curve((rear + 5 * s, floor - 4 * s), (rear - 60 * s * curl, floor + 2 * s), (rear - 45 * s, floor - 60 * s * curl), (rear - 20 * s, floor - 75 * s * curl))
        pen.erase_ellipse(hx, hy, r * 1.05, r * 0.95)
        pen.ellipse(hx, hy, r, r * 0.9, start=-70, end=250)
        pen.curve((hx - r * 0.75, hy - r * 0.55), (hx - r * 0.6, hy - r * 1.75), (hx - r * 0.05, hy - r * 0.9))
        pen.curve((hx + r * 0.15, hy - r * 0.9), (hx + r * 0.6, hy - r * 1.8), (hx + r * 0.55, hy - r * 0.65))
        pen.ellipse(hx + r * 0.42, hy - r * 0.1, 5 * s, 3.5 * s)
        pen.curve((hx + r * 0.34, hy - r * 0.78), (hx + r * 0.95, hy - r * 0.2), (hx + r * 1.08, hy + r * 0.2))
        pen.curve((hx + r * 1.08, hy + r * 0.2), (hx + r * 1.0, hy + r * 0.45), (hx + r * 0.75, hy + r * 0.55))
        for k in range(3):
            pen.curve((hx + r * 0.8, hy + r * 0.3), (hx + r * 1.4, hy + r * (0.1 + 0.2 * k)), (hx + r * 2.0, hy + r * (0.05 + 0.3 * k)), width=2)
    else:  # loaf: a rounded body, paws tucked in, the head in front, the tail along the bottom
        cy = size * 0.66
        bx, brx, bry = size * 0.44, rng.uniform(88, 100) * s, rng.uniform(44, 52) * s
        pen.ellipse(bx, cy, brx, bry, start=180, end=360)
        pen.curve((bx - brx, cy), (bx - brx, cy + bry * 0.6), (bx - brx + 25 * s, cy + bry * 0.65))
        bottom = cy + bry * 0.65
        pen.line((bx - brx + 25 * s, bottom), (bx + brx, bottom))
        pen.curve((bx + brx, cy), (bx + brx + 4 * s, bottom - 10 * s), (bx + brx, bottom))
        hx, hy = bx + brx * 0.72, cy - bry * 0.55
        pen.erase_ellipse(hx, hy + 4 * s, 44 * s, 36 * s)
        draw_face(pen, hx, hy, 0.45 * s, rng, eye_style="closed" if rng.random() < 0.5 else None)
        for x in (hx - 20 * s, hx + 14 * s):
            _paw(pen, x, bottom, 10 * s)
        pen.curve((bx - brx + 10 * s, bottom - 6 * s), (bx - brx + 20 * s, bottom + 16 * s), (bx, bottom + 14 * s), (bx + 30 * s, bottom + 6 * s))
    return pen.paper


def example_sketches(*, size: int = 256) -> list[tuple[str, np.ndarray]]:
    """The shipped examples: (file stem, sketch), seven faces and three whole cats."""
    out = [(f"cat_face_{i}", cat_face(seed, size=size)) for i, seed in enumerate((3, 11, 17, 24, 31, 42, 58))]
    out += [(f"cat_{pose}", whole_cat(seed, pose, size=size)) for pose, seed in zip(POSES, (5, 9, 13))]
    return out
