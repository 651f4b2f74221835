"""Normalisation layers chosen by name, as the original networks name them."""
from __future__ import annotations

from torch import nn

NORM_KINDS = ("batch", "instance", "none")


def make_norm(kind: str, channels: int) -> nn.Module:
    """BatchNorm with running stats, parameter-free InstanceNorm, or nothing."""
    if kind == "batch":
        return nn.BatchNorm2d(channels, affine=True, track_running_stats=True)
    if kind == "instance":
        # As in pix2pix/CycleGAN: no affine, no running stats (per-sample statistics always).
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; valid: {', '.join(NORM_KINDS)}")


def conv_bias_needed(norm: str) -> bool:
    """BatchNorm's shift makes a conv bias redundant; the originals drop it only there."""
    return norm != "batch"
