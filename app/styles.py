"""Style controls of the street painter (SPADE): where a style code comes from, and the sliders.

A model may ship, as extra tensors, the mean of its training styles, their main directions
("style_components", k x z_dim, e.g. principal components), the spread along each
("style_spread", k) and a few named presets ("style_presets", m x z_dim, names in the config's
"style_preset_names"). All are optional: without them the sliders and presets are hidden.
Sliders move the code along direction i by (value x spread_i).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

MAX_SLIDERS = 4  # sliders built into the page; a model with fewer directions hides the rest
SOURCES = ("random", "preset", "photo")


@dataclass(frozen=True)
class StyleSpace:
    z_dim: int
    mean: np.ndarray | None = None
    components: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    spread: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    presets: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    preset_names: tuple[str, ...] = ()

    @property
    def n_directions(self) -> int:
        return int(self.components.shape[0]) if self.components.size else 0

    @property
    def n_presets(self) -> int:
        return int(self.presets.shape[0]) if self.presets.size else 0


def _vector_rows(t: object, z_dim: int) -> np.ndarray:
    a = np.asarray(t.detach().cpu().float().numpy() if hasattr(t, "detach") else t, dtype=np.float32)
    a = a.reshape(-1, z_dim) if a.size and a.size % z_dim == 0 else np.zeros((0, z_dim), np.float32)
    return a


def style_space(*, z_dim: int, extras: dict, config: dict | None = None) -> StyleSpace:
    """The style controls a model supports, from its extra tensors; malformed ones are ignored."""
    if z_dim <= 0:
        raise ValueError("this model takes no style code")
    mean = _vector_rows(extras["style_mean"], z_dim)[0] if "style_mean" in extras and np.size(extras["style_mean"]) == z_dim else None
    components = _vector_rows(extras.get("style_components", np.zeros(0)), z_dim)
    spread = np.asarray(extras["style_spread"], dtype=np.float32).reshape(-1) if "style_spread" in extras else np.ones(len(components), np.float32)
    if len(spread) != len(components):
        spread = np.ones(len(components), np.float32)
    presets = _vector_rows(extras.get("style_presets", np.zeros(0)), z_dim)
    names = list((config or {}).get("style_preset_names") or [])
    names = [str(n) for n in names[: len(presets)]] + [f"preset {i + 1}" for i in range(len(names), len(presets))]
    return StyleSpace(z_dim=z_dim, mean=mean, components=components, spread=spread, presets=presets, preset_names=tuple(names))


def preset_vector(space: StyleSpace, name: str | None) -> np.ndarray:
    if not space.n_presets:
        raise ValueError("this model ships no style presets; use a random style or a reference photo")
    if name not in space.preset_names:
        name = space.preset_names[0] if name in (None, "") else name
        if name not in space.preset_names:
            raise ValueError(f"no style preset named {name!r}; valid: {', '.join(space.preset_names)}")
    return space.presets[space.preset_names.index(name)]


def steer(space: StyleSpace, base: np.ndarray, offsets: Sequence[float]) -> np.ndarray:
    """base + sum_i offsets[i] * spread[i] * direction[i] (extra offsets beyond k are ignored)."""
    z = np.asarray(base, dtype=np.float32).reshape(-1).copy()
    if z.shape[0] != space.z_dim:
        raise ValueError(f"a style code has {space.z_dim} values, got {z.shape[0]}")
    for i, value in enumerate(list(offsets)[: space.n_directions]):
        if value:
            z += float(value) * float(space.spread[i]) * space.components[i]
    return z
