"""Coarse steps: the first training steps see every crop at half resolution, then full size.

Halving keeps what each kind of input means: pen lines stay solid ink (not grey), class ids stay
ids, photos are 2x2 means. The phase switch is by step, so a resume lands in the right phase.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from trainers.config import RESUME_SETTINGS
from trainers.data import halve_resolution
from trainers.dataset import draw_batch, load_training_set

from test_trainers_families import make_labeled, make_photos, make_unaligned, tiny


def test_ink_halving_keeps_one_pixel_lines_solid():
    sketch = torch.full((1, 1, 8, 8), 255, dtype=torch.uint8)
    sketch[0, 0, 3, :] = 0  # a 1 px line on an odd row: area averaging would make it grey
    ink = halve_resolution(sketch, mode="ink")
    area = halve_resolution(sketch, mode="area")
    assert ink.dtype == torch.uint8 and ink.shape == (1, 1, 4, 4)
    assert ink[0, 0, 1].tolist() == [0] * 4 and (ink[0, 0, [0, 2, 3]] == 255).all()
    assert area[0, 0, 1].tolist() == [128] * 4, "area halving greys a thin line (why sketches use ink)"


def test_area_and_nearest_halving():
    photo = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
    assert halve_resolution(photo, mode="area")[0, 0].tolist() == [[2.5, 4.5], [10.5, 12.5]]
    ids = torch.tensor([[[[1, 2, 3, 4], [5, 6, 7, 8], [1, 1, 2, 2], [3, 3, 4, 4]]]], dtype=torch.uint8)
    assert halve_resolution(ids, mode="nearest")[0, 0].tolist() == [[1, 3], [1, 2]]


def test_halving_refuses_odd_sizes_and_unknown_modes():
    with pytest.raises(ValueError, match="even"):
        halve_resolution(torch.zeros(1, 1, 5, 4), mode="area")
    with pytest.raises(ValueError, match="area, ink or nearest"):
        halve_resolution(torch.zeros(1, 1, 4, 4), mode="bicubic")


def test_coarse_steps_halve_the_batch_then_stop(tmp_path):
    cfg = tiny("pix2pix", make_photos(tmp_path / "data", corrupt=False), input_kind="sketch", coarse_steps=2)
    data = load_training_set(cfg)
    cpu = torch.device("cpu")
    coarse, full = draw_batch(data, cfg, step=1, device=cpu), draw_batch(data, cfg, step=2, device=cpu)
    assert coarse["input"].shape[-2:] == coarse["target"].shape[-2:] == (16, 16)
    assert full["input"].shape[-2:] == full["target"].shape[-2:] == (32, 32)
    # The coarse batch is the full-size crop of that step, halved: same content, a quarter of the pixels.
    cfg.coarse_steps = 0
    same_step = draw_batch(data, cfg, step=1, device=cpu)
    assert torch.equal(coarse["target"], halve_resolution(same_step["target"], mode="area"))
    assert torch.equal(coarse["input"], halve_resolution(same_step["input"], mode="ink"))


def test_coarse_label_maps_stay_class_ids(tmp_path):
    cfg = tiny("spade", make_labeled(tmp_path / "data", corrupt=False), coarse_steps=1)
    data = load_training_set(cfg)
    batch = draw_batch(data, cfg, step=0, device=torch.device("cpu"))
    assert batch["input"].shape[-2:] == (16, 32)
    assert set(np.unique(batch["input"].numpy())) <= set(np.unique(data.inputs.numpy()))


def test_coarse_steps_halve_both_unpaired_domains(tmp_path):
    cfg = tiny("cyclegan", make_unaligned(tmp_path / "data"), coarse_steps=1)
    data = load_training_set(cfg)
    batch = draw_batch(data, cfg, step=0, device=torch.device("cpu"))
    assert batch["input"].shape[-2:] == batch["target"].shape[-2:] == (16, 16)


def test_a_resume_may_move_the_phase_switch():
    assert "coarse_steps" in RESUME_SETTINGS
