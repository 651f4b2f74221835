"""Training configs: one dataclass per family on the shared base (trainers/settings.py), filled
from a recipe and --set. Each family's dataclass lives beside its trainer
(trainers/families/<family>.py, `config_class`).

A recipe (trainers/recipes/<model>.toml) holds `key = value` settings and, in sections, its legs,
export, int8 graphs, evaluation and card (trainers/recipe.py reads it whole). Here a recipe gives
a run from scratch: its shared settings and its first leg's. An unknown key is an error that lists
the valid ones.
"""
from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

from . import families
from .settings import TrainConfig

__all__ = ["TrainConfig", "RESUME_SETTINGS", "RECIPE_SECTIONS", "build_config", "apply_overrides", "config_class", "config_classes"]


# Settings a resumed run may change: how long it runs and where, never what it learns from or how
# (the weight average only watches the training).
# The schedule follows a new length at once (constant lr for the same share of steps, then decay).
RESUME_SETTINGS = ("max_steps", "coarse_steps", "epochs", "epochs_decay", "device", "num_threads", "compile", "log_every", "sample_every", "checkpoint_every", "keep_checkpoints", "ema_decay")


def resume_settings(config_type: type[TrainConfig]) -> tuple[str, ...]:
    """What a resumed run of this config class may change: RESUME_SETTINGS and its family's own."""
    return RESUME_SETTINGS + config_type.changeable_on_resume


def config_classes() -> dict[str, type[TrainConfig]]:
    """family -> its config dataclass, which lives beside its trainer (trainers/families/)."""
    return {family: trainer.config_class for family, trainer in families.TRAINERS.items()}  # as registered now


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


# A recipe's sections that are not training settings (trainers.recipe reads them), and a leg's keys
# that say what the leg is rather than what it trains with.
RECIPE_SECTIONS = ("legs", "export", "quantize", "evaluate", "card")
LEG_KEYS = ("name", "start", "why")


def build_config(family: str, *, recipe: Path | None = None, overrides: dict[str, object] | None = None) -> TrainConfig:
    """A family's config: its defaults, a recipe's shared settings and its first leg's (what a
    run from scratch with that recipe trains with), then overrides."""
    cfg = config_class(family)()
    if recipe is not None:
        values = load_recipe(recipe)
        sections = {k: values.pop(k) for k in RECIPE_SECTIONS if k in values}
        first = (sections.get("legs") or [{}])[0]
        values.update({k: v for k, v in first.items() if k not in LEG_KEYS})
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
