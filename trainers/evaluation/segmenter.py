"""A compact encoder-decoder that labels photos, for the pix2pix-style "FCN-score" of label->photo models.

Train it on real photos and their label maps; then segment generated photos and compare the result
with the labels they were generated from (metrics.segmentation_scores). A generator whose photos the
segmenter reads back as the input labels is drawing the right things in the right places.
"""
from __future__ import annotations

import logging

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .batches import as_uint8_images, sample_crops, to_model_range
from .fitting import fit_classifier
from .metrics import confusion_matrix, scores_from_confusion
from .nets import SegmenterNet

log = logging.getLogger(__name__)


def train_segmenter(
    photos: np.ndarray | torch.Tensor,
    labels: np.ndarray | torch.Tensor,
    *,
    num_classes: int,  # classes 0..num_classes-1; other ids must be ignore_index
    steps: int = 2000,  # optimiser steps
    batch_size: int = 8,
    crop: int = 128,  # random square crop side, px; a multiple of 16
    lr: float = 2e-3,  # Adam learning rate at the start of the cosine decay
    device: str | torch.device = "cpu",
    seed: int = 0,  # weights init and batch sampling
    ignore_index: int | None = None,  # label id that carries no loss (e.g. CamVid's "Unlabelled")
    log_every: int = 100,  # steps between progress lines
    base_channels: int = 16,  # network width, see SegmenterNet
) -> SegmenterNet:
    """Train a SegmenterNet on uint8 photos (N x H x W x 3) and class-id maps (N x H x W)."""
    images = as_uint8_images(photos, name="photos")
    targets = torch.as_tensor(np.asarray(labels) if not isinstance(labels, torch.Tensor) else labels).long()
    if targets.shape != images.shape[:3]:
        raise ValueError(f"labels must be N x H x W matching the photos {tuple(images.shape[:3])}, "
                         f"got {tuple(targets.shape)}")
    if crop % 16:
        raise ValueError(f"crop must be a multiple of 16, got {crop}")
    valid = targets != ignore_index if ignore_index is not None else torch.ones_like(targets, dtype=torch.bool)
    if valid.any() and (targets[valid].min() < 0 or targets[valid].max() >= num_classes):
        raise ValueError(f"label ids outside 0..{num_classes - 1} (and not ignore_index={ignore_index})")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = SegmenterNet(num_classes=num_classes, base_channels=base_channels).to(device)
    generator = torch.Generator().manual_seed(seed)

    def draw_batch() -> tuple[torch.Tensor, torch.Tensor]:
        return sample_crops(images, targets, batch_size=batch_size, crop=crop, generator=generator)

    log.info("training segmenter: %d photos, %d classes, %d params, %d steps of %d x %dpx",
             len(images), num_classes, sum(p.numel() for p in net.parameters()), steps, batch_size, crop)
    return fit_classifier(net, draw_batch=draw_batch, steps=steps, lr=lr, device=device, ignore_index=ignore_index,
                          name="segmenter", accuracy_name="pixel acc", log_every=log_every)


@torch.no_grad()
def predict_labels(net: nn.Module, images: torch.Tensor, *, batch_size: int = 8) -> torch.Tensor:
    """Class ids (N x H x W long, on CPU) for images in [-1, 1] (N x 3 x H x W) of any size.

    Sides are reflect-padded up to the network's multiple and the prediction cropped back.
    """
    if images.dim() != 4:
        raise ValueError(f"images must be N x C x H x W, got shape {tuple(images.shape)}")
    multiple = getattr(net, "multiple", 16)
    h, w = images.shape[-2:]
    pad_h, pad_w = -h % multiple, -w % multiple
    was_training = net.training
    net.eval()
    device = next(net.parameters()).device
    out = []
    for i in range(0, len(images), batch_size):
        x = images[i:i + batch_size].to(device).float()
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect" if min(h, w) > max(pad_h, pad_w) else "replicate")
        out.append(net(x)[..., :h, :w].argmax(1).cpu())
    net.train(was_training)
    return torch.cat(out)


def evaluate_segmenter(
    net: nn.Module,
    photos: np.ndarray | torch.Tensor,
    labels: np.ndarray | torch.Tensor,
    *,
    num_classes: int,
    ignore_index: int | None = None,
    batch_size: int = 8,
) -> dict[str, float]:
    """Pixel accuracy, class accuracy and mean IoU of the net on whole uint8 photos and their labels."""
    images = as_uint8_images(photos, name="photos")
    targets = torch.as_tensor(np.asarray(labels) if not isinstance(labels, torch.Tensor) else labels).long()
    cm = torch.zeros(num_classes, num_classes, dtype=torch.long)
    for i in range(0, len(images), batch_size):
        x = to_model_range(images[i:i + batch_size])
        pred = predict_labels(net, x, batch_size=batch_size)
        cm += confusion_matrix(pred, targets[i:i + batch_size], num_classes=num_classes, ignore_index=ignore_index)
    return scores_from_confusion(cm)

