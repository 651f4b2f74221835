"""Any size in, same aspect out: scale to the working size, pad to what the network needs, crop back."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Placement:
    source: tuple[int, int]  # (width, height) of the input
    scaled: tuple[int, int]  # (width, height) the content is resized to
    padded: tuple[int, int]  # (width, height) the network sees


def plan_placement(width: int, height: int, *, long_side: int, multiple: int, min_side: int = 1) -> Placement:
    """min_side: the smallest side the network runs at (e.g. reflection padding deep inside)."""
    scale = long_side / max(width, height)
    sw, sh = max(1, round(width * scale)), max(1, round(height * scale))
    pw, ph = (math.ceil(max(v, min_side) / multiple) * multiple for v in (sw, sh))
    return Placement(source=(width, height), scaled=(sw, sh), padded=(pw, ph))


def pad_to(x: torch.Tensor, placement: Placement, *, fill: float | None) -> torch.Tensor:
    """Pad right and bottom: with a constant fill, or mirrored content when fill is None."""
    pw, ph = placement.padded
    sw, sh = placement.scaled
    right, bottom = pw - sw, ph - sh
    if not right and not bottom:
        return x
    if fill is not None:
        return F.pad(x, (0, right, 0, bottom), value=fill)
    # Reflection needs the pad smaller than the side; replicate the edge for whatever is left.
    r, b = min(right, sw - 1), min(bottom, sh - 1)
    if r or b:
        x = F.pad(x, (0, r, 0, b), mode="reflect")
    if right - r or bottom - b:
        x = F.pad(x, (0, right - r, 0, bottom - b), mode="replicate")
    return x


def crop_back(y: torch.Tensor, placement: Placement) -> torch.Tensor:
    sw, sh = placement.scaled
    return y[..., :sh, :sw]
