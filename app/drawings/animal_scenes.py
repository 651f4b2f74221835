"""Horses and zebras in a field, painted by code: example photos for the Horse <-> Zebra tab.

Dataset photos may not ship with the app, so the tab's examples are these paintings: a side-on
animal built from ellipses and tapered limbs, shaded from above, on grass under a sky with a
tree line, with a soft ground shadow and film grain. `animal_scene(seed, coat)` returns an
H x W x 3 uint8 RGB image; coat is a horse colour ("bay", "chestnut", "grey", "black") or
"zebra", whose stripes follow each body part (upright on the barrel, across the legs and neck).
"""
from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

HORSE_COATS = {  # body, mane/tail/lower legs (RGB)
    "bay": ((124, 70, 38), (30, 22, 18)),
    "chestnut": ((150, 78, 40), (120, 58, 30)),
    "grey": ((196, 192, 186), (150, 146, 140)),
    "black": ((40, 34, 32), (22, 18, 16)),
}
COATS = (*HORSE_COATS, "zebra")
SUPERSAMPLE = 3  # shapes are drawn at 3x and shrunk: smooth edges, as a lens gives

# Parts in a frame where the body is about 1 long, facing +x, hooves on y = 0.62.
# Each stripe rule maps (x, y) in that frame to a phase; the zebra coat is dark where sin(phase) > cut.
BODY = ((0.0, 0.0, 0.42, 0.17), (0.28, 0.0, 0.17, 0.17), (-0.3, -0.02, 0.18, 0.19))  # cx, cy, rx, ry
NECK = ((0.18, -0.13), (0.42, 0.1), (0.63, -0.33), (0.47, -0.48))
HEAD = ((0.49, -0.49), (0.58, -0.52), (0.79, -0.31), (0.78, -0.22), (0.66, -0.25), (0.56, -0.31))
EARS = (((0.5, -0.48), (0.5, -0.6), (0.56, -0.5)), ((0.54, -0.5), (0.56, -0.61), (0.6, -0.51)))
LEGS = (  # top, knee or hock, hoof
    ((0.33, 0.1), (0.35, 0.36), (0.34, 0.62)),
    ((0.22, 0.1), (0.2, 0.36), (0.23, 0.6)),
    ((-0.24, 0.1), (-0.3, 0.36), (-0.27, 0.6)),
    ((-0.36, 0.08), (-0.42, 0.34), (-0.38, 0.62)),
)
TAIL = ((-0.46, -0.1), (-0.55, 0.08), (-0.52, 0.36))


