"""U-Net generator of pix2pix, and BicycleGAN's variant that takes a latent code z.

Level i halves the resolution on the way down and doubles it on the way up; the decoder of each
level sees its own output concatenated with the encoder's (the skip connection). Channel widths
are ngf, 2ngf, 4ngf, then 8ngf for every deeper level, as in the paper. With nz > 0, z is tiled
over the image and concatenated to the input of the first level ("input") or of every encoder
level ("all", BicycleGAN's best variant).
"""
from __future__ import annotations

import torch
from torch import nn

from .checks import check_image_batch, check_latent
from .norms import conv_bias_needed, make_norm

Z_INJECTIONS = ("input", "all")
UPSAMPLINGS = ("transpose", "resize")


def _level_width(level: int, ngf: int) -> int:
    return ngf * min(2**level, 8)


def _upsampling(in_channels: int, out_channels: int, *, kind: str, bias: bool) -> list[nn.Module]:
    if kind == "transpose":
        return [nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1, bias=bias)]
    return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias)]


class UnetGenerator(nn.Module):
    def __init__(
        self,
        *,
        in_channels: int = 3,  # 1 for sketches, 3 for photos or colour label maps, K for one-hot labels
        out_channels: int = 3,  # RGB photo in [-1, 1]
        ngf: int = 64,  # width of the first level; deeper levels use up to 8 * ngf
        num_downs: int = 8,  # levels: 8 takes a 256 px input down to 1 x 1
        norm: str = "batch",  # "batch" (pix2pix), "instance" (BicycleGAN) or "none"
        dropout: bool = True,  # Dropout(0.5) in the decoders of the middle 8ngf levels (pix2pix)
        nz: int = 0,  # latent size; 0 for a plain pix2pix generator
        inject_z: str = "all",  # where z enters when nz > 0: "input" or "all" encoder levels
        upsample: str = "transpose",  # "transpose": the paper's 4x4 stride-2 transposed convs;
        # "resize": nearest 2x then a 3x3 conv, which cannot draw the checkerboard grids that
        # transposed convs leave in short trainings (Odena et al. 2016)
    ) -> None:
        super().__init__()
        if num_downs < 5:
            raise ValueError(f"num_downs must be at least 5, got {num_downs}")
        if inject_z not in Z_INJECTIONS:
            raise ValueError(f"inject_z must be one of {Z_INJECTIONS}, got {inject_z!r}")
        if upsample not in UPSAMPLINGS:
            raise ValueError(f"upsample must be one of {UPSAMPLINGS}, got {upsample!r}")
        self.in_channels, self.nz, self.inject_z, self.num_downs = in_channels, nz, inject_z, num_downs
        bias = conv_bias_needed(norm)
        widths = [_level_width(i, ngf) for i in range(num_downs)]
        innermost = num_downs - 1

        def z_extra(level: int) -> int:
            return nz if nz and (inject_z == "all" or level == 0) else 0

        self.down = nn.ModuleList()
        self.up = nn.ModuleList()
        for level in range(num_downs):
            fan_in = (in_channels if level == 0 else widths[level - 1]) + z_extra(level)
            conv = nn.Conv2d(fan_in, widths[level], 4, stride=2, padding=1, bias=bias)
            if level == 0:
                self.down.append(nn.Sequential(conv))
            elif level == innermost:
                self.down.append(nn.Sequential(nn.LeakyReLU(0.2, inplace=True), conv))
            else:
                self.down.append(
                    nn.Sequential(nn.LeakyReLU(0.2, inplace=True), conv, make_norm(norm, widths[level]))
                )
            up_in = widths[level] * (1 if level == innermost else 2)
            if level == 0:
                layers = [nn.ReLU(inplace=True), *_upsampling(up_in, out_channels, kind=upsample, bias=True), nn.Tanh()]
            else:
                up_out = widths[level - 1]
                layers = [
                    nn.ReLU(inplace=True),
                    *_upsampling(up_in, up_out, kind=upsample, bias=bias),
                    make_norm(norm, up_out),
                ]
                # Dropout sits after the norm, so parameter indices match the original layout.
                if dropout and 4 <= level < innermost:
                    layers.append(nn.Dropout(0.5))
            self.up.append(nn.Sequential(*layers))

    @property
    def size_multiple(self) -> int:
        return 2**self.num_downs

    def forward(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        check_image_batch(x, channels=self.in_channels, multiple=self.size_multiple)
        if self.nz:
            if z is None:
                raise ValueError(f"this generator takes a latent z of size {self.nz}")
            check_latent(z, batch=x.shape[0], nz=self.nz)
        skips = []
        h = x
        for level, down in enumerate(self.down):
            if self.nz and (self.inject_z == "all" or level == 0):
                h = torch.cat([h, z[:, :, None, None].expand(-1, -1, *h.shape[-2:]).to(h.dtype)], 1)
            h = down(h)
            skips.append(h)
        h = self.up[-1](skips[-1])
        for level in range(self.num_downs - 2, -1, -1):
            h = self.up[level](torch.cat([skips[level], h], 1))
        return h
