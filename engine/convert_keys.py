"""Official state-dict layouts -> GANvas state dicts, with constructor arguments read from shapes.

One mapper per network layout the original authors released:

    layout            official class (repository)                     GANvas arch
    unet_nested       UnetGenerator (pix2pix), G_Unet_add_input         unet
                      (BicycleGAN): model.model.1.model.3.model...
    unet_with_z       G_Unet_add_all (BicycleGAN): model.submodule...   unet (nz, inject_z="all")
    resnet_generator  ResnetGenerator (CycleGAN): model.10.conv_block   resnet
    spade_generator   SPADEGenerator (NVlabs/SPADE)                     spade
    spade_encoder     ConvEncoder (NVlabs/SPADE)                        conv_style_encoder
    resnet_encoder    E_ResNet (BicycleGAN)                             resnet_encoder

Each mapper returns a `Mapped` (arch, kwargs, state, dropped keys); `build_checked` builds the
GANvas module and loads the state strictly, naming missing, unexpected and mis-shaped keys.
Things the mappers take care of:
- InstanceNorm layers of old PyTorch versions saved running_mean/running_var/num_batches_tracked;
  the authors' loader deletes them and normalises per sample, and so do we (`dropped`).
- BicycleGAN's U-Net blocks concatenate (upsampled, skip) where pix2pix and GANvas concatenate
  (skip, upsampled): the input channels of those transposed convs are swapped into GANvas order.
- Spectral norm stays as weight_orig/weight_u/weight_v: eval uses the stored u and v as they are.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch
from torch import nn

from .nets import build_network

_STATS = ("running_mean", "running_var", "num_batches_tracked")
_NESTED = re.compile(r"^model\.model\.((?:1\.model\.(?:3\.model\.)*)?)(\d+)\.([a-z_]+)$")
_WITH_Z = re.compile(r"^model\.((?:submodule\.)*)(down|up)\.(\d+)\.([a-z_]+)$")
_RESNET = re.compile(r"^model\.(\d+)\.(?:conv_block\.(\d+)\.)?([a-z_]+)$")
_SPADE_UP = {"normal": 5, "more": 6, "most": 7}

LAYOUTS = {  # layout -> what it is, in words
    "unet_nested": "a U-Net generator (pix2pix UnetGenerator or BicycleGAN G_Unet_add_input)",
    "unet_with_z": "a U-Net generator with z at every level (BicycleGAN G_Unet_add_all)",
    "resnet_generator": "a ResNet generator (CycleGAN ResnetGenerator)",
    "spade_generator": "a SPADE generator (SPADEGenerator)",
    "spade_encoder": "a SPADE style encoder (ConvEncoder)",
    "resnet_encoder": "a BicycleGAN encoder (E_ResNet)",
    "discriminator": "a discriminator (only needed for training; convert the generator files)",
}


class LayoutError(ValueError):
    """A state dict that fits no known official layout, or not the GANvas network built for it."""


@dataclass
class Mapped:
    arch: str  # GANvas architecture name (engine.nets.ARCHITECTURES)
    kwargs: dict  # its constructor arguments
    state: dict[str, torch.Tensor]  # GANvas state dict
    dropped: list[str] = field(default_factory=list)  # official keys deliberately left out


def _short(keys: list[str], n: int = 6) -> str:
    more = f" … (+{len(keys) - n} more)" if len(keys) > n else ""
    return ", ".join(keys[:n]) + more


def sniff_layout(sd: dict[str, torch.Tensor]) -> str | None:
    keys = set(sd)
    if "model.model.0.weight" in keys:
        return "unet_nested"
    if "model.down.0.weight" in keys:
        return "unet_with_z"
    if any((m := _RESNET.match(k)) and m.group(2) for k in keys):
        return "resnet_generator"
    if "conv_img.weight" in keys and any(k.startswith("head_0.") for k in keys):
        return "spade_generator"
    if "fc_mu.weight" in keys and "fc_var.weight" in keys:
        return "spade_encoder"
    if "fc.0.weight" in keys and "conv.0.weight" in keys:
        return "resnet_encoder"
    if "model.0.weight" in keys or any(re.match(r"discriminator_\d|model_?\d", k) for k in keys):
        return "discriminator"  # a PatchGAN's plain Sequential, or SPADE's / BicycleGAN's multiscale D
    return None


def _split_instance_norm_stats(sd: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Drop running stats of norm layers without affine weights: in these networks every BatchNorm
    is affine, so stats without a weight belong to an InstanceNorm saved by PyTorch < 0.4.1."""
    affine = {k.rpartition(".")[0] for k in sd if k.endswith(".weight")}
    dropped = [k for k in sd if k.rpartition(".")[2] in _STATS and k.rpartition(".")[0] not in affine]
    gone = set(dropped)
    return {k: t for k, t in sd.items() if k not in gone}, dropped


