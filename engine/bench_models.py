"""The shipped models end to end, in every runtime, in one run: `python -m engine.bench` (no --families).

Each model renders one of the project's assets at its studio size through `Translator.__call__`
(preparation, network, back to a PIL image), in four ways, timed in turns of a few calls so that
a busy machine slows them alike:

- plain: the torch networks as built, eval mode, no engine rewrites (GANVAS_OPTIMIZE=0);
- torch: `engine.load(name, backend="torch")`, the engine's torch path before ONNX;
- ORT fp32: the fp32 ONNX graphs (exported afresh into a temporary folder where the shipped ones
  are int8);
- ORT int8: the shipped int8 graphs, where the model ships them;

and max / mean |diff| of each network output against plain, in the [-1, 1] output range.
CycleGAN also renders at 512 px, the studio's cap for photos.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .loading import load, load_folder
from .manifest import find_card, model_cards
from .onnx_export import ONNX_CONFIG, export_folder, read_onnx_config
from .speed import OPTIMIZE_ENV

ASSETS = Path(__file__).resolve().parent.parent / "assets"
EXAMPLE = {"sketch": "sketches/cat_face_0.png", "photo": "photos/horse_bay.png"}
LABEL_EXAMPLE = {"facades": "facades/facade_1.png", "streets": "streets/street_1.png"}


def example_input(name: str, *, side: int | None = None) -> Image.Image:
    card = find_card(name)
    kind = card.contract.kind
    rel = EXAMPLE.get(kind) or LABEL_EXAMPLE["streets" if card.contract.nz else "facades"]
    image = Image.open(ASSETS / rel)
    image.load()
    if side:
        image = image.resize((side, side), Image.BICUBIC)
    return image


@contextmanager
def _plain_networks():
    saved = os.environ.get(OPTIMIZE_ENV)
    os.environ[OPTIMIZE_ENV] = "0"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(OPTIMIZE_ENV, None)
        else:
            os.environ[OPTIMIZE_ENV] = saved


def runtimes(name: str, scratch: Path) -> dict[str, object]:
    """Label -> Translator for each runtime this model has."""
    with _plain_networks():
        found = {"plain": load(name, backend="torch")}
    found["torch"] = load(name, backend="torch")
    folder = find_card(name).folder
    record = read_onnx_config(folder)
    if record is None:
        return found
    precisions = {g["precision"] for g in record["graphs"].values()}
    if precisions == {"fp32"}:
        found["ORT fp32"] = load(name, backend="onnx")
        return found
    fp32 = scratch / name
    shutil.copytree(folder, fp32, ignore=shutil.ignore_patterns("*.onnx", ONNX_CONFIG))
    export_folder(fp32)
    found["ORT fp32"] = load_folder(fp32, backend="onnx")
    found["ORT int8"] = load(name, backend="onnx")
    return found


def output_diff(translators: dict[str, object], image: Image.Image) -> dict[str, tuple[float, float]]:
    """label -> (max, mean) |output - plain| on the network's [-1, 1] output."""
    ref = translators["plain"]
    x, _ = ref.prepare(image)
    z = ref.random_z(0) if ref.nz else None
    want = ref.forward_tensor(x, z=z)
    diffs = {label: (t.forward_tensor(x, z=z) - want).abs() for label, t in translators.items()}
    return {label: (float(d.max()), float(d.mean())) for label, d in diffs.items()}


SETTLE_S = 0.3  # pause before each runtime's turn: torch's OpenMP threads spin ~200 ms after a call
BURST = 5  # calls per turn, back to back, as a stroke's live renders come


def time_renders(calls: dict[str, Callable[[], object]], *, iters: int, warmup: int) -> dict[str, float]:
    """p50 milliseconds per label. The runtimes take turns of BURST calls (a busy machine slows
    them alike), each turn after a pause, so that no runtime pays for the last one's idle threads."""
    import time

    for call in calls.values():
        for _ in range(warmup):
            call()
    seconds: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(max(1, -(-iters // BURST))):
        for label, call in calls.items():
            time.sleep(SETTLE_S)
            for _ in range(BURST):
                start = time.perf_counter()
                call()
                seconds[label].append(time.perf_counter() - start)
    return {label: float(np.median(s) * 1000) for label, s in seconds.items()}


def bench_models(*, names: list[str] | None = None, iters: int = 20, warmup: int = 3) -> list[dict]:
    rows = []
    names = names or [c.name for c in model_cards() if c.available]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            translators = runtimes(name, Path(tmp))
            sides = [None, 512] if find_card(name).contract.kind == "photo" else [None]
            for side in sides:
                image = example_input(name, side=side)
                kwargs = {"seed": 0} if translators["plain"].nz else {}
                calls = {label: (lambda t=t: t(image, **kwargs)) for label, t in translators.items()}
                out = translators["torch"](image, **kwargs)
                rows.append({
                    "model": name, "size": f"{out.width}x{out.height}",
                    "p50_ms": time_renders(calls, iters=iters, warmup=warmup),
                    "abs_diff": output_diff(translators, image),
                })
    return rows


def format_rows(rows: list[dict]) -> str:
    labels = ["plain", "torch", "ORT fp32", "ORT int8"]
    head = ["model", "output", *(f"{label} ms" for label in labels), "speed-up vs torch", *(f"max/mean |diff| {label}" for label in labels[2:])]
    lines = [head]
    for r in rows:
        p50, diff = r["p50_ms"], r["abs_diff"]
        best = min(v for k, v in p50.items() if k.startswith("ORT")) if any(k.startswith("ORT") for k in p50) else None
        lines.append([
            r["model"], r["size"],
            *(f"{p50[label]:.1f}" if label in p50 else "-" for label in labels),
            f"{p50['torch'] / best:.2f}x" if best else "-",
            *(f"{diff[label][0]:.1e} / {diff[label][1]:.1e}" if label in diff else "-" for label in labels[2:]),
        ])
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))) for line in lines)


def run(*, threads: int, iters: int, warmup: int = 3, names: list[str] | None = None) -> str:
    torch.set_num_threads(threads)
    os.environ.setdefault("GANVAS_ORT_THREADS", str(threads))
    return format_rows(bench_models(names=names, iters=iters, warmup=warmup))
