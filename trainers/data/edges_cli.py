"""`python -m trainers edges IN_DIR OUT_DIR`: photos -> pix2pix-format photo|sketch pairs.

Writes OUT_DIR/<stem>.png with the photo on the left and its sketch on the right, so the pairs
can be looked at and fed to an aligned loader (load_aligned with direction="BtoA" gives
sketch -> photo).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
from PIL import Image

from engine.edges import photo_to_sketch

from .folders import list_images, read_rgb

logger = logging.getLogger(__name__)

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trainers edges",
        description="Compute sketches of every photo in IN_DIR; write photo|sketch pairs to OUT_DIR.",
    )
    parser.add_argument("in_dir", type=Path, help="folder of photos (searched recursively)")
    parser.add_argument("out_dir", type=Path, help="folder for <stem>.png pairs (created)")
    parser.add_argument("--line-width", type=int, default=2, help="pen width of the sketch lines, px (default 2)")
    parser.add_argument("--detail", type=float, default=1.0, help="more (>1) or fewer (<1) lines (default 1)")
    parser.add_argument("--limit", type=int, default=None, help="process at most N photos")
    return parser


def side_by_side(photo: np.ndarray, sketch: np.ndarray) -> np.ndarray:
    """H x 2W x 3 uint8: the photo, then the sketch as grey RGB."""
    return np.concatenate([photo, np.repeat(sketch[:, :, None], 3, axis=2)], axis=1)


def main(argv: list[str] | None = None) -> int:
    """Run the command; bad folders raise ValueError (the trainers dispatcher reports those)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.line_width < 1:
        parser.error("--line-width must be >= 1")
    files = list_images(args.in_dir, recursive=True)[: args.limit]
    args.out_dir.mkdir(parents=True, exist_ok=True)

    written, seen = 0, set()
    for i, path in enumerate(files, 1):
        if path.stem in seen:
            logger.warning("skipping %s: another photo already wrote %s.png", path, path.stem)
            continue
        photo = read_rgb(path)
        if photo is None:
            continue
        seen.add(path.stem)
        sketch = photo_to_sketch(photo, line_width=args.line_width, detail=args.detail)
        Image.fromarray(side_by_side(photo, sketch)).save(args.out_dir / f"{path.stem}.png")
        written += 1
        if i % 100 == 0:
            logger.info("edges: %d / %d", i, len(files))
    if not written:
        raise ValueError(f"no readable photos in {args.in_dir}")
    print(f"wrote {written} photo|sketch pairs to {args.out_dir} ({len(files) - written} skipped)")
    return 0