def _resolve_norm(*, batch: bool, bias: bool, requested: str | None, where: str) -> str:
    """Batch norm leaves affine weights; instance norm (affine=False) leaves nothing, and the
    originals then give the convs a bias. Without either, the network is a norm='none' variant."""
    if batch:
        inferred = "batch"
    elif bias:
        inferred = requested if requested in ("instance", "none") else "instance"
    else:
        raise LayoutError(f"{where}: convs have neither a bias nor batch-norm weights (an original norm='none' build, not built by GANvas)")
    if requested is not None and requested != inferred:
        raise LayoutError(f"{where}: norm={requested!r} was asked for but the weights hold a {inferred!r} network")
    return inferred


def _unet_kwargs(state: dict[str, torch.Tensor], *, num_downs: int, nz: int, inject_z: str, norm: str | None, dropout: bool) -> dict:
    first = state["down.0.0.weight"]
    batch = any(re.fullmatch(r"(down|up)\.\d+\.2\.weight", k) for k in state)
    norm = _resolve_norm(batch=batch, bias="down.1.1.bias" in state, requested=norm, where="U-Net")
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


def map_unet_nested(
    sd: dict[str, torch.Tensor], *, upsampled_first: bool = False, nz: int = 0, norm: str | None = None, dropout: bool = True
) -> Mapped:
    """pix2pix UnetGenerator (or BicycleGAN G_Unet_add_input with upsampled_first and nz).

    Block k is model.model + '1.model.' + '3.model.' * (k-1); inside, outermost [downconv, sub,
    relu, upconv, tanh], middle [lrelu, downconv, norm, sub, relu, upconv, norm, (dropout)],
    innermost [lrelu, downconv, relu, upconv, norm]."""
    kept, dropped = _split_instance_norm_stats(sd)
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
        raise LayoutError(f"nested U-Net: unexpected keys {_short(unknown)}")
    kwargs = _unet_kwargs(state, num_downs=innermost + 1, nz=nz, inject_z="input", norm=norm, dropout=dropout)
    if upsampled_first:
        _swap_skip_halves(state, innermost)
    return Mapped("unet", kwargs, state, dropped)


def map_unet_with_z(sd: dict[str, torch.Tensor], *, norm: str | None = None, dropout: bool = False) -> Mapped:
    """BicycleGAN G_Unet_add_all: block k is model + 'submodule.' * k with .down and .up
    Sequentials whose indices already match GANvas's down.{k} / up.{k}."""
    kept, dropped = _split_instance_norm_stats(sd)
    state: dict[str, torch.Tensor] = {}
    unknown = []
    for key, t in kept.items():
        m = _WITH_Z.match(key)
        if m:
            state[f"{m.group(2)}.{m.group(1).count('submodule.')}.{m.group(3)}.{m.group(4)}"] = t
        else:
            unknown.append(key)
    if unknown:
        raise LayoutError(f"U-Net with z: unexpected keys {_short(unknown)}")
    innermost = max(int(k.split(".")[1]) for k in state)
    if "down.1.1.weight" not in state:
        raise LayoutError("U-Net with z: the second level's conv (model.submodule.down.1.weight) is missing")
    nz = state["down.1.1.weight"].shape[1] - state["down.0.0.weight"].shape[0]
    kwargs = _unet_kwargs(state, num_downs=innermost + 1, nz=nz, inject_z="all", norm=norm, dropout=dropout)
    _swap_skip_halves(state, innermost)
    return Mapped("unet", kwargs, state, dropped)


def map_resnet_generator(sd: dict[str, torch.Tensor], *, norm: str | None = None) -> Mapped:
    """CycleGAN ResnetGenerator: keys already match GANvas's `model` Sequential. With dropout the
    second conv of each block sits at conv_block.6 instead of conv_block.5."""
    kept, dropped = _split_instance_norm_stats(sd)
    unknown = [k for k in kept if not _RESNET.match(k)]
    if unknown:
        raise LayoutError(f"ResNet generator: unexpected keys {_short(unknown)}")
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
        norm=_resolve_norm(batch="model.2.weight" in kept, bias="model.1.bias" in kept, requested=norm, where="ResNet generator"),
        dropout=second == {6},
    )
    return Mapped("resnet", kwargs, kept, dropped)


