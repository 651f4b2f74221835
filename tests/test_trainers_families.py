"""The four family trainers on tiny images made here: data layouts, a few steps, overfitting, export.

Every run is a few steps at 32 px with ngf 8 on one CPU thread. The `make_*` helpers and `tiny`
are shared with tests/test_trainers_resume.py and tests/test_trainers_cli.py.
"""
from __future__ import annotations

import csv
import logging
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import engine
from trainers.config import build_config
from trainers.dataset import draw_batch, load_training_set
from trainers.export import export_run
from trainers.families import TRAINERS
from trainers.loop import train

torch.set_num_threads(1)

PALETTE = [["sky", 70, 130, 180], ["road", 128, 64, 128], ["tree", 107, 142, 35]]


# ---------------------------------------------------------------- data made by the tests

def _photo(seed: int, h: int, w: int) -> np.ndarray:
    """A smooth random colour field with a bright square: learnable, not noise."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    img = np.asarray(Image.fromarray(small).resize((w, h), Image.BILINEAR)).copy()
    y, x = rng.integers(0, h // 2), rng.integers(0, w // 2)
    img[y : y + h // 4, x : x + w // 4] = 250
    return img


def _blocks(seed: int, h: int, w: int, n_classes: int = len(PALETTE)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, n_classes, (h // 8, w // 8))
    blocks.flat[:n_classes] = np.arange(n_classes)
    return np.kron(blocks, np.ones((8, 8), np.int64)).astype(np.uint8)


def _corrupt(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    return path


def make_aligned(root: Path, n: int = 3, size: int = 32, corrupt: bool = True) -> Path:
    """pix2pix pairs: A (a photo) left, B (its colour inverse) right."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        a = _photo(i, size, size)
        Image.fromarray(np.concatenate([a, 255 - a], 1)).save(root / f"{i}.png")
    if corrupt:
        _corrupt(root / "broken.png")
    return root


def make_unaligned(root: Path, n: int = 3, size: int = 32, corrupt: bool = True) -> Path:
    for domain, shift in (("trainA", 0), ("trainB", 100)):
        (root / domain).mkdir(parents=True, exist_ok=True)
        for i in range(n + (domain == "trainB")):
            Image.fromarray(_photo(i + shift, size, size)).save(root / domain / f"{i}.jpg")
    if corrupt:
        _corrupt(root / "trainB" / "broken.jpg")
    return root


def make_labeled(root: Path, n: int = 3, h: int = 32, w: int = 64, colour_jpeg: bool = False, corrupt: bool = True) -> Path:
    """train/ photos and train_labels/ maps with the same stems: class-id PNGs or colour JPEGs."""
    photos, labels = root / "train", root / "train_labels"
    photos.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    pal = np.array([row[1:] for row in PALETTE], np.uint8)
    for i in range(n):
        ids = _blocks(i, h, w)
        Image.fromarray(pal[ids]).save(photos / f"f{i}.png")
        if colour_jpeg:
            Image.fromarray(pal[ids]).save(labels / f"f{i}.jpg", quality=75)
        else:
            Image.fromarray(ids, mode="L").save(labels / f"f{i}.png")
    if corrupt:
        _corrupt(photos / "f9.png")
        Image.fromarray(_blocks(9, h, w), mode="L").save(labels / "f9.png")
    return root


def make_photos(root: Path, n: int = 3, size: int = 32, corrupt: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(_photo(i, size, size)).save(root / f"p{i}.jpg")
    if corrupt:
        _corrupt(root / "broken.jpg")
    return root


# Per family: the data it trains on and the settings that make it tiny.
TINY = {
    "pix2pix": dict(layout="aligned", input_kind="photo", num_downs=5),
    "cyclegan": dict(layout="unaligned", n_blocks=2, domain_names=["day", "night"]),
    "spade": dict(layout="labeled", palette=PALETTE, z_dim=16, label_hidden=8, aspect=2.0, n_layers_d=3, style_components=2, style_presets=2),
    "bicyclegan": dict(layout="photos", input_kind="sketch", num_downs=5, nef=8, n_layers_d=2, batch_size=2),
}


def make_data(family: str, root: Path, *, layout: str | None = None) -> Path:
    layout = layout or TINY[family]["layout"]
    return {"aligned": make_aligned, "unaligned": make_unaligned, "labeled": make_labeled, "photos": make_photos}[layout](root)


def tiny(family: str, data: Path, **overrides: object):
    """A config for `family` at 32 px, ngf 8, that logs every step and samples only at the end."""
    values = dict(
        data=str(data), load_size=32, crop_size=32, ngf=8, ndf=8, max_steps=2, num_threads=1,
        log_every=1, sample_every=0, checkpoint_every=0, seed=3, device="cpu",
    )
    values.update(TINY[family])
    values.update(overrides)
    return build_config(family, overrides=values)


def read_losses(run_dir: Path) -> list[dict[str, float]]:
    with open(run_dir / "losses.csv") as fh:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(fh)]


