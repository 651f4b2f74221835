"""ResNet generator of CycleGAN (Johnson et al. layout): 7x7 stem, two stride-2 convs, residual
blocks at 1/4 resolution, two transposed convs back up. Fully convolutional: any size that is a
multiple of 4. The layer order mirrors the original Sequential so released weights map 1:1."""
from __future__ import annotations

import re

import torch
from torch import nn

from ..contract import InputContract
from ..registry import Family, NetworkSpecs, register_family
from .base import Network, register_network
from .checks import check_image_batch
from .norms import conv_bias_needed, make_norm
from .official import LayoutError, Mapped, official_layout, resolve_norm, short_list, split_instance_norm_stats
from .unet import map_unet_nested


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


@register_network("resnet")
class ResnetGenerator(Network):
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

# ----- the official layouts this network mirrors (engine/nets/official.py) -----
_RESNET = re.compile(r"^model\.(\d+)\.(?:conv_block\.(\d+)\.)?([a-z_]+)$")


@official_layout(
    "resnet_generator", "a ResNet generator (CycleGAN ResnetGenerator)", matches=lambda keys: any((m := _RESNET.match(k)) and m.group(2) for k in keys)
)
def map_resnet_generator(sd: dict[str, torch.Tensor], *, norm: str | None = None) -> Mapped:
    """CycleGAN ResnetGenerator: keys already match GANvas's `model` Sequential. With dropout the
    second conv of each block sits at conv_block.6 instead of conv_block.5."""
    kept, dropped = split_instance_norm_stats(sd)
    unknown = [k for k in kept if not _RESNET.match(k)]
    if unknown:
        raise LayoutError(f"ResNet generator: unexpected keys {short_list(unknown)}")
    blocks = sorted({int(m.group(1)) for k in kept if (m := _RESNET.match(k)) and m.group(2)})
    if not blocks or blocks != list(range(10, 10 + len(blocks))):
        raise LayoutError(f"ResNet generator: residual blocks at model.{blocks}; GANvas builds 2 downsamplings (blocks from model.10)")
    convs = [m for k, t in kept.items() if (m := _RESNET.match(k)) and m.group(2) and m.group(3) == "weight" and t.dim() == 4]
    second = {int(m.group(2)) for m in convs} - {1}
    if second not in ({5}, {6}):
        raise LayoutError(f"ResNet generator: second block conv at conv_block.{sorted(second)}; expected 5 (no dropout) or 6 (dropout)")
    first = kept["model.1.weight"]
    last = max(int(m.group(1)) for k in kept if (m := _RESNET.match(k)) and not m.group(2))
    kwargs = dict(
        in_channels=first.shape[1],
        out_channels=kept[f"model.{last}.weight"].shape[0],
        ngf=first.shape[0],
        n_blocks=len(blocks),
        norm=resolve_norm(batch="model.2.weight" in kept, bias="model.1.bias" in kept, requested=norm, where="ResNet generator"),
        dropout=second == {6},
    )
    return Mapped("resnet", kwargs, kept, dropped)


# ----- the family whose generators these are -----
def _cyclegan_networks(contract: InputContract, scale: str) -> NetworkSpecs:
    size = dict(ngf=8, n_blocks=2) if scale == "tiny" else dict(ngf=64, n_blocks=9)
    g = ("resnet", dict(in_channels=contract.channels, **size))
    return {"G_AtoB": g, "G_BtoA": g}


register_family(Family(
    name="cyclegan",
    generators=("G_AtoB", "G_BtoA"),
    trainer="trainers.families.cyclegan:CycleGANTrainer",
    networks=_cyclegan_networks,
    example_contract=lambda scale: InputContract(kind="photo", size=64 if scale == "tiny" else 256, directions={"AtoB": "A → B", "BtoA": "B → A"}),
    task_words="photo → photo (unpaired)",
    official={"G": {
        "resnet_generator": lambda sd, o: map_resnet_generator(sd, norm=o.get("norm")),
        "unet_nested": lambda sd, o: map_unet_nested(sd, norm=o.get("norm"), dropout=o.get("dropout", False)),
    }},
    source_roles=("G_A", "G_B"),
    role_aliases={"G": "G_AtoB", "G_A": "G_AtoB", "G_B": "G_BtoA"},
    required_roles=(),
    official_test_skips_eval=True,
))
