"""U-Net generator of pix2pix, and BicycleGAN's variant that takes a latent code z.

Level i halves the resolution on the way down and doubles it on the way up; the decoder of each
level sees its own output concatenated with the encoder's (the skip connection). Channel widths
are ngf, 2ngf, 4ngf, then 8ngf for every deeper level, as in the paper. With nz > 0, z is tiled
over the image and concatenated to the input of the first level ("input") or of every encoder
level ("all", BicycleGAN's best variant).
"""
from __future__ import annotations

import re

import torch
from torch import nn

from ..contract import InputContract
from ..registry import Family, NetworkSpecs, register_family
from .base import Network, register_network
from .checks import check_image_batch, check_latent
from .encoders import map_resnet_encoder
from .norms import conv_bias_needed, make_norm
from .official import LayoutError, Mapped, official_layout, resolve_norm, short_list, split_instance_norm_stats

Z_INJECTIONS = ("input", "all")
UPSAMPLINGS = ("transpose", "resize")


def _level_width(level: int, ngf: int) -> int:
    return ngf * min(2**level, 8)


def _upsampling(in_channels: int, out_channels: int, *, kind: str, bias: bool) -> list[nn.Module]:
    if kind == "transpose":
        return [nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1, bias=bias)]
    return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias)]


@register_network("unet")
class UnetGenerator(Network):
    takes_latent = True

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

# ----- the official layouts this network mirrors (engine/nets/official.py) -----
_NESTED = re.compile(r"^model\.model\.((?:1\.model\.(?:3\.model\.)*)?)(\d+)\.([a-z_]+)$")
_WITH_Z = re.compile(r"^model\.((?:submodule\.)*)(down|up)\.(\d+)\.([a-z_]+)$")


def _unet_kwargs(state: dict[str, torch.Tensor], *, num_downs: int, nz: int, inject_z: str, norm: str | None, dropout: bool) -> dict:
    first = state["down.0.0.weight"]
    batch = any(re.fullmatch(r"(down|up)\.\d+\.2\.weight", k) for k in state)
    norm = resolve_norm(batch=batch, bias="down.1.1.bias" in state, requested=norm, where="U-Net")
    if first.shape[1] <= nz:
        raise LayoutError(f"U-Net: the first conv takes {first.shape[1]} channels, too few for nz={nz} plus an image")
    return dict(
        in_channels=first.shape[1] - nz,
        out_channels=state["up.0.1.weight"].shape[1],
        ngf=first.shape[0],
        num_downs=num_downs,
        norm=norm,
        dropout=dropout,
        nz=nz,
        inject_z=inject_z,
    )


def _swap_skip_halves(state: dict[str, torch.Tensor], innermost: int) -> None:
    """BicycleGAN feeds cat([upsampled, skip]) to each decoder; GANvas feeds cat([skip, upsampled])."""
    for level in range(innermost):
        w = state[f"up.{level}.1.weight"]  # ConvTranspose2d: (in, out, kh, kw)
        half = w.shape[0] // 2
        state[f"up.{level}.1.weight"] = torch.cat([w[half:], w[:half]])


@official_layout(
    "unet_nested", "a U-Net generator (pix2pix UnetGenerator or BicycleGAN G_Unet_add_input)", matches=lambda keys: "model.model.0.weight" in keys
)
def map_unet_nested(
    sd: dict[str, torch.Tensor], *, upsampled_first: bool = False, nz: int = 0, norm: str | None = None, dropout: bool = True
) -> Mapped:
    """pix2pix UnetGenerator (or BicycleGAN G_Unet_add_input with upsampled_first and nz).

    Block k is model.model + '1.model.' + '3.model.' * (k-1); inside, outermost [downconv, sub,
    relu, upconv, tanh], middle [lrelu, downconv, norm, sub, relu, upconv, norm, (dropout)],
    innermost [lrelu, downconv, relu, upconv, norm]."""
    kept, dropped = split_instance_norm_stats(sd)
    parsed, unknown = {}, []
    for key in kept:
        m = _NESTED.match(key)
        if m:
            parsed[key] = (m.group(1).count("model."), int(m.group(2)), m.group(3))
        else:
            unknown.append(key)
    if not parsed:
        raise LayoutError("no nested U-Net keys (model.model.…) found")
    innermost = max(level for level, _, _ in parsed.values())
    state: dict[str, torch.Tensor] = {}
    for key, (level, idx, leaf) in parsed.items():
        if level == 0:
            table = {0: "down.0.0", 3: "up.0.1"}
        elif level == innermost:
            table = {1: f"down.{level}.1", 3: f"up.{level}.1", 4: f"up.{level}.2"}
        else:
            table = {1: f"down.{level}.1", 2: f"down.{level}.2", 5: f"up.{level}.1", 6: f"up.{level}.2"}
        if idx in table:
            state[f"{table[idx]}.{leaf}"] = kept[key]
        else:
            unknown.append(key)
    if unknown:
        raise LayoutError(f"nested U-Net: unexpected keys {short_list(unknown)}")
    kwargs = _unet_kwargs(state, num_downs=innermost + 1, nz=nz, inject_z="input", norm=norm, dropout=dropout)
    if upsampled_first:
        _swap_skip_halves(state, innermost)
    return Mapped("unet", kwargs, state, dropped)


