"""Model families: one descriptor per family, registered beside its generator's network.

pix2pix: G(x). BicycleGAN: G(x, z), E(photo) -> z. SPADE: G(one-hot labels, z), E(photo) -> style
z. CycleGAN: G_AtoB(x) or G_BtoA(x).

Everything the engine, the trainers, the benchmarks and the tests need to know about a family is
in its `Family`: its roles, how official checkpoints map onto its networks, the networks it is
built from at toy and at paper size for a given input contract, and the trainer (a dotted name:
the engine never imports trainers). Adding a family: one nets file that defines the network and
calls `register_family`, one trainer module, one recipe, one manifest entry.
"""
from __future__ import annotations

import torch
from torch import nn

from . import nets  # noqa: F401  (each nets module registers its family on import)
from .registry import SCALES, Family, NetworkSpecs, register_family, registered

__all__ = ["SCALES", "Family", "NetworkSpecs", "register_family", "family_spec", "generator_role", "run_generator"]


def __getattr__(name: str) -> object:
    if name == "FAMILIES":  # computed on use: the nets register their families on import
        return tuple(registered())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def family_spec(family: str) -> Family:
    families = registered()
    if family not in families:
        raise ValueError(f"unknown family {family!r}; valid: {', '.join(families)}")
    return families[family]


def generator_role(family: str, direction: str | None) -> str:
    generators = family_spec(family).generators
    if len(generators) == 1:
        if direction not in (None, "AtoB"):
            raise ValueError(f"a {family} model has one direction; got direction={direction!r}")
        return generators[0]
    direction = direction or "AtoB"
    if f"G_{direction}" not in generators:
        raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")
    return f"G_{direction}"


def run_generator(net: nn.Module, x: torch.Tensor, *, z: torch.Tensor | None, latent_arg: str | None) -> torch.Tensor:
    return net(x, z) if latent_arg else net(x)
