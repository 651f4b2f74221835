"""`python -m trainers reproduce NAME`: a shipped model again, from its recipe alone.

Runs the recipe's legs in order, each in runs/NAME/<leg>; a leg whose run has reached its steps
is skipped, one that was cut off resumes exactly from its last checkpoint. Then the model folder
(runs/NAME/weights/NAME, with its own manifest), its int8 ONNX graphs, the helper networks its
evaluation needs, its evaluation (int8 against fp32 too), and a table of its figures beside the
shipped model's. One progress bar with an ETA covers every leg's steps.

    python -m trainers reproduce pix2pix.facades --dry-run      # the plan, with hours from a short timing
    python -m trainers reproduce pix2pix.facades                 # the whole chain (resumable: run it again)
    python -m trainers reproduce spade.camvid --scale tiny --data DIR   # every step, on tiny networks
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from .checkpoint import latest_checkpoint
from .config import RESUME_SETTINGS
from .recipe import Recipe, read_recipe, recipe_path

RUNS = Path("runs")
# --scale tiny: every family's networks at toy widths, 64 px, a few images and steps per leg.
TINY = dict(
    load_size=72, crop_size=64, ngf=8, ndf=8, nef=8, n_blocks=2, label_hidden=8, z_dim=16, num_downs=6, n_layers_d=2,
    style_components=2, style_presets=2, batch_size=2, limit=24, projected_size=64, projected_warmup=1, sample_every=0,
    checkpoint_every=0, log_every=1, compile=False,
)
TINY_STEPS = 2  # steps a tiny leg adds (one of them coarse where the leg has coarse steps)
TINY_HELPERS = {"segmenter": ["--steps", "2", "--batch-size", "2", "--crop", "32"], "judge": ["--steps", "2", "--batch-size", "2", "--size", "32"]}
TINY_EVALUATE = ["--limit", "4"]
TINY_QUANTIZE = ["--count", "2"]
TIMING_STEPS = 3  # steps timed at each resolution for --dry-run's estimate (after one warm-up step)
# Figures the closing table puts side by side (manifest metrics key -> words), when both have them.
FIGURES = {
    "realism.kid_lite1_x1000": "KID-Lite1 ×1000",
    "outline.kid_lite1_x1000": "KID-Lite1 ×1000 from outline sketches",
    "edge_f1": "edge F1",
    "fcn.pixel_accuracy_ratio": "FCN pixel-accuracy ratio",
    "diversity_ratio": "diversity ratio",
    "l1": "L1",
    "ssim": "SSIM",
    "realism.AtoB.kid_lite1_x1000": "KID-Lite1 ×1000 A→B",
    "realism.BtoA.kid_lite1_x1000": "KID-Lite1 ×1000 B→A",
    "imagenet_top1.AtoB": "Lite1 top-1 target class A→B",
}
# The manifest's int8_check: its figure -> where evaluate puts it (int8 against fp32).
INT8_CHECK_KEYS = {"kid_lite1_x1000": "realism.kid_lite1_x1000", "outline_kid_lite1_x1000": "outline.kid_lite1_x1000", "edge_f1": "edge_f1", "fcn_pixel_accuracy_ratio": "fcn.pixel_accuracy_ratio", "diversity_ratio": "diversity_ratio"}


@dataclass(frozen=True)
class Step:
    """One leg as this machine will run it."""
    index: int
    name: str
    start: str
    run_dir: Path
    begin: int  # the step its run is at now
    end: int  # the step this leg takes its run to
    coarse_end: int  # its run trains at half size until this step
    cut_off: bool = False  # its run stopped part way through this leg: it resumes from its checkpoint

    @property
    def todo(self) -> int:
        return max(0, self.end - self.begin)


def checkpoint_step(run_dir: Path) -> int:
    path = latest_checkpoint(run_dir) if run_dir.is_dir() else None
    return int(path.stem.split("_")[-1]) if path else 0


def leg_overrides(recipe: Recipe, index: int, *, scale: str, data: str | None, threads: int | None) -> dict:
    """What this machine changes in leg `index`: data, threads, and for --scale tiny its size."""
    out: dict = {}
    if data:
        out["data"] = data
    if threads:
        out["num_threads"] = threads
    if scale == "tiny":
        cfg = recipe.leg_config(index)  # the recipe's own, before this machine's changes
        known = {f.name for f in fields(cfg)}
        out.update({k: v for k, v in TINY.items() if k in known})
        aspect = float(getattr(cfg, "aspect", 1.0))
        # SPADE: both sides on its grid, which each fine level doubles (and the crop with it, so a
        # grown leg's start grid is the previous leg's, as at full size).
        grown = 2 ** int(getattr(cfg, "fine_levels", 0))
        crop = grown * next(c for c in range(TINY["crop_size"], 1024, 32) if (c * aspect) % 32 == 0)
        out.update(crop_size=crop, load_size=crop + crop // 8)
        first = recipe.run_of(index)
        end = TINY_STEPS * (index - first + 1)  # a continued run goes on from its earlier legs' steps
        out.update(max_steps=end, coarse_steps=(end - TINY_STEPS + 1) if cfg.coarse_steps else 0)
    return out


def plan(recipe: Recipe, root: Path, *, scale: str = "full", data: str | None = None, threads: int | None = None) -> list[Step]:
    """Each leg with its run directory and where that run is now (a continued leg begins where
    the leg before it ends, or further if it was cut off after that)."""
    steps: list[Step] = []
    for i, leg in enumerate(recipe.legs):
        cfg = recipe.leg_config(i, overrides=leg_overrides(recipe, i, scale=scale, data=data, threads=threads))
        run_dir = root / recipe.legs[recipe.run_of(i)].name
        reached = checkpoint_step(run_dir)
        floor = steps[-1].end if leg.start == "continue" else 0
        steps.append(Step(index=i, name=leg.name, start=leg.start, run_dir=run_dir, begin=min(max(reached, floor), cfg.max_steps),
                          end=cfg.max_steps, coarse_end=cfg.coarse_steps, cut_off=floor < reached < cfg.max_steps))
    return steps


def export_dir(step: Step) -> Path:
    return step.run_dir / "model"


def _write_card(recipe: Recipe, run_dir: Path) -> None:
    from .export import write_card

    write_card(run_dir, recipe.card, recipe=f"trainers/recipes/{recipe.path.name}")


def run_leg(recipe: Recipe, step: Step, steps: list[Step], *, overrides: dict, on_step: Callable[[int], None]) -> None:
    """Train one leg: fresh, warm-started from the previous leg's export, resumed or continued."""
    from .loop import train

    leg = recipe.legs[step.index]
    cfg = recipe.leg_config(step.index, overrides=overrides)
    reached = checkpoint_step(step.run_dir)
    if reached >= cfg.max_steps:
        return
    if reached:  # cut off, or a continued run: it goes on with what may change on a resume
        changes = {k: v for k, v in {**leg.settings, **overrides}.items() if k in RESUME_SETTINGS}
        train(cfg, run_dir=step.run_dir, resume=True, resume_overrides={**changes, "max_steps": cfg.max_steps}, on_step=on_step)
        return
    if leg.start == "warm":
        cfg.init_from = str(ensure_export(recipe, steps[step.index - 1]))
    _write_card(recipe, step.run_dir)
    train(cfg, run_dir=step.run_dir, on_step=on_step)