# ---------------------------------------------------------------- data layouts

def test_every_family_is_registered():
    assert set(TRAINERS) == {"pix2pix", "cyclegan", "spade", "bicyclegan"}


@pytest.mark.parametrize(
    "layout, make, extra, expect",
    [
        ("aligned", make_aligned, {}, dict(n=3, input=(3, 3, 32, 32), target=(3, 3, 32, 32))),
        ("unaligned", make_unaligned, {}, dict(n=4, input=(3, 3, 32, 32), target=(4, 3, 32, 32))),
        ("labeled", make_labeled, dict(input_kind="labels", palette=PALETTE, aspect=2.0), dict(n=3, input=(3, 1, 32, 64), target=(3, 3, 32, 64))),
        ("labeled", lambda p: make_labeled(p, colour_jpeg=True), dict(input_kind="labels", palette=PALETTE, aspect=2.0),
         dict(n=3, input=(3, 1, 32, 64), target=(3, 3, 32, 64))),
        ("photos", make_photos, dict(input_kind="sketch"), dict(n=3, input=(3, 1, 32, 32), target=(3, 3, 32, 32))),
    ],
    ids=["aligned", "unaligned", "labeled-ids", "labeled-jpeg-colours", "photos-sketches"],
)
def test_layout_loads_and_skips_the_corrupt_file(tmp_path, caplog, layout, make, extra, expect):
    root = make(tmp_path / "data")
    family = "spade" if extra.get("input_kind") == "labels" else "pix2pix"
    cfg = build_config(family, overrides=dict(data=str(root), layout=layout, load_size=32, crop_size=32, **extra))
    with caplog.at_level(logging.WARNING):
        data = load_training_set(cfg)
    assert "broken" in caplog.text or "f9" in caplog.text, "the corrupt file is named in a warning"
    assert len(data) == expect["n"] and data.inputs.dtype == torch.uint8
    assert tuple(data.inputs.shape) == expect["input"] and tuple(data.targets.shape) == expect["target"]
    if layout == "labeled":
        # Both label encodings give the class ids: the photos are the palette colours of the ids
        # (a JPEG map may blur a few boundary pixels into a neighbouring class).
        pal = torch.tensor([row[1:] for row in PALETTE], dtype=torch.int32)
        drawn = pal[data.inputs[:, 0].long()].permute(0, 3, 1, 2)
        wrong = (drawn != data.targets.int()).any(1).float().mean()
        jpeg = any((root / "train_labels").glob("*.jpg"))
        assert wrong < 0.05 if jpeg else wrong == 0, float(wrong)
    batch = draw_batch(data, cfg, step=0, device=torch.device("cpu"))
    assert batch["input"].shape[-2:] == batch["target"].shape[-2:] == data.targets.shape[-2:]


def test_spade_crops_are_rectangular(tmp_path):
    cfg = tiny("spade", make_labeled(tmp_path / "data", h=64, w=128, corrupt=False), load_size=64, crop_size=32)
    data = load_training_set(cfg)
    assert tuple(data.targets.shape[-2:]) == (64, 128)
    batch = draw_batch(data, cfg, step=1, device=torch.device("cpu"))
    assert batch["input"].shape == (1, 1, 32, 64) and batch["target"].shape == (1, 3, 32, 64)
    assert set(batch["input"].unique().tolist()) <= {0, 1, 2}, "labels stay class ids"


# ---------------------------------------------------------------- training

@pytest.mark.parametrize("family", list(TINY))
def test_family_trains_a_few_steps_with_finite_losses(tmp_path, family):
    cfg = tiny(family, make_data(family, tmp_path / "data"))
    trainer = train(cfg, run_dir=tmp_path / "run")
    rows = read_losses(tmp_path / "run")
    assert len(rows) == 2 and all(math.isfinite(v) for row in rows for v in row.values())
    assert (tmp_path / "run" / "checkpoints" / "step_00000002.pt").is_file()
    grid = Image.open(tmp_path / "run" / "samples" / "step_00000002.png")
    columns = {"pix2pix": 3, "cyclegan": 4, "spade": 4, "bicyclegan": 5}[family]
    width = 64 if family == "spade" else 32
    assert grid.size == (columns * width, cfg.batch_size * 32)
    for name, net in trainer.networks.items():
        assert all(torch.isfinite(p).all() for p in net.parameters()), name


