"""GANvas networks: `Network` modules built from typed keyword arguments, registered by name.

`build_network(arch, **kwargs)` is the one place a config's architecture name becomes a module.
Adding a network: write it in its own file as a `Network` subclass decorated with
`@register_network("name")`, with the mappers of any official layout it mirrors beside it
(official.py), and import the file below. A model family is registered beside its generator
(engine/families.py says how).
"""
from __future__ import annotations

from . import encoders, lite_unet, resnet, spade, unet  # noqa: F401  (each registers what it defines)
from .base import ARCHITECTURES, Network, build_network, describe
from .encoders import ConvStyleEncoder, ResnetEncoder
from .lite_unet import LiteUnetGenerator
from .resnet import ResnetGenerator
from .spade import SPADEGenerator
from .unet import UnetGenerator

__all__ = [
    "ARCHITECTURES",
    "ConvStyleEncoder",
    "LiteUnetGenerator",
    "Network",
    "ResnetEncoder",
    "ResnetGenerator",
    "SPADEGenerator",
    "UnetGenerator",
    "build_network",
    "describe",
]
