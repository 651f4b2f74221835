"""GANvas networks: `Network` modules built from typed keyword arguments, registered by name.

`build_network(arch, **kwargs)` is the one place a config's architecture name becomes a module.
Adding a network: write it in its own file here as a `Network` subclass decorated with
`@register_network("name")`, with the mappers of any official layout it mirrors beside it
(official.py). Every module of this package is imported below, so that is all: the file's
registrations happen on `import engine`. A model family is registered beside its generator
(engine/families.py says how).
"""
from __future__ import annotations

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):  # each registers what it defines
    importlib.import_module(f"{__name__}.{_module.name}")
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
