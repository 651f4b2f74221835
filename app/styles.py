"""Style controls of the street painter (SPADE): where a style code comes from, and the sliders.

A model may ship, as extra tensors, the mean of its training styles, their main directions
("style_components", k x z_dim, e.g. principal components), the spread along each
("style_spread", k) and a few named presets ("style_presets", m x z_dim, names in the config's
"style_preset_names"). All are optional: without them the sliders and presets are hidden.
Slider i moves the code along direction i by (value x spread_i).

`style_space` reads what the model ships; `app.style_words.described_space` adds the words a
painter reads (what each slider changes, what each preset looks like), measured on renders.
`slider_labels` and `preset_labels` give those words to the street tab.
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
    # Words measured on renders (app.style_words); empty when not measured.
    direction_labels: tuple[str, ...] = ()  # per direction: what it changes; "" = too little to show
    preset_aliases: tuple[str, ...] = ()  # per preset: the name the model ships, still accepted

    @property
    def n_directions(self) -> int:
        return int(self.components.shape[0]) if self.components.size else 0

    @property
    def n_presets(self) -> int:
        return int(self.presets.shape[0]) if self.presets.size else 0


def _numpy(t: object) -> np.ndarray:
    return np.asarray(t.detach().cpu().float().numpy() if hasattr(t, "detach") else t, dtype=np.float32)


def _vector_rows(t: object, z_dim: int) -> np.ndarray:
    a = _numpy(t)
    return a.reshape(-1, z_dim) if a.size and a.size % z_dim == 0 else np.zeros((0, z_dim), np.float32)


def style_space(*, z_dim: int, extras: dict, config: dict | None = None) -> StyleSpace:
    """The style controls a model supports, from its extra tensors; malformed ones are ignored."""
    if z_dim <= 0:
        raise ValueError("this model takes no style code")
    mean = _numpy(extras["style_mean"]).reshape(-1) if "style_mean" in extras else None
    mean = mean if mean is not None and mean.size == z_dim else None
    components = _vector_rows(extras.get("style_components", np.zeros(0)), z_dim)
    spread = _numpy(extras["style_spread"]).reshape(-1) if "style_spread" in extras else np.ones(len(components), np.float32)
    if len(spread) != len(components):
        spread = np.ones(len(components), np.float32)
    presets = _vector_rows(extras.get("style_presets", np.zeros(0)), z_dim)
    names = list((config or {}).get("style_preset_names") or [])
    names = [str(n) for n in names[: len(presets)]] + [f"preset {i + 1}" for i in range(len(names), len(presets))]
    return StyleSpace(z_dim=z_dim, mean=mean, components=components, spread=spread, presets=presets, preset_names=tuple(names))


def slider_labels(space: StyleSpace) -> list[str]:
    """MAX_SLIDERS labels, slider i for direction i: what it changes ("darker ↔ brighter");
    "" for a slider to hide (no such direction, or one whose effect is too small to see)."""
    if space.direction_labels:
        labels = list(space.direction_labels)
    else:  # not measured: number them
        labels = [f"style direction {i + 1}" for i in range(space.n_directions)]
    return (labels + [""] * MAX_SLIDERS)[:MAX_SLIDERS]


def preset_labels(space: StyleSpace) -> list[str]:
    """The presets' names for the dropdown, in preset order (what they look like, once measured)."""
    return list(space.preset_names)


def preset_vector(space: StyleSpace, name: str | None) -> np.ndarray:
    """A preset's code, by its name or by the name the model ships (an alias)."""
    if not space.n_presets:
        raise ValueError("this model ships no style presets; use a random style or a reference photo")
    if name in (None, ""):
        return space.presets[0]
    for names in (space.preset_names, space.preset_aliases):
        if name in names:
            return space.presets[names.index(name)]
    raise ValueError(f"no style preset named {name!r}; valid: {', '.join(space.preset_names)}")


def steer(space: StyleSpace, base: np.ndarray, offsets: Sequence[float]) -> np.ndarray:
    """base + sum_i offsets[i] * spread[i] * direction[i] (extra offsets beyond k are ignored)."""
    z = np.asarray(base, dtype=np.float32).reshape(-1).copy()
    if z.shape[0] != space.z_dim:
        raise ValueError(f"a style code has {space.z_dim} values, got {z.shape[0]}")
    for i, value in enumerate(list(offsets)[: space.n_directions]):
        if value:
            z += float(value) * float(space.spread[i]) * space.components[i]
    return z
