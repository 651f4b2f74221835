"""photo_to_sketch and its thinning, on synthetic shapes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.edges import photo_to_sketch, thin_lines


def _rectangle_photo(size: int = 128, lo: int = 40, hi: int = 88) -> np.ndarray:
    img = np.full((size, size, 3), 235, np.uint8)
    cv2.rectangle(img, (lo, lo), (hi, hi), (60, 90, 120), thickness=-1)
    return img


def _ink(sketch: np.ndarray) -> np.ndarray:
    return sketch == 0


def test_white_image_gives_empty_sketch():
    sketch = photo_to_sketch(np.full((64, 80, 3), 255, np.uint8))
    assert sketch.shape == (64, 80) and sketch.dtype == np.uint8
    assert (sketch == 255).all()


def test_output_is_binary_ink_on_paper():
    sketch = photo_to_sketch(_rectangle_photo())
    assert set(np.unique(sketch).tolist()) == {0, 255}


def test_rectangle_gives_ink_on_its_border_and_not_in_flat_regions():
    lo, hi, size = 40, 88, 128
    ink = _ink(photo_to_sketch(_rectangle_photo(size, lo, hi), line_width=2))
    near = np.zeros_like(ink)
    near[lo - 4 : hi + 5, lo - 4 : hi + 5] = True
    near[lo + 5 : hi - 4, lo + 5 : hi - 4] = False
    assert ink.any()
    assert not ink[~near].any(), "ink away from the rectangle's border"
    # Every side is drawn along (almost) its whole length.
    mid = slice(lo + 4, hi - 3)
    sides = [ink[mid, lo - 4 : lo + 5].any(1), ink[mid, hi - 4 : hi + 5].any(1),
             ink[lo - 4 : lo + 5, mid].any(0), ink[hi - 4 : hi + 5, mid].any(0)]
    for covered in sides:
        assert covered.mean() > 0.9


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_line_width_is_the_pen_width(width):
    ink = _ink(photo_to_sketch(_rectangle_photo(), line_width=width))
    # Across the left side, in the middle rows, the stroke is `width` px wide.
    widths = ink[56:72, 20:60].sum(1)
    assert np.median(widths) == width


def test_ink_grows_with_line_width():
    counts = [_ink(photo_to_sketch(_rectangle_photo(), line_width=w)).sum() for w in (1, 2, 4)]
    assert counts[0] < counts[1] < counts[2]


def test_grey_and_rgb_inputs_agree_and_runs_are_deterministic():
    photo = _rectangle_photo()
    grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    a = photo_to_sketch(photo)
    assert np.array_equal(a, photo_to_sketch(photo))
    assert np.array_equal(a, photo_to_sketch(grey))


def _textured_photo(size: int = 96) -> np.ndarray:
    rng = np.random.default_rng(0)
    coarse = rng.uniform(0, 255, (8, 8)).astype(np.float32)
    fine = rng.uniform(-40, 40, (24, 24)).astype(np.float32)
    img = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    img += cv2.resize(fine, (size, size), interpolation=cv2.INTER_CUBIC)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_detail_keeps_more_lines():
    photo = _textured_photo()
    few = _ink(photo_to_sketch(photo, detail=0.4)).sum()
    many = _ink(photo_to_sketch(photo, detail=2.5)).sum()
    assert many > few


def test_short_fragments_are_dropped():
    photo = _rectangle_photo()
    cv2.circle(photo, (16, 112), 2, (0, 0, 0), thickness=-1)  # a speck: a ~12 px ring of edges
    kept = _ink(photo_to_sketch(photo, min_fragment=1))
    cleaned = _ink(photo_to_sketch(photo, min_fragment=30))
    assert kept[104:121, 8:25].any()
    assert not cleaned[104:121, 8:25].any()
    assert cleaned[30:100, 30:100].any(), "the rectangle must survive"


@pytest.mark.parametrize("shape", [(2, 2, 3), (5, 7), (37, 203, 3), (640, 480, 3)])
def test_any_size(shape):
    img = np.full(shape, 200, np.uint8)
    h, w = shape[:2]
    if min(h, w) > 8:
        cv2.circle(img, (w // 2, h // 2), min(h, w) // 3, 30, thickness=-1)
    sketch = photo_to_sketch(img)
    assert sketch.shape == (h, w)
    if min(h, w) > 30:
        assert _ink(sketch).any()


def test_large_photo_lines_stay_thin():
    img = np.full((600, 900, 3), 230, np.uint8)
    cv2.rectangle(img, (200, 150), (700, 450), (40, 40, 40), thickness=-1)
    ink = _ink(photo_to_sketch(img, line_width=3))
    assert np.median(ink[250:350, 150:260].sum(1)) == 3


def test_bad_inputs_raise():
    with pytest.raises(ValueError):
        photo_to_sketch(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError):
        photo_to_sketch(np.zeros((8, 8, 2), np.uint8))
    with pytest.raises(ValueError):
        photo_to_sketch(np.zeros((8, 8, 3), np.uint8), line_width=0)


def test_thinning_gives_one_pixel_lines():
    bar = np.zeros((40, 60), bool)
    bar[15:24, 5:55] = True
    thin = thin_lines(bar)
    assert thin.dtype == bool
    assert (thin[:, 15:45].sum(0) == 1).all()
    # A ring stays a ring (topology preserved): its inside is still enclosed.
    ring = np.zeros((40, 40), np.uint8)
    cv2.circle(ring, (20, 20), 12, 1, thickness=4)
    skeleton = thin_lines(ring).astype(np.uint8)
    n, _ = cv2.connectedComponents(1 - skeleton, connectivity=4)
    assert n == 3  # outside, inside, and label 0 for the skeleton pixels