def _export_options(recipe: Recipe) -> dict:
    e = recipe.export
    return dict(storage=str(e.get("storage", "fp32")), averaged=str(e.get("weights", "average")) != "last")


def ensure_export(recipe: Recipe, step: Step) -> Path:
    """The leg's run as a model folder (a warm leg starts from it), exported once."""
    from .export import export_run

    folder = export_dir(step)
    if not (folder / "model.safetensors").is_file():
        export_run(step.run_dir, name=recipe.name, out=folder, manifest=False, onnx=False, **_export_options(recipe))
    return folder


@contextlib.contextmanager
def weights_at(folder: Path) -> Iterator[None]:
    """The engine's weights folder is `folder` meanwhile (quantize and evaluate find NAME there)."""
    before = os.environ.get("GANVAS_WEIGHTS_DIR")
    os.environ["GANVAS_WEIGHTS_DIR"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("GANVAS_WEIGHTS_DIR", None)
        else:
            os.environ["GANVAS_WEIGHTS_DIR"] = before


def _args(section: dict | None, key: str = "args") -> list[str]:
    return [str(a) for a in (section or {}).get(key, [])]


def finish(recipe: Recipe, last: Step, root: Path, *, data: str, scale: str, say: Callable[[str], None]) -> dict:
    """Model folder, int8 graphs, helpers, evaluation (fp32 and int8) -> the new manifest entry."""
    from engine.manifest import find_card, upsert_entry

    from .calibration import quantize_main
    from .evaluation import commands
    from .evaluation.evaluate import evaluate_main
    from .export import export_run

    weights = root / "weights"
    folder = weights / recipe.name
    tiny = scale == "tiny"
    if not (folder / "model.safetensors").is_file():
        say(f"export: {folder}")
        _write_card(recipe, last.run_dir)  # the card as the recipe says it now (a run may predate it)
        export_run(last.run_dir, name=recipe.name, out=folder, onnx=True, **_export_options(recipe))
    with weights_at(weights):
        if _needs_int8(folder, recipe):
            say("quantize: int8 ONNX graphs")
            quantize_main([recipe.name, "--data", data, *_args(recipe.quantize), *(TINY_QUANTIZE if tiny else [])])
        helpers = {}
        for helper in ("segmenter", "judge"):
            if helper in recipe.evaluate:
                out = root / helper
                if not (out / "model.safetensors").is_file():
                    say(f"{helper}: training the evaluation's {helper}")
                    getattr(commands, f"{helper}_main")(["--data", data, "--out", str(out), *_args(recipe.evaluate, helper), *(TINY_HELPERS[helper] if tiny else [])])
                helpers[helper] = out
        common = [recipe.name, "--data", data, *_args(recipe.evaluate), *(TINY_EVALUATE if tiny else [])]
        common += [a for h, out in helpers.items() for a in (f"--{h}", str(out))]
        if recipe.evaluate.get("with_run"):
            common += ["--run", str(last.run_dir)]
        say("evaluate: fp32 (torch)")
        evaluate_main([*common, "--backend", "torch", "--write"])
        entry = find_card(recipe.name).entry
        if recipe.quantize is not None:
            say("evaluate: int8 (ONNX Runtime), the same inputs")
            onnx_json = root / "evaluation-onnx.json"
            evaluate_main([*common, "--backend", "onnx", "--out", str(onnx_json)])
            entry["int8_check"] = int8_check(entry["metrics"], json.loads(onnx_json.read_text()))
            upsert_entry(entry)
    return entry


def _needs_int8(folder: Path, recipe: Recipe) -> bool:
    if recipe.quantize is None:
        return False
    record = folder / "onnx.json"
    return not record.is_file() or "int8" not in record.read_text()


def _flat(metrics: dict, prefix: str = "") -> dict[str, float]:
    out = {}
    for k, v in metrics.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out[f"{prefix}{k}"] = float(v)
    return out


def int8_check(fp32: dict, int8: dict) -> dict:
    """The manifest's int8_check: each headline figure under both, with KID's reference rows."""
    a, b = _flat(fp32), _flat(int8.get("metrics", int8))  # evaluate --out: {"metrics": {...}, "backend": ...}
    out: dict = {"evaluated_on": f"{fp32.get('evaluated_on', '?')}, same data and code (python -m trainers evaluate --backend torch|onnx)"}
    for name, key in INT8_CHECK_KEYS.items():
        if key in a and key in b:
            out[name] = {"fp32": round(a[key], 4), "int8": round(b[key], 4)}
    if "realism.real_vs_real" in a:
        out["kid_reference"] = {"real_vs_real": round(a["realism.real_vs_real"], 2), "real_blurred": round(a.get("realism.real_blurred", 0.0), 1)}
    return out


def figures_table(new: dict, shipped: dict | None) -> str:
    """The new model's headline figures beside the shipped one's (same evaluation)."""
    a, b = _flat(new.get("metrics") or {}), _flat((shipped or {}).get("metrics") or {})
    rows = [("figure", "reproduced", "shipped")]
    for key, words in FIGURES.items():
        if key in a:
            rows.append((words, f"{a[key]:.3f}", f"{b[key]:.3f}" if key in b else "—"))
    old = shipped or {}
    rows.append(("steps", f"{new.get('steps', '—')}", f"{old.get('steps', '—')}"))
    rows.append(("wall time, h", f"{new.get('wall_time_s', 0) / 3600:.2f}", f"{old.get('wall_time_s', 0) / 3600:.2f}"))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, width)) for r in rows)


