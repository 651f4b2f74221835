"""Training configs: one dataclass per family on a shared base, filled from a recipe and --set.

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


@dataclass
class Pix2PixConfig(TrainConfig):
    generator: str = "unet"  # unet (the paper's) | lite0_unet (encoder: ImageNet EfficientNet-Lite0, fine-tuned; ngf sizes the decoder)
    ngf: int = 64
    ndf: int = 64
    num_downs: int = 8  # U-Net levels (8 for 256 px)
    norm: str = "batch"
    dropout: bool = True
    upsample: str = "transpose"  # U-Net decoder: "transpose" (paper) or "resize" (nearest 2x + 3x3 conv)
    n_layers_d: int = 3  # 3: the 70x70 PatchGAN
    lambda_l1: float = 100.0
    gan_mode: str = "vanilla"
    lr: float = 2e-4
    beta1: float = 0.5
    label_encoding: str = "onehot"

    family: typing.ClassVar[str] = "pix2pix"


@dataclass
class CycleGANConfig(TrainConfig):
    layout: str = "unaligned"
    generator: str = "resnet"  # resnet (the paper's) | lite0_unet (encoder: ImageNet EfficientNet-Lite0, fine-tuned; ngf sizes the decoder)
    ngf: int = 64
    ndf: int = 64
    n_blocks: int = 9
    n_layers_d: int = 3
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5  # times lambda_cycle, as in the original
    pool_size: int = 50
    gan_mode: str = "lsgan"
    lr: float = 2e-4
    beta1: float = 0.5
    domain_names: list = field(default_factory=lambda: ["A", "B"])

    family: typing.ClassVar[str] = "cyclegan"
    # Size-free networks (ResNet generators, PatchGANs): a run may go on at larger crops, e.g. a
    # 128 px run finished at the paper's 286 -> 256. A fine-tune may also re-weight the losses
    # (the same networks and optimiser state carry over).
    changeable_on_resume: typing.ClassVar[tuple[str, ...]] = ("load_size", "crop_size", "lambda_cycle", "lambda_identity")


@dataclass
class SPADEConfig(TrainConfig):
    layout: str = "labeled"
    input_kind: str = "labels"
    ngf: int = 64
    ndf: int = 64
    z_dim: int = 256
    num_d: int = 2  # discriminator scales
    n_layers_d: int = 4
    param_free_norm: str = "batch"
    label_hidden: int = 128  # width of the label MLP inside every SPADE norm (paper: 128); most of G's cost at full resolution
    lambda_feat: float = 10.0
    lambda_kl: float = 0.05
    lambda_vgg: float = 10.0
    vgg_weights: str = ""  # VGG19 safetensors for the perceptual loss; off when empty (nothing downloads)
    lr_g: float = 1e-4
    lr_d: float = 4e-4
    aspect: float = 1.0  # width / height of training crops (camvid: 4/3)
    style_components: int = 8  # principal style directions shipped for sliders
    style_presets: int = 6  # cluster centres of training styles shipped as presets

    family: typing.ClassVar[str] = "spade"


@dataclass
class BicycleGANConfig(TrainConfig):
    input_kind: str = "sketch"
    generator: str = "unet"  # unet (the paper's, z at every encoder level) | lite0_unet (ImageNet EfficientNet-Lite0 encoder, z at every decoder level)
    ngf: int = 64
    ndf: int = 64
    nef: int = 64
    nz: int = 8
    num_downs: int = 8
    norm: str = "instance"
    upsample: str = "transpose"  # U-Net decoder: "transpose" (paper) or "resize" (nearest 2x + 3x3 conv)
    n_layers_d: int = 3
    lambda_l1: float = 10.0
    lambda_kl: float = 0.01
    lambda_z: float = 0.5
    conditional_d: bool = False  # D and D2 see the input beside the photo (the original's --conditional_D), so
    # random-z renders are judged against the drawn lines, not only for looking like cats
    gan_mode: str = "lsgan"
    lr: float = 2e-4
    beta1: float = 0.5

    family: typing.ClassVar[str] = "bicyclegan"


# Settings a resumed run may change: how long it runs and where, never what it learns from or how
# (the weight average only watches the training).
# The schedule follows a new length at once (constant lr for the same share of steps, then decay).
RESUME_SETTINGS = ("max_steps", "coarse_steps", "epochs", "epochs_decay", "device", "num_threads", "compile", "log_every", "sample_every", "checkpoint_every", "keep_checkpoints", "ema_decay")


def resume_settings(cfg: TrainConfig) -> tuple[str, ...]:
    return RESUME_SETTINGS + type(cfg).changeable_on_resume


CONFIGS: dict[str, type[TrainConfig]] = {c.family: c for c in (Pix2PixConfig, CycleGANConfig, SPADEConfig, BicycleGANConfig)}


def describe_resume_settings() -> str:
    """What --set may change on a resume, for the command line's help."""
    extras = "".join(f" ({family} also {', '.join(c.changeable_on_resume)})" for family, c in CONFIGS.items() if c.changeable_on_resume)
    return ", ".join(RESUME_SETTINGS) + extras


def config_class(family: str) -> type[TrainConfig]:
    if family not in CONFIGS:
        raise ValueError(f"unknown family {family!r}; valid: {', '.join(CONFIGS)}")
    return CONFIGS[family]


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


def build_config(family: str, *, recipe: Path | None = None, overrides: dict[str, object] | None = None) -> TrainConfig:
    cfg = config_class(family)()
    if recipe is not None:
        values = load_recipe(recipe)
        values.pop("card", None)  # the model card's words, not a setting (export reads them)
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
