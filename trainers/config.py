"""Training configs: one dataclass per family on this shared base, filled from a recipe and --set.
Each family's dataclass lives beside its trainer (trainers/families/<family>.py, `config_class`).

A recipe is a small TOML file of `key = value` lines (trainers/recipes/<model>.toml); an unknown
key is an error that lists the valid ones.
"""
from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TrainConfig:
    data: str = ""  # dataset folder
    layout: str = "aligned"  # aligned (pix2pix pairs) | unaligned (trainA/trainB) | labeled (photos + label maps) | photos
    input_kind: str = "photo"  # what the generator takes: sketch | labels | photo
    direction: str = "AtoB"  # aligned pairs: which half is the input
    holdout: float = 0.0  # fraction of the training files kept out for validation (when the data has no val/)
    limit: int = 0  # use at most this many training images (0: all)
    balance_folders: bool = False  # photos layout: draw every top-level subfolder about equally often
    load_size: int = 286  # images are resized to this, then randomly cropped ...
    crop_size: int = 256  # ... to this (the network's training size)
    batch_size: int = 1
    epochs: int = 100  # epochs at the initial learning rate
    epochs_decay: int = 100  # epochs of linear decay to zero after that
    max_steps: int = 0  # stop after this many steps (0: run the epochs)
    coarse_steps: int = 0  # the first steps train on crops halved to half resolution (a quarter
    # of the pixels: ~4x the images per second to learn layout and colour), then at full size for detail
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    amp: bool = True  # bf16 autocast on CUDA and on CPUs with native bf16 (AVX512-BF16/AMX)
    compile: bool = False  # torch.compile the generator and discriminator
    num_threads: int = 0  # CPU threads (0: all cores)
    log_every: int = 50  # steps between loss log rows
    sample_every: int = 500  # steps between sample grids
    checkpoint_every: int = 1000  # steps between checkpoints
    keep_checkpoints: int = 3
    init_from: str = ""  # warm start: an exported model folder or registered name whose generator (and encoder)
    # weights this run starts from; discriminators and optimizers start afresh (trainers/warm_start.py)
    ema_decay: float = 0.0  # >0 (e.g. 0.999): also keep a moving average of the exported networks' weights; export uses it
    line_width: int = 2  # sketch inputs: pen width of computed sketches
    sketch_augment: bool = True  # sketch inputs: width jitter, dropped and wobbled strokes
    palette: list = field(default_factory=list)  # label inputs: [[name, r, g, b], ...] (id = position)
    # Pretrained ImageNet features (trainers/pretrained/): a projected discriminator and a perceptual loss.
    projected_d: str = "off"  # off | beside (next to the family's own D) | only (in its place: pix2pix, CycleGAN)
    lambda_projected: float = 1.0  # weight of the projected D's hinge loss in G's objective
    projected_warmup: int = 0  # steps over which that weight ramps up from 0 (a projected D can overpower G early)
    projected_size: int = 224  # images with a shorter side go up to it before the backbone (its ImageNet scale); 0: as they are
    projected_d_norm: str = "batch"  # the heads' norm: batch (the paper's; batches of 2 or more) | none
    diffaugment: str = "color,translation,cutout"  # what the projected D sees of real and fake alike ("" for nothing)
    lambda_perceptual: float = 0.0  # LPIPS-style distance in EfficientNet-Lite0 features: paired families' fake vs
    # real; CycleGAN's cycle and identity terms (times lambda_cycle, as their L1); SPADE's in place of VGG

    family: typing.ClassVar[str] = ""
    # Settings a resume of this family may change besides RESUME_SETTINGS (see resume_settings).
    changeable_on_resume: typing.ClassVar[tuple[str, ...]] = ()


# Settings a resumed run may change: how long it runs and where, never what it learns from or how
# (the weight average only watches the training).
# The schedule follows a new length at once (constant lr for the same share of steps, then decay).
RESUME_SETTINGS = ("max_steps", "coarse_steps", "epochs", "epochs_decay", "device", "num_threads", "compile", "log_every", "sample_every", "checkpoint_every", "keep_checkpoints", "ema_decay")


def resume_settings(cfg: TrainConfig) -> tuple[str, ...]:
    return RESUME_SETTINGS + type(cfg).changeable_on_resume


def config_classes() -> dict[str, type[TrainConfig]]:
    """family -> its config dataclass, which lives beside its trainer (trainers/families/)."""
    from .families import TRAINERS  # the trainer modules import this one for TrainConfig

    return {family: trainer.config_class for family, trainer in TRAINERS.items()}


def describe_resume_settings() -> str:
    """What --set may change on a resume, for the command line's help."""
    extras = "".join(f" ({family} also {', '.join(c.changeable_on_resume)})" for family, c in config_classes().items() if c.changeable_on_resume)
    return ", ".join(RESUME_SETTINGS) + extras


def config_class(family: str) -> type[TrainConfig]:
    configs = config_classes()
    if family not in configs:
        raise ValueError(f"unknown family {family!r}; valid: {', '.join(configs)}")
    return configs[family]


def _coerce(name: str, value: object, kind: object) -> object:
    text = isinstance(value, str)
    if kind is bool or kind == "bool":
        if text:
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{name} takes true or false, got {value!r}")
        return bool(value)
    if kind in (int, "int"):
        return int(value)
    if kind in (float, "float"):
        return float(value)
    if kind in (list, "list"):
        return tomllib.loads(f"v = {value}")["v"] if text else list(value)
    return str(value)


def apply_overrides(cfg: TrainConfig, values: dict[str, object]) -> TrainConfig:
    fields = {f.name: f for f in dataclasses.fields(cfg)}
    for key, value in values.items():
        if key not in fields:
            raise ValueError(f"unknown {cfg.family} setting {key!r}; valid: {', '.join(sorted(fields))}")
        setattr(cfg, key, _coerce(key, value, fields[key].type))
    return cfg


def parse_set_args(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--set takes key=value, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def load_recipe(path: Path) -> dict:
    try:
        return tomllib.loads(Path(path).read_text())
    except FileNotFoundError as exc:
        raise ValueError(f"recipe {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"recipe {path} is not valid TOML: {exc}") from exc


# A recipe's sections that are not training settings (trainers.recipe reads them).
RECIPE_SECTIONS = ("legs", "export", "quantize", "evaluate", "card")


def build_config(family: str, *, recipe: Path | None = None, overrides: dict[str, object] | None = None) -> TrainConfig:
    """A family's config: its defaults, a recipe's shared settings and its first leg's (what a
    run from scratch with that recipe trains with), then overrides."""
    cfg = config_class(family)()
    if recipe is not None:
        values = load_recipe(recipe)
        sections = {k: values.pop(k) for k in RECIPE_SECTIONS if k in values}
        first = dict((sections.get("legs") or [{}])[0])
        for key in ("name", "start", "why"):
            first.pop(key, None)
        values.update(first)
        recipe_family = values.pop("family", family)
        if recipe_family != family:
            raise ValueError(f"recipe {recipe} is for {recipe_family!r}, not {family!r}")
        apply_overrides(cfg, values)
    return apply_overrides(cfg, overrides or {})


def describe_fields(family: str) -> str:
    """Every field with its default, for --help."""
    cfg = config_class(family)()
    lines = []
    for f in dataclasses.fields(cfg):
        lines.append(f"  {f.name} = {getattr(cfg, f.name)!r}")
    return "\n".join(lines)
