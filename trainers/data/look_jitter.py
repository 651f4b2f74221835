"""Photos in more lights and colours than the dataset's own: training photos with their brightness,
saturation and white balance moved at random, so a style encoder's codes (and the generator's look
space) cover dusk, bright sun and tinted photos that a few days of one city's video never show."""
from __future__ import annotations

import torch

from engine import LUMA_WEIGHTS

GAMMA_RANGE = 0.6  # log-gamma drawn from +-this: gamma 0.55 (brighter) to 1.8 (darker)
SATURATION_RANGE = 0.5  # log-factor: 0.6x to 1.65x
TINT_RANGE = 0.15  # log-gain per channel: a warm or cool cast of up to ~16%


def jitter_looks(photos: torch.Tensor, *, probability: float, generator: torch.Generator) -> torch.Tensor:
    """N x 3 x H x W photos in [-1, 1]; each, with `probability`, in another light. The draws come
    from `generator` (CPU), so a resumed run sees the same looks."""
    n = photos.shape[0]
    def draw(*shape: int, spread: float) -> torch.Tensor:
        return ((torch.rand(*shape, generator=generator) * 2 - 1) * spread).exp().to(photos.device)

    chosen = (torch.rand(n, generator=generator) < probability).to(photos.device)
    gamma, saturation, tint = draw(n, 1, 1, 1, spread=GAMMA_RANGE), draw(n, 1, 1, 1, spread=SATURATION_RANGE), draw(n, 3, 1, 1, spread=TINT_RANGE)
    x = ((photos.float() + 1) / 2).clamp(0, 1).pow(gamma)
    luma = (x * torch.tensor(LUMA_WEIGHTS, device=x.device).view(1, 3, 1, 1)).sum(1, keepdim=True)
    x = (luma + saturation * (x - luma)) * tint
    jittered = x.clamp(0, 1) * 2 - 1
    return torch.where(chosen.view(n, 1, 1, 1), jittered.to(photos.dtype), photos)
