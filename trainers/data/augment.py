"""Geometric augmentation of whole batches on the training device.

Paired data (sketch and photo, photo and label map) must see exactly the same crop and flip, so
one call takes every tensor of a pair and applies each sample's draw to all of them. All random
numbers come from a CPU torch.Generator handed in by the trainer: a run resumed from its
generator state, or repeated with the same seed, sees the same augmentations on CPU or CUDA.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["random_resized_crop_flip", "to_model_range", "from_model_range", "stack_nchw"]


def stack_nchw(images: list[np.ndarray]) -> torch.Tensor:
    """Same-size HxWxC (or HxW) uint8 arrays -> one N x C x H x W uint8 tensor."""
    if not images:
        raise ValueError("stack_nchw needs at least one image")
    arrays = [a[:, :, None] if a.ndim == 2 else a for a in images]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"images differ in shape: {sorted(shapes)[:4]}")
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def to_model_range(x: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float32 [-1, 1]."""
    if x.dtype != torch.uint8:
        raise ValueError(f"to_model_range expects uint8, got {x.dtype}")
    return x.float() / 127.5 - 1.0


def from_model_range(x: torch.Tensor) -> torch.Tensor:
    """float [-1, 1] -> uint8 [0, 255] (clamped, rounded)."""
    return ((x.float().clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8)


def _load_shape(h: int, w: int, load_size: int) -> tuple[int, int]:
    if h == w:
        return load_size, load_size
    if h < w:
        return load_size, max(load_size, round(w * load_size / h))
    return max(load_size, round(h * load_size / w)), load_size


def _resize(x: torch.Tensor, size: tuple[int, int], *, nearest: bool) -> torch.Tensor:
    h, w = x.shape[-2:]
    if (h, w) == size:
        return x
    if nearest:
        # Index gather rather than F.interpolate: exact for any dtype (class ids stay ids) on any device.
        # Source pixel under each target pixel centre (as "nearest-exact"): no half-pixel shift.
        rows = ((2 * torch.arange(size[0], device=x.device) + 1) * h // (2 * size[0])).clamp_(max=h - 1)
        cols = ((2 * torch.arange(size[1], device=x.device) + 1) * w // (2 * size[1])).clamp_(max=w - 1)
        return x[:, :, rows][:, :, :, cols]
    y = F.interpolate(x.float(), size=size, mode="bilinear", align_corners=False, antialias=True)
    if x.dtype == torch.uint8:
        return y.round_().clamp_(0, 255).to(torch.uint8)
    return y.to(x.dtype)


def random_resized_crop_flip(
    tensors: list[torch.Tensor],
    *,
    load_size: int,  # short side after resizing (square inputs become load_size x load_size), px
    crop_size: int,  # height of the random crop (and its width unless crop_width is given), px
    flip: bool,  # random horizontal flips, probability 1/2 per sample
    nearest: list[bool],  # per tensor: nearest-neighbour resize (label maps) instead of antialiased bilinear
    generator: torch.Generator,  # CPU generator: the only source of randomness
    crop_width: int | None = None,  # width of a rectangular crop (e.g. 4:3 for SPADE on CamVid), px; None: square
) -> list[torch.Tensor]:
    """Resize, then one random crop and flip per sample, shared by every tensor of the list.

    Tensors are N x C x H x W (uint8 or float, any device, channel counts may differ) with the
    same N, H and W; each comes back as N x C x crop_size x crop_width in its own dtype.
    """
    if not tensors:
        raise ValueError("random_resized_crop_flip needs at least one tensor")
    if len(nearest) != len(tensors):
        raise ValueError(f"nearest has {len(nearest)} flags for {len(tensors)} tensors")
    for t in tensors:
        if t.ndim != 4:
            raise ValueError(f"expected N x C x H x W tensors, got shape {tuple(t.shape)}")
    n, _, h, w = tensors[0].shape
    if any(t.shape[0] != n or t.shape[-2:] != (h, w) for t in tensors):
        raise ValueError(f"tensors differ in batch or spatial size: {[tuple(t.shape) for t in tensors]}")
    load_h, load_w = _load_shape(h, w, load_size)
    crop_w = crop_size if crop_width is None else crop_width
    if crop_size > load_h or crop_w > load_w:
        raise ValueError(f"crop {crop_size}x{crop_w} exceeds the resized size {load_h}x{load_w}")

    top = torch.randint(0, load_h - crop_size + 1, (n,), generator=generator)
    left = torch.randint(0, load_w - crop_w + 1, (n,), generator=generator)
    flipped = torch.rand(n, generator=generator) < 0.5 if flip else torch.zeros(n, dtype=torch.bool)
    rows = top[:, None] + torch.arange(crop_size)  # N x crop height
    cols = left[:, None] + torch.arange(crop_w)  # N x crop width
    cols = torch.where(flipped[:, None], cols.flip(1), cols)

    out = []
    for t, use_nearest in zip(tensors, nearest):
        resized = _resize(t, (load_h, load_w), nearest=use_nearest)
        dev = resized.device
        batch = torch.arange(n, device=dev)[:, None, None]
        # Advanced indexing over (N, rows, cols) moves channels last; put them back.
        picked = resized.permute(0, 2, 3, 1)[batch, rows.to(dev)[:, :, None], cols.to(dev)[:, None, :]]
        out.append(picked.permute(0, 3, 1, 2).contiguous())
    return out


def halve_resolution(x: torch.Tensor, *, mode: str) -> torch.Tensor:
    """An N x C x H x W batch at half its height and width, in its own dtype.

    mode "area": 2x2 means (photos); "ink": 2x2 minimum, so pen lines stay solid ink rather than
    fading to grey (sketches, ink 0 on paper 255); "nearest": one pixel of each 2x2 (class ids).
    """
    if mode not in ("area", "ink", "nearest"):
        raise ValueError(f"mode must be area, ink or nearest, got {mode!r}")
    h, w = x.shape[-2:]
    if h % 2 or w % 2:
        raise ValueError(f"halving needs an even height and width, got {h}x{w}")
    if mode == "nearest":
        return x[:, :, ::2, ::2].contiguous()
    y = -F.max_pool2d(-x.float(), 2) if mode == "ink" else F.avg_pool2d(x.float(), 2)
    return y.round_().to(torch.uint8) if x.dtype == torch.uint8 else y.to(x.dtype)

