"""The one small classifier-fitting loop the judge and the segmenter share: Adam with a cosine
learning rate, a batch sampler, cross-entropy, and a progress line every `log_every` steps."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .batches import cosine_lr

log = logging.getLogger(__name__)


def fit_classifier(
    net: nn.Module,
    *,
    draw_batch: Callable[[], tuple[torch.Tensor, torch.Tensor]],  # -> (inputs in [-1, 1], class ids), on the CPU
    steps: int,
    lr: float,  # Adam learning rate at the start of the cosine decay
    device: str | torch.device,
    ignore_index: int | None = None,  # target id that carries no loss and no accuracy
    name: str = "classifier",  # for the progress lines
    accuracy_name: str = "acc",
    log_every: int = 100,
) -> nn.Module:
    """Train `net` on cross-entropy; returns it in eval mode."""
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    ignore = -100 if ignore_index is None else ignore_index
    net.train()
    start, running_loss, running_acc = time.time(), 0.0, 0.0
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = cosine_lr(step, steps=steps, lr=lr)
        x, y = draw_batch()
        x, y = x.to(device), y.to(device)
        logits = net(x)
        loss = F.cross_entropy(logits, y, ignore_index=ignore)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        keep = y != ignore
        running_acc += (logits.argmax(1) == y)[keep].float().mean().item() if keep.any() else 0.0
        if (step + 1) % log_every == 0 or step + 1 == steps:
            n = (step % log_every) + 1
            log.info("%s step %d/%d  loss %.3f  %s %.3f  (%.0f s)", name, step + 1, steps,
                     running_loss / n, accuracy_name, running_acc / n, time.time() - start)
            running_loss, running_acc = 0.0, 0.0
    return net.eval()
