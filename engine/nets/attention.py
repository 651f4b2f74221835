"""Self-attention over a feature map (SAGAN, Zhang et al. 2019), for a decoder that must relate
distant parts of one picture: a convolution sees a few pixels around it, so it learns fur texture
but not that two eyes match or that the coat is one colour across the cat.

Every position attends to every other: queries and keys are 1x1 projections to C/8 channels, values
to C/2 and back to C by a 1x1 conv, and the result is added to the input times a learnt gate. The
gate starts at zero, so a block inserted into a trained generator first changes nothing (a warm
start renders exactly as before). It is scaled by GATE_GAIN: Adam moves a weight by at most about
the learning rate per step, so an unscaled gate could open by only ~0.1 in a 500-step leg (scaled,
the cats' 400-step ablation leg still opened them only to 0.003 and 0.03).
"""
from __future__ import annotations

import torch
from torch import nn

GATE_GAIN = 10.0


class SelfAttention(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        inner = max(1, channels // 8)
        self.query = nn.Conv2d(channels, inner, 1, bias=False)
        self.key = nn.Conv2d(channels, inner, 1, bias=False)
        self.value = nn.Conv2d(channels, channels // 2, 1, bias=False)
        self.out = nn.Conv2d(channels // 2, channels, 1, bias=False)
        self.gate = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        q = self.query(x).flatten(2).transpose(1, 2)  # N x HW x C/8
        k = self.key(x).flatten(2)  # N x C/8 x HW
        v = self.value(x).flatten(2)  # N x C/2 x HW
        attention = torch.softmax(torch.bmm(q, k), dim=-1)  # N x HW (queries) x HW (keys)
        attended = torch.bmm(v, attention.transpose(1, 2)).reshape(n, c // 2, h, w)
        return x + GATE_GAIN * self.gate * self.out(attended)
