"""`python -m trainers grid MODEL [MODEL ...] --data DIR --out grid.png`: a picture to judge with your eyes.

One row per held-out input (the same files `evaluate` scores, chosen alike) and per example in
--examples (e.g. assets/sketches); columns: input | each model's render | the real photo (blank
for examples). Every model renders the same input arrays, made for the first model's contract, so
today's model and a new one are compared on exactly the same drawings. The grid holds dataset
photos: write it outside the repository (runs/ or /tmp), never commit it.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

import engine

from ..data.folders import list_images
from ..data.outline_sketch import outline_sketch
from .evaluate import load_eval_set
from .rendering import render_to_uint8

HEADER = 14  # px of column titles


def _tile(image: np.ndarray | Image.Image | None, side: int, *, palette: np.ndarray | None = None) -> Image.Image:
    if image is None:
        return Image.new("RGB", (side, side), (255, 255, 255))
    if isinstance(image, np.ndarray):
        if image.ndim == 2 and palette is not None:
            image = palette[image]
        image = Image.fromarray(image)
    return image.convert("RGB").resize((side, side), Image.BICUBIC)


def _render(t: engine.Translator, image: np.ndarray, *, seed: int) -> Image.Image:
    x, placement = t.prepare(image)
    z = t.random_z(seed, n=1) if t.nz else None
    y = t.forward_tensor(x, z=z).cpu()[..., : placement.scaled[1], : placement.scaled[0]]
    return Image.fromarray(render_to_uint8(y))


def _read_example(path: Path, kind: str) -> np.ndarray:
    image = Image.open(path)
    return np.asarray(image.convert("L") if kind == "sketch" else image.convert("RGB"))


def make_grid(
    models: list[str], *, data: Path, run_dir: Path | None = None, examples: Path | None = None, limit: int = 10, side: int = 128,
    holdout: float = 0.1, seed: int = 0, line_width: int = 2, titles: list[str] | None = None, samples: int = 1,
    outlines: bool = False,  # sketch models: draw the held-out photos as outlines only, as people sketch
) -> Image.Image:
    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}")
    translators = [_load(m) for m in models]
    first = translators[0]
    held = load_eval_set(first, Path(data), run_dir=run_dir, holdout=holdout, seed=seed, limit=limit, line_width=line_width)
    if outlines and first.contract.kind != "sketch":
        raise ValueError(f"--outlines draws sketches; {models[0]} reads {first.contract.kind}")
    inputs = [outline_sketch(p, line_width=line_width) for p in held.targets] if outlines else held.inputs
    rows: list[tuple[np.ndarray, np.ndarray | None]] = list(zip(inputs, held.targets, strict=True))
    if examples is not None:
        # assets/ layouts keep a class-id twin (X_ids.png) beside each colour map: the colour map is the input.
        drawn = [p for p in list_images(examples) if not p.stem.endswith("_ids")]
        rows += [(_read_example(p, first.contract.kind), None) for p in drawn[:limit]]
    palette = np.array([e.rgb for e in first.contract.palette], np.uint8) if first.contract.kind == "labels" else None
    titles = titles or [Path(m).name for m in models]
    # Seeds per (row, column) differ, so the columns of one row are independent draws of z.
    draws = [samples if t.nz else 1 for t in translators]
    model_columns = [f"{title} {k + 1}" if n > 1 else title for title, n in zip(titles, draws, strict=True) for k in range(n)]
    columns = ["input", *model_columns, "photo"]
    grid = Image.new("RGB", (side * len(columns), HEADER + side * len(rows)), (255, 255, 255))
    draw = ImageDraw.Draw(grid)
    for c, title in enumerate(columns):
        draw.text((c * side + 3, 1), title[: side // 6], fill=(0, 0, 0))
    with torch.no_grad():
        for r, (image, photo) in enumerate(rows):
            renders = [_render(t, image, seed=r * samples + k) for t, n in zip(translators, draws, strict=True) for k in range(n)]
            tiles = [_tile(image, side, palette=palette), *(_tile(im, side) for im in renders), _tile(photo, side)]
            for c, tile in enumerate(tiles):
                grid.paste(tile, (c * side, HEADER + r * side))
    return grid


def _load(spec: str) -> engine.Translator:
    """NAME or NAME@BACKEND (torch, onnx): the same model side by side in two runtimes."""
    name, _, backend = spec.partition("@")
    return engine.load(name, device="cpu", backend=backend or None)


def grid_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m trainers grid", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+", help="registered model names or model folders (the first sets the inputs); NAME@torch or NAME@onnx picks the runtime")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--run", type=Path, help="the training run (its data.json says which files were held out)")
    p.add_argument("--examples", type=Path, help="a folder of project-made inputs to add as rows (e.g. assets/sketches)")
    p.add_argument("--titles", help="comma-separated column titles for the models (default: their names)")
    p.add_argument("--limit", type=int, default=10, help="held-out rows, and example rows, at most")
    p.add_argument("--samples", type=int, default=1, help="renders per input, one random z each, for models that take a z")
    p.add_argument("--side", type=int, default=128, help="tile side, px")
    p.add_argument("--holdout", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--line-width", type=int, default=2)
    p.add_argument("--outlines", action="store_true", help="sketch models: held-out rows drawn as outlines only")
    p.add_argument("--out", type=Path, required=True, help="PNG to write (outside the repository: it shows dataset photos)")
    args = p.parse_args(argv)
    titles = args.titles.split(",") if args.titles else None
    if titles is not None and len(titles) != len(args.models):
        raise ValueError(f"--titles names {len(titles)} columns for {len(args.models)} models")
    grid = make_grid(
        args.models, data=args.data, run_dir=args.run, examples=args.examples, limit=args.limit, side=args.side,
        holdout=args.holdout, seed=args.seed, line_width=args.line_width, titles=titles,
        samples=args.samples, outlines=args.outlines,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    grid.save(args.out)
    print(f"wrote {args.out} ({grid.width}x{grid.height})")
    return 0
