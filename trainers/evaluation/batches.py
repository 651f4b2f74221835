"""Training batches for the evaluation networks: uint8 images held in memory, random crops and flips."""
from __future__ import annotations

import numpy as np
import torch


def as_uint8_images(images: np.ndarray | torch.Tensor, *, name: str = "images") -> torch.Tensor:
    """N x H x W x 3 uint8 (numpy or torch) -> a torch uint8 tensor of that shape, checked."""
    t = torch.as_tensor(images)
    if t.dtype != torch.uint8 or t.dim() != 4 or t.shape[-1] != 3:
        raise ValueError(f"{name} must be uint8 N x H x W x 3, got {t.dtype} {tuple(t.shape)}")
    return t


def to_model_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 N x H x W x 3 -> float N x 3 x H x W in [-1, 1], the networks' input range."""
    return images.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def sample_crops(
    images: torch.Tensor,
    labels: torch.Tensor | None,
    *,
    batch_size: int,
    crop: int,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Random images, each randomly cropped to crop x crop and flipped left-right half the time.

    images: uint8 N x H x W x 3; labels (optional): N x H x W, cropped and flipped alike.
    Returns float N x 3 x crop x crop in [-1, 1] and the matching long label crops.
    """
    n, h, w = images.shape[:3]
    if crop > h or crop > w:
        raise ValueError(f"crop {crop} is larger than the images ({h} x {w})")
    idx = torch.randint(n, (batch_size,), generator=generator)
    ys = torch.randint(h - crop + 1, (batch_size,), generator=generator)
    xs = torch.randint(w - crop + 1, (batch_size,), generator=generator)
    flips = torch.rand(batch_size, generator=generator) < 0.5
    image_crops, label_crops = [], []
    for i, y, x, flip in zip(idx.tolist(), ys.tolist(), xs.tolist(), flips.tolist()):
        im = images[i, y:y + crop, x:x + crop]
        lab = labels[i, y:y + crop, x:x + crop] if labels is not None else None
        if flip:
            im = im.flip(1)
            lab = lab.flip(1) if lab is not None else None
        image_crops.append(im)
        label_crops.append(lab)
    batch = to_model_range(torch.stack(image_crops))
    if labels is None:
        return batch, None
    return batch, torch.stack(label_crops).long()


def cosine_lr(step: int, *, steps: int, lr: float) -> float:
    """Learning rate at `step`: cosine decay from lr to 0, so short runs end on small steps."""
    return 0.5 * lr * (1.0 + np.cos(np.pi * step / max(steps, 1)))
