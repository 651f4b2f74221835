"""What every official-checkpoint key mapper shares: the layout registry, `Mapped`, and checks.

Each layout the original authors released has a mapper beside the GANvas network it mirrors
(unet.py, resnet.py, spade.py, encoders.py), registered here with `@official_layout(name, words,
matches)`. A mapper turns an official state dict into a `Mapped` (arch, kwargs, state, dropped
keys), reading every constructor argument it can from the weights' shapes; `build_checked`
builds the GANvas network and loads the state strictly, naming missing, unexpected and
mis-shaped keys. Shared fixes:
- InstanceNorm layers of old PyTorch versions saved running_mean/running_var/num_batches_tracked;
  the authors' loader deletes them and normalises per sample, and so do we (`dropped`).
- Spectral norm stays as weight_orig/weight_u/weight_v: eval uses the stored u and v as they are.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from .base import build_network

_STATS = ("running_mean", "running_var", "num_batches_tracked")


class LayoutError(ValueError):
    """A state dict that fits no known official layout, or not the GANvas network built for it."""


@dataclass
class Mapped:
    arch: str  # GANvas architecture name (engine.nets.ARCHITECTURES)
    kwargs: dict  # its constructor arguments
    state: dict[str, torch.Tensor]  # GANvas state dict
    dropped: list[str] = field(default_factory=list)  # official keys deliberately left out


@dataclass(frozen=True)
class OfficialLayout:
    words: str  # what it is, for messages
    matches: Callable[[set[str]], bool]  # does a state dict with these keys have this layout?
    mapper: Callable[..., Mapped] | None  # official state dict (+ keyword options) -> Mapped; None: not convertible


LAYOUTS: dict[str, OfficialLayout] = {}  # in registration order, which is the order they are tried


def official_layout(name: str, words: str, *, matches: Callable[[set[str]], bool]):  # noqa: ANN201  (a decorator)
    def register(mapper: Callable[..., Mapped]) -> Callable[..., Mapped]:
        LAYOUTS[name] = OfficialLayout(words=words, matches=matches, mapper=mapper)
        return mapper

    return register


def layout_words(name: str) -> str:
    return LAYOUTS[name].words if name in LAYOUTS else _DISCRIMINATOR.words


def _is_discriminator(keys: set[str]) -> bool:
    # a PatchGAN's plain Sequential, or SPADE's / BicycleGAN's multiscale D
    return "model.0.weight" in keys or any(re.match(r"discriminator_\d|model_?\d", k) for k in keys)


_DISCRIMINATOR = OfficialLayout("a discriminator (only needed for training; convert the generator files)", _is_discriminator, None)


def sniff_layout(sd: dict[str, torch.Tensor]) -> str | None:
    keys = set(sd)
    for name, layout in LAYOUTS.items():
        if layout.matches(keys):
            return name
    return "discriminator" if _DISCRIMINATOR.matches(keys) else None


def short_list(keys: list[str], n: int = 6) -> str:
    more = f" … (+{len(keys) - n} more)" if len(keys) > n else ""
    return ", ".join(keys[:n]) + more


def split_instance_norm_stats(sd: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Drop running stats of norm layers without affine weights: in these networks every BatchNorm
    is affine, so stats without a weight belong to an InstanceNorm saved by PyTorch < 0.4.1."""
    affine = {k.rpartition(".")[0] for k in sd if k.endswith(".weight")}
    dropped = [k for k in sd if k.rpartition(".")[2] in _STATS and k.rpartition(".")[0] not in affine]
    gone = set(dropped)
    return {k: t for k, t in sd.items() if k not in gone}, dropped


def resolve_norm(*, batch: bool, bias: bool, requested: str | None, where: str) -> str:
    """Batch norm leaves affine weights; instance norm (affine=False) leaves nothing, and the
    originals then give the convs a bias. Without either, the network is a norm='none' variant."""
    if batch:
        inferred = "batch"
    elif bias:
        inferred = requested if requested in ("instance", "none") else "instance"
    else:
        raise LayoutError(f"{where}: convs have neither a bias nor batch-norm weights (an original norm='none' build, not built by GANvas)")
    if requested is not None and requested != inferred:
        raise LayoutError(f"{where}: norm={requested!r} was asked for but the weights hold a {inferred!r} network")
    return inferred


def build_checked(mapped: Mapped, *, what: str) -> nn.Module:
    """Build the GANvas module and load the mapped state into it (assigned, not copied).

    Built on the CPU rather than the meta device: a fresh init costs less than the first meta
    spectral_norm, which imports torch's reference decompositions."""
    try:
        net = build_network(mapped.arch, **mapped.kwargs)
    except ValueError as exc:
        raise LayoutError(f"{what}: cannot build a GANvas {mapped.arch} with {mapped.kwargs}: {exc}") from exc
    expected = net.state_dict()
    for key in expected:  # BatchNorm saved before PyTorch 0.4.1 has no batch counter
        stats = key.removesuffix("num_batches_tracked") + "running_mean"
        if key.endswith(".num_batches_tracked") and key not in mapped.state and stats in mapped.state:
            mapped.state[key] = torch.tensor(0, dtype=torch.long)
    missing = [k for k in expected if k not in mapped.state]
    unexpected = [k for k in mapped.state if k not in expected]
    shapes = [
        f"{k} {tuple(mapped.state[k].shape)} (needs {tuple(t.shape)})"
        for k, t in expected.items()
        if k in mapped.state and mapped.state[k].shape != t.shape
    ]
    if missing or unexpected or shapes:
        found = (("missing", missing), ("unexpected", unexpected), ("wrong shapes", shapes))
        problems = [f"{label}: {short_list(keys)}" for label, keys in found if keys]
        raise LayoutError(f"{what}: the weights do not fit a GANvas {mapped.arch} {mapped.kwargs} — " + "; ".join(problems))
    state = {k: t.float() if t.is_floating_point() else t for k, t in mapped.state.items()}
    net.load_state_dict(state, strict=True, assign=True)
    return net.eval()