def test_pix2pix_overfits_two_pairs(tmp_path):
    cfg = tiny("pix2pix", make_aligned(tmp_path / "data", n=2, corrupt=False), max_steps=40, lr=1e-3, epochs=100, epochs_decay=0)
    train(cfg, run_dir=tmp_path / "run")
    l1 = [row["G_l1"] for row in read_losses(tmp_path / "run")]
    assert np.mean(l1[-5:]) < 0.6 * np.mean(l1[:5]), l1


def test_bicyclegan_needs_an_even_batch(tmp_path):
    cfg = tiny("bicyclegan", tmp_path, batch_size=3)
    with pytest.raises(ValueError, match="even and at least 2"):
        TRAINERS["bicyclegan"](cfg, device=torch.device("cpu"))


def _step_without_updates(tmp_path, family: str = "bicyclegan", **settings: object):
    """One training step of `family` (same init, batch and noise for any settings), optimizers not
    stepping: (its losses, E's gradients (none for a family without E), G's gradients)."""
    cfg = tiny(family, make_data(family, tmp_path / "data", layout=settings.get("layout")), **settings)
    torch.manual_seed(0)
    t = TRAINERS[family](cfg, device=torch.device("cpu"))
    for opt in t.optimizers.values():
        opt.step = lambda *a, **k: None
    batch = draw_batch(load_training_set(cfg), cfg, step=0, device=torch.device("cpu"))
    torch.manual_seed(1)
    losses = t.train_step(batch)
    encoder = t.E.parameters() if hasattr(t, "E") else []
    return losses, [p.grad.clone() for p in encoder], [p.grad.clone() for p in t.G.parameters()]


def test_bicyclegan_latent_regression_updates_g_not_e(tmp_path):
    _, e_on, g_on = _step_without_updates(tmp_path / "on", lambda_z=0.5)
    _, e_off, g_off = _step_without_updates(tmp_path / "off", lambda_z=0.0)
    assert all(torch.equal(a, b) for a, b in zip(e_on, e_off)), "the latent regression loss reached E"
    assert any(not torch.equal(a, b) for a, b in zip(g_on, g_off)), "the latent regression loss did not reach G"


def test_mode_seeking_loss_falls_as_renders_differ_more_than_their_latents():
    from trainers.losses import mode_seeking_loss

    torch.manual_seed(0)
    render, z1, z2 = torch.rand(2, 3, 8, 8), torch.zeros(2, 4), torch.ones(2, 4)
    same = mode_seeking_loss(render, render, z_first=z1, z_second=z2)
    close = mode_seeking_loss(render, render + 0.1, z_first=z1, z_second=z2)
    apart = mode_seeking_loss(render, render + 0.5, z_first=z1, z_second=z2)
    assert same > close > apart
    assert torch.isclose(apart, torch.tensor(2.0), rtol=1e-3)  # |z| differs by 1, renders by 0.5
    assert torch.isclose(mode_seeking_loss(render, render + 0.5, z_first=z1, z_second=2 * z2), torch.tensor(4.0), rtol=1e-3)


def test_bicyclegan_mode_seeking_reaches_g(tmp_path):
    on, _, g_on = _step_without_updates(tmp_path / "on", lambda_ms=1.0)
    off, _, g_off = _step_without_updates(tmp_path / "off", lambda_ms=0.0)
    assert "G_ms" in on and "G_ms" not in off and on["G_ms"] > 0
    assert any(not torch.equal(a, b) for a, b in zip(g_on, g_off)), "the mode-seeking loss did not reach G"


def test_spade_style_swap_needs_two_photos_in_a_batch(tmp_path):
    with pytest.raises(ValueError, match="batch_size must be at least 2"):
        TRAINERS["spade"](tiny("spade", tmp_path, lambda_swap=1.0, batch_size=1), device=torch.device("cpu"))


