"""Gaussian blur of image tensors, shared by the evaluation's metrics (SSIM, colour shift) and the
line-following loss."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def gaussian_taps(*, window: int, sigma: float, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    coords = torch.arange(window, dtype=dtype, device=device) - (window - 1) / 2
    g = torch.exp(-coords.pow(2) / (2 * sigma**2))
    return g / g.sum()


def separable_blur(x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """Each channel convolved with taps down, then across (no padding: the output shrinks)."""
    c = x.shape[1]
    x = F.conv2d(x, taps.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    return F.conv2d(x, taps.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
