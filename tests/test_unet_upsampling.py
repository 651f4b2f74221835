"""The U-Net's two decoders: the paper's transposed convs and resize-convs (nearest 2x + 3x3 conv)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.nets import UnetGenerator


def _interior_pattern(net: UnetGenerator, *, level: int) -> torch.Tensor:
    """One decoder stage applied to a constant map: its output away from the borders."""
    stage = net.up[level]
    conv = next(m for m in stage if isinstance(m, nn.Conv2d | nn.ConvTranspose2d))
    x = torch.ones(1, conv.in_channels, 16, 16)
    with torch.no_grad():
        y = stage.eval()(x)
    return y[0, :, 4:-4, 4:-4]


def test_resize_decoder_maps_flat_input_to_flat_output() -> None:
    # A transposed conv's output pixels take different kernel taps by parity, so even a flat input
    # comes out as a 2 px grid: the checkerboard. A resize-conv has one kernel for every pixel.
    torch.manual_seed(0)
    resize = UnetGenerator(in_channels=1, ngf=4, num_downs=5, norm="none", upsample="resize")
    transpose = UnetGenerator(in_channels=1, ngf=4, num_downs=5, norm="none", upsample="transpose")
    flat = _interior_pattern(resize, level=2)
    grid = _interior_pattern(transpose, level=2)
    spread = lambda t: (t.amax(dim=(1, 2)) - t.amin(dim=(1, 2))).max().item()  # noqa: E731
    assert spread(flat) < 1e-6
    assert spread(grid) > 1e-3


@pytest.mark.parametrize("upsample", ["transpose", "resize"])
def test_both_decoders_keep_the_input_size(upsample: str) -> None:
    net = UnetGenerator(in_channels=1, ngf=4, num_downs=6, upsample=upsample).eval()
    with torch.no_grad():
        y = net(torch.zeros(2, 1, 64, 128))
    assert y.shape == (2, 3, 64, 128)
    assert y.abs().max() <= 1.0


def test_resize_decoder_is_smaller() -> None:
    count = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    kwargs = dict(in_channels=1, ngf=8, num_downs=6)
    assert count(UnetGenerator(**kwargs, upsample="resize")) < count(UnetGenerator(**kwargs, upsample="transpose"))


def test_unknown_decoder_is_refused() -> None:
    with pytest.raises(ValueError, match="upsample must be one of"):
        UnetGenerator(upsample="bilinear-ish")
