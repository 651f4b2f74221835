"""Family trainers by name."""
from __future__ import annotations

from .base import FamilyTrainer
from .pix2pix import Pix2PixTrainer

TRAINERS: dict[str, type[FamilyTrainer]] = {"pix2pix": Pix2PixTrainer}


def trainer_class(family: str) -> type[FamilyTrainer]:
    if family not in TRAINERS:
        raise ValueError(f"unknown family {family!r}; valid: {', '.join(TRAINERS)}")
    return TRAINERS[family]
