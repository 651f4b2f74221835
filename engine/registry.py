"""The family registry: the `Family` descriptor and `register_family`. It imports no network
module (as timm's registry): each nets file imports this and registers its family when it is
imported; engine.families imports the nets and answers questions about the registered families.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

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


def unregister_family(name: str) -> None:
    """Forget a family (a test's toy one, once it is done)."""
    _REGISTRY.pop(name, None)


def registered() -> dict[str, Family]:
    """The families registered so far (engine.families imports the nets first)."""
    return _REGISTRY
