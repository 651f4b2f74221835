"""Image encoders that output a Gaussian over the latent code (mu, logvar).

- `ResnetEncoder`: BicycleGAN's E (E_ResNet): a strided conv, residual blocks with average-pool
  downsampling, global average pool, two linear heads.
- `ConvStyleEncoder`: SPADE's style encoder (ConvEncoder): stride-2 3x3 convs down to 4x4, two
  linear heads; the input is resized to `input_size` first, as in the original. GANvas may add a
  colour path (`colour_grid`): instance norm after every conv hides a photo's exposure from the
  conv path (a uniform gain cancels exactly), so the photo's mean colours on a coarse grid and its
  per-channel spread reach the code's mean through a linear map that starts at zero.
"""
from __future__ import annotations

import math
import re

import torch
import torch.nn.functional as F
from torch import nn

from .base import Network, register_network
from .checks import check_image_batch
from .norms import make_norm
from .official import LayoutError, Mapped, official_layout, split_instance_norm_stats


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


@register_network("resnet_encoder")
class ResnetEncoder(Network):
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


COLOUR_PATH_GAIN = 10.0  # ConvStyleEncoder's colour path: its weights' scale, so it learns ~10x faster


def _maybe_spectral(conv: nn.Module, spectral: bool) -> nn.Module:
    # The original (weight_orig / weight_u / weight_v) form, so released checkpoints load as they are.
    return nn.utils.spectral_norm(conv) if spectral else conv


@register_network("conv_style_encoder")
class ConvStyleEncoder(Network):
    def __init__(
        self,
        *,
        in_channels: int = 3,
        z_dim: int = 256,  # style code size
        ndf: int = 64,
        input_size: int = 256,  # images are resized to this square before encoding
        spectral_norm: bool = True,
        norm: str = "instance",
        colour_grid: int = 0,  # GANvas: >0 adds the colour path, mean colours on this grid x grid (0: the original)
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
        self.colour_grid = colour_grid
        if colour_grid:
            # A plain parameter, not nn.Linear: weight initialisers leave it at zero, so an encoder
            # grown by this path first gives exactly the codes it gave before. It is used times
            # COLOUR_PATH_GAIN: Adam moves every weight by about the learning rate a step, which
            # left an unscaled path near zero after 400 steps (its weights at most 0.0035).
            self.colour_to_code = nn.Parameter(torch.zeros(z_dim, in_channels * (colour_grid**2 + 1)))

    @property
    def grown_prefixes(self) -> tuple[str, ...]:
        """Parameters an encoder without the colour path lacks (they start at zero: trainers.warm_start)."""
        return ("colour_to_code",) if self.colour_grid else ()

    def colour_statistics(self, x: torch.Tensor) -> torch.Tensor:
        """N x C x H x W in [-1, 1] -> N x C(grid^2 + 1): mean colours on the grid, then each channel's spread."""
        means = F.adaptive_avg_pool2d(x, self.colour_grid).flatten(1)
        spread = x.flatten(2).std(2)
        return torch.cat([means, spread], 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_image_batch(x, channels=self.in_channels, multiple=1)
        if x.shape[-2:] != (self.input_size, self.input_size):
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear")
        h = getattr(self, "layer1")(x)
        for i in range(2, self.n_layers + 1):
            h = getattr(self, f"layer{i}")(self.actvn(h))
        h = self.actvn(h).flatten(1)
        mu = self.fc_mu(h)
        if self.colour_grid:
            mu = mu + COLOUR_PATH_GAIN * (self.colour_statistics(x) @ self.colour_to_code.t())
        return mu, self.fc_var(h)

# ----- the official layouts this network mirrors (engine/nets/official.py) -----

@official_layout("spade_encoder", "a SPADE style encoder (ConvEncoder)", matches=lambda keys: "fc_mu.weight" in keys and "fc_var.weight" in keys)
def map_spade_encoder(sd: dict[str, torch.Tensor]) -> Mapped:
    """NVlabs ConvEncoder: layer{i} = (conv, norm) down to 4x4, fc_mu / fc_var."""
    layers = sorted(int(m.group(1)) for k in sd if (m := re.fullmatch(r"layer(\d+)\.0\.weight(?:_orig)?", k)))
    if not layers or layers != list(range(1, len(layers) + 1)):
        raise LayoutError(f"SPADE encoder: conv layers {layers}, expected layer1..layerN")
    first = sd.get("layer1.0.weight_orig", sd.get("layer1.0.weight"))
    if "layer1.1.weight" in sd or "layer1.1.running_mean" in sd:
        norm = "batch"
    else:  # the original removes the conv bias whenever a norm follows
        norm = "none" if "layer1.0.bias" in sd else "instance"
    kwargs = dict(
        in_channels=first.shape[1],
        z_dim=sd["fc_mu.weight"].shape[0],
        ndf=first.shape[0],
        input_size=2 ** (len(layers) + 2),
        spectral_norm="layer1.0.weight_orig" in sd,
        norm=norm,
    )
    return Mapped("conv_style_encoder", kwargs, dict(sd))


@official_layout("resnet_encoder", "a BicycleGAN encoder (E_ResNet)", matches=lambda keys: "fc.0.weight" in keys and "conv.0.weight" in keys)
def map_resnet_encoder(sd: dict[str, torch.Tensor], *, norm: str | None = None) -> Mapped:
    """BicycleGAN E_ResNet (vaeLike): keys match GANvas's ResnetEncoder; resnet_256 has 4 blocks."""
    kept, dropped = split_instance_norm_stats(sd)
    if "fcVar.0.weight" not in kept:
        raise LayoutError("BicycleGAN encoder: no fcVar head (vaeLike=False); GANvas's encoder gives mu and logvar")
    blocks = sorted(int(m.group(1)) for k in kept if (m := re.fullmatch(r"conv\.(\d+)\.shortcut\.1\.weight", k)))
    if norm not in (None, "batch", "instance"):
        raise LayoutError(f"BicycleGAN encoder: norm={norm!r} is not built by GANvas (batch or instance)")
    batch = "conv.1.conv.0.weight" in kept
    if norm is not None and (norm == "batch") != batch:
        raise LayoutError(f"BicycleGAN encoder: norm={norm!r} was asked for but the weights hold {'batch' if batch else 'instance'} norm")
    first = kept["conv.0.weight"]
    kwargs = dict(
        in_channels=first.shape[1],
        nz=kept["fc.0.weight"].shape[0],
        ndf=first.shape[0],
        n_blocks=len(blocks),
        norm="batch" if batch else "instance",
    )
    return Mapped("resnet_encoder", kwargs, kept, dropped)
