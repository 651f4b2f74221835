"""Checkpoints released by the original authors -> a GANvas model folder.

    python -m engine convert --family pix2pix latest_net_G.pth --out weights/pix2pix.facades
    python -m engine convert --family cyclegan latest_net_G_A.pth latest_net_G_B.pth --out weights/cyclegan.horse2zebra
    python -m engine convert --family spade latest_net_G.pth --out weights/spade.ade20k --palette ade20k.json
    python -m engine convert --family bicyclegan latest_net_G.pth latest_net_E.pth --out weights/bicyclegan.edges2shoes --kind sketch

Source files (torch state dicts, read with weights_only=True) per family, by role:
    pix2pix     G                 latest_net_G.pth (U-Net 256, batch norm; or a ResNet generator)
    cyclegan    G_A and/or G_B    latest_net_G_A.pth (A->B), latest_net_G_B.pth (B->A);
                                  a single latest_net_G.pth is the A->B direction
    spade       G (+ E)           latest_net_G.pth, latest_net_E.pth (only with a --use_vae G)
    bicyclegan  G (+ E)           latest_net_G.pth, latest_net_E.pth

Every constructor argument that the weights determine is read from their shapes (convert_keys.py).
The rest comes from options (see OPTIONS); the CLI exposes each one as a flag. Converted models run
in eval mode like every GANvas model; `engine.original_mode.use_original_test_mode(translator)`
gives a pix2pix model the authors' test-time behaviour (batch statistics, active dropout).
"""
from __future__ import annotations

import argparse
import json
import logging
import pickle
import re
import sys
from pathlib import Path

import torch

from .contract import INPUT_KINDS, InputContract, PaletteEntry
from .convert_keys import (
    LAYOUTS,
    LayoutError,
    Mapped,
    build_checked,
    map_resnet_encoder,
    map_resnet_generator,
    map_spade_encoder,
    map_spade_generator,
    map_unet_nested,
    map_unet_with_z,
    sniff_layout,
)
from .errors import ModelError
from .families import FAMILIES
from .loading import save_model
from .model_format import STORAGE_DTYPES, sha256_file
from .nets.norms import NORM_KINDS

logger = logging.getLogger(__name__)

OPTIONS = {  # what the weights cannot tell, with its default
    "kind": "input kind: sketch, photo or labels (default: sketch for 1 channel, labels for SPADE, else photo)",
    "palette": "labels: a JSON file or list of {name, rgb} (default for SPADE: generic names and colours)",
    "blank_class": "labels: the class an empty canvas is filled with (default 0)",
    "norm": "norm kind where the weights leave it open: instance or none (default instance)",
    "dropout": "U-Net dropout, active only in the original test mode (default: True for pix2pix)",
    "nz": "BicycleGAN G_Unet_add_input latent size when no E is given (default 8)",
    "num_upsampling_layers": "SPADE: normal or more (same weights; 'most' is read from them; default normal)",
    "aspect_ratio": "SPADE with a VAE: training width / height (default 1.0)",
    "size": "native input side in pixels (default: what the network was trained at)",
    "task": "a short description, e.g. 'labels → facade'",
    "a_to_b": "CycleGAN: label of the A→B direction",
    "b_to_a": "CycleGAN: label of the B→A direction",
}
ROLE_ALIASES = {"G_A": "G_AtoB", "G_B": "G_BtoA"}
ROLES = {"pix2pix": ("G",), "cyclegan": ("G_AtoB", "G_BtoA"), "spade": ("G", "E"), "bicyclegan": ("G", "E")}
LAYOUT_FAMILIES = {  # (family, role) -> layouts the authors released for it
    ("pix2pix", "G"): ("unet_nested", "resnet_generator"),
    ("cyclegan", "G"): ("resnet_generator", "unet_nested"),
    ("spade", "G"): ("spade_generator",),
    ("spade", "E"): ("spade_encoder",),
    ("bicyclegan", "G"): ("unet_with_z", "unet_nested"),
    ("bicyclegan", "E"): ("resnet_encoder",),
}


