"""`python -m trainers segmenter` and `python -m trainers judge`: train an evaluation net on a dataset
folder, save it as RUN_DIR/config.json + model.safetensors, and report its validation accuracy
(printed as JSON and written to RUN_DIR/validation.json).

The loaders here read the two layouts these nets need, with the trainers' image reader and hold-out
split (trainers/data/folders.py).

segmenter --data DIR:
  CamVid-style   DIR/train/*.jpg + DIR/train_labels/<stem>.png (8-bit class ids), optional val/ + val_labels/
  pix2pix-style  DIR/train/*.jpg with the photo on the left and a colour label map on the right
                 (optional val/); needs --palette PALETTE.json (or a recipe .toml with a palette), one RGB
                 colour per class
  Without a val split, 10% of train is held out (fixed seed).
judge --data DIR:
  DIR/trainA/*, DIR/trainB/*; 10% of each held out: the same files the trainers hold out
  (trainers.data.folders: list_images order, split_holdout).
"""
from __future__ import annotations

import argparse
import json
import logging
import time
import tomllib
from pathlib import Path

import cv2
import numpy as np
import torch

from engine.contract import palette_from
from engine.device import resolve_device
from engine.labels import snap_to_palette

from ..data.folders import list_images, read_rgb, split_holdout
from .judge import judge_accuracy, train_judge
from .netio import save_net
from .segmenter import evaluate_segmenter, train_segmenter

log = logging.getLogger(__name__)

def _image_files(folder: Path) -> list[Path]:
    files = list_images(folder)
    if not files:
        raise ValueError(f"no images in {folder}")
    return files


def _read_rgb(path: Path) -> np.ndarray:
    image = read_rgb(path)
    if image is None:
        raise ValueError(f"cannot read image {path}")
    return image


def _scaled_size(h: int, w: int, short_side: int | None) -> tuple[int, int]:
    """(height, width) with the shorter side at `short_side` px (None: unchanged)."""
    if short_side is None:
        return h, w
    scale = short_side / min(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def _resize(image: np.ndarray, size: tuple[int, int], *, labels: bool) -> np.ndarray:
    h, w = size
    if image.shape[:2] == (h, w):
        return image
    # Labels must keep exact ids; photos shrink with area averaging to avoid aliasing.
    interpolation = cv2.INTER_NEAREST if labels else (cv2.INTER_AREA if w < image.shape[1] else cv2.INTER_LINEAR)
    return cv2.resize(image, (w, h), interpolation=interpolation)


# ---------------------------------------------------------------- segmenter data


def read_palette(path: Path) -> tuple[np.ndarray, list[str] | None]:
    """K x 3 RGB colours and (if given) class names, in class-id order, from a JSON file (any form
    engine.contract.palette_from reads) or a TOML recipe's `palette` list of [name, r, g, b]."""
    path = Path(path)
    doc = tomllib.loads(path.read_text()) if path.suffix == ".toml" else json.loads(path.read_text())
    try:
        entries = palette_from(doc)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    named = all(not e.name.startswith("class ") for e in entries)
    return np.asarray([e.rgb for e in entries], dtype=np.int32), ([e.name for e in entries] if named else None)


def _load_id_split(photo_dir: Path, label_dir: Path, short_side: int | None) -> tuple[np.ndarray, np.ndarray]:
    photos, labels = [], []
    for path in _image_files(photo_dir):
        label_path = label_dir / (path.stem + ".png")
        label = cv2.imread(str(label_path), cv2.IMREAD_GRAYSCALE)
        if label is None:
            raise ValueError(f"no label map {label_path} for {path}")
        size = _scaled_size(*label.shape, short_side)
        photos.append(_resize(_read_rgb(path), size, labels=False))
        labels.append(_resize(label, size, labels=True))
    return np.stack(photos), np.stack(labels)


def _load_pair_split(folder: Path, palette: np.ndarray, short_side: int | None) -> tuple[np.ndarray, np.ndarray]:
    photos, labels = [], []
    for path in _image_files(folder):
        pair = _read_rgb(path)
        half = pair.shape[1] // 2
        photo, colour_map = pair[:, :half], pair[:, half:2 * half]
        size = _scaled_size(*photo.shape[:2], short_side)
        photos.append(_resize(photo, size, labels=False))
        # Snap at full resolution, then shrink the ids: shrinking colours first would blend classes.
        labels.append(_resize(snap_to_palette(colour_map, palette), size, labels=True))
    return np.stack(photos), np.stack(labels)


def load_segmentation_data(
    data: Path, *, palette: Path | None, short_side: int | None, seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], list[str] | None]:
    """(train photos, labels), (val photos, labels), class names from the palette if it has them."""
    names = None
    if (data / "train_labels").is_dir():
        train = _load_id_split(data / "train", data / "train_labels", short_side)
        val = _load_id_split(data / "val", data / "val_labels", short_side) if (data / "val_labels").is_dir() else None
    else:
        if palette is None:
            raise ValueError(f"{data} has no train_labels/: for photo|label pairs pass --palette PALETTE.json")
        rgb, names = read_palette(palette)
        train = _load_pair_split(data / "train", rgb, short_side)
        val = _load_pair_split(data / "val", rgb, short_side) if (data / "val").is_dir() else None
    if val is None:
        keep, held = split_holdout(len(train[0]), fraction=0.1, seed=seed)
        train, val = (train[0][keep], train[1][keep]), (train[0][held], train[1][held])
    return train, val, names


