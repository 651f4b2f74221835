"""The training terms for a style photo that sets the look: the colour-statistics loss between a
render and its style photo, and training photos shown in other lights."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from trainers.data.look_jitter import jitter_looks
from trainers.losses import region_colour_loss


def _layout(classes: list[int], size: tuple[int, int] = (16, 20)) -> torch.Tensor:
    """One-hot 1 x 3 x H x W: the listed classes in horizontal bands, top to bottom."""
    ids = torch.tensor(classes).repeat_interleave(size[0] // len(classes))[:, None].expand(*size)
    return F.one_hot(ids, 3).permute(2, 0, 1)[None].float()


def _paint(labels: torch.Tensor, colours: list[list[float]]) -> torch.Tensor:
    return torch.einsum("nkhw,kc->nchw", labels, torch.tensor(colours))


def test_a_render_in_its_style_photos_colours_costs_nothing_and_other_colours_do():
    labels = _layout([0, 1])
    photo = _paint(labels, [[0.5, 0.5, 0.9], [-0.5, -0.5, -0.5], [0, 0, 0]])
    assert region_colour_loss(photo, photo, render_labels=labels, style_labels=labels) < 1e-6
    darker = photo - 0.4
    assert region_colour_loss(darker, photo, render_labels=labels, style_labels=labels) > 0.7  # 0.4 per class + 0.4 overall


def test_classes_are_matched_across_layouts_and_only_where_both_show_them():
    render_labels, style_labels = _layout([0, 1]), _layout([1, 2, 2, 2])
    style = _paint(style_labels, [[0, 0, 0], [0.2, 0.2, 0.2], [0.9, -0.9, 0.9]])
    # Class 1 in the render takes the style's class-1 colour; the render has no class 2, and its
    # class 0 has no counterpart: only the whole-picture means differ.
    render = _paint(render_labels, [[0.9, -0.9, 0.9], [0.2, 0.2, 0.2], [0, 0, 0]])
    whole = (render.mean((2, 3)) - style.mean((2, 3))).abs().mean()
    assert torch.isclose(region_colour_loss(render, style, render_labels=render_labels, style_labels=style_labels), whole, atol=1e-5)
    wrong = _paint(render_labels, [[0.9, -0.9, 0.9], [0.6, 0.6, 0.6], [0, 0, 0]])
    assert region_colour_loss(wrong, style, render_labels=render_labels, style_labels=style_labels) > whole + 0.3


def test_the_gradient_reaches_the_render_only():
    labels = _layout([0, 1])
    render = torch.zeros(1, 3, 16, 20, requires_grad=True)
    style = torch.full((1, 3, 16, 20), 0.5, requires_grad=True)
    region_colour_loss(render, style, render_labels=labels, style_labels=labels).backward()
    assert render.grad.abs().sum() > 0 and style.grad is None


def test_looks_are_jittered_in_range_repeatably_and_only_as_often_as_asked():
    photos = torch.rand(64, 3, 8, 8) * 1.6 - 0.8
    same = jitter_looks(photos, probability=0.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(same, photos)
    first = jitter_looks(photos, probability=0.5, generator=torch.Generator().manual_seed(1))
    again = jitter_looks(photos, probability=0.5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(first, again) and first.min() >= -1 and first.max() <= 1
    changed = (first - photos).abs().flatten(1).amax(1) > 1e-4
    assert 16 <= int(changed.sum()) <= 48
    all_changed = jitter_looks(photos, probability=1.0, generator=torch.Generator().manual_seed(2))
    brightness = (all_changed.mean((1, 2, 3)) - photos.mean((1, 2, 3))).abs()
    assert brightness.max() > 0.1, "some photos must come out clearly darker or brighter"
