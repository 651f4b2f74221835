"""trainers.data: folder loaders, palettes, paired augmentation, sketch augmentation, edges CLI."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from trainers.data import (
    augment_sketches,
    from_model_range,
    load_aligned,
    load_labeled,
    load_photos,
    load_unaligned,
    random_resized_crop_flip,
    recover_palette,
    snap_to_palette,
    split_holdout,
    stack_nchw,
    to_model_range,
)

RED, BLUE = (220, 20, 20), (20, 20, 220)
PALETTE = np.array([[0, 0, 170], [0, 170, 255], [255, 255, 0], [255, 85, 0], [170, 0, 0]], np.uint8)


def _save(path: Path, array: np.ndarray, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **kwargs)
    return path


def _corrupt(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    return path


def _pair_image(h: int = 16, w: int = 24) -> np.ndarray:
    img = np.zeros((h, 2 * w, 3), np.uint8)
    img[:, :w] = RED
    img[:, w:] = BLUE
    return img


def _block_labels(seed: int, size: int = 48, n_classes: int = 5) -> np.ndarray:
    """Class ids in 8x8 blocks: many boundaries, all classes present."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, n_classes, (size // 8, size // 8))
    blocks.flat[:n_classes] = np.arange(n_classes)
    return np.kron(blocks, np.ones((8, 8), np.int64)).astype(np.uint8)


# ---------------------------------------------------------------- folders


