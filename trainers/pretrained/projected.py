"""The Projected GAN discriminator (Sauer et al., NeurIPS 2021), written for GANvas.

The image goes through a frozen pretrained network (EfficientNet-Lite0), whose four feature maps
(strides 4, 8, 16, 32) are mixed by random frozen layers: cross-channel mixing (CCM, a 1x1 conv
per scale to 64, 128, 256, 512 channels) and cross-scale mixing (CSM, a top-down pass: each
coarser mixed map, 1x1-projected and upsampled, is added to the next finer one). Random mixing
spreads every pretrained feature over all channels, so the small trained heads cannot settle on a
few of them. One head per scale turns its map into patch logits.

`FeatureProjection` is the frozen part: rebuilt from the seed on every start, never stored in a
checkpoint. `ProjectedHeads` is the trained part, an ordinary network whose state resumes.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from engine.nets.efficientnet_lite import EfficientNetLite

from .efficientnet_lite import ReadsBackbone

MIXED_CHANNELS = (64, 128, 256, 512)  # the paper's CCM widths at strides 4, 8, 16, 32
HEAD_NORMS = ("batch", "none")


def _frozen_conv(cin: int, cout: int, *, generator: torch.Generator) -> nn.Conv2d:
    """A 1x1 conv with PyTorch's default uniform init drawn from `generator`, so the same seed
    rebuilds the same mixing on every start (and on resume)."""
    conv = nn.Conv2d(cin, cout, 1)
    bound = 1.0 / math.sqrt(cin)
    with torch.no_grad():
        conv.weight.copy_(torch.rand(conv.weight.shape, generator=generator) * 2 * bound - bound)
        conv.bias.copy_(torch.rand(conv.bias.shape, generator=generator) * 2 * bound - bound)
    return conv.requires_grad_(False)


class FeatureProjection(ReadsBackbone):
    """images in [-1, 1] -> four mixed feature maps (frozen). Images smaller than `min_size` go up to
    it first (bilinear), as Projected GAN does below 224 px: the backbone saw ImageNet at that scale."""

    def __init__(self, backbone: EfficientNetLite, *, seed: int, min_size: int = 224) -> None:
        super().__init__(backbone)
        generator = torch.Generator().manual_seed(1_000_003 * 17 + seed)
        widths = backbone.feature_channels
        self.ccm = nn.ModuleList(_frozen_conv(c, m, generator=generator) for c, m in zip(widths, MIXED_CHANNELS, strict=True))
        # csm[i] carries the mixed map of scale i + 1 down to scale i's width.
        self.csm = nn.ModuleList(_frozen_conv(MIXED_CHANNELS[i + 1], MIXED_CHANNELS[i], generator=generator) for i in range(3))
        self.min_size = min_size
        self.eval()

    def train(self, mode: bool = True) -> FeatureProjection:
        return super().train(False)  # frozen: batch norm keeps ImageNet statistics

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        side = min(images.shape[-2:])
        if self.min_size and side < self.min_size:
            scale = self.min_size / side
            size = (round(images.shape[-2] * scale), round(images.shape[-1] * scale))
            images = F.interpolate(images, size=size, mode="bilinear", align_corners=False)
        features = self.backbone.features(images)
        mixed = [ccm(f) for ccm, f in zip(self.ccm, features, strict=True)]
        out = [mixed[3]]
        for i in (2, 1, 0):
            coarser = F.interpolate(self.csm[i](out[0]), size=mixed[i].shape[-2:], mode="bilinear", align_corners=False)
            out.insert(0, mixed[i] + coarser)
        return out


class ProjectedHeads(nn.Module):
    """One head per scale: a spectral-norm 3x3 stride-2 conv, norm, LeakyReLU, and a spectral-norm
    3x3 conv to one logit per patch. Depth does not depend on the image size, so a run may change
    resolution (coarse steps, a resume at larger crops)."""

    def __init__(self, *, channels: tuple[int, ...] = MIXED_CHANNELS, norm: str = "batch") -> None:
        super().__init__()
        if norm not in HEAD_NORMS:
            raise ValueError(f"projected_d_norm must be one of {', '.join(HEAD_NORMS)}, got {norm!r}")
        sn = nn.utils.spectral_norm
        self.heads = nn.ModuleList(
            nn.Sequential(
                sn(nn.Conv2d(c, c, 3, 2, 1, bias=norm == "none")),
                nn.BatchNorm2d(c) if norm == "batch" else nn.Identity(),
                nn.LeakyReLU(0.2, True),
                sn(nn.Conv2d(c, 1, 3, 1, 1)),
            )
            for c in channels
        )
        self.norm = norm

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        if self.norm == "batch" and self.training and features[0].shape[0] < 2:
            raise ValueError(
                "the projected discriminator's batch-norm heads need batches of 2 or more: "
                "set batch_size >= 2, or projected_d_norm = 'none'"
            )
        return [head(f) for head, f in zip(self.heads, features, strict=True)]
