"""SPADE generator (Park et al. 2019): a decoder whose every normalisation is modulated per pixel
by the label map. With `use_vae` it starts from a style code z through a linear layer (the form
that lets a style encoder steer the look); otherwise from a conv over the downsampled labels.
Module names follow the original so released weights load 1:1."""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..contract import InputContract, PaletteEntry, generic_palette
from ..registry import Family, NetworkSpecs, register_family
from .base import Network, register_network
from .checks import check_latent
from .encoders import map_spade_encoder
from .norms import make_norm
from .official import LayoutError, Mapped, official_layout

UPSAMPLING_LAYERS = {"normal": 5, "more": 6, "most": 7}


def _param_free_norm_for_export(norm: nn.InstanceNorm2d | nn.BatchNorm2d, x: torch.Tensor) -> torch.Tensor:
    if isinstance(norm, nn.BatchNorm2d) and norm.running_mean is not None:  # eval statistics
        shape = (1, -1, 1, 1)
        return (x - norm.running_mean.view(shape)) * torch.rsqrt(norm.running_var.view(shape) + norm.eps)
    mean = x.mean((2, 3), keepdim=True)
    return (x - mean) * torch.rsqrt((x - mean).pow(2).mean((2, 3), keepdim=True) + norm.eps)


TONE_GAIN = 10.0  # SPADEGenerator.z_to_tone's scale: it learns ~10x faster than a plain weight


class ToneFromZ(nn.Module):
    """The code's light on the whole picture in one step: a per-channel gain and offset of G's last
    features from z (without it, renders' brightness spanned about half their style photos' range;
    the SPADE blocks renormalise their input at every level). weight: 6 x z_dim, gains then offsets."""

    def forward(self, x: torch.Tensor, *, z: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        tone = TONE_GAIN * (z.to(x.dtype) @ weight.t().to(x.dtype))
        # x + x * gain, not x * (1 + gain): a tensor of 1 + (nearly 0) everywhere spans too little of
        # float32 for an int8 calibrator's histogram (onnxruntime raises "too many bins").
        return x + x * tone[:, :3, None, None] + tone[:, 3:, None, None]


class SPADE(nn.Module):
    """Parameter-free norm, then a per-pixel scale and shift predicted from the labels."""

    def __init__(self, *, channels: int, label_channels: int, hidden: int, param_free_norm: str) -> None:
        super().__init__()
        if param_free_norm == "batch":
            self.param_free_norm = nn.BatchNorm2d(channels, affine=False)
        else:
            self.param_free_norm = make_norm(param_free_norm, channels)
        self.mlp_shared = nn.Sequential(nn.Conv2d(label_channels, hidden, 3, padding=1), nn.ReLU())
        self.mlp_gamma = nn.Conv2d(hidden, channels, 3, padding=1)
        self.mlp_beta = nn.Conv2d(hidden, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        norm = self.param_free_norm
        if torch.onnx.is_in_onnx_export() and isinstance(norm, nn.InstanceNorm2d | nn.BatchNorm2d):
            # The ONNX exporter cannot see the channel count after the start grid's Resize, which
            # its normalisation ops need: the same arithmetic, spelled out.
            normalized = _param_free_norm_for_export(norm, x)
        else:
            normalized = norm(x)
        seg = F.interpolate(seg, size=x.shape[-2:], mode="nearest")
        actv = self.mlp_shared(seg)
        return normalized * (1 + self.mlp_gamma(actv)) + self.mlp_beta(actv)


class SPADEResnetBlock(nn.Module):
    def __init__(
        self, *, fin: int, fout: int, label_channels: int, hidden: int, param_free_norm: str, spectral: bool, gated: bool = False
    ) -> None:
        super().__init__()
        self.learned_shortcut = fin != fout
        # gated: the residual branch is scaled by a learnt scalar that starts at 0 (ReZero), so a
        # block added to a trained network starts as the identity (spectral norm forbids zero weights).
        self.gate = nn.Parameter(torch.zeros(())) if gated else None
        fmiddle = min(fin, fout)
        wrap = nn.utils.spectral_norm if spectral else (lambda m: m)
        self.conv_0 = wrap(nn.Conv2d(fin, fmiddle, 3, padding=1))
        self.conv_1 = wrap(nn.Conv2d(fmiddle, fout, 3, padding=1))
        if self.learned_shortcut:
            self.conv_s = wrap(nn.Conv2d(fin, fout, 1, bias=False))
        spade = dict(label_channels=label_channels, hidden=hidden, param_free_norm=param_free_norm)
        self.norm_0 = SPADE(channels=fin, **spade)
        self.norm_1 = SPADE(channels=fmiddle, **spade)
        if self.learned_shortcut:
            self.norm_s = SPADE(channels=fin, **spade)

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        x_s = self.conv_s(self.norm_s(x, seg)) if self.learned_shortcut else x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, seg), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, seg), 0.2))
        return x_s + (dx if self.gate is None else self.gate * dx)


