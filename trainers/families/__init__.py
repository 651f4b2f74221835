"""Family trainers by name.

Adding a family: write its config dataclass (trainers/config.py), subclass `FamilyTrainer`
(base.py; pix2pix.py is the shortest example) in its own module here, and register it below.
"""
from __future__ import annotations

from .base import FamilyTrainer
from .bicyclegan import BicycleGANTrainer
from .cyclegan import CycleGANTrainer
from .pix2pix import Pix2PixTrainer
from .spade import SPADETrainer

TRAINERS: dict[str, type[FamilyTrainer]] = {
    "pix2pix": Pix2PixTrainer,
    "cyclegan": CycleGANTrainer,
    "spade": SPADETrainer,
    "bicyclegan": BicycleGANTrainer,
}


def trainer_class(family: str) -> type[FamilyTrainer]:
    if family not in TRAINERS:
        raise ValueError(f"unknown family {family!r}; valid: {', '.join(TRAINERS)}")
    return TRAINERS[family]
