"""Seeds, locks and latent morphs for the variation gallery: pure functions, no gradio.

A gallery of N renderings is described by its seeds, shown as editable text ("12, 907, 33");
locked slots keep their seed when the rest are rerolled. Morphing between two samples
interpolates their z on the sphere Gaussian latents live on (slerp), or linearly.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence

import numpy as np
import torch

MAX_SEED = 2**31 - 1


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED + 1)


def parse_seed(value: object) -> int | None:
    """A typed seed: None, "" or "random" mean a new one (None); otherwise an int in [0, 2**31)."""
    if value is None:
        return None
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"a seed is a whole number, got {value}")
        value = int(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("", "random", "?"):
            return None
        if not re.fullmatch(r"\d+", text):
            raise ValueError(f"a seed is a whole number from 0 to {MAX_SEED}, got {value!r}")
        value = int(text)
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise ValueError(f"a seed is a whole number, got {type(value).__name__}")
    if not 0 <= int(value) <= MAX_SEED:
        raise ValueError(f"a seed must be between 0 and {MAX_SEED}, got {value}")
    return int(value)


def seed_or_new(value: object) -> int:
    seed = parse_seed(value)
    return new_seed() if seed is None else seed


def parse_seeds(text: str | None, n: int) -> list[int]:
    """Seeds typed as text (commas or spaces) -> exactly n seeds: missing ones are drawn anew."""
    if n < 1:
        raise ValueError(f"the gallery needs at least one image, got n={n}")
    parts = [p for p in re.split(r"[,\s;]+", text or "") if p]
    seeds = [s if s is not None else new_seed() for s in (parse_seed(p) for p in parts[:n])]
    return seeds + [new_seed() for _ in range(n - len(seeds))]


def format_seeds(seeds: Iterable[int]) -> str:
    return ", ".join(str(int(s)) for s in seeds)


def parse_locks(values: Iterable[object] | None, n: int) -> set[int]:
    """Locked slots from a CheckboxGroup (0-based indices, as ints or strings); out-of-range dropped."""
    locked = set()
    for v in values or ():
        try:
            i = int(v)
        except (TypeError, ValueError):
            continue
        if 0 <= i < n:
            locked.add(i)
    return locked


def reroll(seeds: Sequence[int], locked: Iterable[int]) -> list[int]:
    """New seeds for every slot that is not locked."""
    keep = set(locked)
    return [int(s) if i in keep else new_seed() for i, s in enumerate(seeds)]


def lock_choices(seeds: Sequence[int]) -> list[tuple[str, int]]:
    """CheckboxGroup choices: (label, slot index)."""
    return [(f"#{i + 1} · seed {s}", i) for i, s in enumerate(seeds)]


def captions(seeds: Sequence[int], locked: Iterable[int]) -> list[str]:
    keep = set(locked)
    return [f"#{i + 1} · seed {s}" + (" · kept" if i in keep else "") for i, s in enumerate(seeds)]


def slot(value: object, n: int) -> int:
    """A 1-based slot number typed by a person -> 0-based index, checked."""
    try:
        i = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"choose a sample number from 1 to {n}") from None
    if not 1 <= i <= n:
        raise ValueError(f"choose a sample number from 1 to {n}, got {i}")
    return i - 1


def interpolate_z(za: torch.Tensor, zb: torch.Tensor, t: float, *, mode: str = "slerp") -> torch.Tensor:
    """z between za (t=0) and zb (t=1). slerp keeps the norm typical of Gaussian samples."""
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must be between 0 and 1, got {t}")
    za, zb = za.float().reshape(-1), zb.float().reshape(-1)
    if za.shape != zb.shape:
        raise ValueError(f"both latents need the same size, got {tuple(za.shape)} and {tuple(zb.shape)}")
    if mode == "linear":
        return torch.lerp(za, zb, t)
    if mode != "slerp":
        raise ValueError(f"mode must be 'slerp' or 'linear', got {mode!r}")
    na, nb = za.norm(), zb.norm()
    if na < 1e-8 or nb < 1e-8:
        return torch.lerp(za, zb, t)
    cos = torch.clamp(torch.dot(za / na, zb / nb), -1.0, 1.0)
    omega = torch.arccos(cos)
    if omega.abs() < 1e-4:  # nearly parallel: linear is exact enough and stable
        return torch.lerp(za, zb, t)
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * za + (torch.sin(t * omega) / so) * zb