@register_network("spade")
class SPADEGenerator(Network):
    def __init__(
        self,
        *,
        label_channels: int,  # one-hot classes (plus "don't care" where the data has one)
        ngf: int = 64,  # the trunk runs at 16 * ngf, halving per upsampling block
        z_dim: int = 256,  # style code size (used when use_vae)
        num_upsampling_layers: str = "normal",  # "normal" (5), "more" (6) or "most" (7)
        use_vae: bool = True,  # start from a style code z; else from the downsampled labels
        spectral_norm: bool = True,
        param_free_norm: str = "batch",  # "batch" (original, synchronised BN) or "instance"
        base_height: int = 8,  # trunk grid at the training size: training height / 2**layers
        base_width: int = 8,
        hidden: int = 128,  # width of the label MLP inside each SPADE
        fine_levels: int = 0,  # GANvas: gated ngf-wide blocks after up_3, each doubling the output side
        tone_from_z: bool = False,  # GANvas: z also sets a per-channel gain and offset of the output (see forward)
    ) -> None:
        super().__init__()
        if num_upsampling_layers not in UPSAMPLING_LAYERS:
            raise ValueError(f"num_upsampling_layers must be one of {list(UPSAMPLING_LAYERS)}")
        self.label_channels, self.z_dim, self.use_vae = label_channels, z_dim, use_vae
        self.num_upsampling_layers = num_upsampling_layers
        self.fine_levels = fine_levels
        self.base_height, self.base_width = base_height, base_width
        nf = ngf
        if use_vae:
            self.fc = nn.Linear(z_dim, 16 * nf * base_height * base_width)
        else:
            self.fc = nn.Conv2d(label_channels, 16 * nf, 3, padding=1)
        block = dict(label_channels=label_channels, hidden=hidden, param_free_norm=param_free_norm, spectral=spectral_norm)
        self.head_0 = SPADEResnetBlock(fin=16 * nf, fout=16 * nf, **block)
        self.G_middle_0 = SPADEResnetBlock(fin=16 * nf, fout=16 * nf, **block)  # noqa: N815
        self.G_middle_1 = SPADEResnetBlock(fin=16 * nf, fout=16 * nf, **block)  # noqa: N815
        self.up_0 = SPADEResnetBlock(fin=16 * nf, fout=8 * nf, **block)
        self.up_1 = SPADEResnetBlock(fin=8 * nf, fout=4 * nf, **block)
        self.up_2 = SPADEResnetBlock(fin=4 * nf, fout=2 * nf, **block)
        self.up_3 = SPADEResnetBlock(fin=2 * nf, fout=1 * nf, **block)
        final_nc = nf
        if num_upsampling_layers == "most":
            self.up_4 = SPADEResnetBlock(fin=1 * nf, fout=nf // 2, **block)
            final_nc = nf // 2
        # Coarse to fine (as pix2pixHD grows its generator): each level starts as the identity, so a
        # trained smaller generator warm-starts the larger one and first renders its picture upsampled.
        for level in range(fine_levels):
            setattr(self, f"up_fine_{level}", SPADEResnetBlock(fin=final_nc, fout=final_nc, gated=True, **block))
        self.conv_img = nn.Conv2d(final_nc, 3, 3, padding=1)
        self.up = nn.Upsample(scale_factor=2)
        self.tone_from_z = tone_from_z and use_vae
        if self.tone_from_z:
            # A plain parameter (initialisers leave it at zero: a grown generator first renders as
            # before), used times TONE_GAIN so that Adam's ~lr steps move it within a short leg.
            self.z_to_tone = nn.Parameter(torch.zeros(6, z_dim))
            self.tone = ToneFromZ()  # its own module, so its graph nodes are named /tone/... (int8 may leave them fp32)

    @property
    def size_multiple(self) -> int:
        return 2 ** (UPSAMPLING_LAYERS[self.num_upsampling_layers] + self.fine_levels)

    @property
    def grown_prefixes(self) -> tuple[str, ...]:
        """Weights a warm start from the same generator without its fine levels (or tone) may lack."""
        return tuple(f"up_fine_{level}." for level in range(self.fine_levels)) + (("z_to_tone",) if self.tone_from_z else ())

    def example_inputs(self, *, batch: int, size: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
        """A one-hot map of 16 x 16 blocks of random classes, and a style code."""
        k, cells = self.label_channels, min(16, size)
        ids = torch.randint(0, k, (batch, 1, cells, cells), generator=generator).float()
        ids = F.interpolate(ids, size=(size, size)).long()[:, 0]
        return F.one_hot(ids, k).permute(0, 3, 1, 2).float(), torch.randn(batch, self.z_dim, generator=generator)

    def forward(self, seg: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        if seg.dim() != 4 or seg.shape[1] != self.label_channels:
            raise ValueError(f"labels must be N x {self.label_channels} x H x W one-hot, got {tuple(seg.shape)}")
        n, _, height, width = seg.shape
        m = self.size_multiple
        if height % m or width % m:
            raise ValueError(f"label height and width must be multiples of {m}, got {height}x{width}")
        grid = (height // m, width // m)
        if self.use_vae:
            if z is None:
                z = torch.randn(n, self.z_dim, dtype=seg.dtype, device=seg.device)
            check_latent(z, batch=n, nz=self.z_dim)
            x = self.fc(z.to(seg.dtype)).view(n, -1, self.base_height, self.base_width)
            # An exported graph resamples always (identity at the start grid's own size): the
            # comparison would be frozen at the export's example size.
            if x.shape[-2:] != grid or torch.onnx.is_in_onnx_export():
                # Any aspect: the learned start grid is resampled to the requested one.
                x = F.interpolate(x, size=grid, mode="bilinear", align_corners=False)
        else:
            x = self.fc(F.interpolate(seg, size=grid))
        x = self.head_0(x, seg)
        x = self.up(x)
        x = self.G_middle_0(x, seg)
        if self.num_upsampling_layers in ("more", "most"):
            x = self.up(x)
        x = self.G_middle_1(x, seg)
        for name in ("up_0", "up_1", "up_2", "up_3"):
            x = self.up(x)
            x = getattr(self, name)(x, seg)
        if self.num_upsampling_layers == "most":
            x = self.up(x)
            x = self.up_4(x, seg)
        for level in range(self.fine_levels):
            x = self.up(x)
            x = getattr(self, f"up_fine_{level}")(x, seg)
        x = self.conv_img(F.leaky_relu(x, 2e-1))
        if self.tone_from_z:
            x = self.tone(x, z=z, weight=self.z_to_tone)
        return torch.tanh(x)

# ----- the official layouts this network mirrors (engine/nets/official.py) -----

def _spade_grid(cells: int, aspect_ratio: float) -> tuple[int, int]:
    """The original: sw = crop // 2**layers, sh = round(sw / aspect_ratio); fc makes sh * sw cells."""
    for sw in range(1, cells + 1):
        if sw * round(sw / aspect_ratio) == cells:
            return round(sw / aspect_ratio), sw
    raise LayoutError(f"SPADE: fc makes {cells} cells, which no grid of aspect ratio {aspect_ratio} gives; pass aspect_ratio")


@official_layout(
    "spade_generator", "a SPADE generator (SPADEGenerator)", matches=lambda keys: "conv_img.weight" in keys and any(k.startswith("head_0.") for k in keys)
)
def map_spade_generator(
    sd: dict[str, torch.Tensor], *, num_upsampling_layers: str | None = None, aspect_ratio: float = 1.0, norm: str | None = None
) -> Mapped:
    """NVlabs SPADEGenerator: module names are GANvas's; everything else comes from shapes, except
    "normal" vs "more" upsampling (same weights), which the options give (default "normal")."""
    try:
        shared = sd["head_0.norm_0.mlp_shared.0.weight"]
        conv0 = sd.get("head_0.conv_0.weight_orig", sd.get("head_0.conv_0.weight"))
        fc = sd["fc.weight"]
    except KeyError as exc:
        raise LayoutError(f"SPADE generator: key {exc} is missing") from exc
    if conv0 is None:
        raise LayoutError("SPADE generator: head_0.conv_0 has neither weight_orig nor weight")
    most = any(k.startswith("up_4.") for k in sd)
    if most and num_upsampling_layers not in (None, "most"):
        raise LayoutError(f"SPADE generator: the weights have up_4 (num_upsampling_layers='most'), not {num_upsampling_layers!r}")
    if not most and num_upsampling_layers == "most":
        raise LayoutError("SPADE generator: num_upsampling_layers='most' needs an up_4 block, which the weights lack")
    batch = any(k.endswith("param_free_norm.running_mean") for k in sd)
    if batch and norm not in (None, "batch"):
        raise LayoutError(f"SPADE generator: the weights hold batch-norm statistics, not norm={norm!r}")
    ngf = conv0.shape[0] // 16
    kwargs = dict(
        label_channels=shared.shape[1],
        ngf=ngf,
        num_upsampling_layers="most" if most else (num_upsampling_layers or "normal"),
        use_vae=fc.dim() == 2,
        spectral_norm=any(k.endswith(".weight_orig") for k in sd),
        param_free_norm="batch" if batch else (norm or "instance"),
        hidden=shared.shape[0],
    )
    if kwargs["use_vae"]:
        height, width = _spade_grid(fc.shape[0] // (16 * ngf), aspect_ratio)
        kwargs.update(z_dim=fc.shape[1], base_height=height, base_width=width)
    return Mapped("spade", kwargs, dict(sd))


# ----- the family whose generator this is -----
def _spade_networks(contract: InputContract, scale: str) -> NetworkSpecs:
    tiny = scale == "tiny"
    g = dict(label_channels=contract.channels, z_dim=contract.nz, ngf=8 if tiny else 32, hidden=16 if tiny else 128)
    g.update(base_height=2, base_width=2) if tiny else g.update(base_height=8, base_width=8)
    e = dict(z_dim=contract.nz, ndf=8 if tiny else 64, input_size=32 if tiny else 256)
    return {"G": ("spade", g), "E": ("conv_style_encoder", e)}


def _spade_example(scale: str) -> InputContract:
    palette, nz = generic_palette(12), 16 if scale == "tiny" else 256  # a CamVid-sized palette
    size = 64 if scale == "tiny" else 256
    return InputContract(kind="labels", size=size, channels=len(palette), palette=palette, nz=nz, style=True, encoder=True)


def _spade_official_contract(
    g: Mapped, *, encoder: bool, options: dict, palette: Callable[[int], tuple[PaletteEntry, ...]]
) -> InputContract:
    """A converted SPADE generator takes one-hot labels of its own classes; with a VAE it was
    trained at its start grid times 2**layers, without one at the original's 256."""
    kw = g.kwargs
    if options.get("kind", "labels") != "labels":
        raise LayoutError("a SPADE generator takes label maps: kind must be 'labels'")
    classes = kw["label_channels"]
    trained = max(kw.get("base_height", 8), kw.get("base_width", 8)) * 2 ** UPSAMPLING_LAYERS[kw["num_upsampling_layers"]] if kw["use_vae"] else 256
    return InputContract(
        kind="labels", size=int(options.get("size") or trained), channels=classes, palette=palette(classes), label_encoding="onehot",
        nz=kw["z_dim"] if kw["use_vae"] else 0, style=encoder, encoder=encoder, blank_class=int(options.get("blank_class", 0)),
    )


def _check_spade_pair(mapped: dict[str, Mapped]) -> None:
    g, e = mapped["G"].kwargs, mapped["E"].kwargs
    if not g["use_vae"]:
        raise LayoutError("this SPADE generator takes no style (trained without --use_vae), so no encoder can steer it: convert G")
    if g["z_dim"] != e["z_dim"]:
        raise LayoutError(f"the SPADE encoder gives z of size {e['z_dim']} but the generator takes {g['z_dim']}")


register_family(Family(
    name="spade",
    generators=("G",),
    encoder="E",
    latent_arg="z",
    trainer="trainers.families.spade:SPADETrainer",
    networks=_spade_networks,
    example_contract=_spade_example,
    official={
        "G": {"spade_generator": lambda sd, o: map_spade_generator(
            sd, num_upsampling_layers=o.get("num_upsampling_layers"), aspect_ratio=o.get("aspect_ratio", 1.0), norm=o.get("norm")
        )},
        "E": {"spade_encoder": lambda sd, o: map_spade_encoder(sd)},
    },
    official_contract=_spade_official_contract,
    check_official_pair=_check_spade_pair,
))