def time_steps(recipe: Recipe, index: int, *, overrides: dict) -> tuple[float, float]:
    """(s per step at half size, s per step at full size) of a leg, from a few steps on a few images."""
    from .loop import train

    cfg = recipe.leg_config(index, overrides={**overrides, "init_from": ""})
    n = TIMING_STEPS + 1
    coarse = n if cfg.coarse_steps else 0
    marks: list[float] = []
    with tempfile.TemporaryDirectory(prefix="ganvas-timing-") as tmp:
        probe = recipe.leg_config(index, overrides={**overrides, "init_from": "", "max_steps": coarse + n, "coarse_steps": coarse,
                                                      "limit": 16, "sample_every": 0, "checkpoint_every": 0, "ema_decay": 0.0})
        train(probe, run_dir=Path(tmp), on_step=lambda _: marks.append(time.perf_counter()))
    full = (marks[-1] - marks[-n]) / (n - 1)
    half = (marks[coarse - 1] - marks[0]) / (coarse - 1) if coarse else full / 4
    return half, full


def estimate_hours(step: Step, half_s: float, full_s: float) -> float:
    coarse = max(0, min(step.coarse_end, step.end) - step.begin)
    return (coarse * half_s + (step.todo - coarse) * full_s) / 3600


def describe(recipe: Recipe, steps: list[Step], *, hours: list[float | None]) -> str:
    lines = [f"{recipe.name} ({recipe.family}) from {recipe.path}: {len(steps)} leg(s), data {recipe.data or '(--data)'}"]
    for s, h, leg in zip(steps, hours, recipe.legs):
        state = "done" if s.todo == 0 else f"cut off: resumes at {s.begin}" if s.cut_off else "to do"
        coarse = f", half size to step {s.coarse_end}" if s.coarse_end else ""
        est = f", ~{h:.2f} h here" if h is not None else ""
        lines.append(f"  {s.index + 1}. {s.name} [{s.start}] steps {s.begin}→{s.end}{coarse} in {s.run_dir} ({state}{est})" + (f": {leg.why}" if leg.why else ""))
    e = recipe.export
    lines.append(f"  then: export ({e.get('storage', 'fp32')}, {'last step' if e.get('weights') == 'last' else 'moving average'} weights)"
                 + (f", int8 ONNX graphs ({' '.join(_args(recipe.quantize)) or 'defaults'})" if recipe.quantize is not None else "")
                 + "".join(f", {h} ({' '.join(_args(recipe.evaluate, h)) or 'defaults'})" for h in ("segmenter", "judge") if h in recipe.evaluate)
                 + f", evaluate ({' '.join(_args(recipe.evaluate)) or 'defaults'})")
    if all(h is not None for h in hours):
        lines.append(f"  training time here: ~{sum(hours):.1f} h for {sum(s.todo for s in steps)} steps")
    return "\n".join(lines)