class ConvertError(ValueError):
    """A source that is not a state dict, fits no known layout, or belongs to another family."""


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A torch state dict file -> {key: tensor} on the CPU, DataParallel/compile prefixes removed."""
    path = Path(path)
    if not path.is_file():
        raise ConvertError(f"{path} does not exist")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights only load failed" not in str(exc).lower():
            raise ConvertError(f"{path} is not a PyTorch checkpoint (torch.load: {exc})") from exc
        raise ConvertError(
            f"{path} holds pickled Python objects besides tensors (a whole model?), which GANvas does not unpickle "
            "(torch.load with weights_only=True refuses them): re-save it with torch.save(net.state_dict(), path)"
        ) from exc
    except Exception as exc:  # a file-format boundary: zip, pickle and I/O errors alike
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ConvertError(f"{path} is not a PyTorch checkpoint (torch.load: {type(exc).__name__} {reason})") from exc
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not obj:
        raise ConvertError(f"{path} holds a {type(obj).__name__}, not a state dict of tensors")
    bad = [k for k, v in obj.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise ConvertError(f"{path} is not a state dict: entries {bad[:5]} are not tensors")
    for prefix in ("module.", "_orig_mod."):
        if all(k.startswith(prefix) for k in obj):
            obj = {k[len(prefix):]: v for k, v in obj.items()}
    # safetensors refuses tensors that share memory: give each its own storage.
    seen: set[int] = set()
    out = {}
    for key, t in obj.items():
        ptr = t.untyped_storage().data_ptr()
        out[key] = t.clone() if ptr in seen and t.numel() else t
        seen.add(ptr)
    return out


def _layout_for(family: str, role: str, path: Path, sd: dict[str, torch.Tensor]) -> str:
    layout = sniff_layout(sd)
    allowed = LAYOUT_FAMILIES[(family, "G" if role.startswith("G") else role)]
    if layout in allowed:
        return layout
    if layout is None:
        raise ConvertError(f"{path}: its keys fit no official layout GANvas knows (first keys: {', '.join(list(sd)[:6])})")
    owners = sorted({f for (f, r), layouts in LAYOUT_FAMILIES.items() if layout in layouts})
    roles = sorted({r for (f, r), layouts in LAYOUT_FAMILIES.items() if layout in layouts and f == family})
    if roles:
        raise ConvertError(f"{path} holds {LAYOUTS[layout]}, which is a {family} {roles[0]}, not its {role}: pass it as {roles[0]}=PATH")
    hint = f"; convert it with --family {' or '.join(owners)}" if owners else ""
    raise ConvertError(f"{path} holds {LAYOUTS[layout]}, not a {family} {role}{hint}")


def _map(family: str, layout: str, sd: dict[str, torch.Tensor], options: dict, *, nz: int | None) -> Mapped:
    norm = options.get("norm")
    if layout == "unet_nested":
        latent = (nz or options.get("nz") or 8) if family == "bicyclegan" else 0
        dropout = options.get("dropout", family == "pix2pix")
        return map_unet_nested(sd, upsampled_first=family == "bicyclegan", nz=latent, norm=norm, dropout=dropout)
    if layout == "unet_with_z":
        return map_unet_with_z(sd, norm=norm, dropout=options.get("dropout", False))
    if layout == "resnet_generator":
        return map_resnet_generator(sd, norm=norm)
    if layout == "spade_generator":
        layers, ratio = options.get("num_upsampling_layers"), options.get("aspect_ratio", 1.0)
        return map_spade_generator(sd, num_upsampling_layers=layers, aspect_ratio=ratio, norm=norm)
    if layout == "spade_encoder":
        return map_spade_encoder(sd)
    return map_resnet_encoder(sd)


def _generic_palette(n: int) -> tuple[PaletteEntry, ...]:
    """Distinct colours for n classes (the PASCAL VOC bit-interleaving colour map)."""
    entries = []
    for i in range(n):
        rgb, c = [0, 0, 0], i
        for bit in range(8):
            for ch in range(3):
                rgb[ch] |= ((c >> ch) & 1) << (7 - bit)
            c >>= 3
        entries.append(PaletteEntry(f"class {i}", (rgb[0], rgb[1], rgb[2])))
    return tuple(entries)


def load_palette(source: object) -> tuple[PaletteEntry, ...]:
    """A JSON file ([{name, rgb}] or {"palette": [...]}) or a list of entries/dicts/(name, rgb)."""
    if isinstance(source, str | Path):
        try:
            source = json.loads(Path(source).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConvertError(f"palette {source}: cannot read it as JSON ({exc})") from exc
        if isinstance(source, dict):
            source = source.get("palette")
    entries = []
    for item in source or ():
        if isinstance(item, PaletteEntry):
            entries.append(item)
        elif isinstance(item, dict) and "name" in item and "rgb" in item:
            entries.append(PaletteEntry(str(item["name"]), tuple(int(c) for c in item["rgb"])))
        elif isinstance(item, list | tuple) and len(item) == 2:
            entries.append(PaletteEntry(str(item[0]), tuple(int(c) for c in item[1])))
        else:
            raise ConvertError(f"palette entry {item!r} is not {{'name': ..., 'rgb': [r, g, b]}}")
    if not entries:
        raise ConvertError("the palette is empty: give a list of {'name': ..., 'rgb': [r, g, b]}")
    return tuple(entries)


def _contract(family: str, mapped: dict[str, Mapped], options: dict) -> InputContract:
    g = mapped.get("G") or mapped.get("G_AtoB") or mapped["G_BtoA"]
    kw = g.kwargs
    common = dict(blank_class=int(options.get("blank_class", 0)))
    if family == "spade":
        classes = kw["label_channels"]
        if options.get("palette") is None:
            logger.warning("no palette given: the %d label classes get generic names and colours", classes)
            palette = _generic_palette(classes)
        else:
            palette = load_palette(options["palette"])
        if len(palette) != classes:
            raise ConvertError(f"the palette has {len(palette)} classes but the generator takes {classes} label channels")
        if options.get("kind", "labels") != "labels":
            raise ConvertError("a SPADE generator takes label maps: kind must be 'labels'")
        layers = {"normal": 5, "more": 6, "most": 7}[kw["num_upsampling_layers"]]
        trained = max(kw.get("base_height", 8), kw.get("base_width", 8)) * 2**layers if kw["use_vae"] else 256
        return InputContract(
            kind="labels", size=int(options.get("size") or trained), channels=classes, palette=palette, label_encoding="onehot",
            nz=kw["z_dim"] if kw["use_vae"] else 0, style="E" in mapped, encoder="E" in mapped, **common,
        )
    channels = kw["in_channels"]
    kind = options.get("kind") or ("sketch" if channels == 1 else "photo")
    if kind not in INPUT_KINDS:
        raise ConvertError(f"kind must be one of {INPUT_KINDS}, got {kind!r}")
    palette: tuple[PaletteEntry, ...] = ()
    encoding = "onehot"
    if kind == "labels":
        if options.get("palette") is None:
            raise ConvertError("kind 'labels' needs the dataset's palette (class names and colours): pass --palette FILE.json")
        palette = load_palette(options["palette"])
        if len(palette) != channels:
            if channels != 3:
                raise ConvertError(f"the network takes {channels} channels: labels need {channels} classes (one-hot) or 3 (RGB colours)")
            encoding = "rgb"
    directions = {}
    if family == "cyclegan":
        labels = {"AtoB": options.get("a_to_b") or "A → B", "BtoA": options.get("b_to_a") or "B → A"}
        directions = {d: label for d, label in labels.items() if f"G_{d}" in mapped}
    size = options.get("size") or (2 ** kw["num_downs"] if g.arch == "unet" else 256)
    return InputContract(
        kind=kind, size=int(size), channels=channels, palette=palette, label_encoding=encoding, nz=kw.get("nz", 0),
        encoder="E" in mapped, directions=directions, any_resolution=g.arch == "resnet", **common,
    )


def _default_task(family: str, contract: InputContract) -> str:
    what = {"sketch": "sketch", "photo": "photo", "labels": "label map"}[contract.kind]
    return {"cyclegan": "photo → photo (unpaired)", "bicyclegan": f"{what} → photos (multimodal)"}.get(family, f"{what} → photo")


def _normalise_sources(family: str, sources: dict[str, Path]) -> dict[str, Path]:
    roles = {}
    for role, path in sources.items():
        role = ROLE_ALIASES.get(role, role)
        if family == "cyclegan" and role == "G":
            role = "G_AtoB"
        if role not in ROLES[family]:
            raise ConvertError(f"a {family} checkpoint has no role {role!r}; valid: {', '.join(ROLES[family])}")
        roles[role] = Path(path)
    if family != "cyclegan" and "G" not in roles:
        raise ConvertError(f"a {family} conversion needs the generator (G): latest_net_G.pth")
    if not roles:
        raise ConvertError("no source files given")
    return roles


def convert_checkpoint(
    *,
    family: str,
    sources: dict[str, Path],  # role -> file: G, E, G_A/G_B (cyclegan)
    out: Path,  # the model folder to write
    name: str | None = None,  # model name (default: the folder's name)
    storage: str = "fp32",  # fp32, fp16 or int8
    **options: object,  # see OPTIONS
) -> dict:
    """Convert official checkpoints into a GANvas model folder; returns a summary of what was written."""
    if family not in FAMILIES:
        raise ConvertError(f"unknown family {family!r}; valid: {', '.join(FAMILIES)}")
    if storage not in STORAGE_DTYPES:
        raise ConvertError(f"storage must be one of {STORAGE_DTYPES}, got {storage!r}")
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ConvertError(f"unknown options {unknown}; valid: {', '.join(OPTIONS)}")
    options = {k: v for k, v in options.items() if v is not None}
    if options.get("norm") not in (None, *NORM_KINDS):
        raise ConvertError(f"norm must be one of {NORM_KINDS}, got {options['norm']!r}")
    roles = _normalise_sources(family, sources)
    out = Path(out)
    mapped: dict[str, Mapped] = {}
    modules = {}
    layouts = {}
    # E first: a BicycleGAN G that takes z at its input only does not show nz; E does.
    for role in sorted(roles, key=lambda r: r != "E"):
        path = roles[role]
        sd = read_state_dict(path)
        layouts[role] = _layout_for(family, role, path, sd)
        nz = mapped["E"].kwargs["nz"] if "E" in mapped and family == "bicyclegan" else None
        try:
            mapped[role] = _map(family, layouts[role], sd, options, nz=nz)
            modules[role] = build_checked(mapped[role], what=str(path))
        except LayoutError as exc:
            raise ConvertError(f"{path}: {exc}" if not str(exc).startswith(str(path)) else str(exc)) from exc
        del sd
        dropped = mapped[role].dropped
        if dropped:
            logger.info("%s: dropped %d InstanceNorm running-stat keys (per-sample statistics are used)", path.name, len(dropped))
    _check_pair(family, mapped)
    contract = _contract(family, mapped, options)
    name = name or out.name
    task = str(options.get("task") or _default_task(family, contract))
    source = {
        "kind": f"official {family} checkpoint",
        "files": {role: {"file": roles[role].name, "sha256": sha256_file(roles[role]), "layout": layouts[role]} for role in roles},
        "dropped_keys": {role: m.dropped for role, m in mapped.items() if m.dropped},
    }
    files = save_model(
        out, name=name, family=family, task=task, contract=contract,
        networks={role: (m.arch, m.kwargs, modules[role]) for role, m in mapped.items()}, storage=storage, extra_config={"source": source},
    )
    logger.info("wrote %s (%s) to %s", name, ", ".join(f"{r}: {m.arch}" for r, m in mapped.items()), out)
    return {
        "name": name, "family": family, "task": task, "folder": str(out), "files": files,
        "size_bytes": sum((out / f).stat().st_size for f in files), "contract": contract.to_dict(),
        "networks": {role: {"arch": m.arch, "kwargs": m.kwargs} for role, m in mapped.items()}, "source": source,
    }


def _check_pair(family: str, mapped: dict[str, Mapped]) -> None:
    if "E" not in mapped:
        return
    g, e = mapped["G"].kwargs, mapped["E"].kwargs
    if family == "spade":
        if not g["use_vae"]:
            raise ConvertError("this SPADE generator takes no style (trained without --use_vae), so no encoder can steer it: convert G")
        if g["z_dim"] != e["z_dim"]:
            raise ConvertError(f"the SPADE encoder gives z of size {e['z_dim']} but the generator takes {g['z_dim']}")
    elif g["nz"] != e["nz"]:
        raise ConvertError(f"the BicycleGAN encoder gives z of size {e['nz']} but the generator takes {g['nz']}: not from the same run?")


# ----- command line -----
_ROLE_IN_NAME = re.compile(r"net_(G_A|G_B|G|E)\.pth?$")


def _assign_roles(family: str, specs: list[str]) -> dict[str, Path]:
    """ROLE=PATH, a file named like latest_net_G_A.pth, or else by position (G then E; G_A then G_B)."""
    roles: dict[str, Path] = {}
    positional = []
    for spec in specs:
        role, eq, path = spec.partition("=")
        if eq and re.fullmatch(r"G(_A|_B|_AtoB|_BtoA)?|E", role):
            roles[role] = Path(path)
        elif (m := _ROLE_IN_NAME.search(Path(spec).name)) and m.group(1) not in roles:
            roles[m.group(1)] = Path(spec)
        else:
            positional.append(Path(spec))
    order = ("G_A", "G_B") if family == "cyclegan" else ("G", "E")
    for path in positional:
        free = [r for r in order if r not in roles and ROLE_ALIASES.get(r, r) not in roles]
        if not free:
            raise ConvertError(f"too many sources for {family}: {path} has no role left (roles: {', '.join(order)})")
        roles[free[0]] = path
    return roles


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m engine convert", description="Convert checkpoints released by the original authors into a GANvas model folder."
    )
    p.add_argument("--family", required=True, choices=FAMILIES)
    p.add_argument(
        "sources", nargs="+", metavar="SRC",
        help="state dict files (latest_net_G.pth, latest_net_E.pth, latest_net_G_A.pth, ...), or ROLE=PATH with ROLE in G, E, G_A, G_B",
    )
    p.add_argument("--out", required=True, type=Path, help="model folder to write, e.g. weights/pix2pix.facades")
    p.add_argument("--name", help="model name (default: the folder's name)")
    p.add_argument("--storage", choices=STORAGE_DTYPES, default="fp32")
    p.add_argument("--kind", choices=INPUT_KINDS, help=OPTIONS["kind"])
    p.add_argument("--palette", type=Path, help=OPTIONS["palette"])
    p.add_argument("--blank-class", type=int, help=OPTIONS["blank_class"])
    p.add_argument("--norm", choices=NORM_KINDS, help=OPTIONS["norm"])
    p.add_argument("--dropout", action=argparse.BooleanOptionalAction, default=None, help=OPTIONS["dropout"])
    p.add_argument("--nz", type=int, help=OPTIONS["nz"])
    p.add_argument("--num-upsampling-layers", choices=("normal", "more", "most"), help=OPTIONS["num_upsampling_layers"])
    p.add_argument("--aspect-ratio", type=float, help=OPTIONS["aspect_ratio"])
    p.add_argument("--size", type=int, help=OPTIONS["size"])
    p.add_argument("--task", help=OPTIONS["task"])
    p.add_argument("--a-to-b", help=OPTIONS["a_to_b"])
    p.add_argument("--b-to-a", help=OPTIONS["b_to_a"])
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    options = {k: getattr(args, k) for k in OPTIONS}
    try:
        sources = _assign_roles(args.family, args.sources)
        summary = convert_checkpoint(family=args.family, sources=sources, out=args.out, name=args.name, storage=args.storage, **options)
    except (ConvertError, ModelError) as exc:
        sys.stderr.write(f"convert: error: {exc}\n")
        return 2
    nets = ", ".join(f"{role}: {net['arch']}" for role, net in summary["networks"].items())
    sys.stdout.write(f"{summary['name']}: {nets} -> {summary['folder']} ({summary['size_bytes'] / 2**20:.1f} MiB)\n")
    return 0
