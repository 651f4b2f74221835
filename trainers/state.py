"""A training run's state in one place: what a checkpoint holds, how a family trainer is rebuilt
and restored from it (by the loop to resume, by export to ship), and where training runs.

A checkpoint is {"step", "family", "config", "networks", "optimizers", "schedulers", "rng",
"extra", "ema", "wall_time_s", "device"} (trainers/checkpoint.py writes and reads it).
"""
from __future__ import annotations

import dataclasses

import torch

from engine.device import resolve_device

from .checkpoint import restore_rng, rng_state
from .config import TrainConfig, config_class
from .families import trainer_class
from .families.base import FamilyTrainer


def training_device(setting: str, *, local_rank: int = 0) -> torch.device:
    """The config's device ("auto": the engine's choice, CUDA then MPS then CPU), on this rank's GPU."""
    device = resolve_device(None if setting == "auto" else setting)
    return torch.device("cuda", local_rank) if device.type == "cuda" and device.index is None else device


def config_of(state: dict) -> TrainConfig:
    return config_class(state["family"])(**state["config"])


def build_family(cfg: TrainConfig, *, device: torch.device) -> FamilyTrainer:
    return trainer_class(cfg.family)(cfg, device=device)


def capture(
    *,
    step: int,
    cfg: TrainConfig,
    family: FamilyTrainer,
    schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler],
    average: object | None,  # trainers.averaging.WeightAverage
    wall_time_s: float,
    device: str,  # in words, for the model card
) -> dict:
    """Everything a resume needs to continue exactly, as plain tensors and containers."""
    return {
        "step": step,
        "family": cfg.family,
        "config": dataclasses.asdict(cfg),
        "networks": {n: net.state_dict() for n, net in family.networks.items()},
        "optimizers": {n: o.state_dict() for n, o in family.optimizers.items()},
        "schedulers": {n: s.state_dict() for n, s in schedulers.items()},
        "rng": rng_state(),
        "extra": family.extra_state(),
        "ema": average.state_dict() if average is not None else {},
        "wall_time_s": wall_time_s,
        "device": device,
    }


def restore_networks(family: FamilyTrainer, state: dict, *, averaged: bool = False) -> None:
    """The networks and family extras of a checkpoint; with `averaged`, the exported networks take
    the moving average of their weights where the run kept one."""
    for name, net in family.networks.items():
        net.load_state_dict(state["networks"][name])
    family.load_extra_state(state.get("extra", {}))
    if averaged:
        for role, weights in state.get("ema", {}).items():
            family.networks[role].load_state_dict(weights)


def restore_training(family: FamilyTrainer, state: dict, *, schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler]) -> None:
    """All of it, to go on training: networks, optimizers, schedulers and the random generators."""
    restore_networks(family, state)
    for name, opt in family.optimizers.items():
        opt.load_state_dict(state["optimizers"][name])
    for name, sched in schedulers.items():
        sched.load_state_dict(state["schedulers"][name])
    restore_rng(state["rng"])
