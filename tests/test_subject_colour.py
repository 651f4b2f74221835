"""The subject-colour figure: samples whose centre changes colour score a large delta E and hue
spread; samples that change only their border (a brighter background) score none."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from trainers.evaluation.subject_colour import srgb_to_lab, subject_colour_spread


def _samples(centres: list[tuple[float, float, float]], *, borders: list[float] | None = None) -> torch.Tensor:
    """K 3 x 16 x 16 pictures in [-1, 1]: a flat centre colour (RGB in [0, 1]) on a grey border."""
    k = len(centres)
    x = torch.zeros(k, 3, 16, 16)
    for i, colour in enumerate(centres):
        x[i] = (borders[i] if borders else 0.5) * 2 - 1
        x[i, :, 4:12, 4:12] = torch.tensor(colour).view(3, 1, 1) * 2 - 1
    return x


def test_srgb_to_lab_known_colours():
    lab = srgb_to_lab(np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))
    np.testing.assert_allclose(lab[0], [100, 0, 0], atol=0.1)
    np.testing.assert_allclose(lab[1], [0, 0, 0], atol=0.1)
    np.testing.assert_allclose(lab[2], [53.2, 80.1, 67.2], atol=0.5)


def test_a_new_coat_counts_and_a_brighter_background_does_not():
    coats = subject_colour_spread(_samples([(0.1, 0.1, 0.1), (0.8, 0.5, 0.2), (0.6, 0.6, 0.6), (0.4, 0.3, 0.3)]))
    backgrounds = subject_colour_spread(_samples([(0.8, 0.5, 0.2)] * 4, borders=[0.1, 0.4, 0.7, 0.95]))
    assert coats["delta_e"] > 20 and backgrounds["delta_e"] == pytest.approx(0.0, abs=1e-6)
    assert backgrounds["hue_spread_deg"] == pytest.approx(0.0, abs=1e-3)


def test_hue_spread_sees_hues_and_discounts_greys():
    orange_and_blue = subject_colour_spread(_samples([(0.8, 0.5, 0.2), (0.2, 0.4, 0.8)]))
    orange_and_greys = subject_colour_spread(_samples([(0.8, 0.5, 0.2), (0.5, 0.5, 0.52), (0.3, 0.3, 0.29)]))
    assert orange_and_blue["hue_spread_deg"] > 60  # two hues ~140 degrees apart
    assert orange_and_greys["hue_spread_deg"] < 30  # a grey's hue means little and weighs little
    with pytest.raises(ValueError, match="K >= 2"):
        subject_colour_spread(_samples([(0.5, 0.5, 0.5)]))