@official_layout("unet_with_z", "a U-Net generator with z at every level (BicycleGAN G_Unet_add_all)", matches=lambda keys: "model.down.0.weight" in keys)
def map_unet_with_z(sd: dict[str, torch.Tensor], *, norm: str | None = None, dropout: bool = False) -> Mapped:
    """BicycleGAN G_Unet_add_all: block k is model + 'submodule.' * k with .down and .up
    Sequentials whose indices already match GANvas's down.{k} / up.{k}."""
    kept, dropped = split_instance_norm_stats(sd)
    state: dict[str, torch.Tensor] = {}
    unknown = []
    for key, t in kept.items():
        m = _WITH_Z.match(key)
        if m:
            state[f"{m.group(2)}.{m.group(1).count('submodule.')}.{m.group(3)}.{m.group(4)}"] = t
        else:
            unknown.append(key)
    if unknown:
        raise LayoutError(f"U-Net with z: unexpected keys {short_list(unknown)}")
    innermost = max(int(k.split(".")[1]) for k in state)
    if "down.1.1.weight" not in state:
        raise LayoutError("U-Net with z: the second level's conv (model.submodule.down.1.weight) is missing")
    nz = state["down.1.1.weight"].shape[1] - state["down.0.0.weight"].shape[0]
    kwargs = _unet_kwargs(state, num_downs=innermost + 1, nz=nz, inject_z="all", norm=norm, dropout=dropout)
    _swap_skip_halves(state, innermost)
    return Mapped("unet", kwargs, state, dropped)


# ----- the families whose generator this is -----
def _unet_size(scale: str) -> dict:
    return dict(ngf=8, num_downs=6) if scale == "tiny" else dict(ngf=64, num_downs=8)


def _pix2pix_networks(contract: InputContract, scale: str) -> NetworkSpecs:
    return {"G": ("unet", dict(in_channels=contract.channels, norm="batch", dropout=True, **_unet_size(scale)))}


def _bicyclegan_networks(contract: InputContract, scale: str) -> NetworkSpecs:
    g = dict(in_channels=contract.channels, norm="instance", dropout=False, nz=contract.nz, inject_z="all", **_unet_size(scale))
    e = dict(nz=contract.nz, ndf=8, n_blocks=2) if scale == "tiny" else dict(nz=contract.nz, ndf=64, n_blocks=4)
    return {"G": ("unet", g), "E": ("resnet_encoder", e)}


def _side(scale: str) -> int:
    return 64 if scale == "tiny" else 256


def _check_bicyclegan_pair(mapped: dict[str, Mapped]) -> None:
    g, e = mapped["G"].kwargs, mapped["E"].kwargs
    if g["nz"] != e["nz"]:
        raise LayoutError(f"the BicycleGAN encoder gives z of size {e['nz']} but the generator takes {g['nz']}: not from the same run?")


register_family(Family(
    name="pix2pix",
    generators=("G",),
    trainer="trainers.families.pix2pix:Pix2PixTrainer",
    networks=_pix2pix_networks,
    example_contract=lambda scale: InputContract(kind="sketch", size=_side(scale), channels=1),
    official={"G": {
        "unet_nested": lambda sd, o: map_unet_nested(sd, norm=o.get("norm"), dropout=o.get("dropout", True)),
        "resnet_generator": lambda sd, o: _resnet_generator(sd, norm=o.get("norm")),
    }},
    official_test_skips_eval=True,
))

register_family(Family(
    name="bicyclegan",
    generators=("G",),
    encoder="E",
    latent_arg="z",
    trainer="trainers.families.bicyclegan:BicycleGANTrainer",
    networks=_bicyclegan_networks,
    example_contract=lambda scale: InputContract(kind="sketch", size=_side(scale), channels=1, nz=8, encoder=True),
    task_words="{input} → photos (multimodal)",
    official={
        "G": {
            "unet_with_z": lambda sd, o: map_unet_with_z(sd, norm=o.get("norm"), dropout=o.get("dropout", False)),
            # G_Unet_add_input: z at the input only, its size from E (or the nz option)
            "unet_nested": lambda sd, o: map_unet_nested(
                sd, upsampled_first=True, nz=o.get("nz") or 8, norm=o.get("norm"), dropout=o.get("dropout", False)
            ),
        },
        "E": {"resnet_encoder": lambda sd, o: map_resnet_encoder(sd)},
    },
    check_official_pair=_check_bicyclegan_pair,
))


def _resnet_generator(sd: dict, **options: object) -> Mapped:
    from .resnet import (
        map_resnet_generator,  # a pix2pix may be a ResNet; resnet.py registers cyclegan after these
    )

    return map_resnet_generator(sd, **options)
