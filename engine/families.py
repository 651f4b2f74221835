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

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from .contract import InputContract

NetworkSpecs = dict[str, tuple[str, dict]]  # role -> (architecture, constructor arguments)
SCALES = ("tiny", "paper")  # tiny: toy widths for tests and stand-ins; paper: the published sizes, for benchmarks


@dataclass(frozen=True)
class Family:
    name: str
    generators: tuple[str, ...]  # roles of the networks that make images
    trainer: str  # "module:Class" of its FamilyTrainer (imported by trainers only)
    networks: Callable[[InputContract, str], NetworkSpecs]  # (contract, scale) -> what to build
    example_contract: Callable[[int], InputContract]  # the family's usual input at a side, for benchmarks and tests
    task_words: str = "{input} → photo"  # default task, {input} being the input kind in words
    encoder: str | None = None  # role of the photo -> z encoder, if any
    latent_arg: str | None = None  # generator kwarg that receives z ("z"), if any
    # Official checkpoints (engine/convert.py): per role (G for every generator, E), the layouts the
    # authors released and how each maps, given the state dict and the options (engine.convert.OPTIONS).
    official: dict[str, dict[str, Callable[[dict, dict], object]]] = field(default_factory=dict)
    source_roles: tuple[str, ...] = ("G", "E")  # official files' roles, in command-line order
    role_aliases: dict[str, str] = field(default_factory=dict)  # official role names -> GANvas roles
    required_roles: tuple[str, ...] = ("G",)  # a conversion needs these
    official_contract: Callable[..., InputContract] | None = None  # contract of converted nets, where not the generic one
    check_official_pair: Callable[[dict], None] | None = None  # mapped G and E agree? raises LayoutError
    official_test_skips_eval: bool = False  # the authors' test script leaves the nets in training mode

    @property
    def roles(self) -> tuple[str, ...]:
        return self.generators + ((self.encoder,) if self.encoder else ())

    def default_task(self, contract: InputContract) -> str:
        what = {"sketch": "sketch", "photo": "photo", "labels": "label map"}[contract.kind]
        return self.task_words.format(input=what)

    def trainer_class(self) -> type:
        module, _, name = self.trainer.partition(":")
        return getattr(importlib.import_module(module), name)


_REGISTRY: dict[str, Family] = {}


def register_family(family: Family) -> Family:
    if family.name in _REGISTRY:
        raise ValueError(f"family {family.name!r} is registered twice")
    _REGISTRY[family.name] = family
    return family


def _registered() -> dict[str, Family]:
    from . import nets  # noqa: F401  (families register beside their networks)

    return _REGISTRY


def __getattr__(name: str) -> object:
    if name == "FAMILIES":  # computed on use: the nets register their families on import
        return tuple(_registered())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def family_spec(family: str) -> Family:
    families = _registered()
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