def test_load_aligned_splits_halves_and_honours_direction(tmp_path, caplog):
    for i in range(3):
        _save(tmp_path / f"{i}.png", _pair_image())
    _corrupt(tmp_path / "broken.jpg")
    with caplog.at_level(logging.WARNING):
        pairs = load_aligned(tmp_path)
    assert len(pairs) == 3 and len(pairs.files) == 3
    assert all("broken" not in f for f in pairs.files)
    assert any("broken.jpg" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    a, b = pairs.inputs[0], pairs.targets[0]
    assert a.shape == b.shape == (16, 24, 3) and a.dtype == np.uint8
    assert (a == RED).all() and (b == BLUE).all()
    swapped = load_aligned(tmp_path, direction="BtoA", limit=2)
    assert len(swapped) == 2
    assert (swapped.inputs[0] == BLUE).all() and (swapped.targets[0] == RED).all()
    with pytest.raises(ValueError):
        load_aligned(tmp_path, direction="sideways")


def test_empty_folder_raises_naming_it(tmp_path):
    empty = tmp_path / "nothing_here"
    empty.mkdir()
    _corrupt(empty / "bad.png")
    with pytest.raises(ValueError, match="nothing_here"):
        load_photos(empty)
    with pytest.raises(ValueError, match="missing"):
        load_photos(tmp_path / "missing")


def test_load_photos_converts_modes_recursively(tmp_path):
    grey = np.tile(np.arange(0, 200, 25, dtype=np.uint8), (6, 1))
    _save(tmp_path / "a_grey.png", grey)
    rgba = np.zeros((6, 8, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:, :4, 3] = 255  # left opaque red, right transparent
    _save(tmp_path / "b_rgba.png", rgba)
    _save(tmp_path / "sub" / "c_pal.bmp", np.full((6, 8, 3), 90, np.uint8))
    Image.fromarray(np.full((6, 8, 3), 30, np.uint8)).convert("P", palette=Image.Palette.ADAPTIVE).save(
        tmp_path / "sub" / "d_pal.png"
    )
    (tmp_path / "notes.txt").write_text("not an image")
    photos = load_photos(tmp_path)
    assert [Path(f).name for f in photos.files] == ["a_grey.png", "b_rgba.png", "c_pal.bmp", "d_pal.png"]
    for img in photos.images:
        assert img.shape == (6, 8, 3) and img.dtype == np.uint8
    assert (photos.images[0][..., 0] == grey).all() and (photos.images[0][..., 2] == grey).all()
    assert (photos.images[1][:, :4] == (200, 0, 0)).all()
    assert (photos.images[1][:, 4:] == 255).all(), "transparent pixels become white paper"
    assert (photos.images[3] == 30).all()


def test_exif_orientation_is_honoured(tmp_path):
    stored = np.zeros((4, 8, 3), np.uint8)
    stored[:, :4] = RED
    stored[:, 4:] = BLUE
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: a viewer turns it 90 degrees clockwise
    Image.fromarray(stored).save(tmp_path / "phone.png", exif=exif)
    (img,) = load_photos(tmp_path).images
    assert img.shape == (8, 4, 3)
    assert (img[:4] == RED).all() and (img[4:] == BLUE).all()


def test_load_unaligned_reads_both_domains(tmp_path):
    for i in range(3):
        _save(tmp_path / "trainA" / f"h{i}.jpg", np.full((8, 8, 3), 50, np.uint8))
    for i in range(2):
        _save(tmp_path / "trainB" / f"z{i}.jpg", np.full((8, 8, 3), 150, np.uint8))
    a, b = load_unaligned(tmp_path, limit=2)
    assert (len(a), len(b)) == (2, 2)
    assert abs(int(a.images[0].mean()) - 50) <= 2 and abs(int(b.images[0].mean()) - 150) <= 2


def test_load_labeled_class_id_pngs(tmp_path, caplog):
    photos, labels = tmp_path / "photos", tmp_path / "labels"
    ids = _block_labels(0, size=16)
    _save(photos / "x1.jpg", np.full((16, 16, 3), 120, np.uint8))
    _save(labels / "x1.png", ids)  # 8-bit grey class ids
    indexed = Image.fromarray(ids, mode="L").convert("P")  # indexed PNG: indices are the ids
    indexed.putpalette([v for i in range(256) for v in (i * 7 % 256, 255 - i, 3 * i % 256)])
    _save(photos / "x2.png", np.full((16, 16, 3), 60, np.uint8))
    indexed.save(labels / "x2.png")
    _save(photos / "x3.png", np.full((16, 16, 3), 60, np.uint8))  # no label: skipped
    with caplog.at_level(logging.WARNING):
        data = load_labeled(photos, labels)
    assert [Path(f).name for f in data.files] == ["x1.jpg", "x2.png"]
    assert any("x3.png" in r.getMessage() for r in caplog.records)
    for label in data.labels:
        assert label.dtype == np.uint8 and np.array_equal(label, ids)


def test_load_labeled_jpeg_colour_maps_with_palette(tmp_path):
    photos, labels = tmp_path / "photos", tmp_path / "labels"
    truth = {}
    for i in range(3):
        ids = _block_labels(i)
        truth[f"p{i}"] = ids
        _save(photos / f"p{i}.png", np.full((48, 48, 3), 100, np.uint8))
        _save(labels / f"p{i}.jpg", PALETTE[ids], quality=75)
    data = load_labeled(photos, labels, palette=PALETTE)
    for f, label in zip(data.files, data.labels):
        assert set(np.unique(label).tolist()) <= set(range(len(PALETTE)))
        assert (label == truth[Path(f).stem]).mean() > 0.97


def test_split_holdout_is_deterministic_and_disjoint():
    train, val = split_holdout(50, fraction=0.2, seed=3)
    assert (train, val) == split_holdout(50, fraction=0.2, seed=3)
    assert len(val) == 10 and sorted(train + val) == list(range(50))
    assert split_holdout(50, fraction=0.2, seed=4)[1] != val
    small_train, small_val = split_holdout(3, fraction=0.1)
    assert len(small_val) == 1 and len(small_train) == 2
    assert split_holdout(4, fraction=0.0) == ([0, 1, 2, 3], [])
    with pytest.raises(ValueError):
        split_holdout(10, fraction=1.0)


# ---------------------------------------------------------------- palette


def test_snap_to_palette_recovers_ids_from_noisy_colours():
    ids = _block_labels(1)
    noise = np.random.default_rng(0).integers(-30, 31, (*ids.shape, 3))
    noisy = np.clip(PALETTE[ids].astype(int) + noise, 0, 255).astype(np.uint8)
    snapped = snap_to_palette(noisy, PALETTE)
    assert snapped.dtype == np.uint8 and np.array_equal(snapped, ids)


def test_recover_palette_from_jpeg_maps(tmp_path):
    maps = []
    for i in range(4):
        path = _save(tmp_path / f"{i}.jpg", PALETTE[_block_labels(i, size=64)], quality=80)
        maps.append(np.asarray(Image.open(path).convert("RGB")))
    found = recover_palette(maps, n_colors=len(PALETTE))
    assert found.shape == (5, 3) and found.dtype == np.uint8
    expected = PALETTE[np.lexsort((PALETTE[:, 2], PALETTE[:, 1], PALETTE[:, 0]))]
    assert np.abs(found.astype(int) - expected).max() <= 8
    with pytest.raises(ValueError):
        recover_palette(maps, n_colors=9)


# ---------------------------------------------------------------- augment


def _asymmetric_batch(n: int, size: int = 32) -> torch.Tensor:
    """uint8 N x 3 x size x size with every pixel unique (encodes its x and y)."""
    y, x = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    img = torch.stack([x * 7 % 256, y * 7 % 256, (x + y) % 256]).to(torch.uint8)
    return img.expand(n, -1, -1, -1).contiguous()


def test_same_crop_and_flip_for_every_tensor_of_a_pair():
    photos = _asymmetric_batch(16)
    g = torch.Generator().manual_seed(0)
    a, b, c = random_resized_crop_flip(
        [photos, photos.clone(), photos.float()], load_size=32, crop_size=24, flip=True,
        nearest=[False, True, True], generator=g,
    )
    assert a.shape == (16, 3, 24, 24) and a.dtype == torch.uint8 and c.dtype == torch.float32
    assert torch.equal(a, b) and torch.equal(a.float(), c)
    # Crops and flips are drawn per sample: the samples differ, including some mirrored ones.
    assert len({tuple(s.flatten().tolist()) for s in a}) > 8
    mirrored = [photos[0, :, r : r + 24, q : q + 24].flip(-1) for r in range(9) for q in range(9)]
    assert any(torch.equal(s, m) for s in a for m in mirrored)


def test_labels_stay_class_ids_and_follow_the_photo_through_resizing():
    n = 8
    ids = torch.from_numpy(np.stack([_block_labels(i, size=48, n_classes=5) * 3 for i in range(n)]))[:, None]
    photo = ids.expand(-1, 3, -1, -1).float()  # a "photo" that is the label map itself
    g = torch.Generator().manual_seed(1)
    lab, pho = random_resized_crop_flip(
        [ids, photo], load_size=72, crop_size=64, flip=True, nearest=[True, False], generator=g
    )
    assert lab.dtype == torch.uint8 and lab.shape == (n, 1, 64, 64)
    assert set(lab.unique().tolist()) <= {0, 3, 6, 9, 12}
    # Bilinear photo and nearest labels agree away from block boundaries: same geometry.
    agree = (pho[:, :1] - lab.float()).abs() < 0.5
    assert agree.float().mean() > 0.8


def test_resizing_rules():
    g = torch.Generator().manual_seed(0)
    wide = torch.rand(2, 3, 40, 60)
    (out,) = random_resized_crop_flip([wide], load_size=30, crop_size=30, flip=False, nearest=[False], generator=g)
    assert out.shape == (2, 3, 30, 30)
    # The short side becomes load_size: 40 x 60 -> 30 x 45, so crops slide over all 60 source columns.
    columns = torch.arange(60.0).expand(40, 1, 40, 60)
    (o,) = random_resized_crop_flip([columns], load_size=30, crop_size=30, flip=False, nearest=[True], generator=g)
    assert (o[:, 0] == o[:, 0, :1, :]).all(), "rows are not mixed with columns"
    assert o[:, 0, 0, 0].min() == 0 and o[:, 0, 0, -1].max() == 59
    assert len(set(o[:, 0, 0, 0].tolist())) > 8
    with pytest.raises(ValueError):
        random_resized_crop_flip([wide], load_size=30, crop_size=31, flip=False, nearest=[False], generator=g)
    with pytest.raises(ValueError):
        random_resized_crop_flip([wide, torch.rand(2, 1, 40, 50)], load_size=30, crop_size=20, flip=False,
                                 nearest=[False, True], generator=g)


def test_rectangular_crops():
    g = torch.Generator().manual_seed(0)
    photos = _asymmetric_batch(4, size=48)
    a, b = random_resized_crop_flip([photos, photos], load_size=48, crop_size=24, crop_width=40, flip=True,
                                    nearest=[False, True], generator=g)
    assert a.shape == (4, 3, 24, 40) and torch.equal(a, b)


def test_augmentation_is_reproducible_from_the_generator():
    photos = _asymmetric_batch(6).float()

    def run(seed):
        return random_resized_crop_flip([photos], load_size=40, crop_size=32, flip=True, nearest=[False],
                                        generator=torch.Generator().manual_seed(seed))[0]

    assert torch.equal(run(5), run(5))
    assert not torch.equal(run(5), run(6))


def test_model_range_round_trip():
    x = torch.arange(256, dtype=torch.uint8).reshape(1, 1, 16, 16)
    y = to_model_range(x)
    assert y.dtype == torch.float32 and y.min() == -1 and y.max() == 1
    assert torch.equal(from_model_range(y), x)
    assert from_model_range(torch.tensor([-3.0, 3.0])).tolist() == [0, 255]
    batch = stack_nchw([np.zeros((4, 5, 3), np.uint8), np.ones((4, 5, 3), np.uint8)])
    assert batch.shape == (2, 3, 4, 5) and batch.dtype == torch.uint8


# ---------------------------------------------------------------- sketch augmentation


def _line_sketches(n: int, size: int = 64) -> torch.Tensor:
    x = torch.ones(n, 1, size, size)
    x[:, :, size // 2 : size // 2 + 2, 8:-8] = -1.0  # a 2 px horizontal stroke
    x[:, :, 8:-8, 20] = -1.0  # a 1 px vertical stroke
    return x


def test_sketch_augmentation_range_shape_and_determinism():
    x = _line_sketches(8)
    a = augment_sketches(x, generator=torch.Generator().manual_seed(0))
    b = augment_sketches(x, generator=torch.Generator().manual_seed(0))
    assert a.shape == x.shape and a.dtype == x.dtype
    assert torch.equal(a, b)
    assert a.min() >= -1 and a.max() <= 1
    assert not torch.equal(a, x)
    blank = torch.ones(4, 1, 32, 32)
    assert torch.equal(augment_sketches(blank, generator=torch.Generator().manual_seed(0)), blank)
    untouched = augment_sketches(x, generator=torch.Generator(), width_jitter=0, drop_prob=0.0, wobble=0.0)
    assert torch.equal(untouched, x)


def test_width_jitter_thickens_and_thins_without_losing_strokes():
    x = _line_sketches(32)
    y = augment_sketches(x, generator=torch.Generator().manual_seed(0), width_jitter=1, drop_prob=0.0, wobble=0.0)
    ink_before = (x < 0).sum(dim=(1, 2, 3))
    ink_after = (y < 0).sum(dim=(1, 2, 3))
    assert (ink_after > ink_before).any() and (ink_after < ink_before).any()
    # The 1 px stroke survives thinning: every sample still has ink in every stroke row.
    assert (y[:, 0, 10:-10, 18:24] < 0).any(dim=2).all()


def test_drops_erase_ink_and_wobble_moves_it():
    x = _line_sketches(16, size=96)
    dropped = augment_sketches(x, generator=torch.Generator().manual_seed(0), width_jitter=0, drop_prob=1.0, wobble=0.0)
    assert ((dropped < 0).sum(dim=(1, 2, 3)) < (x < 0).sum(dim=(1, 2, 3))).float().mean() > 0.5
    assert (dropped >= x - 1e-6).all(), "drops only remove ink"
    bent = augment_sketches(x, generator=torch.Generator().manual_seed(0), width_jitter=0, drop_prob=0.0, wobble=3.0)
    moved = (bent[:, 0] < 0) & (x[:, 0] > 0)
    assert moved.any()
    rows = (bent[:, 0] < 0).any(dim=2).nonzero()[:, 1]
    assert rows.min() >= 8 - 4 and rows.max() <= 96 - 8 + 3, "wobble is bounded by its amplitude"


# ---------------------------------------------------------------- edges CLI


def test_edges_cli_writes_photo_sketch_pairs(tmp_path, caplog):
    from trainers.data.edges_cli import main

    photo = np.full((40, 56, 3), 230, np.uint8)
    photo[10:30, 15:40] = (40, 60, 80)
    _save(tmp_path / "in" / "a.jpg", photo)
    _save(tmp_path / "in" / "b.png", photo[::-1].copy())
    _corrupt(tmp_path / "in" / "c.jpg")
    with caplog.at_level(logging.WARNING):
        rc = main([str(tmp_path / "in"), str(tmp_path / "out"), "--line-width", "3"])
    assert rc == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png"]
    assert any("c.jpg" in r.getMessage() for r in caplog.records)
    pair = np.asarray(Image.open(tmp_path / "out" / "b.png"))
    assert pair.shape == (40, 112, 3)
    assert np.array_equal(pair[:, :56], photo[::-1])
    sketch = pair[:, 56:]
    assert set(np.unique(sketch).tolist()) == {0, 255} and (sketch == 0).any()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="empty"):
        main([str(empty), str(tmp_path / "out2")])
