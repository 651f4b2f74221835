"""Image folders -> in-memory uint8 arrays.

The data sets are small (hundreds to a few thousand images), so every loader decodes once into
HxWx3 uint8 RGB arrays (HxW uint8 class ids for labels) and keeps the file list beside them; the
training loop augments on the device. A file that cannot be decoded is skipped with a warning.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .palette import snap_to_palette

logger = logging.getLogger(__name__)

__all__ = [
    "IMAGE_SUFFIXES",
    "ImageSet",
    "PairedImages",
    "LabeledImages",
    "list_images",
    "read_rgb",
    "load_aligned",
    "load_unaligned",
    "load_labeled",
    "load_photos",
    "split_holdout",
]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
DIRECTIONS = ("AtoB", "BtoA")


@dataclass
class ImageSet:
    images: list[np.ndarray]  # HxWx3 uint8 RGB
    files: list[str]

    def __len__(self) -> int:
        return len(self.images)


@dataclass
class PairedImages:
    inputs: list[np.ndarray]  # HxWx3 uint8, the half the model reads
    targets: list[np.ndarray]  # HxWx3 uint8, the half it should produce
    files: list[str]

    def __len__(self) -> int:
        return len(self.inputs)


@dataclass
class LabeledImages:
    photos: list[np.ndarray]  # HxWx3 uint8 RGB
    labels: list[np.ndarray]  # HxW uint8 class ids
    files: list[str]  # the photo files

    def __len__(self) -> int:
        return len(self.photos)


def _natural_key(path: Path) -> list:
    # "2.jpg" before "10.jpg", so --limit N takes the files a person would expect.
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(path))]


def list_images(folder: Path, *, recursive: bool = False) -> list[Path]:
    """Image files in folder (natural order); ValueError if it is not a directory."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"not a folder: {folder}")
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    files = [p for p in candidates if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files, key=_natural_key)


def _open(path: Path) -> Image.Image | None:
    try:
        with Image.open(path) as image:
            image.load()
            # Phone photos store rotation in EXIF; the pixels must match what a viewer shows.
            return ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        logger.warning("skipping unreadable image %s: %s", path, exc)
        return None


def _rgb_array(image: Image.Image) -> np.ndarray:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas become white paper rather than whatever colour hides under alpha 0.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def read_rgb(path: Path) -> np.ndarray | None:
    """HxWx3 uint8 RGB of an image file, or None (with a warning) when it cannot be decoded."""
    image = _open(Path(path))
    return None if image is None else _rgb_array(image)


def _check_nonempty(n: int, folder: Path) -> None:
    if n == 0:
        raise ValueError(f"no readable images in {folder}")


def load_photos(folder: Path, *, limit: int | None = None) -> ImageSet:
    """All photos under folder (recursive), decoded to RGB."""
    files = list_images(folder, recursive=True)[:limit]
    images, names = [], []
    for path in files:
        rgb = read_rgb(path)
        if rgb is not None:
            images.append(rgb)
            names.append(str(path))
    _check_nonempty(len(images), Path(folder))
    return ImageSet(images=images, files=names)


def load_aligned(folder: Path, *, direction: str = "AtoB", limit: int | None = None) -> PairedImages:
    """pix2pix-format pairs: A is the left half of each image, B the right half."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    inputs, targets, names = [], [], []
    for path in list_images(folder)[:limit]:
        rgb = read_rgb(path)
        if rgb is None:
            continue
        half = rgb.shape[1] // 2
        if half == 0:
            logger.warning("skipping %s: too narrow to hold two halves", path)
            continue
        a, b = rgb[:, :half].copy(), rgb[:, half : 2 * half].copy()
        if direction == "BtoA":
            a, b = b, a
        inputs.append(a)
        targets.append(b)
        names.append(str(path))
    _check_nonempty(len(inputs), Path(folder))
    return PairedImages(inputs=inputs, targets=targets, files=names)


def load_unaligned(folder: Path, *, limit: int | None = None) -> tuple[ImageSet, ImageSet]:
    """CycleGAN-format domains: folder/trainA and folder/trainB, each limited separately."""
    folder = Path(folder)
    return load_photos(folder / "trainA", limit=limit), load_photos(folder / "trainB", limit=limit)


def _read_label(path: Path, *, palette: np.ndarray | None) -> np.ndarray | None:
    image = _open(path)
    if image is None:
        return None
    if palette is not None:
        return snap_to_palette(_rgb_array(image), palette)
    if image.mode in ("L", "P"):
        # "P" PNGs store class ids as palette indices: read the indices, not their display colours.
        return np.asarray(image, dtype=np.uint8).copy()
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):
        ids = np.asarray(image)
        if ids.min() < 0 or ids.max() > 255:
            logger.warning("skipping label %s: class ids outside 0..255", path)
            return None
        return ids.astype(np.uint8)
    rgb = _rgb_array(image)
    if (rgb == rgb[:, :, :1]).all():
        return rgb[:, :, 0].copy()
    logger.warning("skipping label %s: a colour map needs a palette to be read as class ids", path)
    return None


def load_labeled(photo_dir: Path, label_dir: Path, *, palette: np.ndarray | None = None) -> LabeledImages:
    """Photos with label maps matched by file stem.

    Without a palette a label file holds class ids (8-bit grey or indexed PNG); with one it is a
    colour map, snapped to the nearest palette colour (so JPEG-compressed maps work).
    """
    label_files: dict[str, Path] = {}
    for path in list_images(label_dir):
        # Prefer the lossless file when a stem exists as both .png and .jpg.
        if path.stem not in label_files or path.suffix.lower() == ".png":
            label_files[path.stem] = path
    photos, labels, names = [], [], []
    for path in list_images(photo_dir):
        label_path = label_files.get(path.stem)
        if label_path is None:
            logger.warning("skipping %s: no label file with stem %r in %s", path, path.stem, label_dir)
            continue
        photo = read_rgb(path)
        label = None if photo is None else _read_label(label_path, palette=palette)
        if photo is None or label is None:
            continue
        if label.shape != photo.shape[:2]:
            logger.warning("skipping %s: label %s is %s, photo is %s", path, label_path, label.shape, photo.shape[:2])
            continue
        photos.append(photo)
        labels.append(label)
        names.append(str(path))
    _check_nonempty(len(photos), Path(photo_dir))
    return LabeledImages(photos=photos, labels=labels, files=names)


def split_holdout(n: int, *, fraction: float = 0.1, seed: int = 0) -> tuple[list[int], list[int]]:
    """Deterministic (train_idx, val_idx), both sorted; at least one of each when n >= 2."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must be in [0, 1), got {fraction}")
    n_val = int(round(n * fraction))
    if fraction > 0 and n >= 2:
        n_val = min(max(n_val, 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    return sorted(order[n_val:].tolist()), sorted(order[:n_val].tolist())
