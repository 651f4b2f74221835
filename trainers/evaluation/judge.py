"""A small CNN that tells two image domains apart, for scoring unpaired translation (CycleGAN).

Train it on real images of domain A and domain B; then the share of translated A->B images it calls
"B" says how convincingly the translation crossed over (a real-vs-real classifier, not the GAN's own
discriminator, so it is not fooled by the generator it trained against).
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
from .netio import load_net, save_net  # noqa: F401  (shared with the segmenter)

log = logging.getLogger(__name__)


class DomainJudge(nn.Module):
    """Image in [-1, 1] (N x 3 x H x W, any size >= 2**num_blocks) -> N x 2 logits (domain A, domain B)."""

    def __init__(
        self,
        *,
        in_channels: int = 3,  # image channels
        base_channels: int = 32,  # channels of the first block; doubled per block
        max_channels: int = 256,  # cap on the doubling
        num_blocks: int = 5,  # stride-2 blocks before the global average pool
    ) -> None:
        super().__init__()
        self.init_kwargs = dict(in_channels=in_channels, base_channels=base_channels,
                                max_channels=max_channels, num_blocks=num_blocks)
        self.in_channels = in_channels
        layers: list[nn.Module] = []
        cin = in_channels
        for i in range(num_blocks):
            cout = min(base_channels * 2**i, max_channels)
            layers += [
                nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            ]
            cin = cout
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(cin, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, channels=self.in_channels, multiple=1)
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


def train_judge(
    domain_a: np.ndarray | torch.Tensor,
    domain_b: np.ndarray | torch.Tensor,
    *,
    steps: int = 1500,  # optimiser steps
    batch_size: int = 16,  # half from each domain
    crop: int = 112,  # random square crop side, px
    lr: float = 1e-3,  # Adam learning rate at the start of the cosine decay
    device: str | torch.device = "cpu",
    seed: int = 0,  # weights init and batch sampling
    log_every: int = 100,  # steps between progress lines
) -> DomainJudge:
    """Train a DomainJudge on uint8 images (N x H x W x 3) of domain A (class 0) and domain B (class 1)."""
    a = as_uint8_images(domain_a, name="domain_a")
    b = as_uint8_images(domain_b, name="domain_b")
    if batch_size < 2 or batch_size % 2:
        raise ValueError(f"batch_size must be even and >= 2 (half per domain), got {batch_size}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = DomainJudge().to(device)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    half = batch_size // 2
    # Balanced batches: the judge learns the domains, not their sizes.
    y = torch.cat([torch.zeros(half), torch.ones(half)]).long().to(device)
    log.info("training judge: %d vs %d images, %d params, %d steps of %d x %dpx",
             len(a), len(b), sum(p.numel() for p in net.parameters()), steps, batch_size, crop)
    net.train()
    start, running_loss, running_acc = time.time(), 0.0, 0.0
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = cosine_lr(step, steps=steps, lr=lr)
        xa, _ = sample_crops(a, None, batch_size=half, crop=crop, generator=generator)
        xb, _ = sample_crops(b, None, batch_size=half, crop=crop, generator=generator)
        logits = net(torch.cat([xa, xb]).to(device))
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        running_acc += (logits.argmax(1) == y).float().mean().item()
        if (step + 1) % log_every == 0 or step + 1 == steps:
            n = (step % log_every) + 1
            log.info("judge step %d/%d  loss %.3f  acc %.3f  (%.0f s)", step + 1, steps,
                     running_loss / n, running_acc / n, time.time() - start)
            running_loss, running_acc = 0.0, 0.0
    return net.eval()


@torch.no_grad()
def judge_probabilities(net: nn.Module, images: torch.Tensor, *, batch_size: int = 32) -> torch.Tensor:
    """Probability of domain B (N floats, on CPU) for images in [-1, 1] (N x 3 x H x W)."""
    was_training = net.training
    net.eval()
    device = next(net.parameters()).device
    out = [net(images[i:i + batch_size].to(device).float()).softmax(1)[:, 1].cpu()
           for i in range(0, len(images), batch_size)]
    net.train(was_training)
    return torch.cat(out) if out else torch.empty(0)


def judge_accuracy(
    net: nn.Module,
    domain_a: np.ndarray | torch.Tensor,
    domain_b: np.ndarray | torch.Tensor,
    *,
    batch_size: int = 32,
) -> dict[str, float]:
    """Held-out accuracy on whole uint8 images: per domain, and their mean (balanced accuracy)."""
    a = to_model_range(as_uint8_images(domain_a, name="domain_a"))
    b = to_model_range(as_uint8_images(domain_b, name="domain_b"))
    acc_a = (judge_probabilities(net, a, batch_size=batch_size) < 0.5).float().mean().item()
    acc_b = (judge_probabilities(net, b, batch_size=batch_size) >= 0.5).float().mean().item()
    return {"accuracy_a": acc_a, "accuracy_b": acc_b, "accuracy": (acc_a + acc_b) / 2}