def shipped_entry(name: str) -> dict | None:
    from engine.errors import ModelError
    from engine.manifest import find_card

    try:
        return find_card(name).entry
    except ModelError:  # not shipped (yet), or no manifest here
        return None


def reproduce(name: str, *, runs: Path = RUNS, scale: str = "full", data: str | None = None, threads: int | None = None,
              dry_run: bool = False, timing: bool = True, say: Callable[[str], None] = print) -> dict | None:
    recipe = read_recipe(recipe_path(name))
    data = data or recipe.data
    if not data or not Path(data).is_dir():
        raise ValueError(f"the dataset {data!r} is not here; pass --data DIR (see ../shared/datasets/README.md)")
    root = Path(runs) / recipe.name
    overrides = [leg_overrides(recipe, i, scale=scale, data=data, threads=threads) for i in range(len(recipe.legs))]
    steps = plan(recipe, root, scale=scale, data=data, threads=threads)
    if dry_run:
        hours: list[float | None] = [None] * len(steps)
        if timing:
            for s in steps:
                if s.todo:
                    hours[s.index] = estimate_hours(s, *time_steps(recipe, s.index, overrides=overrides[s.index]))
                else:
                    hours[s.index] = 0.0
        say(describe(recipe, steps, hours=hours))
        return None
    say(describe(recipe, steps, hours=[None] * len(steps)))
    from tqdm.auto import tqdm

    with tqdm(total=sum(s.todo for s in steps), unit="step", desc=recipe.name, dynamic_ncols=True) as bar:
        for s in steps:
            bar.set_postfix_str(s.name)
            run_leg(recipe, s, steps, overrides=overrides[s.index], on_step=lambda _: bar.update(1))
    entry = finish(recipe, steps[-1], root, data=data, scale=scale, say=say)
    say(figures_table(entry, shipped_entry(recipe.name)))
    return entry


def reproduce_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m trainers reproduce", description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog="\n".join(__doc__.splitlines()[2:]))
    p.add_argument("name", help="a shipped model's name (its recipe: trainers/recipes/NAME.toml) or a recipe file")
    p.add_argument("--data", help="dataset folder (default: the recipe's)")
    p.add_argument("--runs", type=Path, default=RUNS, help="where the legs' runs go: RUNS/NAME/<leg> (default runs/)")
    p.add_argument("--threads", type=int, help="CPU threads for training (default: the recipe's, else all cores)")
    p.add_argument("--scale", choices=("full", "tiny"), default="full", help="tiny: toy networks, 2 steps a leg (checks that the chain runs)")
    p.add_argument("--dry-run", action="store_true", help="print the plan: legs, steps, state, hours on this machine from a short timing")
    p.add_argument("--no-timing", action="store_true", help="with --dry-run: skip the timing")
    args = p.parse_args(argv)
    reproduce(args.name, runs=args.runs, scale=args.scale, data=args.data, threads=args.threads, dry_run=args.dry_run, timing=not args.no_timing)

