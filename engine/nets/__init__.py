"""GANvas networks: plain nn.Modules built from typed keyword arguments.

`build_network(arch, **kwargs)` is the one place a config's architecture name becomes a module;
the registry below lists the valid names. Adding a network: write the module in its own file,
give it a `size_multiple` (the input side must be a multiple of it), register it here.
"""
from __future__ import annotations

from torch import nn

from .encoders import ConvStyleEncoder, ResnetEncoder
from .lite_unet import LiteUnetGenerator
from .resnet import ResnetGenerator
from .spade import SPADEGenerator
from .unet import UnetGenerator

ARCHITECTURES: dict[str, type[nn.Module]] = {
    "unet": UnetGenerator,
    "lite_unet": LiteUnetGenerator,
    "resnet": ResnetGenerator,
    "spade": SPADEGenerator,
    "conv_style_encoder": ConvStyleEncoder,
    "resnet_encoder": ResnetEncoder,
}


def build_network(arch: str, **kwargs: object) -> nn.Module:
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; valid: {', '.join(sorted(ARCHITECTURES))}")
    try:
        return ARCHITECTURES[arch](**kwargs)
    except TypeError as exc:  # an unknown or missing keyword: name the architecture
        raise ValueError(f"bad arguments for {arch!r}: {exc}") from exc


__all__ = [
    "ARCHITECTURES",
    "ConvStyleEncoder",
    "LiteUnetGenerator",
    "ResnetEncoder",
    "ResnetGenerator",
    "SPADEGenerator",
    "UnetGenerator",
    "build_network",
]
