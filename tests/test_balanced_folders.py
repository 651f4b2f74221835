"""balance_folders: a small subfolder (cats' 439 faces) is drawn as often as a large one (2000
whole cats), by repeating its images in the order an epoch walks through."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import torch

from trainers.dataset import _indices, balanced_order, draw_batch, load_training_set

from test_trainers_families import make_photos, tiny


def test_balanced_order_repeats_the_small_folder():
    root = Path("/data")
    files = [f"/data/whole/{i}.jpg" for i in range(9)] + [f"/data/faces/{i}.jpg" for i in range(3)] + ["/data/loose.jpg"]
    order = balanced_order(files, root=root).tolist()
    per_image = Counter(order)
    assert all(per_image[i] == 1 for i in range(9)), "the largest folder is drawn once per epoch"
    assert all(per_image[i] == 3 for i in range(9, 12)), "a folder a third the size is drawn three times"
    assert per_image[12] == 9, "loose files in the root form a group of their own"
    group = ["whole"] * 9 + ["faces"] * 3 + ["root"]
    assert Counter(group[i] for i in order) == {"whole": 9, "faces": 9, "root": 9}


def test_training_draws_folders_equally_when_balanced(tmp_path):
    data_dir = tmp_path / "data"
    make_photos(data_dir / "big", n=6, corrupt=False)
    make_photos(data_dir / "small", n=2, corrupt=False)
    cfg = tiny("pix2pix", data_dir, layout="photos", input_kind="sketch", balance_folders=True, batch_size=2)
    data = load_training_set(cfg)
    assert len(data) == 12, "an epoch is the balanced order: 6 big + 3 x 2 small"
    drawn = Counter()
    for step in range(len(data) // cfg.batch_size):  # one whole epoch, as draw_batch picks it
        idx = _indices(len(data.targets), batch=cfg.batch_size, seed=cfg.seed, step=step, rank=0, world=1, order=data.order)
        drawn.update(Path(data.files[i]).parent.name for i in idx.tolist())
    assert drawn == {"big": 6, "small": 6}
    assert draw_batch(data, cfg, step=0, device=torch.device("cpu"))["target"].shape[0] == 2

    cfg.balance_folders = False
    assert len(load_training_set(cfg)) == 8
