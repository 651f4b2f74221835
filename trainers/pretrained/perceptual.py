"""An LPIPS-style perceptual distance (Zhang et al. 2018) in pretrained EfficientNet-Lite features.

Each feature vector is scaled to unit length across channels, the squared difference is summed
over channels and averaged over positions, and the five stage ends (strides 2 to 32) are averaged.
Without LPIPS's learned per-channel weights this is its "baseline" variant; with unit-normalised
features no layer dominates by its scale. Far sharper than L1 alone: two renders that differ by
half a pixel of blur are far apart here and close in L1.
"""
from __future__ import annotations

import torch

from .efficientnet_lite import ReadsBackbone


def _unit(f: torch.Tensor) -> torch.Tensor:
    return f * torch.rsqrt(f.pow(2).sum(1, keepdim=True) + 1e-10)


class PerceptualLoss(ReadsBackbone):
    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """Mean distance over the batch between two N x 3 x H x W image batches in [-1, 1]."""
        if fake.shape != real.shape:
            raise ValueError(f"perceptual loss compares equal shapes, got {tuple(fake.shape)} and {tuple(real.shape)}")
        net = self.backbone
        fake_f = net.features(fake, strides=(2, 4, 8, 16, 32))
        with torch.no_grad():
            real_f = net.features(real, strides=(2, 4, 8, 16, 32))
        distances = [(_unit(f.float()) - _unit(r.float())).pow(2).sum(1).mean() for f, r in zip(fake_f, real_f, strict=True)]
        return torch.stack(distances).mean()