def test_spade_style_swap_trains_g_under_other_photos_styles_not_e(tmp_path):
    on, e_on, g_on = _step_without_updates(tmp_path / "on", "spade", lambda_swap=1.0, batch_size=2)
    off, e_off, g_off = _step_without_updates(tmp_path / "off", "spade", lambda_swap=0.0, batch_size=2)
    assert "G_swap" in on and "G_swap" not in off and math.isfinite(on["G_swap"])
    assert all(torch.equal(a, b) for a, b in zip(e_on, e_off)), "the swapped render's loss reached E"
    assert any(not torch.equal(a, b) for a, b in zip(g_on, g_off)), "the swapped render's loss did not reach G"
    assert on["D_fake"] != off["D_fake"], "D did not see the swapped renders"


def test_spade_style_swap_renders_each_map_in_the_next_photos_code(tmp_path):
    cfg = tiny("spade", make_data("spade", tmp_path / "data"), lambda_swap=1.0, batch_size=2)
    t = TRAINERS["spade"](cfg, device=torch.device("cpu"))
    seg, mu = torch.zeros(2, len(PALETTE), 32, 64), torch.randn(2, cfg.z_dim)
    seg[0, 0], seg[1, 1] = 1, 1
    t.G.eval()
    with torch.no_grad():
        swapped = t._render_swapped(seg, mu)
        assert torch.allclose(swapped[0], t.G(seg[:1], mu[1:])[0], atol=1e-5)
        assert torch.allclose(swapped[1], t.G(seg[1:], mu[:1])[0], atol=1e-5)


@pytest.mark.parametrize("conditional", [False, True])
def test_bicyclegan_discriminators_see_each_photo_beside_its_own_sketch(tmp_path, conditional):
    """conditional_d: D2's real photo B2 goes in beside A2, the random-z fake beside A1 it was drawn from."""
    cfg = tiny("bicyclegan", make_photos(tmp_path / "data", corrupt=False), conditional_d=conditional)
    data = load_training_set(cfg)
    t = TRAINERS["bicyclegan"](cfg, device=torch.device("cpu"))
    seen: list[torch.Tensor] = []
    t.D2.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    batch = draw_batch(data, cfg, step=0, device=torch.device("cpu"))
    batch["generator"] = None  # no sketch augmentation: the sketches D2 sees are the batch's own
    t.train_step(batch)
    sketches = t.encode_input(batch["input"], generator=None, training=True)
    photos = batch["target"].float() / 127.5 - 1.0
    assert len(seen) == 3  # G's turn on the fake, then D2's turn on the fake and on the real photo
    fake_for_g, fake_for_d, real = seen
    assert real.shape[1] == (4 if conditional else 3)
    assert torch.allclose(real[:, -3:], photos[1:2])
    assert torch.equal(fake_for_g, fake_for_d)
    if conditional:
        assert not torch.equal(sketches[0], sketches[1]), "the test needs two different sketches"
        assert torch.equal(real[:, :1], sketches[1:2]) and torch.equal(fake_for_d[:, :1], sketches[0:1])


def test_spade_vgg_loss_from_a_local_file(tmp_path):
    from safetensors.torch import save_file

    from trainers.vgg import VGG19Features

    weights = tmp_path / "vgg19.safetensors"
    torch.manual_seed(0)
    save_file({k: v.contiguous() for k, v in VGG19Features().state_dict().items()}, str(weights))
    cfg = tiny("spade", make_labeled(tmp_path / "data", corrupt=False), vgg_weights=str(weights), max_steps=1)
    train(cfg, run_dir=tmp_path / "run")
    row = read_losses(tmp_path / "run")[0]
    assert math.isfinite(row["G_vgg"]) and row["G_vgg"] > 0
    with pytest.raises(ValueError, match="does not exist"):
        TRAINERS["spade"](tiny("spade", tmp_path, vgg_weights=str(tmp_path / "nope.safetensors")), device=torch.device("cpu"))


# ---------------------------------------------------------------- export

def _engine_input(translator, family: str) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1)
    c = translator.contract
    if c.kind == "labels":
        ids = torch.randint(0, len(c.palette), (1, 32, 64), generator=gen)
        return torch.nn.functional.one_hot(ids, len(c.palette)).permute(0, 3, 1, 2).float()
    return torch.rand(1, c.channels, 32, 32, generator=gen) * 2 - 1