# ---------------------------------------------------------------- commands


def _setup(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    if args.threads:
        torch.set_num_threads(args.threads)
    return args


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="dataset folder")
    parser.add_argument("--out", type=Path, required=True, help="run folder for config.json + model.safetensors")
    parser.add_argument("--seed", type=int, default=0, help="init, batches and hold-out split")
    parser.add_argument("--device", type=resolve_device, default=resolve_device(None), help="cpu, cuda or mps (default: the best there is)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch default)")


def _report(out: Path, result: dict) -> None:
    (out / "validation.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def segmenter_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainers segmenter", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    _common_arguments(parser)
    parser.add_argument("--palette", type=Path, help="palette (JSON, or a recipe .toml) for photo|colour-label pairs")
    parser.add_argument("--size", type=int, help="resize so the shorter side is this many px (default: as stored)")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--crop", type=int, default=128, help="training crop side, a multiple of 16")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--num-classes", type=int, help="default: from --class-names, the palette, or the labels")
    parser.add_argument("--class-names", help="comma-separated names in class-id order")
    parser.add_argument("--ignore-index", type=int, help="label id without loss or score (e.g. 11 on CamVid)")
    args = _setup(parser, argv)

    train, val, names = load_segmentation_data(args.data, palette=args.palette, short_side=args.size, seed=args.seed)
    if args.class_names:
        names = [n.strip() for n in args.class_names.split(",")]
    num_classes = args.num_classes or (len(names) if names else None)
    if num_classes is None:
        ids = np.unique(train[1])
        num_classes = int(ids[ids != args.ignore_index].max()) + 1 if args.ignore_index is not None else int(ids.max()) + 1
    log.info("segmenter data: %d train, %d val photos of %s px, %d classes",
             len(train[0]), len(val[0]), "x".join(map(str, train[0].shape[1:3])), num_classes)

    start = time.time()
    net = train_segmenter(train[0], train[1], num_classes=num_classes, steps=args.steps, batch_size=args.batch_size,
                          crop=args.crop, lr=args.lr, device=args.device, seed=args.seed,
                          ignore_index=args.ignore_index, log_every=max(1, args.steps // 20))
    train_seconds = time.time() - start
    scores = evaluate_segmenter(net, val[0], val[1], num_classes=num_classes, ignore_index=args.ignore_index)
    result = {
        "dataset": str(args.data),
        "val_images": len(val[0]),
        "image_size": list(train[0].shape[1:3]),
        "steps": args.steps,
        "train_seconds": round(train_seconds, 1),
        **{f"val_{k}": round(v, 4) for k, v in scores.items()},
    }
    save_net(net, args.out, {
        "class_names": names,
        "ignore_index": args.ignore_index,
        "input": {"range": [-1, 1], "native_size": list(train[0].shape[1:3]), "multiple": net.multiple},
        "validation": result,
    })
    _report(args.out, result)
    return 0


def _load_domain(folder: Path, size: int) -> np.ndarray:
    """Images resized (shorter side) and centre-cropped to size x size."""
    images = []
    for path in _image_files(folder):
        image = _read_rgb(path)
        h, w = _scaled_size(*image.shape[:2], size)
        image = _resize(image, (h, w), labels=False)
        top, left = (h - size) // 2, (w - size) // 2
        images.append(image[top:top + size, left:left + size])
    return np.stack(images)


def judge_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainers judge", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    _common_arguments(parser)
    parser.add_argument("--size", type=int, default=128, help="images are resized and centre-cropped to this side")
    parser.add_argument("--crop", type=int, help="training crop side (default: 7/8 of --size)")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = _setup(parser, argv)

    domains = [_load_domain(args.data / name, args.size) for name in ("trainA", "trainB")]
    splits = [split_holdout(len(d), fraction=0.1, seed=args.seed) for d in domains]
    (a, a_val), (b, b_val) = [(d[keep], d[held]) for d, (keep, held) in zip(domains, splits)]
    log.info("judge data: A %d train / %d held out, B %d / %d, %d px", len(a), len(a_val), len(b), len(b_val), args.size)

    start = time.time()
    net = train_judge(a, b, steps=args.steps, batch_size=args.batch_size, crop=args.crop or args.size * 7 // 8,
                      lr=args.lr, device=args.device, seed=args.seed, log_every=max(1, args.steps // 20))
    train_seconds = time.time() - start
    scores = judge_accuracy(net, a_val, b_val)
    result = {
        "dataset": str(args.data),
        "held_out": [len(a_val), len(b_val)],
        "image_size": args.size,
        "steps": args.steps,
        "train_seconds": round(train_seconds, 1),
        **{f"val_{k}": round(v, 4) for k, v in scores.items()},
    }
    save_net(net, args.out, {
        "class_names": [args.data.name + "/trainA", args.data.name + "/trainB"],
        "input": {"range": [-1, 1], "native_size": args.size},
        "validation": result,
    })
    _report(args.out, result)
    return 0