def _noise(rng: np.random.Generator, shape: tuple[int, int], *, scale: int) -> np.ndarray:
    """Smooth noise in [-1, 1]: random values on a coarse grid, enlarged with cubic interpolation."""
    h, w = shape
    coarse = rng.uniform(-1, 1, (max(2, h // scale + 2), max(2, w // scale + 2))).astype(np.float32)
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC).clip(-1, 1)


def _background(rng: np.random.Generator, h: int, w: int, horizon: int) -> np.ndarray:
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    zenith = np.array(rng.choice([(92, 140, 200), (120, 160, 210), (150, 170, 190)]), np.float32)
    sky = zenith + (np.array([215, 225, 232], np.float32) - zenith) * np.clip(y * h / max(horizon, 1), 0, 1) ** 1.5
    clouds = np.clip(_noise(rng, (h, w), scale=48) + 0.3 * _noise(rng, (h, w), scale=12), 0, 1)[..., None]
    sky = sky + (245 - sky) * clouds * rng.uniform(0.3, 0.8)
    grass_far = np.array(rng.choice([(128, 150, 80), (150, 150, 90), (110, 140, 70)]), np.float32)
    grass_near = grass_far * rng.uniform(0.55, 0.75)
    depth = np.clip((y * h - horizon) / max(h - horizon, 1), 0, 1)
    grass = grass_far + (grass_near - grass_far) * depth
    texture = 0.6 * _noise(rng, (h, w), scale=24) + 0.4 * _noise(rng, (h, w), scale=4)
    blades = cv2.resize(rng.uniform(-1, 1, (h // 3 + 1, w)).astype(np.float32), (w, h))  # short upright streaks
    grass = grass * (1 + 0.12 * texture[..., None] + 0.06 * blades[..., None])
    image = np.where(np.arange(h)[:, None, None] < horizon, sky, grass)
    # A tree line on the horizon: a ragged dark-green band.
    ridge = horizon - (8 + 14 * (_noise(rng, (1, w), scale=40)[0] + 1) + 5 * _noise(rng, (1, w), scale=6)[0]) * h / 256
    rows = np.arange(h)[:, None]
    trees = ((rows > ridge[None, :]) & (rows < horizon + 2)).astype(np.float32)
    trees = cv2.GaussianBlur(trees, (0, 0), 1.0)[..., None]
    foliage = np.array([52, 70, 40], np.float32) * (1 + 0.25 * _noise(rng, (h, w), scale=5))[..., None]
    return image * (1 - trees) + foliage * trees


def _shape_masks(h: int, w: int, to_px: Callable[[float, float], tuple[float, float]]) -> dict[str, np.ndarray]:
    """Each part's mask (float 0..1) at the output size, drawn supersampled."""
    s = SUPERSAMPLE
    parts: dict[str, np.ndarray] = {}

    def canvas() -> np.ndarray:
        return np.zeros((h * s, w * s), np.uint8)

    def poly(points) -> np.ndarray:
        return np.round(np.array([to_px(x, y) for x, y in points]) * s).astype(np.int32)

    barrel = canvas()
    for cx, cy, rx, ry in BODY:
        (px, py), (qx, qy) = to_px(cx, cy), to_px(cx + rx, cy + ry)
        cv2.ellipse(barrel, (round(px * s), round(py * s)), (round(abs(qx - px) * s), round(abs(qy - py) * s)), 0, 0, 360, 255, -1)
    parts["body"] = barrel
    for name, points in (("neck", NECK), ("head", HEAD)):
        parts[name] = cv2.fillPoly(canvas(), [poly(points)], 255)
    parts["head"] = cv2.fillPoly(parts["head"], [poly(e) for e in EARS], 255)
    unit = abs(to_px(1, 0)[0] - to_px(0, 0)[0]) * s
    legs = canvas()
    for top, joint, hoof in LEGS:
        for a, b, width in ((top, joint, 0.1), (joint, hoof, 0.06)):
            cv2.line(legs, tuple(poly([a])[0]), tuple(poly([b])[0]), 255, max(1, round(width * unit)))
        cv2.circle(legs, tuple(poly([joint])[0]), max(1, round(0.045 * unit)), 255, -1)
    parts["legs"] = legs
    tail = canvas()
    for a, b, width in ((TAIL[0], TAIL[1], 0.05), (TAIL[1], TAIL[2], 0.07)):
        cv2.line(tail, tuple(poly([a])[0]), tuple(poly([b])[0]), 255, max(1, round(width * unit)))
    parts["tail"] = tail
    return {k: cv2.resize(v, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255 for k, v in parts.items()}


def _zebra_coat(x: np.ndarray, y: np.ndarray, part: str, rng: np.random.Generator) -> np.ndarray:
    """1 where a zebra is black: stripes upright on the barrel, slanting on the rump, across limbs and neck."""
    wobble = 0.15 * np.sin(y * 9 + rng.uniform(0, 6))
    if part == "legs":
        phase = y * 42
    elif part == "neck":
        phase = (x * 0.8 - y * 0.6) * 40 + wobble
    elif part == "head":
        phase = (x * 0.4 - y) * 48
    else:  # barrel: upright in front, swinging to diagonal over the rump
        slant = np.clip(-x * 2.2, 0, 1)
        phase = (x * (1 - 0.5 * slant) + y * slant * 0.9) * 30 + wobble
    return (np.sin(phase * 2 * np.pi / 2.2) > -0.1).astype(np.float32)


def animal_scene(seed: int, coat: str, *, size: tuple[int, int] = (384, 256)) -> np.ndarray:
    """A painted photo of one horse (a HORSE_COATS colour) or zebra in a field, w x h = size."""
    if coat not in COATS:
        raise ValueError(f"coat must be one of {', '.join(COATS)}; got {coat!r}")
    rng = np.random.default_rng(seed)
    w, h = size
    horizon = int(h * rng.uniform(0.3, 0.45))
    image = _background(rng, h, w, horizon)
    length = w * rng.uniform(0.36, 0.46)  # body length in px
    facing = rng.choice([-1.0, 1.0])
    ground = h * rng.uniform(0.8, 0.92)
    centre = w / 2 + rng.uniform(-0.12, 0.12) * w

    def to_px(x: float, y: float) -> tuple[float, float]:
        return centre + facing * x * length, ground + (y - 0.62) * length

    # The ground shadow first, then the animal over it.
    shadow = np.zeros((h, w), np.float32)
    sx, sy = to_px(0.0, 0.62)
    cv2.ellipse(shadow, (round(sx), round(sy)), (round(0.5 * length), round(0.05 * length)), 0, 0, 360, 1.0, -1)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 0.03 * length)[..., None]
    image = image * (1 - 0.45 * shadow)

    masks = _shape_masks(h, w, to_px)
    cols, rows = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    fx, fy = (cols - centre) / (facing * length), (rows - ground) / length + 0.62  # back to the animal's frame
    silhouette = np.clip(sum(masks.values()), 0, 1)
    # Rounded shading: lit from above, darker towards the belly and the outline.
    rim = cv2.GaussianBlur(silhouette, (0, 0), 0.04 * length)
    light = (1.05 - 0.45 * np.clip(fy + 0.2, 0, 1)) * (0.55 + 0.45 * rim) * (1 + 0.04 * _noise(rng, (h, w), scale=3))
    if coat == "zebra":
        pale, dark = np.array([232, 228, 220], np.float32), np.array([28, 26, 26], np.float32)
    else:
        pale, dark = (np.array(c, np.float32) for c in HORSE_COATS[coat])
    animal = np.zeros((h, w, 3), np.float32)
    for part, mask in masks.items():
        if coat == "zebra":
            black = cv2.GaussianBlur(_zebra_coat(fx, fy, part, rng), (0, 0), 0.6)[..., None]  # soft stripe edges
            colour = pale * (1 - black) + dark * black
            if part == "tail":
                colour = np.broadcast_to(dark, colour.shape)
        elif part == "tail" or (part == "legs" and coat == "bay"):
            lower = np.clip((fy - 0.3) / 0.1, 0, 1)[..., None] if part == "legs" else 1.0
            colour = pale * (1 - lower) + dark * lower
        else:
            colour = np.broadcast_to(pale, (h, w, 3))
        animal = animal * (1 - mask[..., None]) + colour * mask[..., None]
    # A mane along the top of the neck and dark hooves.
    mane = masks["neck"] * np.clip(1 - np.abs((fx * 0.6 + fy * 0.8) + 0.07) / 0.06, 0, 1)
    animal = animal * (1 - mane[..., None]) + dark * 0.9 * mane[..., None]
    hooves = masks["legs"] * (fy > 0.58)
    animal = animal * (1 - hooves[..., None]) + np.array([30, 28, 26], np.float32) * hooves[..., None]
    animal = animal * light[..., None]
    image = image * (1 - silhouette[..., None]) + animal * silhouette[..., None]
    ex, ey = to_px(0.6, -0.43)
    cv2.circle(image, (round(ex), round(ey)), max(1, round(0.014 * length)), (18.0, 14.0, 12.0), -1, lineType=cv2.LINE_AA)  # the eye
    image = cv2.GaussianBlur(image, (0, 0), 0.5) + rng.normal(0, 3.0, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def example_scenes() -> list[tuple[str, np.ndarray]]:
    """The tab's examples: four horses of different colours and two zebras."""
    picks = (("horse_bay", 1, "bay"), ("horse_chestnut", 2, "chestnut"), ("horse_grey", 3, "grey"),
             ("horse_black", 4, "black"), ("zebra_1", 5, "zebra"), ("zebra_2", 6, "zebra"))
    return [(name, animal_scene(seed, coat)) for name, seed, coat in picks]
