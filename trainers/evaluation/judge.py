"""A small CNN that tells two image domains apart, for scoring unpaired translation (CycleGAN).

Train it on real images of domain A and domain B; then the share of translated A->B images it calls
"B" says how convincingly the translation crossed over (a real-vs-real classifier, not the GAN's own
discriminator, so it is not fooled by the generator it trained against).
"""
from __future__ import annotations

import logging

import numpy as np
import torch
from torch import nn

from .batches import as_uint8_images, sample_crops, to_model_range
from .fitting import fit_classifier
from .nets import DomainJudge

log = logging.getLogger(__name__)


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
    half = batch_size // 2
    # Balanced batches: the judge learns the domains, not their sizes.
    y = torch.cat([torch.zeros(half), torch.ones(half)]).long()

    def draw_batch() -> tuple[torch.Tensor, torch.Tensor]:
        xa, _ = sample_crops(a, None, batch_size=half, crop=crop, generator=generator)
        xb, _ = sample_crops(b, None, batch_size=half, crop=crop, generator=generator)
        return torch.cat([xa, xb]), y

    log.info("training judge: %d vs %d images, %d params, %d steps of %d x %dpx",
             len(a), len(b), sum(p.numel() for p in net.parameters()), steps, batch_size, crop)
    return fit_classifier(net, draw_batch=draw_batch, steps=steps, lr=lr, device=device, name="judge", log_every=log_every)


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