@pytest.mark.parametrize("family", list(TINY))
def test_export_then_engine_load_gives_the_trainers_output(tmp_path, monkeypatch, family):
    cfg = tiny(family, make_data(family, tmp_path / "data"), max_steps=1)
    trainer = train(cfg, run_dir=tmp_path / "run")
    folder = tmp_path / f"{family}.tiny"
    # The export is lossless: the engine's plain eval networks give the trainer's numbers exactly.
    # (engine.load also rewrites networks for speed, exact up to float rounding: checked below.)
    monkeypatch.setenv("GANVAS_OPTIMIZE", "0")
    entry = export_run(tmp_path / "run", name=f"{family}.tiny", out=folder, manifest=False)
    assert entry["export_max_abs_diff"] == 0.0
    plain = engine.load(folder, device="cpu", backend="torch")
    monkeypatch.delenv("GANVAS_OPTIMIZE")
    translator = engine.load(folder, device="cpu", backend="torch")
    # The export also derived ONNX graphs, which engine.load renders with on the CPU.
    exported = engine.load(folder, device="cpu")
    assert (folder / "onnx.json").is_file() and exported.backend == "onnx"
    x = _engine_input(translator, family)
    z = torch.randn(1, translator.nz, generator=torch.Generator().manual_seed(2)) if translator.nz else None
    roles = ["G_AtoB", "G_BtoA"] if family == "cyclegan" else ["G"]
    for role in roles:
        net = trainer.networks[role].eval()  # the trained network itself (SPADE: with spectral norm)
        with torch.no_grad():
            ref = net(x, z) if z is not None else net(x)
        direction = role[2:] if role != "G" else None
        got = plain.forward_tensor(x, z=z, direction=direction)
        assert torch.equal(ref, got), f"{role}: max diff {(ref - got).abs().max():.3g}"
        fast = translator.forward_tensor(x, z=z, direction=direction)
        assert torch.allclose(ref, fast, atol=1e-4), f"{role}: max diff {(ref - fast).abs().max():.3g}"
        graph = exported.forward_tensor(x, z=z, direction=direction)
        assert torch.allclose(ref, graph, atol=1e-4), f"{role} in ONNX Runtime: max diff {(ref - graph).abs().max():.3g}"
    contract = translator.contract
    if family == "cyclegan":
        assert contract.directions == {"AtoB": "day → night", "BtoA": "night → day"} and contract.any_resolution
    if family in ("spade", "bicyclegan"):
        assert contract.encoder
        assert contract.nz == (cfg.z_dim if family == "spade" else cfg.nz)
        photo = Image.fromarray(_photo(5, 32, 32))
        code = translator.encode(photo)
        assert code.shape == (contract.nz,) and torch.isfinite(code).all()
    if family == "spade":
        assert contract.style
        extras = translator.extras
        assert extras["style_mean"].shape == (16,)
        assert extras["style_components"].shape == (2, 16) and extras["style_spread"].shape == (2,)
        assert extras["style_presets"].shape == (2, 16)
        assert len(translator.config["style_preset_names"]) == 2
        assert translator.config["networks"]["G"]["kwargs"]["spectral_norm"] is False
        assert translator.config["networks"]["G"]["kwargs"]["hidden"] == cfg.label_hidden  # the label MLP's width travels
        assert not any(k.endswith("weight_orig") for k in translator.networks["G"].state_dict())


def test_style_controls_find_the_clusters():
    from trainers.families.spade import style_controls

    gen = torch.Generator().manual_seed(0)
    centres = torch.tensor([[5.0, 0, 0, 0], [-5.0, 0, 0, 0], [0, 0, 5.0, 0]])
    codes = torch.cat([c + 0.1 * torch.randn(20, 4, generator=gen) for c in centres])
    extras, nearest = style_controls(codes, components=2, presets=3, seed=0)
    found = extras["style_presets"]
    assert torch.cdist(found, centres).min(1).values.max() < 0.2
    assert torch.allclose(extras["style_mean"], codes.mean(0), atol=1e-5)
    assert torch.allclose(extras["style_components"].norm(dim=1), torch.ones(2), atol=1e-5)
    assert extras["style_spread"][0] >= extras["style_spread"][1] > 0
    assert len(nearest) == 3


@pytest.mark.parametrize("layout, make", [("unaligned", make_unaligned), ("photos", make_photos)])
def test_recorded_training_files_exclude_the_held_out_ones(tmp_path, layout, make):
    root = make(tmp_path / "data", n=10, corrupt=False)
    extra = dict(input_kind="sketch") if layout == "photos" else {}
    cfg = build_config("pix2pix", overrides=dict(data=str(root), layout=layout, load_size=32, crop_size=32, holdout=0.2, **extra))
    data = load_training_set(cfg)
    assert data.held_out and not set(data.files) & set(data.held_out)
    assert len(data.files) == (len(data.inputs) + len(data.targets) if layout == "unaligned" else len(data.targets))
