"""A recipe as the whole truth of how a shipped model is made (trainers/recipes/NAME.toml).

Top-level keys are the training settings every leg shares (`family` and `data` among them);
then, in order:

- `[[legs]]`: each leg a run of its own under runs/NAME/<leg>, with the settings it changes and
  how it starts: "scratch" (a fresh run), "warm" (a fresh run whose networks start from the
  previous leg's exported model: `init_from`), or "continue" (the previous leg's run goes on,
  longer; only what a resume may change, trainers.config.RESUME_SETTINGS).
- `[export]`: how the last leg becomes the model folder (storage, moving average or last step).
- `[quantize]`: the int8 ONNX graphs (`python -m trainers quantize` options), if any.
- `[evaluate]`: `python -m trainers evaluate` options, and the helper networks it needs
  (`segmenter`, `judge`: their commands' options).
- `[card]`: the model card's words (task, dataset and its terms, plain words).

What was tried and measured lives beside it in NAME.md, not here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import LEG_KEYS, RECIPE_SECTIONS, TrainConfig, apply_overrides, config_class, load_recipe, resume_settings

RECIPES = Path(__file__).resolve().parent / "recipes"
STARTS = ("scratch", "warm", "continue")


@dataclass(frozen=True)
class Leg:
    name: str
    start: str  # scratch | warm | continue
    settings: dict  # what this leg changes; max_steps always
    why: str = ""  # one line: what the leg is for

    @property
    def steps(self) -> int:
        return int(self.settings["max_steps"])


@dataclass(frozen=True)
class Recipe:
    name: str
    path: Path
    family: str
    settings: dict  # shared by every leg (data included)
    legs: tuple[Leg, ...]
    export: dict = field(default_factory=dict)
    quantize: dict | None = None
    evaluate: dict = field(default_factory=dict)
    card: dict = field(default_factory=dict)

    @property
    def data(self) -> str:
        return str(self.settings.get("data", ""))

    def leg_values(self, index: int) -> dict:
        """The settings leg `index` trains with: the recipe's, then each leg's of its run
        (a continued run keeps its first leg's settings and changes only its length and such)."""
        first = index
        while self.legs[first].start == "continue":
            first -= 1
        values = dict(self.settings)
        for leg in self.legs[first : index + 1]:
            values.update(leg.settings)
        return values

    def leg_config(self, index: int, *, overrides: dict | None = None) -> TrainConfig:
        return apply_overrides(config_class(self.family)(), {**self.leg_values(index), **(overrides or {})})

    def run_of(self, index: int) -> int:
        """The leg whose run directory leg `index` trains in (a continued leg: its first leg's)."""
        while self.legs[index].start == "continue":
            index -= 1
        return index


def _leg(raw: dict, index: int, path: Path, *, resumable: tuple[str, ...]) -> Leg:
    name = str(raw.get("name", f"leg{index + 1}"))
    start = str(raw.get("start", "scratch" if index == 0 else "warm"))
    why = str(raw.get("why", ""))
    raw = {k: v for k, v in raw.items() if k not in LEG_KEYS}
    if start not in STARTS:
        raise ValueError(f"{path}: leg {name!r} starts {start!r}; valid: {', '.join(STARTS)}")
    if index == 0 and start != "scratch":
        raise ValueError(f"{path}: the first leg starts from scratch")
    if "max_steps" not in raw:
        raise ValueError(f"{path}: leg {name!r} needs max_steps (how long its run trains)")
    if start == "continue":
        fixed = sorted(set(raw) - set(resumable))
        if fixed:
            raise ValueError(f"{path}: leg {name!r} continues a run, which may change only {', '.join(resumable)} (not {', '.join(fixed)})")
    if "init_from" in raw:
        raise ValueError(f"{path}: leg {name!r} sets init_from; a warm leg starts from the previous leg's export")
    return Leg(name=name, start=start, settings=raw, why=why)


def read_recipe(path: Path) -> Recipe:
    """A recipe file with its legs; a recipe without [[legs]] is one leg of its own settings."""
    path = Path(path)
    values = load_recipe(path)
    sections = {k: values.pop(k) for k in RECIPE_SECTIONS if k in values}
    family = values.get("family")
    if not family:
        raise ValueError(f"{path}: a recipe names its family (family = \"pix2pix\", ...)")
    raw_legs = sections.get("legs") or [{"name": "main", "max_steps": values.get("max_steps", 0)}]
    resumable = resume_settings(config_class(family))  # what `train --resume --set` may change
    legs = tuple(_leg(raw, i, path, resumable=resumable) for i, raw in enumerate(raw_legs))
    if len({leg.name for leg in legs}) != len(legs):
        raise ValueError(f"{path}: leg names must differ (each is a run directory)")
    recipe = Recipe(
        name=path.stem, path=path, family=family, settings={k: v for k, v in values.items() if k != "family"}, legs=legs,
        export=sections.get("export", {}), quantize=sections.get("quantize"), evaluate=sections.get("evaluate", {}), card=sections.get("card", {}),
    )
    for i in range(len(legs)):  # every leg's settings are valid ones of the family
        recipe.leg_config(i)
    return recipe


def recipe_path(name: str) -> Path:
    """trainers/recipes/NAME.toml for a model name (or a path to a recipe file)."""
    path = Path(name)
    if path.suffix == ".toml" and path.is_file():
        return path
    found = RECIPES / f"{name}.toml"
    if not found.is_file():
        known = ", ".join(sorted(p.stem for p in RECIPES.glob("*.toml")))
        raise ValueError(f"no recipe for {name!r}; recipes: {known}")
    return found


def all_recipes() -> list[Recipe]:
    return [read_recipe(p) for p in sorted(RECIPES.glob("*.toml"))]

