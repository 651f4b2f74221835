"""Line following (trainers.line_loss): a render's strongest edges should lie on the drawn lines."""
from __future__ import annotations

import pytest
import torch
from test_trainers_families import _step_without_updates, tiny

from trainers.families import TRAINERS
from trainers.line_loss import line_following_loss, soft_edges

SIDE = 128


def _square_sketch(*, top: int = 32, size: int = 64) -> torch.Tensor:
    """1 x 1 x SIDE x SIDE, paper 1 and a 2 px ink outline -1: the model's input range."""
    sketch = torch.ones(1, 1, SIDE, SIDE)
    bottom = top + size
    sketch[..., top : top + 2, top:bottom] = -1
    sketch[..., bottom - 2 : bottom, top:bottom] = -1
    sketch[..., top:bottom, top : top + 2] = -1
    sketch[..., top:bottom, bottom - 2 : bottom] = -1
    return sketch


def _filled_square(*, top: int = 32, size: int = 64, texture: float = 0.0) -> torch.Tensor:
    """1 x 3 x SIDE x SIDE in [-1, 1]: a dark square on a light ground, with optional fur-like noise."""
    render = torch.full((1, 3, SIDE, SIDE), 0.6)
    render[..., top : top + size, top : top + size] = -0.6
    if texture:
        render = render + texture * torch.randn(1, 1, SIDE, SIDE, generator=torch.Generator().manual_seed(0))
    return render.clamp(-1, 1)


def test_a_render_on_the_lines_scores_better_than_one_beside_them():
    sketch = _square_sketch()
    on_lines = line_following_loss(_filled_square(), sketch)
    shifted = line_following_loss(_filled_square(top=16), sketch)
    flat = line_following_loss(torch.zeros(1, 3, SIDE, SIDE), sketch)
    assert on_lines < 0.6 < shifted and on_lines < flat


def _tiled(image: torch.Tensor) -> torch.Tensor:
    """Four copies of a picture at half size, 2 x 2: contours dense enough to fill the edge share."""
    half = torch.nn.functional.interpolate(image, scale_factor=0.5, mode="nearest")
    return torch.cat([torch.cat([half, half], -1)] * 2, -2)


def test_texture_weaker_than_the_contours_costs_little():
    """The threshold is relative: where contours fill the picture's strongest share of gradients, fur
    weaker than them is not counted as stray lines, while a stray contour of the same strength is."""
    sketch = _tiled(_tiled(_square_sketch()))
    clean = line_following_loss(_tiled(_tiled(_filled_square())), sketch)
    furry = line_following_loss(_tiled(_tiled(_filled_square(texture=0.05))), sketch)
    extra = _tiled(_tiled(_filled_square()))
    extra[..., 60:68, :] = -0.6  # a dark bar across the middle: two contours nobody drew
    stray = line_following_loss(extra, sketch)
    assert furry - clean < 0.25 * (stray - clean)


def test_soft_edges_do_not_depend_on_contrast():
    """A dim photo has weaker gradients; its edges are the same pixels."""
    render = _filled_square()
    dim = render * 0.3
    assert torch.allclose(soft_edges(render), soft_edges(dim), atol=2e-3)  # only the sqrt's epsilon is not scaled


def test_a_blank_sketch_asks_for_nothing():
    blank = torch.ones(1, 1, SIDE, SIDE)
    assert line_following_loss(_filled_square(), blank).item() == 0.0
    batch = line_following_loss(torch.cat([_filled_square(), _filled_square()]), torch.cat([_square_sketch(), blank]))
    assert batch.item() == pytest.approx(line_following_loss(_filled_square(), _square_sketch()).item())


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="sketch"):
        line_following_loss(_filled_square(), torch.ones(1, 3, SIDE, SIDE))


SKETCH_INPUT = {"pix2pix": dict(layout="photos", input_kind="sketch"), "bicyclegan": {}}  # settings that give each family sketches


@pytest.mark.parametrize("family", sorted(SKETCH_INPUT))
def test_line_following_reaches_g(tmp_path, family):
    losses_on, _, g_on = _step_without_updates(tmp_path / "on", family, lambda_lines=2.0, **SKETCH_INPUT[family])
    losses_off, _, g_off = _step_without_updates(tmp_path / "off", family, **SKETCH_INPUT[family])
    assert "G_lines" not in losses_off and 0 < losses_on["G_lines"] <= 2
    assert losses_on["G_l1"] == losses_off["G_l1"], "the step's batch or noise differed"
    assert any(not torch.equal(a, b) for a, b in zip(g_on, g_off)), "line following did not reach G"


@pytest.mark.parametrize("family", sorted(SKETCH_INPUT))
def test_line_following_needs_a_sketch(tmp_path, family):
    cfg = tiny(family, tmp_path, input_kind="photo", lambda_lines=1.0)
    with pytest.raises(ValueError, match="lambda_lines"):
        TRAINERS[family](cfg, device=torch.device("cpu"))
