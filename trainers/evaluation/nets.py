"""The evaluation networks: a segmenter (FCN-score of label-map models) and a domain judge
(CycleGAN's "looks like the target domain" rate). Both are engine `Network`s, so they record
their constructor arguments and are saved in the engine's model folder format (netio.py).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.nets import Network
from engine.nets.checks import check_image_batch


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


class SegmenterNet(Network):
    """Photo in [-1, 1] (N x 3 x H x W, H and W multiples of 2**depth) -> N x num_classes x H x W logits.

    A U-Net-shaped encoder-decoder with batch norm: two 3x3 convs per encoder level, max-pool down,
    bilinear up with additive skips.
    """

    arch = "segmenter"

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


class DomainJudge(Network):
    """Image in [-1, 1] (N x 3 x H x W, any size >= 2**num_blocks) -> N x 2 logits (domain A, domain B)."""

    arch = "domain_judge"

    def __init__(
        self,
        *,
        in_channels: int = 3,  # image channels
        base_channels: int = 32,  # channels of the first block; doubled per block
        max_channels: int = 256,  # cap on the doubling
        num_blocks: int = 5,  # stride-2 blocks before the global average pool
    ) -> None:
        super().__init__()
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


EVALUATION_NETS: dict[str, type[Network]] = {net.arch: net for net in (SegmenterNet, DomainJudge)}
