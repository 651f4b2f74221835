"""Image encoders that output a Gaussian over the latent code (mu, logvar).

- `ResnetEncoder`: BicycleGAN's E (E_ResNet): a strided conv, residual blocks with average-pool
  downsampling, global average pool, two linear heads.
- `ConvStyleEncoder`: SPADE's style encoder (ConvEncoder): stride-2 3x3 convs down to 4x4, two
  linear heads; the input is resized to `input_size` first, as in the original.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_image_batch
from .norms import make_norm


class _ResidualDownBlock(nn.Module):
    def __init__(self, *, in_ch: int, out_ch: int, norm: str) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            make_norm(norm, in_ch),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(in_ch, in_ch, 3, padding=1),
            make_norm(norm, in_ch),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Sequential(nn.Conv2d(in_ch, out_ch, 3, padding=1), nn.AvgPool2d(2)),
        )
        self.shortcut = nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(in_ch, out_ch, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x) + self.shortcut(x)


class ResnetEncoder(nn.Module):
    def __init__(
        self,
        *,
        in_channels: int = 3,
        nz: int = 8,  # latent size
        ndf: int = 64,  # first width; blocks grow to at most 4 * ndf
        n_blocks: int = 4,  # 4 for 256 px (128 -> 8 before the global pool)
        norm: str = "instance",
    ) -> None:
        super().__init__()
        self.in_channels, self.nz = in_channels, nz
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1)]
        for n in range(1, n_blocks + 1):
            layers.append(_ResidualDownBlock(in_ch=ndf * min(4, n), out_ch=ndf * min(4, n + 1), norm=norm))
        # The original pools a fixed 8x8 map; adaptive pooling is the same there and works at any size.
        layers += [nn.LeakyReLU(0.2, inplace=True), nn.AdaptiveAvgPool2d(1)]
        self.conv = nn.Sequential(*layers)
        width = ndf * min(4, n_blocks + 1)
        self.fc = nn.Sequential(nn.Linear(width, nz))
        self.fcVar = nn.Sequential(nn.Linear(width, nz))  # noqa: N815 (original key name)
        self.size_multiple = 2 ** (n_blocks + 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_image_batch(x, channels=self.in_channels, multiple=self.size_multiple)
        h = self.conv(x).flatten(1)
        return self.fc(h), self.fcVar(h)


def _maybe_spectral(conv: nn.Module, spectral: bool) -> nn.Module:
    # The original (weight_orig / weight_u / weight_v) form, so released checkpoints load as they are.
    return nn.utils.spectral_norm(conv) if spectral else conv


class ConvStyleEncoder(nn.Module):
    def __init__(
        self,
        *,
        in_channels: int = 3,
        z_dim: int = 256,  # style code size
        ndf: int = 64,
        input_size: int = 256,  # images are resized to this square before encoding
        spectral_norm: bool = True,
        norm: str = "instance",
    ) -> None:
        super().__init__()
        n_layers = int(math.log2(input_size)) - 2  # down to 4 x 4
        if 2 ** (n_layers + 2) != input_size or n_layers < 3:
            raise ValueError(f"input_size must be a power of two >= 32, got {input_size}")
        self.in_channels, self.z_dim, self.input_size = in_channels, z_dim, input_size
        widths = [ndf * min(2**i, 8) for i in range(n_layers)]
        for i, width in enumerate(widths):
            fan_in = in_channels if i == 0 else widths[i - 1]
            conv = nn.Conv2d(fan_in, width, 3, stride=2, padding=1, bias=norm == "none")
            self.add_module(f"layer{i + 1}", nn.Sequential(_maybe_spectral(conv, spectral_norm), make_norm(norm, width)))
        self.n_layers = n_layers
        self.fc_mu = nn.Linear(widths[-1] * 16, z_dim)
        self.fc_var = nn.Linear(widths[-1] * 16, z_dim)
        self.actvn = nn.LeakyReLU(0.2, inplace=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_image_batch(x, channels=self.in_channels, multiple=1)
        if x.shape[-2:] != (self.input_size, self.input_size):
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear")
        h = getattr(self, "layer1")(x)
        for i in range(2, self.n_layers + 1):
            h = getattr(self, f"layer{i}")(self.actvn(h))
        h = self.actvn(h).flatten(1)
        return self.fc_mu(h), self.fc_var(h)
