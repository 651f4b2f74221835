"""The Horse <-> Zebra tab's painted examples: seeded, sized, striped only as zebras, shipped as drawn."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.drawings.animal_scenes import COATS, animal_scene, example_scenes
from app.examples import PHOTO_DIR


def _stripe_share(picture: np.ndarray) -> float:
    """Share of pixels that are near-black or near-white with the other within 4 px sideways."""
    grey = picture.astype(np.float32).mean(axis=2)
    dark, pale = grey < 60, grey > 190
    pale_nearby = np.logical_or.reduce([np.roll(pale, shift, axis=1) for shift in range(-4, 5)])
    return float((dark & pale_nearby).mean())


def test_scenes_are_seeded_and_sized():
    a, b = animal_scene(3, "grey", size=(200, 120)), animal_scene(3, "grey", size=(200, 120))
    assert a.shape == (120, 200, 3) and a.dtype == np.uint8 and np.array_equal(a, b)
    assert not np.array_equal(a, animal_scene(4, "grey", size=(200, 120)))


def test_only_zebras_have_stripes():
    shares = {coat: _stripe_share(animal_scene(7, coat)) for coat in COATS}
    assert shares["zebra"] > 0.02, shares
    assert all(shares[c] < shares["zebra"] / 4 for c in COATS if c != "zebra"), shares


def test_unknown_coat_is_named():
    with pytest.raises(ValueError, match="zebra"):
        animal_scene(0, "unicorn")


def test_shipped_example_photos_are_what_the_code_paints():
    assert sorted(p.stem for p in PHOTO_DIR.glob("*.png")) == sorted(name for name, _ in example_scenes())
    for name, picture in example_scenes()[:2]:
        assert np.array_equal(np.asarray(Image.open(PHOTO_DIR / f"{name}.png")), picture), name
