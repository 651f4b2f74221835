"""Sketch models' own figures: how well renders keep to the drawn lines (edge F1), and how they fare
from outline-only sketches of the held-out photos (trainers/data/outline_sketch.py), as people draw."""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image

import engine
from engine.edges import photo_to_sketch

from ..data.outline_sketch import OUTLINE_DETAIL, outline_sketch
from .metrics import edge_f1
from .realism import kid_x1000, lite1_features
from .rendering import render_inputs, render_to_uint8


def renders_edge_f1(sketches: list[np.ndarray], renders: list[torch.Tensor], *, line_width: int) -> float:
    """Mean edge F1 between each sketch and the sketch drawn from its render."""
    return float(np.mean([
        edge_f1(np.asarray(Image.fromarray(s).resize((r.shape[-1], r.shape[-2]), Image.NEAREST)), photo_to_sketch(render_to_uint8(r), line_width=line_width))
        for s, r in zip(sketches, renders, strict=True)
    ]))


def outline_metrics(t: engine.Translator, photos: list[np.ndarray], *, reference_features: torch.Tensor | None, line_width: int) -> dict:
    """Render outline sketches of `photos`: edge F1, and KID-Lite1 x1000 (and its spread) against the
    reference photos' Lite1 features where there are some (None: no reference photos or no Lite1 wheel)."""
    outlines = [outline_sketch(p, line_width=line_width) for p in photos]
    z = t.random_z(0, n=len(outlines)) if t.nz else None
    renders = render_inputs(t, outlines, z=z)
    metrics = {"edge_f1": renders_edge_f1(outlines, renders, line_width=line_width), "detail": OUTLINE_DETAIL}
    if reference_features is not None:
        score, spread = kid_x1000(lite1_features(renders), reference_features)
        metrics.update(kid_lite1_x1000=score, kid_lite1_x1000_spread=spread)
    return metrics
