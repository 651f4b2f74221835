"""An exponential moving average of the exported networks' weights (generators, encoders).

GAN weights jitter from step to step as G and D chase each other; the average over the last
~1/(1 - decay) steps keeps what they agree on and drops the jitter, which shows up as less
high-frequency noise in the outputs (Yazici et al. 2019, "The Unusual Effectiveness of Averaging
in GAN Training"; the generator EMA of ProGAN/StyleGAN). Training itself is unchanged: only
checkpoints and export read the average.
"""
from __future__ import annotations

import copy

import torch
from torch import nn


class WeightAverage:
    """Per role (e.g. "G", "E"), a frozen copy whose parameters trail the trained ones.

    Floating-point parameters are averaged; buffers (batch-norm running statistics, step
    counters) are copied, since their own update is already an average.
    """

    def __init__(self, networks: dict[str, nn.Module], *, decay: float) -> None:
        """networks: the trained modules themselves (not DDP or torch.compile wrappers)."""
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema_decay must be between 0 and 1 (e.g. 0.999), got {decay}")
        self.decay = decay
        self.averages = {role: copy.deepcopy(net).requires_grad_(False) for role, net in networks.items()}
        # Collected once: loading a state dict copies into these same tensors, so the lists stay valid.
        self._params = [
            ([p for p in self.averages[role].parameters() if p.is_floating_point()], [p for p in net.parameters() if p.is_floating_point()])
            for role, net in networks.items()
        ]
        self._buffers = [
            (avg, buf) for role, net in networks.items() for avg, buf in zip(self.averages[role].buffers(), net.buffers(), strict=True)
        ]

    @torch.no_grad()
    def update(self) -> None:
        for averaged, trained in self._params:
            torch._foreach_lerp_(averaged, trained, 1.0 - self.decay)
        for avg_buf, buf in self._buffers:
            avg_buf.copy_(buf)

    def state_dict(self) -> dict[str, dict[str, torch.Tensor]]:
        return {role: net.state_dict() for role, net in self.averages.items()}

    def load_state_dict(self, state: dict[str, dict[str, torch.Tensor]]) -> None:
        for role, net in self.averages.items():
            if role in state:  # a role added since the checkpoint starts from the trained weights
                net.load_state_dict(state[role])
