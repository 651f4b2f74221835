"""Family trainers by name, derived from the family registry (engine/families.py).

A family's descriptor names its trainer ("trainers.families.pix2pix:Pix2PixTrainer"); the
trainer module holds the family's config dataclass (`config_class`) beside the `FamilyTrainer`
subclass (base.py; pix2pix.py is the shortest example).
"""
from __future__ import annotations

import engine.families

from .base import FamilyTrainer


def trainer_class(family: str) -> type[FamilyTrainer]:
    try:
        spec = engine.families.family_spec(family)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return spec.trainer_class()


def __getattr__(name: str) -> object:
    if name == "TRAINERS":  # family -> trainer class, as registered now
        return {family: trainer_class(family) for family in engine.families.FAMILIES}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
