"""Label palettes the painters fall back on when a model's contract is not available yet.

The real colours come from each model's contract (weights/manifest.json). Until a model is
registered, the facade and street painters still need swatches to paint with: these defaults
name the same classes (the procedural layouts and the contract palette are matched by name).
"""
from __future__ import annotations

from .facade_layouts import FACADE_CLASSES
from .street_layouts import STREET_CLASSES

Palette = list[tuple[str, tuple[int, int, int]]]


# The CMP facade colours as recovered from the label maps of the training data (the same values
# as pix2pix.facades' contract and trainers/recipes/pix2pix.facades.toml): a jet-like map, background
# first. Matching them exactly keeps the example layouts in assets/ on the right classes.
DEFAULT_FACADE_PALETTE: Palette = list(
    zip(
        FACADE_CLASSES,
        [
            (0, 0, 222),
            (1, 48, 254),
            (2, 127, 254),
            (2, 207, 255),
            (34, 254, 225),
            (112, 254, 144),
            (192, 254, 64),
            (254, 240, 3),
            (254, 159, 2),
            (254, 80, 1),
            (251, 1, 3),
            (173, 0, 2),
        ],
    )
)

# The SegNet colours of the 11 CamVid classes, plus black for Unlabelled.
DEFAULT_STREET_PALETTE: Palette = list(
    zip(
        STREET_CLASSES,
        [
            (128, 128, 128),
            (128, 0, 0),
            (192, 192, 128),
            (128, 64, 128),
            (60, 40, 222),
            (128, 128, 0),
            (192, 128, 128),
            (64, 64, 128),
            (64, 0, 128),
            (64, 64, 0),
            (0, 128, 192),
            (0, 0, 0),
        ],
    )
)


def palette_of(contract: object | None, default: Palette) -> Palette:
    """(name, rgb) pairs from a contract's palette, or the default when there is none."""
    entries = getattr(contract, "palette", None) or ()
    if not entries:
        return list(default)
    return [(p.name, tuple(int(c) for c in p.rgb)) for p in entries]


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def text_colour(rgb: tuple[int, int, int]) -> str:
    """Black or white, whichever reads better on the swatch."""
    r, g, b = rgb
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


# Colours the painters show for each class, chosen for what the class looks like and to be told
# apart at a glance: the CMP facade colours are a jet map whose first four classes (background,
# facade, window, door) are near-identical blues, and SegNet paints the sky grey. Canvases hold
# these colours; handlers map them back to class ids (and the model's own palette) before a render.
DISPLAY_COLOURS: dict[str, tuple[int, int, int]] = {
    # facades
    "background": (135, 206, 235),
    "facade": (222, 184, 135),
    "window": (30, 60, 140),
    "door": (120, 70, 30),
    "cornice": (250, 240, 200),
    "sill": (150, 150, 150),
    "balcony": (60, 60, 60),
    "blind": (0, 150, 130),
    "deco": (200, 60, 160),
    "molding": (240, 200, 0),
    "pillar": (150, 110, 200),
    "shop": (220, 40, 40),
    # streets
    "Sky": (135, 206, 235),
    "Building": (170, 90, 60),
    "Pole": (250, 250, 60),
    "Road": (90, 90, 90),
    "Pavement": (205, 195, 175),
    "Tree": (40, 140, 50),
    "SignSymbol": (240, 130, 0),
    "Fence": (120, 80, 160),
    "Car": (30, 60, 200),
    "Pedestrian": (230, 30, 90),
    "Bicyclist": (0, 200, 200),
    "Unlabelled": (0, 0, 0),
}


def display_palette(palette: Palette) -> Palette:
    """The palette as the painters show it: each class's display colour, or its own if unnamed.

    Falls back to the model's colours altogether if the mix would put two classes on one colour.
    """
    shown = [(name, DISPLAY_COLOURS.get(name, rgb)) for name, rgb in palette]
    if len({rgb for _, rgb in shown}) < len(shown):
        return list(palette)
    return shown
