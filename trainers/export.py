"""`python -m trainers export RUN_DIR --name FAMILY.TAG [--int8]`: a run's generator(s) -> a model
folder the engine loads, plus its manifest entry (recipe, data, steps, wall time, metrics)."""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import torch

import engine
from engine.manifest import MANIFEST_FILE, upsert_entry, weights_dir

from .checkpoint import latest_checkpoint, load_checkpoint
from .state import build_family, config_of, restore_networks, training_device

logger = logging.getLogger(__name__)


def _unwrap(module: torch.nn.Module) -> torch.nn.Module:
    module = getattr(module, "_orig_mod", module)  # torch.compile
    return getattr(module, "module", module)  # DDP


def restore_family(run_dir: Path, *, device: str = "cpu", averaged: bool = True) -> tuple[object, dict]:
    """The run's family at its latest checkpoint; with `averaged`, the exported networks hold the
    moving average of their weights where the run kept one (ema_decay)."""
    path = latest_checkpoint(run_dir)
    if path is None:
        raise ValueError(f"{run_dir} has no checkpoint to export; train first")
    state = load_checkpoint(path)
    family = build_family(config_of(state), device=training_device(device))
    restore_networks(family, state, averaged=averaged)
    return family, state


CARD_FILE = "card.json"  # in a run directory: the recipe's [card] words, which export puts in the manifest


def write_card(run_dir: Path, card: dict, *, recipe: str | None) -> None:
    """A recipe's [card] words and where the recipe is, into the run, for export to read."""
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    (Path(run_dir) / CARD_FILE).write_text(json.dumps({**card, "recipe": recipe} if recipe else card, indent=1, ensure_ascii=False))


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def export_run(
    run_dir: Path, *, name: str, storage: str = "fp32", out: Path | None = None, manifest: bool = True, averaged: bool = True,
    onnx: bool = True,
) -> dict:
    run_dir = Path(run_dir)
    family, state = restore_family(run_dir, averaged=averaged)
    averaged = averaged and bool(state.get("ema"))
    cfg = family.cfg
    prefix = name.split(".", 1)[0]
    if prefix != cfg.family:
        raise ValueError(f"model name {name!r} must start with the run's family, e.g. {cfg.family}.TAG")
    networks = {role: _unwrap(module).eval() for role, module in family.export_networks().items()}
    extras, extra_config = family.export_extras(run_dir)
    folder = Path(out) if out else weights_dir() / name
    files = engine.save_model(
        folder, name=name, family=cfg.family, task=family.task, contract=family.contract(),
        networks=networks, extras=extras, storage=storage, extra_config=extra_config,
    )
    deviation = check_export(family, folder)
    card = _read_json(run_dir / CARD_FILE)
    entry = {
        "name": name,
        "family": cfg.family,
        "task": card.get("task", family.task),
        "files": files,
        "size_bytes": sum((folder / f).stat().st_size for f in files),
        "storage": storage,
        "weights": "moving average" if averaged else "last step",
        "dataset": card.get("dataset", {"name": Path(cfg.data).name, "terms": "see the dataset's own terms"}),
        "recipe": card.get("recipe", ""),
        "config": {k: v for k, v in state["config"].items() if k != "palette"},
        "steps": int(state["step"]),
        "wall_time_s": round(float(state.get("wall_time_s", 0.0)), 1),
        "device": state.get("device", "unknown"),
        "metrics": _read_json(run_dir / "metrics.json"),
        "export_max_abs_diff": deviation,
        "exported": time.strftime("%Y-%m-%d"),
        "contract": family.contract().to_dict(),
    }
    if card.get("plain"):  # the card's plain words (recipe [card.plain]) travel with the weights
        entry["plain"] = card["plain"]
    if manifest:
        upsert_entry(entry, path=(folder.parent / "manifest.json") if out else None)
    logger.info("exported %s to %s (%s, max |engine - trainer| = %.2e)", name, folder, storage, deviation)
    if onnx:
        # The ONNX graphs are derived from the weights just written (fp32; `python -m trainers
        # quantize NAME --data DIR` makes int8 ones), and their checksums join the manifest entry.
        from engine.onnx_export import export_folder
        from engine.onnx_publish import register_graphs

        export_folder(folder)
        if manifest:
            entry = register_graphs(folder, name, manifest=folder.parent / MANIFEST_FILE)
    return entry


@torch.no_grad()
def check_export(family: object, folder: Path) -> float:
    """Max |engine output - trainer output| on one fixed input: 0 for fp32, int8 rounding otherwise."""
    translator = engine.load_folder(folder, device="cpu")
    contract = translator.contract
    gen = torch.Generator().manual_seed(0)
    size = contract.size if contract.size % translator.size_multiple == 0 else translator.size_multiple
    if contract.kind == "labels":
        ids = torch.randint(0, len(contract.palette), (1, 1, size, size), generator=gen, dtype=torch.int64)
        x = family.encode_input(ids.to(torch.uint8), generator=None, training=False)
    else:
        raw = torch.randint(0, 256, (1, contract.channels if contract.kind != "sketch" else 1, size, size), generator=gen).to(torch.uint8)
        x = family.encode_input(raw, generator=None, training=False)
    diffs = []
    for role, module in family.export_networks().items():
        if role not in translator.networks or role.startswith("E"):
            continue
        module = _unwrap(module).eval()
        z = torch.randn(1, contract.nz, generator=gen) if contract.nz else None
        ref = module(x, z) if z is not None else module(x)
        direction = role.split("_", 1)[1] if role.startswith("G_") else None
        got = translator.forward_tensor(x, z=z, direction=direction)
        diffs.append(float((ref.float() - got.cpu()).abs().max()))
    return max(diffs) if diffs else 0.0
