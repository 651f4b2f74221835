"""Which held-out inputs an evaluation renders, and how: the model's own output tensors, cropped to
the content (no padding), for the metrics to read."""
from __future__ import annotations

import numpy as np
import torch

import engine


def spread_indices(total: int, n: int) -> list[int]:
    """n indices spread evenly over range(total): held-out sets such as CamVid's are consecutive video
    frames, whose first n show one street."""
    n = min(n, total)
    return sorted({round(i * (total - 1) / max(n - 1, 1)) for i in range(n)})


def render_inputs(t: engine.Translator, inputs: list[np.ndarray], *, z: torch.Tensor | None = None, direction: str | None = None) -> list[torch.Tensor]:
    """Model outputs (1 x 3 x h x w in [-1, 1], cropped to the content) for each input."""
    outs = []
    for i, image in enumerate(inputs):
        x, placement = t.prepare(image)
        zi = None if z is None else z[i : i + 1]
        y = t.forward_tensor(x, z=zi, direction=direction).cpu()
        outs.append(y[..., : placement.scaled[1], : placement.scaled[0]])
    return outs


def render_to_uint8(y: torch.Tensor) -> np.ndarray:
    """One rendered output (1 x 3 x h x w in [-1, 1]) as an h x w x 3 uint8 picture."""
    return ((y[0].clamp(-1, 1).permute(1, 2, 0).numpy() + 1) * 127.5 + 0.5).astype(np.uint8)
