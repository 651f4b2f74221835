"""Calibration inputs for int8 ONNX graphs: the project's assets plus training-split inputs.

    python -m trainers quantize NAME --data DIR [--count 32]

The training-split inputs are picked evenly from the files the model's recipe trained on (its
hold-out split excluded, so the evaluation's images never calibrate), made into inputs the way
training made them (sketches by the project's edge pipeline at the recipe's line width; label
maps as stored), and put through the engine's own preparation (Translator.prepare), so the ranges
are those the studio feeds. Models with z draw one from seed i for input i; SPADE alternates its
style presets and random codes. The file list goes into onnx.json.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image

import engine
from engine.manifest import find_card
from engine.onnx_quantize import Calibration

from .data.folders import list_images, load_aligned, split_holdout

logger = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def _evenly(items: list, count: int) -> list:
    if len(items) <= count:
        return list(items)
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def _train_part(files: list[Path], cfg: dict) -> list[Path]:
    if float(cfg.get("holdout", 0)) <= 0:
        return files
    train, _ = split_holdout(len(files), fraction=float(cfg["holdout"]), seed=int(cfg.get("seed", 0)))
    return [files[i] for i in train]


def training_inputs(*, data: Path, cfg: dict, contract: engine.InputContract, count: int) -> dict[str, list[tuple[str, Image.Image]]]:
    """direction ("AtoB"/"BtoA", or "" for one-direction models) -> [(source, input image)]."""
    layout = cfg.get("layout")
    if layout == "photos":  # cats: photos -> the edge pipeline's sketches, as training made them
        files = _evenly(_train_part(list_images(data, recursive=True), cfg), count)
        size = int(cfg.get("load_size", contract.size))
        out = []
        for path in files:
            photo = np.asarray(Image.open(path).convert("RGB").resize((size, size), Image.BICUBIC))
            out.append((str(path.relative_to(data)), Image.fromarray(engine.photo_to_sketch(photo, line_width=int(cfg.get("line_width", 2))))))
        return {"": out}
    if layout == "aligned":  # facades: the label half of each training pair
        split = data / "train" if (data / "train").is_dir() else data
        pairs = load_aligned(split, direction=cfg.get("direction", "AtoB"))
        keep = _evenly(_train_part(list(range(len(pairs))), cfg), count)
        return {"": [(f"{split.name}/{Path(pairs.files[i]).name}", Image.fromarray(pairs.inputs[i])) for i in keep]}
    if layout == "labeled":  # camvid: class-id maps of the training split
        files = _evenly(sorted((data / "train_labels").glob("*.png")), count)
        return {"": [(str(p.relative_to(data)), Image.open(p).convert("L")) for p in files]}
    if layout == "unaligned":  # horse2zebra: each direction calibrated on its own domain
        out = {}
        for direction, folder in (("AtoB", "trainA"), ("BtoA", "trainB")):
            files = _evenly(_train_part(list_images(data / folder), cfg), count)
            out[direction] = [(str(p.relative_to(data)), _square(Image.open(p).convert("RGB"))) for p in files]
        return out
    raise ValueError(f"no calibration inputs for layout {layout!r}")


def _square(image: Image.Image) -> Image.Image:
    """Centre crop: percentile calibration stacks every input's activations, so shapes must agree."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def asset_inputs(contract: engine.InputContract) -> dict[str, list[tuple[str, Image.Image]]]:
    root = ASSETS.parent
    if contract.kind == "sketch":
        return {"": [(str(p.relative_to(root)), Image.open(p)) for p in sorted((ASSETS / "sketches").glob("*.png"))]}
    if contract.kind == "photo":
        photos = sorted((ASSETS / "photos").glob("*.png"))
        return {
            "AtoB": [(str(p.relative_to(root)), _square(Image.open(p).convert("RGB"))) for p in photos if p.stem.startswith("horse")],
            "BtoA": [(str(p.relative_to(root)), _square(Image.open(p).convert("RGB"))) for p in photos if p.stem.startswith("zebra")],
        }
    folder = "streets" if contract.nz else "facades"
    return {"": [(str(p.relative_to(root)), Image.open(p)) for p in sorted((ASSETS / folder).glob("*.png")) if not p.stem.endswith("_ids")]}


def _latent(translator: engine.Translator, i: int, presets: np.ndarray) -> np.ndarray | None:
    if not translator.nz:
        return None
    if len(presets) and i % 2:  # SPADE: the presets the studio offers, between random codes
        return presets[(i // 2) % len(presets)].astype(np.float32)[None]
    return translator.random_z(i).numpy()


def build_calibration(name: str, *, data: Path, count: int = 32) -> Calibration:
    """Network inputs per generator role for `name`, and the record of their sources."""
    cfg = find_card(name).entry.get("config", {})
    translator = engine.load(name, backend="torch", device="cpu")
    presets = translator.extras["style_presets"].numpy() if "style_presets" in translator.extras else np.zeros((0,))
    sources = training_inputs(data=Path(data), cfg=cfg, contract=translator.contract, count=count)
    for direction, items in asset_inputs(translator.contract).items():
        sources.setdefault(direction, []).extend(items)
    feeds: dict[str, list[dict[str, np.ndarray]]] = {}
    files: dict[str, list[str]] = {}
    for direction, items in sources.items():
        role = f"G_{direction}" if direction else translator.spec.generators[0]
        feeds[role], files[role] = [], []
        for i, (source, image) in enumerate(items):
            x, _ = translator.prepare(image)
            feed = {"x": x.cpu().numpy()}
            z = _latent(translator, i, presets)
            if z is not None:
                feed["z"] = z
            feeds[role].append(feed)
            files[role].append(source)
    record = {
        "dataset": Path(data).name,
        "inputs": files,
        "made_by": "python -m trainers quantize (trainers/calibration.py): training split, hold-out excluded, plus assets",
        "latents": "seed i for input i; SPADE: style presets at odd i" if translator.nz else None,
        "method": "ONNX Runtime static QDQ, per-channel int8 weights, uint8 activations, percentile 99.999",
    }
    logger.info("calibration for %s: %s", name, {r: len(f) for r, f in feeds.items()})
    return Calibration(feeds=feeds, record=record)


def quantize_main(argv: list[str]) -> None:
    import argparse

    from engine.onnx_publish import export_and_register

    p = argparse.ArgumentParser(prog="python -m trainers quantize", description="int8 ONNX graphs of a shipped model, calibrated on real inputs")
    p.add_argument("name", help="a registered model name")
    p.add_argument("--data", type=Path, required=True, help="the dataset the model was trained on")
    p.add_argument("--count", type=int, default=32, help="training-split inputs per direction (plus the assets)")
    p.add_argument("--generators-only", action="store_true", help="no graph for the encoder (the engine runs it in torch)")
    p.add_argument("--keep-fp32", metavar="REGEX", help="nodes whose ONNX name matches stay fp32 (e.g. 'mlp_gamma|mlp_beta')")
    args = p.parse_args(argv)
    calibration = build_calibration(args.name, data=args.data, count=args.count)
    calibration.keep_fp32 = args.keep_fp32
    for line in export_and_register(args.name, calibration=calibration, generators_only=args.generators_only):
        print(line)
