"""ResNet generator of CycleGAN (Johnson et al. layout): 7x7 stem, two stride-2 convs, residual
blocks at 1/4 resolution, two transposed convs back up. Fully convolutional: any size that is a
multiple of 4. The layer order mirrors the original Sequential so released weights map 1:1."""
from __future__ import annotations

import torch
from torch import nn

from .checks import check_image_batch
from .norms import conv_bias_needed, make_norm


class ResnetBlock(nn.Module):
    def __init__(self, *, channels: int, norm: str, dropout: bool) -> None:
        super().__init__()
        bias = conv_bias_needed(norm)
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=bias),
            make_norm(norm, channels),
            nn.ReLU(inplace=True),
        ]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=bias), make_norm(norm, channels)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(
        self,
        *,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 64,  # stem width; the residual trunk runs at 4 * ngf
        n_blocks: int = 9,  # 9 for 256 px training (CycleGAN), 6 for 128 px
        norm: str = "instance",
        dropout: bool = False,
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        bias = conv_bias_needed(norm)
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, ngf, 7, bias=bias),
            make_norm(norm, ngf),
            nn.ReLU(inplace=True),
        ]
        for i in range(2):
            mult = 2**i
            layers += [
                nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=bias),
                make_norm(norm, ngf * mult * 2),
                nn.ReLU(inplace=True),
            ]
        layers += [ResnetBlock(channels=ngf * 4, norm=norm, dropout=dropout) for _ in range(n_blocks)]
        for i in range(2):
            mult = 2 ** (2 - i)
            layers += [
                nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1, bias=bias),
                make_norm(norm, ngf * mult // 2),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    size_multiple = 4
    min_size = 8  # at 1/4 scale the blocks' reflection padding needs 2 pixels per side

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x, channels=self.in_channels, multiple=self.size_multiple)
        return self.model(x)
