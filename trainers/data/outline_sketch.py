"""Outline sketches: what a person draws when sketching a cat for fun.

A photo's full sketch (engine.edges at detail 1) carries fur tufts, shadows and background edges. A
drawing made for fun is mostly the outline, eyes, nose and mouth on blank paper, and a model trained
only on full sketches fills that blank paper with hatched blur. The same edge finder at low detail,
keeping only long lines, draws such an outline from any photo: training mixes some in (so the model
learns to invent fur and a background where the paper is blank), and evaluation measures on them.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.edges import photo_to_sketch

__all__ = ["OUTLINE_DETAIL", "choose_outlines", "outline_sketch", "outline_sketches"]

OUTLINE_DETAIL = 0.25  # the evaluation's outlines: face outline, ears, eyes, nose
_TRAINING_DETAIL = (0.15, 0.45)  # training draws each photo's outline at a detail in this range
_MIN_FRAGMENT = 40  # px at a 256 px side: fur tufts and stray background edges go


def outline_sketch(photo: np.ndarray, *, line_width: int, detail: float = OUTLINE_DETAIL) -> np.ndarray:
    """An HxW uint8 outline sketch (ink 0, paper 255) of an RGB uint8 photo."""
    return photo_to_sketch(photo, line_width=line_width, detail=detail, min_fragment=_MIN_FRAGMENT)


def outline_sketches(photos: list[np.ndarray], *, line_width: int, seed: int) -> list[np.ndarray]:
    """One outline per photo, each at its own detail (drawn from `seed`): some people draw more than others."""
    low, high = _TRAINING_DETAIL
    details = np.random.default_rng(seed).uniform(low, high, size=len(photos))
    return [outline_sketch(p, line_width=line_width, detail=float(d)) for p, d in zip(photos, details, strict=True)]


def choose_outlines(full: torch.Tensor, outlines: torch.Tensor, *, share: float, generator: torch.Generator) -> torch.Tensor:
    """Per sample of an N x 1 x H x W batch: its outline with probability `share`, else its full sketch."""
    chosen = (torch.rand(full.shape[0], generator=generator) < share).to(full.device)
    return torch.where(chosen[:, None, None, None], outlines, full)
