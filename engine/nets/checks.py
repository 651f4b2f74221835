"""Shape checks at the public forward()s: a wrong input fails with a message, not deep in a conv."""
from __future__ import annotations

import torch


def check_image_batch(x: torch.Tensor, *, channels: int, multiple: int, name: str = "input") -> None:
    if x.dim() != 4:
        raise ValueError(f"{name} must be N x C x H x W, got shape {tuple(x.shape)}")
    if x.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channels, got {x.shape[1]}")
    h, w = x.shape[-2:]
    if h % multiple or w % multiple:
        raise ValueError(f"{name} height and width must be multiples of {multiple}, got {h}x{w}")


def check_latent(z: torch.Tensor, *, batch: int, nz: int, name: str = "z") -> None:
    if z.dim() != 2 or z.shape[0] != batch or z.shape[1] != nz:
        raise ValueError(f"{name} must be {batch} x {nz}, got shape {tuple(z.shape)}")
