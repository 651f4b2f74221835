"""A U-Net whose encoder is EfficientNet-Lite, started from ImageNet weights and fine-tuned.

A generator that must know what it draws (a cat's eyes and fur, a horse's body) learns slowly from
scratch on a few thousand photos; an ImageNet encoder already knows. The encoder is the classifier's
stem and blocks (features at strides 2, 4, 8, 16, 32); the decoder goes back up one stride at a
time: nearest 2x, concatenate the encoder's map at that stride (the input itself at stride 1), then
3x3 convs with instance norm. Decoder widths follow ngf: 8, 4, 2, 1 and 1/2 ngf from stride 16 up.
With attention_strides (e.g. (16, 8)) a self-attention block (engine/nets/attention.py) follows
the decoder level at each of those strides; its gate starts shut, so warm starts from a model
without them render as before. With nz > 0 (BicycleGAN) a latent z is tiled and concatenated to
the input of every decoder level: the ImageNet encoder reads the drawing alone, and z steers how
the decoder paints it.

The encoder's batch norms keep their ImageNet statistics in training too (as segmentation U-Nets
fine-tune with small batches), so training and inference normalise alike. Inputs other than RGB
(a 1-channel sketch, one-hot labels) enter through a 1x1 conv to 3 channels. Trainers load the
ImageNet weights into `encoder`; the engine only ever loads the fine-tuned model folder.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .attention import SelfAttention
from .base import Network, register_network
from .checks import check_image_batch, check_latent
from .efficientnet_lite import EfficientNetLite, lite_blocks

SKIP_STRIDES = (16, 8, 4, 2)  # encoder maps the decoder concatenates, coarsest first


class LiteEncoder(EfficientNetLite):
    """EfficientNet-Lite without its head, batch norm frozen at its statistics."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.train()  # modules start in training mode: freeze the norms from the start

    def train(self, mode: bool = True) -> LiteEncoder:
        super().train(mode)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.InstanceNorm2d(cout, affine=True), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.InstanceNorm2d(cout, affine=True), nn.ReLU(inplace=True),
    )


@register_network("lite_unet")
class LiteUnetGenerator(Network):
    takes_latent = True

    def __init__(
        self,
        *,
        in_channels: int = 3,  # 1 for sketches, 3 for photos, K for one-hot labels
        out_channels: int = 3,  # RGB photo in [-1, 1]
        ngf: int = 32,  # decoder width at stride 4; 8 * ngf at stride 16
        variant: str = "lite0",  # the EfficientNet-Lite the encoder is (lite0 | lite1)
        nz: int = 0,  # latent size (BicycleGAN); 0 for a generator that takes no z
        attention_strides: tuple[int, ...] | list[int] = (),  # decoder levels followed by self-attention (of 16, 8, 4, 2)
    ) -> None:
        super().__init__()
        self.in_channels, self.nz = in_channels, nz
        self.adapter = nn.Identity() if in_channels == 3 else nn.Conv2d(in_channels, 3, 1)
        self.encoder = LiteEncoder(blocks=lite_blocks(variant))
        # The classifier's head is not used: drop it so the model folder does not carry it.
        del self.encoder._conv_head, self.encoder._bn1, self.encoder._fc
        enc = {s: self.encoder.stage_width(s) for s in (2, 4, 8, 16, 32)}
        widths = (8 * ngf, 4 * ngf, 2 * ngf, ngf)  # at strides 16, 8, 4, 2
        unknown = sorted(set(attention_strides) - set(SKIP_STRIDES))
        if unknown:
            raise ValueError(f"attention_strides must be among {SKIP_STRIDES}, got {unknown}")
        self.up = nn.ModuleList()
        self.attention = nn.ModuleDict()
        previous = enc[32]
        for stride, width in zip(SKIP_STRIDES, widths, strict=True):
            self.up.append(_block(previous + enc[stride] + nz, width))
            if stride in attention_strides:
                self.attention[str(stride)] = SelfAttention(width)
            previous = width
        last = max(8, ngf // 2)
        self.final = nn.Sequential(
            nn.Conv2d(previous + in_channels + nz, last, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(last, out_channels, 3, padding=1), nn.Tanh()
        )

    size_multiple = 32
    min_size = 32
    grown_prefixes = ("attention.",)  # blocks a warm start from a model without them keeps at their (shut) start

    def forward(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        check_image_batch(x, channels=self.in_channels, multiple=self.size_multiple)
        if self.nz:
            if z is None:
                raise ValueError(f"this generator takes a latent z of size {self.nz}")
            check_latent(z, batch=x.shape[0], nz=self.nz)
        maps = self.encoder.features(self.adapter(x), strides=(2, 4, 8, 16, 32))
        skips = dict(zip((2, 4, 8, 16, 32), maps, strict=True))
        h = skips[32]
        for stride, block in zip(SKIP_STRIDES, self.up, strict=True):
            h = block(self._with_z([F.interpolate(h, scale_factor=2.0, mode="nearest"), skips[stride]], z))
            if str(stride) in self.attention:
                h = self.attention[str(stride)](h)
        return self.final(self._with_z([F.interpolate(h, scale_factor=2.0, mode="nearest"), x], z))

    def _with_z(self, maps: list[torch.Tensor], z: torch.Tensor | None) -> torch.Tensor:
        if self.nz:
            h = maps[0]
            maps = [*maps, z[:, :, None, None].expand(-1, -1, *h.shape[-2:]).to(h.dtype)]
        return torch.cat(maps, 1)
