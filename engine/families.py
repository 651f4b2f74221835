"""What each model family's networks are called and how one forward pass runs.

pix2pix: G(x). BicycleGAN: G(x, z), E(photo) -> z. SPADE: G(one-hot labels, z), E(photo) -> style
z. CycleGAN: G_AtoB(x) or G_BtoA(x). Adding a family: one entry here plus its trainer.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

FAMILIES = ("pix2pix", "bicyclegan", "spade", "cyclegan")


@dataclass(frozen=True)
class FamilySpec:
    generators: tuple[str, ...]  # roles of the networks that make images
    encoder: str | None  # role of the photo -> z encoder, if any
    latent_arg: str | None  # generator kwarg that receives z ("z"), if any


SPECS = {
    "pix2pix": FamilySpec(generators=("G",), encoder=None, latent_arg=None),
    "bicyclegan": FamilySpec(generators=("G",), encoder="E", latent_arg="z"),
    "spade": FamilySpec(generators=("G",), encoder="E", latent_arg="z"),
    "cyclegan": FamilySpec(generators=("G_AtoB", "G_BtoA"), encoder=None, latent_arg=None),
}


def family_spec(family: str) -> FamilySpec:
    if family not in SPECS:
        raise ValueError(f"unknown family {family!r}; valid: {', '.join(FAMILIES)}")
    return SPECS[family]


def generator_role(family: str, direction: str | None) -> str:
    if family != "cyclegan":
        if direction not in (None, "AtoB"):
            raise ValueError(f"a {family} model has one direction; got direction={direction!r}")
        return "G"
    direction = direction or "AtoB"
    if direction not in ("AtoB", "BtoA"):
        raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")
    return f"G_{direction}"


def run_generator(net: nn.Module, x: torch.Tensor, *, z: torch.Tensor | None, latent_arg: str | None) -> torch.Tensor:
    return net(x, z) if latent_arg else net(x)
