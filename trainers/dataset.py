"""The training set in memory, and the batches drawn from it.

Files are decoded once into uint8 tensors (the datasets are small); each step draws its batch and
its augmentation from a generator seeded by (seed, step, rank), so a batch is a pure function of
the step: a resumed run sees exactly the batches the uninterrupted one would have.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from .settings import TrainConfig
from .data.augment import halve_resolution, random_resized_crop_flip, stack_nchw
from .data.folders import list_images, load_aligned, load_labeled, load_photos, load_unaligned, split_holdout
from .data.outline_sketch import choose_outlines, outline_sketches

logger = logging.getLogger(__name__)


def palette_rgb(cfg: TrainConfig) -> np.ndarray:
    if not cfg.palette:
        raise ValueError("label inputs need a palette: set `palette = [[name, r, g, b], ...]` in the recipe")
    return np.array([row[1:4] for row in cfg.palette], dtype=np.uint8)


def _resize(images: list[np.ndarray], size: tuple[int, int], *, nearest: bool) -> list[np.ndarray]:
    h, w = size
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA
    return [a if a.shape[:2] == (h, w) else cv2.resize(a, (w, h), interpolation=interp) for a in images]


def _colour_label_maps(label_dir: Path) -> bool:
    """Whether the label maps are colour images (to snap to the palette) rather than class ids."""
    for path in list_images(label_dir):
        try:
            with Image.open(path) as image:
                if image.mode in ("L", "P", "I", "I;16"):
                    return False
                rgb = np.asarray(image.convert("RGB"))
        except (OSError, ValueError, SyntaxError):
            continue  # unreadable: load_labeled skips it with a warning
        return not (rgb == rgb[:, :, :1]).all()
    return False


def _sketches(photos: list[np.ndarray], *, line_width: int) -> list[np.ndarray]:
    from engine.edges import photo_to_sketch

    return [photo_to_sketch(p, line_width=line_width) for p in photos]


@dataclass
class TrainingSet:
    """uint8 N x C x H x W tensors. `inputs`/`targets` for paired layouts; `targets` alone for
    unpaired domains A (`inputs`) and B (`targets`) whose counts differ."""

    inputs: torch.Tensor
    targets: torch.Tensor
    paired: bool
    files: list[str]
    held_out: list[str] = field(default_factory=list)
    order: torch.Tensor | None = None  # paired: the indices one epoch walks through (repeats balance subfolders); None: each once
    outlines: torch.Tensor | None = None  # sketch inputs: each photo's outline-only sketch (cfg.outline_sketches > 0)

    def __len__(self) -> int:
        return len(self.order) if self.order is not None else max(len(self.inputs), len(self.targets))


def balanced_order(files: list[str], *, root: Path) -> torch.Tensor:
    """Indices that draw each top-level subfolder of root about equally often: a folder's images
    are repeated (largest folder's count / its count, rounded) times. Files directly in root form
    one group of their own."""
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(files):
        parts = Path(f).relative_to(root).parts
        groups.setdefault(parts[0] if len(parts) > 1 else "", []).append(i)
    largest = max(len(g) for g in groups.values())
    order = [i for g in groups.values() for i in g * max(1, round(largest / len(g)))]
    return torch.tensor(order, dtype=torch.long)


def _holdout(items: list, files: list[str], cfg: TrainConfig) -> tuple[list[int], list[str]]:
    if cfg.holdout <= 0:
        return list(range(len(files))), []
    train, val = split_holdout(len(files), fraction=cfg.holdout, seed=cfg.seed)
    return train, [files[i] for i in val]


def load_training_set(cfg: TrainConfig) -> TrainingSet:
    """Read cfg.data in cfg.layout, hold out cfg.holdout, resize once to the load size."""
    root = Path(cfg.data)
    limit = cfg.limit or None
    size = (cfg.load_size, round(cfg.load_size * getattr(cfg, "aspect", 1.0)))
    split = root / "train" if (root / "train").is_dir() else root
    if cfg.outline_sketches > 0 and (cfg.layout, cfg.input_kind) != ("photos", "sketch"):
        raise ValueError('outline_sketches draws outlines from photos: it needs layout = "photos" and input_kind = "sketch"')
    if cfg.layout == "aligned":
        pairs = load_aligned(split, direction=cfg.direction, limit=limit)
        inputs, targets, files = pairs.inputs, pairs.targets, pairs.files
        if cfg.input_kind == "labels":
            from engine.labels import snap_to_palette

            inputs = [snap_to_palette(a, palette_rgb(cfg)) for a in inputs]
    elif cfg.layout == "labeled":
        label_dir = root / f"{split.name}_labels"
        # Class-id maps are read as they are; colour maps (e.g. JPEG) are snapped to the palette.
        palette = palette_rgb(cfg) if _colour_label_maps(label_dir) else None
        labeled = load_labeled(split, label_dir, palette=palette)
        inputs, targets, files = labeled.labels[:limit], labeled.photos[:limit], labeled.files[:limit]
    elif cfg.layout == "photos":
        photos = load_photos(root, limit=limit)
        targets, files = photos.images, photos.files
        inputs = [None] * len(targets)
    elif cfg.layout == "unaligned":
        a, b = load_unaligned(root, limit=limit)
        keep_a, held_a = _holdout(a.images, a.files, cfg)
        keep_b, held_b = _holdout(b.images, b.files, cfg)
        ta = stack_nchw(_resize([a.images[i] for i in keep_a], size, nearest=False))
        tb = stack_nchw(_resize([b.images[i] for i in keep_b], size, nearest=False))
        kept = [a.files[i] for i in keep_a] + [b.files[i] for i in keep_b]
        return TrainingSet(inputs=ta, targets=tb, paired=False, files=kept, held_out=held_a + held_b)
    else:
        raise ValueError(f"unknown layout {cfg.layout!r}; valid: aligned, unaligned, labeled, photos")
    keep, held = _holdout(targets, files, cfg)
    outlines = None
    targets = _resize([targets[i] for i in keep], size, nearest=False)
    if cfg.input_kind == "sketch":
        # Sketches are computed at the load size so the pen width matches what the app draws.
        inputs = _sketches(targets, line_width=cfg.line_width)
        if cfg.outline_sketches > 0:
            outlines = stack_nchw(outline_sketches(targets, line_width=cfg.line_width, seed=cfg.seed))
    else:
        inputs = _resize([inputs[i] for i in keep], size, nearest=cfg.input_kind == "labels")
    kept = [files[i] for i in keep]
    order = balanced_order(kept, root=root) if cfg.balance_folders else None
    logger.info("loaded %d training images from %s (%d held out)", len(targets), root, len(held))
    if order is not None:
        logger.info("subfolders balanced: an epoch draws %d images", len(order))
    return TrainingSet(
        inputs=stack_nchw(inputs), targets=stack_nchw(targets), paired=True, files=kept, held_out=held, order=order,
        outlines=outlines,
    )


def crop_width(cfg: TrainConfig) -> int:
    """Training crops are crop_size high and crop_size * aspect wide (SPADE's aspect; square otherwise)."""
    return round(cfg.crop_size * getattr(cfg, "aspect", 1.0))


def step_seed(*, seed: int, step: int, rank: int = 0) -> int:
    """The seed of one training step on one rank (torch's global seed in the loop, the batch's own
    generator here): a function of the step alone, so a resumed run draws the batches,
    augmentations and dropout masks the straight run drew."""
    return (seed * 1_000_003 + step) * 64 + rank


def step_generator(*, seed: int, step: int, rank: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(step_seed(seed=seed, step=step, rank=rank))


def _indices(n: int, *, batch: int, seed: int, step: int, rank: int, world: int, order: torch.Tensor | None = None) -> torch.Tensor:
    """Walk through a fresh permutation every epoch (of `order`, when given); ranks take interleaved slices."""
    if order is not None:
        return order[_indices(len(order), batch=batch, seed=seed, step=step, rank=rank, world=world)]
    per_step = batch * world
    steps_per_epoch = max(1, n // per_step)
    epoch, k = divmod(step, steps_per_epoch)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 7919 + epoch))
    if n < per_step:
        perm = perm.repeat(per_step // n + 1)
    start = k * per_step + rank * batch
    return perm[start : start + batch]


_OUTLINE_SEED_OFFSET = 7_919  # the outline choice's generator: another seed than the batch's

# How a paired input is halved during the coarse steps: pen lines stay ink, class ids stay ids.
_INPUT_HALVING = {"sketch": "ink", "labels": "nearest", "photo": "area"}


def draw_batch(
    data: TrainingSet, cfg: TrainConfig, *, step: int, device: torch.device, rank: int = 0, world: int = 1
) -> dict[str, torch.Tensor]:
    """The step's batch on the device: {"input": uint8, "target": uint8, "generator", "step"}, augmented identically."""
    gen = step_generator(seed=cfg.seed, step=step, rank=rank)
    crop = cfg.crop_size
    crop_w = crop_width(cfg)
    if data.paired:
        idx = _indices(len(data.targets), batch=cfg.batch_size, seed=cfg.seed, step=step, rank=rank, world=world, order=data.order)
        pair = [data.inputs[idx].to(device, non_blocking=True), data.targets[idx].to(device, non_blocking=True)]
        if data.outlines is not None:
            pair.append(data.outlines[idx].to(device, non_blocking=True))
        load = min(pair[1].shape[-2:])
        inp, tgt, *outlines = random_resized_crop_flip(
            pair, load_size=load, crop_size=crop, crop_width=crop_w, flip=True,
            nearest=[cfg.input_kind == "labels", False, False][: len(pair)], generator=gen,
        )
        if outlines:
            # Its own generator: the crops and the sketch augmentation stay those of a run without outlines.
            pick = step_generator(seed=cfg.seed + _OUTLINE_SEED_OFFSET, step=step, rank=rank)
            inp = choose_outlines(inp, outlines[0], share=cfg.outline_sketches, generator=pick)
        if step < cfg.coarse_steps:
            inp = halve_resolution(inp, mode=_INPUT_HALVING.get(cfg.input_kind, "area"))
            tgt = halve_resolution(tgt, mode="area")
        return {"input": inp, "target": tgt, "generator": gen, "step": step}
    ia = _indices(len(data.inputs), batch=cfg.batch_size, seed=cfg.seed, step=step, rank=rank, world=world)
    ib = _indices(len(data.targets), batch=cfg.batch_size, seed=cfg.seed + 1, step=step, rank=rank, world=world)
    a, b = data.inputs[ia].to(device), data.targets[ib].to(device)
    (a,) = random_resized_crop_flip(
        [a], load_size=min(a.shape[-2:]), crop_size=crop, crop_width=crop_w, flip=True, nearest=[False], generator=gen
    )
    (b,) = random_resized_crop_flip(
        [b], load_size=min(b.shape[-2:]), crop_size=crop, crop_width=crop_w, flip=True, nearest=[False], generator=gen
    )
    if step < cfg.coarse_steps:
        a, b = halve_resolution(a, mode="area"), halve_resolution(b, mode="area")
    return {"input": a, "target": b, "generator": gen, "step": step}
