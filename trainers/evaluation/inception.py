"""Inception-v3 pool3 feature extractor in the layout of the FID Inception.

Module and parameter names follow the network that common FID implementations load (the 2015-12-05
TensorFlow graph ported to PyTorch), so its weights file loads here key for key; the `fc` classifier
is not built (FID uses the 2048-d pool3 features). The FID variant differs from the ImageNet
Inception-v3 in two places, kept here: average pools in the mixed blocks leave padding out of the
mean, and the last block (Mixed_7c) max-pools its pool branch.

`width` scales every channel count, for tiny randomly initialised test networks; real FID needs
width 1.0 and the real weights. No weights are ever downloaded.
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

log = logging.getLogger(__name__)

FEATURE_DIM = 2048  # pool3 features at width 1.0
INPUT_SIZE = 299  # the FID Inception's input side; inputs are resized bilinearly to it
MIN_INPUT_SIZE = 75  # smallest side the stem and reductions accept

# Keys in FID weight files that this feature extractor does not use.
_UNUSED_KEY_PREFIXES = ("fc.", "AuxLogits.")


class _ConvBN(nn.Module):
    """conv (no bias) + batch norm (eps 1e-3, as the TF graph) + ReLU; submodules named `conv`, `bn`."""

    def __init__(self, cin: int, cout: int, kernel: int | tuple[int, int], *, stride: int = 1,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg_pool(x: torch.Tensor) -> torch.Tensor:
    # The TF graph averages over the in-image part of each window only.
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class _BlockA(nn.Module):
    """Mixed_5b/5c/5d (35 x 35 grid)."""

    def __init__(self, cin: int, pool_features: int, ch) -> None:
        super().__init__()
        self.branch1x1 = _ConvBN(cin, ch(64), 1)
        self.branch5x5_1 = _ConvBN(cin, ch(48), 1)
        self.branch5x5_2 = _ConvBN(ch(48), ch(64), 5, padding=2)
        self.branch3x3dbl_1 = _ConvBN(cin, ch(64), 1)
        self.branch3x3dbl_2 = _ConvBN(ch(64), ch(96), 3, padding=1)
        self.branch3x3dbl_3 = _ConvBN(ch(96), ch(96), 3, padding=1)
        self.branch_pool = _ConvBN(cin, ch(pool_features), 1)
        self.out_channels = ch(64) + ch(64) + ch(96) + ch(pool_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(_avg_pool(x))], dim=1)


class _BlockB(nn.Module):
    """Mixed_6a: grid reduction 35 -> 17."""

    def __init__(self, cin: int, ch) -> None:
        super().__init__()
        self.branch3x3 = _ConvBN(cin, ch(384), 3, stride=2)
        self.branch3x3dbl_1 = _ConvBN(cin, ch(64), 1)
        self.branch3x3dbl_2 = _ConvBN(ch(64), ch(96), 3, padding=1)
        self.branch3x3dbl_3 = _ConvBN(ch(96), ch(96), 3, stride=2)
        self.out_channels = ch(384) + ch(96) + cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, kernel_size=3, stride=2)], dim=1)


class _BlockC(nn.Module):
    """Mixed_6b..6e (17 x 17 grid, factorised 7 x 7 convolutions)."""

    def __init__(self, cin: int, channels_7x7: int, ch) -> None:
        super().__init__()
        c7 = ch(channels_7x7)
        self.branch1x1 = _ConvBN(cin, ch(192), 1)
        self.branch7x7_1 = _ConvBN(cin, c7, 1)
        self.branch7x7_2 = _ConvBN(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = _ConvBN(c7, ch(192), (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = _ConvBN(cin, c7, 1)
        self.branch7x7dbl_2 = _ConvBN(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = _ConvBN(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = _ConvBN(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = _ConvBN(c7, ch(192), (1, 7), padding=(0, 3))
        self.branch_pool = _ConvBN(cin, ch(192), 1)
        self.out_channels = 4 * ch(192)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for conv in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3,
                     self.branch7x7dbl_4, self.branch7x7dbl_5):
            d = conv(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_avg_pool(x))], dim=1)


class _BlockD(nn.Module):
    """Mixed_7a: grid reduction 17 -> 8."""

    def __init__(self, cin: int, ch) -> None:
        super().__init__()
        self.branch3x3_1 = _ConvBN(cin, ch(192), 1)
        self.branch3x3_2 = _ConvBN(ch(192), ch(320), 3, stride=2)
        self.branch7x7x3_1 = _ConvBN(cin, ch(192), 1)
        self.branch7x7x3_2 = _ConvBN(ch(192), ch(192), (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = _ConvBN(ch(192), ch(192), (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = _ConvBN(ch(192), ch(192), 3, stride=2)
        self.out_channels = ch(320) + ch(192) + cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = x
        for conv in (self.branch7x7x3_1, self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b7 = conv(b7)
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], dim=1)


class _BlockE(nn.Module):
    """Mixed_7b/7c (8 x 8 grid, split 1x3 / 3x1 branches)."""

    def __init__(self, cin: int, ch, *, max_pool: bool) -> None:
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = _ConvBN(cin, ch(320), 1)
        self.branch3x3_1 = _ConvBN(cin, ch(384), 1)
        self.branch3x3_2a = _ConvBN(ch(384), ch(384), (1, 3), padding=(0, 1))
        self.branch3x3_2b = _ConvBN(ch(384), ch(384), (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = _ConvBN(cin, ch(448), 1)
        self.branch3x3dbl_2 = _ConvBN(ch(448), ch(384), 3, padding=1)
        self.branch3x3dbl_3a = _ConvBN(ch(384), ch(384), (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = _ConvBN(ch(384), ch(384), (3, 1), padding=(1, 0))
        self.branch_pool = _ConvBN(cin, ch(192), 1)
        self.out_channels = ch(320) + 4 * ch(384) + ch(192)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(s), self.branch3x3_2b(s)], dim=1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], dim=1)
        # The FID graph's last block max-pools here; Mixed_7b averages like the others.
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else _avg_pool(x)
        return torch.cat([self.branch1x1(x), b3, bd, self.branch_pool(pooled)], dim=1)


class InceptionFeatures(nn.Module):
    """Images in [-1, 1] (N x 3 x H x W, or 1 channel, repeated) -> N x feature_dim pool3 features."""

    def __init__(
        self,
        *,
        width: float = 1.0,  # channel multiplier; 1.0 is the real FID network, smaller only for tests
        input_size: int = INPUT_SIZE,  # side the inputs are resized to (bilinear), px
    ) -> None:
        super().__init__()
        if width <= 0:
            raise ValueError(f"width must be > 0, got {width}")
        if input_size < MIN_INPUT_SIZE:
            raise ValueError(f"input_size must be >= {MIN_INPUT_SIZE}, got {input_size}")
        self.width = width
        self.input_size = input_size

        def ch(n: int) -> int:
            return max(1, round(n * width))

        self.Conv2d_1a_3x3 = _ConvBN(3, ch(32), 3, stride=2)
        self.Conv2d_2a_3x3 = _ConvBN(ch(32), ch(32), 3)
        self.Conv2d_2b_3x3 = _ConvBN(ch(32), ch(64), 3, padding=1)
        self.Conv2d_3b_1x1 = _ConvBN(ch(64), ch(80), 1)
        self.Conv2d_4a_3x3 = _ConvBN(ch(80), ch(192), 3)
        c = ch(192)
        blocks: list[tuple[str, nn.Module]] = []
        for name, make in (
            ("Mixed_5b", lambda cin: _BlockA(cin, 32, ch)),
            ("Mixed_5c", lambda cin: _BlockA(cin, 64, ch)),
            ("Mixed_5d", lambda cin: _BlockA(cin, 64, ch)),
            ("Mixed_6a", lambda cin: _BlockB(cin, ch)),
            ("Mixed_6b", lambda cin: _BlockC(cin, 128, ch)),
            ("Mixed_6c", lambda cin: _BlockC(cin, 160, ch)),
            ("Mixed_6d", lambda cin: _BlockC(cin, 160, ch)),
            ("Mixed_6e", lambda cin: _BlockC(cin, 192, ch)),
            ("Mixed_7a", lambda cin: _BlockD(cin, ch)),
            ("Mixed_7b", lambda cin: _BlockE(cin, ch, max_pool=False)),
            ("Mixed_7c", lambda cin: _BlockE(cin, ch, max_pool=True)),
        ):
            block = make(c)
            setattr(self, name, block)
            blocks.append((name, block))
            c = block.out_channels
        self._mixed = [name for name, _ in blocks]
        self.feature_dim = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"input must be N x 3 x H x W (or 1 channel), got shape {tuple(x.shape)}")
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        size = (self.input_size, self.input_size)
        # Resizing in [-1, 1] equals the usual resize in [0, 1] then 2x - 1: both steps are linear.
        x = F.interpolate(x.float(), size=size, mode="bilinear", align_corners=False)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for name in self._mixed:
            x = getattr(self, name)(x)
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        return load_file(str(path))
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict of tensors")
    return state


def load_inception(path: Path) -> InceptionFeatures:
    """The full-width FID Inception with weights from `path` (.safetensors, or a torch state dict file).

    Raises if a layer of the extractor finds no weights, or the file holds weights it does not know.
    """
    path = Path(path)
    state = {
        k: v for k, v in _read_state_dict(path).items()
        if not k.startswith(_UNUSED_KEY_PREFIXES) and not k.endswith("num_batches_tracked")
    }
    net = InceptionFeatures()
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(
            f"{path} is not an FID Inception state dict: missing {missing[:5]}"
            f"{' ...' if len(missing) > 5 else ''}, unexpected {unexpected[:5]}"
            f"{' ...' if len(unexpected) > 5 else ''}"
        )
    log.info("loaded FID Inception weights from %s", path)
    return net.eval().requires_grad_(False)


@torch.no_grad()
def inception_features(net: nn.Module, images: torch.Tensor, *, batch_size: int = 50) -> torch.Tensor:
    """N x D float64 features of images in [-1, 1] (N x C x H x W), in batches, on the net's device."""
    was_training = net.training
    net.eval()
    device = next(net.parameters()).device
    chunks = [net(images[i:i + batch_size].to(device)).double().cpu() for i in range(0, len(images), batch_size)]
    net.train(was_training)
    return torch.cat(chunks) if chunks else torch.empty(0, getattr(net, "feature_dim", FEATURE_DIM), dtype=torch.float64)
