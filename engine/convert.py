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

Every constructor argument that the weights determine is read from their shapes, by the mappers
beside each network (engine/nets/official.py); which layouts a family takes is its descriptor's
(engine/families.py). The rest comes from options (see OPTIONS); the CLI exposes each one as a flag. Converted models run
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

from .contract import INPUT_KINDS, InputContract, PaletteEntry, generic_palette, palette_from
from .errors import ModelError
from .families import FAMILIES, Family, family_spec
from .loading import save_model
from .model_format import STORAGE_DTYPES, sha256_file
from .nets.norms import NORM_KINDS
from .nets.official import LayoutError, Mapped, build_checked, layout_words, sniff_layout
from .nets.spade import UPSAMPLING_LAYERS

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


def _official_role(role: str) -> str:
    return "G" if role.startswith("G") else role  # every generator shares its family's G layouts


def _layout_for(family: Family, role: str, path: Path, sd: dict[str, torch.Tensor]) -> str:
    layout = sniff_layout(sd)
    if layout in family.official.get(_official_role(role), {}):
        return layout
    if layout is None:
        raise ConvertError(f"{path}: its keys fit no official layout GANvas knows (first keys: {', '.join(list(sd)[:6])})")
    others = [f for f in map(family_spec, FAMILIES) if any(layout in layouts for layouts in f.official.values())]
    owners = sorted(f.name for f in others)
    roles = sorted(r for r, layouts in family.official.items() if layout in layouts)
    if roles:
        raise ConvertError(f"{path} holds {layout_words(layout)}, which is a {family.name} {roles[0]}, not its {role}: pass it as {roles[0]}=PATH")
    hint = f"; convert it with --family {' or '.join(owners)}" if owners else ""
    raise ConvertError(f"{path} holds {layout_words(layout)}, not a {family.name} {role}{hint}")


def load_palette(source: object) -> tuple[PaletteEntry, ...]:
    """A JSON file or a list of entries, read by engine.contract.palette_from."""
    if isinstance(source, str | Path):
        try:
            source = json.loads(Path(source).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConvertError(f"palette {source}: cannot read it as JSON ({exc})") from exc
    try:
        return palette_from(source)
    except ValueError as exc:
        raise ConvertError(f"the palette: {exc}") from exc


def _palette_for(options: dict) -> object:
    """classes -> the palette to ship: the one given (which must have that many), else generic names and colours."""

    def palette(classes: int) -> tuple[PaletteEntry, ...]:
        if options.get("palette") is None:
            logger.warning("no palette given: the %d label classes get generic names and colours", classes)
            return generic_palette(classes)
        given = load_palette(options["palette"])
        if len(given) != classes:
            raise ConvertError(f"the palette has {len(given)} classes but the generator takes {classes} label channels")
        return given

    return palette


def _contract(family: Family, mapped: dict[str, Mapped], options: dict) -> InputContract:
    g = mapped[next(r for r in family.generators if r in mapped)]
    if family.official_contract is not None:
        return family.official_contract(g, encoder="E" in mapped, options=options, palette=_palette_for(options))
    kw = g.kwargs
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
    if len(family.generators) > 1:  # one generator per direction, G_AtoB and G_BtoA
        labels = {"AtoB": options.get("a_to_b") or "A → B", "BtoA": options.get("b_to_a") or "B → A"}
        directions = {d: label for d, label in labels.items() if f"G_{d}" in mapped}
    size = options.get("size") or (2 ** kw["num_downs"] if g.arch == "unet" else 256)
    return InputContract(
        kind=kind, size=int(size), channels=channels, palette=palette, label_encoding=encoding, nz=kw.get("nz", 0),
        encoder="E" in mapped, directions=directions, any_resolution=g.arch == "resnet", blank_class=int(options.get("blank_class", 0)),
    )


def _normalise_sources(family: Family, sources: dict[str, Path]) -> dict[str, Path]:
    roles = {}
    for role, path in sources.items():
        role = family.role_aliases.get(role, role)
        if role not in family.roles:
            raise ConvertError(f"a {family.name} checkpoint has no role {role!r}; valid: {', '.join(family.roles)}")
        roles[role] = Path(path)
    for role in family.required_roles:
        if role not in roles:
            raise ConvertError(f"a {family.name} conversion needs the generator ({role}): latest_net_{role}.pth")
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
    spec = family_spec(family)
    roles = _normalise_sources(spec, sources)
    out = Path(out)
    mapped: dict[str, Mapped] = {}
    modules = {}
    layouts = {}
    # E first: a BicycleGAN G that takes z at its input only does not show nz; E does.
    for role in sorted(roles, key=lambda r: r != "E"):
        path = roles[role]
        sd = read_state_dict(path)
        layouts[role] = _layout_for(spec, role, path, sd)
        # A G whose layout does not show its latent size takes it from E (before the nz option).
        known = {"nz": mapped["E"].kwargs["nz"]} if "nz" in getattr(mapped.get("E"), "kwargs", {}) else {}
        try:
            mapped[role] = spec.official[_official_role(role)][layouts[role]](sd, {**options, **known})
            modules[role] = build_checked(mapped[role], what=str(path))
        except LayoutError as exc:
            raise ConvertError(f"{path}: {exc}" if not str(exc).startswith(str(path)) else str(exc)) from exc
        del sd
        dropped = mapped[role].dropped
        if dropped:
            logger.info("%s: dropped %d InstanceNorm running-stat keys (per-sample statistics are used)", path.name, len(dropped))
    try:
        if "E" in mapped and spec.check_official_pair is not None:
            spec.check_official_pair(mapped)
        contract = _contract(spec, mapped, options)
    except LayoutError as exc:
        raise ConvertError(str(exc)) from exc
    name = name or out.name
    task = str(options.get("task") or spec.default_task(contract))
    source = {
        "kind": f"official {family} checkpoint",
        "files": {role: {"file": roles[role].name, "sha256": sha256_file(roles[role]), "layout": layouts[role]} for role in roles},
        "dropped_keys": {role: m.dropped for role, m in mapped.items() if m.dropped},
    }
    files = save_model(
        out, name=name, family=family, task=task, contract=contract,
        networks=modules, storage=storage, extra_config={"source": source},
    )
    logger.info("wrote %s (%s) to %s", name, ", ".join(f"{r}: {m.arch}" for r, m in mapped.items()), out)
    return {
        "name": name, "family": family, "task": task, "folder": str(out), "files": files,
        "size_bytes": sum((out / f).stat().st_size for f in files), "contract": contract.to_dict(),
        "networks": {role: {"arch": m.arch, "kwargs": m.kwargs} for role, m in mapped.items()}, "source": source,
    }


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
    aliases, order = family_spec(family).role_aliases, family_spec(family).source_roles
    for path in positional:
        free = [r for r in order if r not in roles and aliases.get(r, r) not in roles]
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
    p.add_argument("--num-upsampling-layers", choices=tuple(UPSAMPLING_LAYERS), help=OPTIONS["num_upsampling_layers"])
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
