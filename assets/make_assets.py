"""Write the example inputs in assets/, all drawn by the project's own code (no dataset images).

    python assets/make_assets.py

- sketches/*.png: cat sketches (seven faces, three whole cats), black ink on white, 256 x 256,
  pen 3 px (app/drawings/cat_sketches.py);
- facades/facade_<seed>.png and _ids.png: procedural facade layouts (app/drawings/facade_layouts.py), in
  the default CMP-style palette and as class ids (0..11, for any palette);
- streets/street_<seed>.png and _ids.png: procedural street scenes (app/drawings/street_layouts.py), in
  the CamVid colours and as class ids;
- photos/*.png: horses and zebras in a field, painted by code (app/drawings/animal_scenes.py), 384 x 256.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run as a script from anywhere: the app package is beside assets/

from app.drawings.animal_scenes import example_scenes  # noqa: E402
from app.drawings.cat_sketches import example_sketches  # noqa: E402
from app.drawings.facade_layouts import FACADE_CLASSES, colorize, facade_layout  # noqa: E402
from app.drawings.palettes import DEFAULT_FACADE_PALETTE, DEFAULT_STREET_PALETTE  # noqa: E402
from app.drawings.street_layouts import STREET_CANVAS, STREET_CLASSES, street_layout  # noqa: E402

LAYOUT_SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)


def main(out: Path = HERE) -> list[Path]:
    written = []
    for folder in ("sketches", "facades", "streets", "photos"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    for name, sketch in example_sketches():
        written.append(out / "sketches" / f"{name}.png")
        Image.fromarray(sketch).save(written[-1], optimize=True)
    for name, photo in example_scenes():
        written.append(out / "photos" / f"{name}.png")
        Image.fromarray(photo).save(written[-1], optimize=True)
    for seed in LAYOUT_SEEDS:
        for kind, ids, classes, palette in (
            ("facade", facade_layout(seed), FACADE_CLASSES, DEFAULT_FACADE_PALETTE),
            ("street", street_layout(seed, size=STREET_CANVAS), STREET_CLASSES, DEFAULT_STREET_PALETTE),
        ):
            base = out / f"{kind}s" / f"{kind}_{seed}"
            Image.fromarray(colorize(ids, classes, palette)).save(f"{base}.png", optimize=True)
            Image.fromarray(ids).save(f"{base}_ids.png", optimize=True)
            written += [Path(f"{base}.png"), Path(f"{base}_ids.png")]
    return written


if __name__ == "__main__":
    for path in main():
        print(path.relative_to(HERE.parent))
