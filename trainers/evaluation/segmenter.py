"""A compact encoder-decoder that labels photos, for the pix2pix-style "FCN-score" of label->photo models.

Train it on real photos and their label maps; then segment generated photos and compare the result
with the labels they were generated from (metrics.segmentation_scores). A generator whose photos the
segmenter reads back as the input labels is drawing the right things in the right places.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.nets.checks import check_image_batch

from .batches import as_uint8_images, cosine_lr, sample_crops, to_model_range
from .metrics import confusion_matrix, scores_from_confusion
from .netio import load_net, save_net  # noqa: F401  (the segmenter's save/load, shared with the judge)

log = logging.getLogger(__name__)


def _conv_bn_relu(cin: int, cout: int, kernel: int = 3) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class _Up(nn.Module):
    """Decoder step: squeeze the deeper features to the skip's width, upsample, add the skip, fuse.

    Adding (not concatenating) the skip keeps the full-resolution convolutions narrow: on a CPU the
    decoder would otherwise cost over twice the encoder.
    """

    def __init__(self, deep: int, skip: int) -> None:
        super().__init__()
        self.squeeze = nn.Sequential(*_conv_bn_relu(deep, skip, kernel=1))
        self.fuse = nn.Sequential(*_conv_bn_relu(skip, skip))

    def forward(self, deep: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(self.squeeze(deep), size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.fuse(up + skip)


class SegmenterNet(nn.Module):
    """Photo in [-1, 1] (N x 3 x H x W, H and W multiples of 2**depth) -> N x num_classes x H x W logits.

    A U-Net-shaped encoder-decoder with batch norm: two 3x3 convs per encoder level, max-pool down,
    bilinear up with additive skips.
    """

    def __init__(
        self,
        *,
        num_classes: int,  # output classes (labels to ignore are not counted)
        in_channels: int = 3,  # photo channels
        base_channels: int = 16,  # channels at full resolution; doubled per level
        max_channels: int = 256,  # cap on the doubling, keeps the bottleneck's parameters in check
        depth: int = 4,  # 2x downsamplings; inputs must be multiples of 2**depth
    ) -> None:
        super().__init__()
        self.init_kwargs = dict(num_classes=num_classes, in_channels=in_channels, base_channels=base_channels,
                                max_channels=max_channels, depth=depth)
        self.in_channels = in_channels
        self.multiple = 2**depth
        widths = [min(base_channels * 2**i, max_channels) for i in range(depth + 1)]
        cins = [in_channels] + widths[:-1]
        self.down = nn.ModuleList(nn.Sequential(*_conv_bn_relu(cin, c), *_conv_bn_relu(c, c)) for cin, c in zip(cins, widths))
        self.up = nn.ModuleList(_Up(widths[i + 1], widths[i]) for i in reversed(range(depth)))
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, channels=self.in_channels, multiple=self.multiple)
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        skips.pop()
        for block in self.up:
            x = block(x, skips.pop())
        return self.head(x)


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
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100 if ignore_index is None else ignore_index)
    log.info("training segmenter: %d photos, %d classes, %d params, %d steps of %d x %dpx",
             len(images), num_classes, sum(p.numel() for p in net.parameters()), steps, batch_size, crop)
    net.train()
    start, running_loss, running_acc = time.time(), 0.0, 0.0
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = cosine_lr(step, steps=steps, lr=lr)
        x, y = sample_crops(images, targets, batch_size=batch_size, crop=crop, generator=generator)
        x, y = x.to(device), y.to(device)
        logits = net(x)
        loss = loss_fn(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        keep = y != ignore_index if ignore_index is not None else torch.ones_like(y, dtype=torch.bool)
        running_acc += (logits.argmax(1) == y)[keep].float().mean().item() if keep.any() else 0.0
        if (step + 1) % log_every == 0 or step + 1 == steps:
            n = (step % log_every) + 1
            log.info("segmenter step %d/%d  loss %.3f  pixel acc %.3f  (%.0f s)", step + 1, steps,
                     running_loss / n, running_acc / n, time.time() - start)
            running_loss, running_acc = 0.0, 0.0
    return net.eval()


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