def _spade_grid(cells: int, aspect_ratio: float) -> tuple[int, int]:
    """The original: sw = crop // 2**layers, sh = round(sw / aspect_ratio); fc makes sh * sw cells."""
    for sw in range(1, cells + 1):
        if sw * round(sw / aspect_ratio) == cells:
            return round(sw / aspect_ratio), sw
    raise LayoutError(f"SPADE: fc makes {cells} cells, which no grid of aspect ratio {aspect_ratio} gives; pass aspect_ratio")


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


def map_spade_encoder(sd: dict[str, torch.Tensor]) -> Mapped:
    """NVlabs ConvEncoder: layer{i} = (conv, norm) down to 4x4, fc_mu / fc_var."""
    layers = sorted(int(m.group(1)) for k in sd if (m := re.fullmatch(r"layer(\d+)\.0\.weight(?:_orig)?", k)))
    if not layers or layers != list(range(1, len(layers) + 1)):
        raise LayoutError(f"SPADE encoder: conv layers {layers}, expected layer1..layerN")
    first = sd.get("layer1.0.weight_orig", sd.get("layer1.0.weight"))
    if "layer1.1.weight" in sd or "layer1.1.running_mean" in sd:
        norm = "batch"
    else:  # the original removes the conv bias whenever a norm follows
        norm = "none" if "layer1.0.bias" in sd else "instance"
    kwargs = dict(
        in_channels=first.shape[1],
        z_dim=sd["fc_mu.weight"].shape[0],
        ndf=first.shape[0],
        input_size=2 ** (len(layers) + 2),
        spectral_norm="layer1.0.weight_orig" in sd,
        norm=norm,
    )
    return Mapped("conv_style_encoder", kwargs, dict(sd))


def map_resnet_encoder(sd: dict[str, torch.Tensor], *, norm: str | None = None) -> Mapped:
    """BicycleGAN E_ResNet (vaeLike): keys match GANvas's ResnetEncoder; resnet_256 has 4 blocks."""
    kept, dropped = _split_instance_norm_stats(sd)
    if "fcVar.0.weight" not in kept:
        raise LayoutError("BicycleGAN encoder: no fcVar head (vaeLike=False); GANvas's encoder gives mu and logvar")
    blocks = sorted(int(m.group(1)) for k in kept if (m := re.fullmatch(r"conv\.(\d+)\.shortcut\.1\.weight", k)))
    if norm not in (None, "batch", "instance"):
        raise LayoutError(f"BicycleGAN encoder: norm={norm!r} is not built by GANvas (batch or instance)")
    batch = "conv.1.conv.0.weight" in kept
    if norm is not None and (norm == "batch") != batch:
        raise LayoutError(f"BicycleGAN encoder: norm={norm!r} was asked for but the weights hold {'batch' if batch else 'instance'} norm")
    first = kept["conv.0.weight"]
    kwargs = dict(
        in_channels=first.shape[1],
        nz=kept["fc.0.weight"].shape[0],
        ndf=first.shape[0],
        n_blocks=len(blocks),
        norm="batch" if batch else "instance",
    )
    return Mapped("resnet_encoder", kwargs, kept, dropped)


def build_checked(mapped: Mapped, *, what: str) -> nn.Module:
    """Build the GANvas module and load the mapped state into it (assigned, not copied).

    Built on the CPU rather than the meta device: a fresh init costs less than the first meta
    spectral_norm, which imports torch's reference decompositions."""
    try:
        net = build_network(mapped.arch, **mapped.kwargs)
    except ValueError as exc:
        raise LayoutError(f"{what}: cannot build a GANvas {mapped.arch} with {mapped.kwargs}: {exc}") from exc
    expected = net.state_dict()
    for key in expected:  # BatchNorm saved before PyTorch 0.4.1 has no batch counter
        stats = key.removesuffix("num_batches_tracked") + "running_mean"
        if key.endswith(".num_batches_tracked") and key not in mapped.state and stats in mapped.state:
            mapped.state[key] = torch.tensor(0, dtype=torch.long)
    missing = [k for k in expected if k not in mapped.state]
    unexpected = [k for k in mapped.state if k not in expected]
    shapes = [
        f"{k} {tuple(mapped.state[k].shape)} (needs {tuple(t.shape)})"
        for k, t in expected.items()
        if k in mapped.state and mapped.state[k].shape != t.shape
    ]
    if missing or unexpected or shapes:
        found = (("missing", missing), ("unexpected", unexpected), ("wrong shapes", shapes))
        problems = [f"{label}: {_short(keys)}" for label, keys in found if keys]
        raise LayoutError(f"{what}: the weights do not fit a GANvas {mapped.arch} {mapped.kwargs} — " + "; ".join(problems))
    state = {k: t.float() if t.is_floating_point() else t for k, t in mapped.state.items()}
    net.load_state_dict(state, strict=True, assign=True)
    return net.eval()
