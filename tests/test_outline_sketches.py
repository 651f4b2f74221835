"""Outline sketches (trainers/data/outline_sketch.py): the edge finder at low detail keeps a shape's
outline and drops texture; training mixes them into batches without moving anything else; evaluation
measures renders of them."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from engine.edges import photo_to_sketch
from trainers.data.outline_sketch import choose_outlines, outline_sketch, outline_sketches
from trainers.dataset import draw_batch, load_training_set

from test_trainers_families import make_aligned, make_photos, tiny


def _textured_disk(size: int = 128, seed: int = 0) -> np.ndarray:
    """A dark disk on light paper strewn with faint short strokes (the fur and grain of a photo)."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size, 3), 200, np.uint8)
    for _ in range(300):
        x, y = (int(v) for v in rng.integers(0, size, 2))
        grey = int(rng.integers(120, 180))
        cv2.line(img, (x, y), (x + 3, y + 6), (grey, grey, grey), 1)
    cv2.circle(img, (size // 2, size // 2), size // 4, (30, 30, 30), -1)
    return img


def test_outline_keeps_the_shape_and_drops_the_texture():
    photo = _textured_disk()
    full, outline = photo_to_sketch(photo, line_width=2), outline_sketch(photo, line_width=2)
    assert outline.dtype == np.uint8 and outline.shape == photo.shape[:2]
    assert (outline == 0).sum() < 0.6 * (full == 0).sum(), "texture strokes should be gone"
    ring = np.zeros(photo.shape[:2], np.uint8)
    cv2.circle(ring, (64, 64), 32, 1, 5)
    ink = outline == 0
    assert (ink & (ring == 1)).sum() >= 0.95 * ink.sum(), "what is left is the disk's outline"
    assert (ink & (ring == 1)).sum() > 0.5 * np.pi * 64, "and most of the outline is there"


def _graded_squares(size: int = 128) -> np.ndarray:
    """Nine squares from barely darker than the paper to black: more detail outlines more of them."""
    img = np.full((size, size, 3), 200, np.uint8)
    for i, grey in enumerate(np.linspace(185, 20, 9)):
        x, y = 8 + (i % 3) * 40, 8 + (i // 3) * 40
        cv2.rectangle(img, (x, y), (x + 30, y + 30), (int(grey),) * 3, -1)
    return img


def test_training_outlines_are_reproducible_and_vary_in_detail():
    photos = [_graded_squares()] * 12
    first, again = outline_sketches(photos, line_width=2, seed=1), outline_sketches(photos, line_width=2, seed=1)
    assert all((a == b).all() for a, b in zip(first, again, strict=True))
    ink = {int((s == 0).sum()) for s in first}
    assert len(ink) > 1, "each photo gets its own detail: some outline more squares than others"
    assert max(ink) < (photo_to_sketch(photos[0], line_width=2) == 0).sum(), "all of them less than the full sketch"


def test_choose_outlines_takes_each_sample_whole_from_one_or_the_other():
    full, outlines = torch.zeros(64, 1, 4, 4), torch.ones(64, 1, 4, 4)
    gen = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    assert (choose_outlines(full, outlines, share=0.0, generator=gen()) == 0).all()
    assert (choose_outlines(full, outlines, share=1.0, generator=gen()) == 1).all()
    mixed = choose_outlines(full, outlines, share=0.5, generator=gen())
    per_sample = mixed.flatten(1)
    assert ((per_sample == 0).all(1) | (per_sample == 1).all(1)).all()
    assert 16 < per_sample[:, 0].sum() < 48


def test_outline_batches_keep_the_crops_and_targets_of_a_run_without_them(tmp_path):
    data = make_photos(tmp_path / "data", n=4, size=64, corrupt=False)
    kw = dict(input_kind="sketch", load_size=64, crop_size=48, batch_size=4)
    plain_cfg = tiny("pix2pix", data, layout="photos", **kw)
    all_cfg = tiny("pix2pix", data, layout="photos", outline_sketches=1.0, **kw)
    plain_set, outline_set = load_training_set(plain_cfg), load_training_set(all_cfg)
    assert plain_set.outlines is None and outline_set.outlines.shape == outline_set.inputs.shape
    cpu = torch.device("cpu")
    for step in range(3):
        plain = draw_batch(plain_set, plain_cfg, step=step, device=cpu)
        outlined = draw_batch(outline_set, all_cfg, step=step, device=cpu)
        assert torch.equal(plain["target"], outlined["target"])
        # Every input is now the outline, cropped where the full sketch was: it is inked only where
        # the full sketch of the same crop is (outlines keep a subset of the photo's lines).
        assert not torch.equal(plain["input"], outlined["input"])
        assert ((outlined["input"] < 128) & (plain["input"] > 128)).float().mean() < 0.02
        assert torch.equal(plain["generator"].get_state(), outlined["generator"].get_state()), "sketch augmentation draws the same"


def test_outlines_need_sketches_drawn_from_photos(tmp_path):
    cfg = tiny("pix2pix", make_aligned(tmp_path / "data"), outline_sketches=0.5)
    with pytest.raises(ValueError, match="outline_sketches"):
        load_training_set(cfg)
