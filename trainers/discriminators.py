"""Discriminators (trainers own them; the engine only ships generators and encoders).

- `PatchDiscriminator`: the PatchGAN of pix2pix/CycleGAN/BicycleGAN; with 3 layers each output
  sees a 70x70 patch. Conditional use concatenates the input with the image.
- `MultiscaleDiscriminator`: SPADE's: PatchGANs on the image at 1, 1/2, 1/4 scale, returning every
  intermediate feature map for the feature-matching loss.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.nets.norms import conv_bias_needed, make_norm


class PatchDiscriminator(nn.Module):
    def __init__(
        self,
        *,
        in_channels: int,  # image channels (+ condition channels for a conditional D)
        ndf: int = 64,
        n_layers: int = 3,
        norm: str = "batch",
        spectral_norm: bool = False,
        return_features: bool = False,
    ) -> None:
        super().__init__()
        wrap = nn.utils.spectral_norm if spectral_norm else (lambda m: m)
        bias = conv_bias_needed(norm)
        blocks: list[nn.Module] = [nn.Sequential(nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True))]
        width = ndf
        for n in range(1, n_layers + 1):
            prev, width = width, ndf * min(2**n, 8)
            stride = 2 if n < n_layers else 1
            blocks.append(
                nn.Sequential(
                    wrap(nn.Conv2d(prev, width, 4, stride, 1, bias=bias)),
                    make_norm(norm, width),
                    nn.LeakyReLU(0.2, True),
                )
            )
        blocks.append(nn.Sequential(nn.Conv2d(width, 1, 4, 1, 1)))
        self.blocks = nn.ModuleList(blocks)
        self.return_features = return_features

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        features = []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        return features if self.return_features else x


class MultiscaleDiscriminator(nn.Module):
    """PatchGANs on an image pyramid: SPADE's (spectral norm, features) and BicycleGAN's D_NLayersMulti."""

    def __init__(
        self,
        *,
        in_channels: int,
        ndf: int = 64,
        n_layers: int = 4,
        num_d: int = 2,
        norm: str = "instance",
        spectral_norm: bool = True,
        return_features: bool = True,
    ) -> None:
        super().__init__()
        self.discriminators = nn.ModuleList(
            PatchDiscriminator(
                in_channels=in_channels, ndf=ndf, n_layers=n_layers, norm=norm, spectral_norm=spectral_norm, return_features=return_features
            )
            for _ in range(num_d)
        )

    def forward(self, x: torch.Tensor) -> list:
        outputs = []
        for i, d in enumerate(self.discriminators):
            if i:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            outputs.append(d(x))
        return outputs
