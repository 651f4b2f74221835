"""Tests for trainers/evaluation: metrics on known inputs, FID/KID on a tiny random Inception,
and the segmenter and judge learning synthetic tasks. All small, seeded and CPU-only."""
from __future__ import annotations

import json
import logging
import math

import cv2
import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from trainers.evaluation import (
    INCEPTION_ENV,
    PSNR_CAP_DB,
    DomainJudge,
    InceptionFeatures,
    SegmenterNet,
    colour_shift,
    edge_f1,
    evaluate_segmenter,
    fid_from_features,
    fid_kid,
    frechet_distance,
    inception_features,
    inception_or_none,
    judge_accuracy,
    judge_probabilities,
    kid_from_features,
    kid_subset_estimates,
    centre_and_border_l1,
    l1,
    load_inception,
    load_net,
    mean_pairwise_l1,
    pairwise_l1_map,
    predict_labels,
    psnr,
    save_net,
    segmentation_scores,
    ssim,
    train_judge,
    train_segmenter,
)
from trainers.evaluation.commands import judge_main, read_palette, segmenter_main


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # The test machine is shared: a second OpenMP thread waiting for a busy core makes small
    # convolutions tens of times slower, so these tiny nets train on one.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _smooth_images(n: int, *, size: int = 32, seed: int = 0) -> torch.Tensor:
    """Random low-frequency colour images in [-1, 1]: noise at 1/4 size, upsampled."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, size // 4, size // 4, generator=g) * 2 - 1
    return torch.nn.functional.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)


# ---------------------------------------------------------------- image metrics


def test_identical_images_score_perfectly():
    a = _smooth_images(3)
    assert l1(a, a.clone()) == 0.0
    assert psnr(a, a.clone()) == pytest.approx(PSNR_CAP_DB)
    assert ssim(a, a.clone()) == pytest.approx(1.0, abs=1e-9)


def test_noise_lowers_ssim_and_psnr():
    a = _smooth_images(3)
    g = torch.Generator().manual_seed(1)
    slightly = (a + 0.05 * torch.randn(a.shape, generator=g)).clamp(-1, 1)
    heavily = (a + 0.5 * torch.randn(a.shape, generator=g)).clamp(-1, 1)
    assert 1.0 > ssim(a, slightly) > ssim(a, heavily)
    assert PSNR_CAP_DB > psnr(a, slightly) > psnr(a, heavily)
    assert 0 < l1(a, slightly) < l1(a, heavily)


def test_psnr_and_ssim_known_values():
    a = torch.full((1, 3, 16, 16), -1.0)  # 0 on the [0, 1] scale
    b = torch.full((1, 3, 16, 16), -0.8)  # 0.1 on the [0, 1] scale: MSE 0.01 -> 20 dB
    assert psnr(a, b) == pytest.approx(20.0, abs=1e-4)
    assert l1(a, b) == pytest.approx(0.2, abs=1e-6)
    # Flat images: only the luminance term is left, (2 mx my + C1) / (mx^2 + my^2 + C1).
    x, y = torch.full((1, 1, 16, 16), -0.6), torch.full((1, 1, 16, 16), 0.2)  # 0.2 and 0.6
    c1 = 0.01**2
    assert ssim(x, y) == pytest.approx((2 * 0.2 * 0.6 + c1) / (0.2**2 + 0.6**2 + c1), abs=1e-6)


def test_image_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError):
        l1(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9))
    with pytest.raises(ValueError):
        ssim(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 8))  # smaller than the 11 px window


def test_segmentation_scores_on_known_confusion():
    # Rows target, columns prediction: [[3, 1, 0], [0, 2, 0], [1, 0, 1]]; class 3 never in the target.
    target = torch.tensor([[0, 0, 0, 0, 1, 1, 2, 2, 255, 255]])
    pred = torch.tensor([[0, 0, 0, 1, 1, 1, 2, 0, 3, 1]])
    s = segmentation_scores(pred, target, num_classes=4, ignore_index=255)
    assert s["pixel_accuracy"] == pytest.approx(6 / 8)
    assert s["class_accuracy"] == pytest.approx((3 / 4 + 2 / 2 + 1 / 2) / 3)
    assert s["mean_iou"] == pytest.approx((3 / 5 + 2 / 3 + 1 / 2) / 3)
    perfect = segmentation_scores(target.clamp(max=3), target.clamp(max=3), num_classes=4)
    assert perfect == {"pixel_accuracy": 1.0, "class_accuracy": 1.0, "mean_iou": 1.0}


def _sketch_with_square(offset: int = 0) -> np.ndarray:
    sketch = np.full((64, 64), 255, np.uint8)
    cv2.rectangle(sketch, (16 + offset, 16), (44 + offset, 44), 0, 1)
    return sketch


def test_edge_f1_tolerates_small_shifts_only():
    a = _sketch_with_square()
    assert edge_f1(a, a.copy()) == 1.0
    assert edge_f1(a, _sketch_with_square(1), tolerance=2) > 0.95
    far = edge_f1(a, _sketch_with_square(6), tolerance=2)
    assert far < 0.8
    blank = np.full_like(a, 255)
    assert edge_f1(blank, blank.copy()) == 1.0
    assert edge_f1(a, blank) == 0.0


def test_colour_shift_sees_colour_not_stripes():
    base = torch.full((1, 3, 96, 96), -0.2)
    columns = torch.arange(96).view(1, 1, 1, 96)
    stripes = base + 0.6 * torch.where((columns // 3) % 2 == 0, 1.0, -1.0)  # 6 px period, zero mean
    tinted = base + torch.tensor([0.3, 0.0, -0.3]).view(1, 3, 1, 1)
    assert colour_shift(base, base) == 0.0
    assert colour_shift(base, stripes) < 0.05  # texture averages out...
    assert abs(colour_shift(base, tinted) - 0.2) < 1e-4  # ...a colour change does not
    assert l1(base, stripes) > 0.5


def test_mean_pairwise_l1_measures_diversity():
    one = _smooth_images(1)
    assert mean_pairwise_l1(one.repeat(4, 1, 1, 1)) == 0.0
    pair = torch.cat([torch.full_like(one, -1.0), torch.full_like(one, 1.0)])
    assert mean_pairwise_l1(pair) == pytest.approx(2.0)
    assert mean_pairwise_l1(_smooth_images(4)) > 0.1


def test_centre_and_border_l1_says_where_the_samples_differ():
    same = torch.zeros(3, 3, 16, 24)
    subject = same.clone()
    subject[1, :, 4:12, 6:18] = 1.0  # one sample's centred subject changes colour; the background never does
    centre, border = centre_and_border_l1(pairwise_l1_map(subject))
    assert border == 0.0 and centre == pytest.approx(2 / 3)  # 2 of 3 pairs differ by 1 there
    background = same.clone()
    background[2, :, :2] = -1.0  # only a strip along the top changes
    centre, border = centre_and_border_l1(pairwise_l1_map(background))
    assert centre == 0.0 and border > 0
    full = torch.rand(4, 3, 16, 24)
    centre, border = centre_and_border_l1(pairwise_l1_map(full))
    inside = 8 * 12
    assert (centre * inside + border * (16 * 24 - inside)) / (16 * 24) == pytest.approx(mean_pairwise_l1(full), rel=1e-5)


# ---------------------------------------------------------------- FID / KID


def test_frechet_distance_closed_forms():
    # 1-D: (1 - 0)^2 + 1 + 4 - 2 sqrt(1 * 4) = 2.
    assert frechet_distance(np.zeros(1), np.eye(1), np.ones(1), 4 * np.eye(1)) == pytest.approx(2.0)
    rng = np.random.default_rng(0)
    m = rng.normal(size=(6, 6))
    sigma = m @ m.T + np.eye(6)
    mu = rng.normal(size=6)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(mu, sigma, mu + 1, sigma) == pytest.approx(6.0, abs=1e-8)


@pytest.fixture(scope="module")
def tiny_inception() -> InceptionFeatures:
    torch.manual_seed(0)
    return InceptionFeatures(width=0.125, input_size=75).eval()


def test_tiny_inception_keeps_the_fid_layout(tiny_inception):
    full_keys = set(InceptionFeatures().state_dict())
    assert set(tiny_inception.state_dict()) == full_keys
    assert InceptionFeatures().feature_dim == 2048


def test_fid_and_kid_with_tiny_inception(tiny_inception):
    images = _smooth_images(24, seed=2)
    shifted = (images * 0.5 + 0.4).clamp(-1, 1)
    f = inception_features(tiny_inception, images, batch_size=12)
    g = inception_features(tiny_inception, shifted, batch_size=12)
    assert f.shape == (24, tiny_inception.feature_dim)
    fid_same, fid_shifted = fid_from_features(f, f), fid_from_features(f, g)
    assert fid_same == pytest.approx(0.0, abs=1e-6 * max(fid_shifted, 1.0))
    assert fid_shifted > 0
    kid_same = kid_from_features(f, f, subsets=20, subset_size=16)
    kid_shifted = kid_from_features(f, g, subsets=20, subset_size=16)
    assert kid_shifted > 0
    assert abs(kid_same) < 0.1 * kid_shifted
    both = fid_kid(images, shifted, net=tiny_inception, kid_subsets=20, kid_subset_size=16)
    assert both["fid"] == pytest.approx(fid_shifted, rel=1e-6)


def test_kid_subset_estimates_average_to_kid_and_their_spread_tells_noise_from_a_shift():
    rng = np.random.default_rng(0)
    real, other_real = rng.normal(size=(64, 8)), rng.normal(size=(64, 8))
    shifted = rng.normal(size=(64, 8)) + 0.8
    same = kid_subset_estimates(real, other_real, subsets=30, subset_size=32, seed=1)
    apart = kid_subset_estimates(real, shifted, subsets=30, subset_size=32, seed=1)
    assert same.shape == (30,)
    assert same.mean() == pytest.approx(kid_from_features(real, other_real, subsets=30, subset_size=32, seed=1))
    assert same.std() > 0  # subsets differ
    assert abs(same.mean()) < same.std()  # two samples of one distribution: within the noise
    assert apart.mean() - same.mean() > 3 * max(same.std(), apart.std())


def test_load_inception_from_state_dict_files(tmp_path):
    torch.manual_seed(0)
    source = InceptionFeatures()
    state = {k: v for k, v in source.state_dict().items() if not k.endswith("num_batches_tracked")}
    # The common FID weight file also carries the 1008-way classifier; loading must skip it.
    torch.save({**state, "fc.weight": torch.zeros(1008, 2048), "fc.bias": torch.zeros(1008)}, tmp_path / "fid.pth")
    save_file(state, str(tmp_path / "fid.safetensors"))
    for name in ("fid.pth", "fid.safetensors"):
        loaded = load_inception(tmp_path / name).state_dict()
        assert all(torch.equal(loaded[k], v) for k, v in state.items())
    save_file({"not.a.layer": torch.zeros(1)}, str(tmp_path / "bad.safetensors"))
    with pytest.raises(ValueError, match="not an FID Inception"):
        load_inception(tmp_path / "bad.safetensors")


def test_inception_or_none_explains_how_to_enable(monkeypatch, caplog):
    monkeypatch.delenv(INCEPTION_ENV, raising=False)
    with caplog.at_level(logging.WARNING):
        assert inception_or_none() is None
    assert "FID/KID skipped" in caplog.text and INCEPTION_ENV in caplog.text
    monkeypatch.setenv(INCEPTION_ENV, "/nonexistent/inception.safetensors")
    assert inception_or_none() is None


# ---------------------------------------------------------------- segmenter and judge


def _disc_scenes(n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Bright discs on a dark, noisy background (32 x 32) and their 0/1 masks."""
    rng = np.random.default_rng(seed)
    photos = np.empty((n, 32, 32, 3), np.uint8)
    labels = np.zeros((n, 32, 32), np.uint8)
    for i in range(n):
        cv2.circle(labels[i], (int(rng.integers(8, 24)), int(rng.integers(8, 24))), int(rng.integers(5, 10)), 1, -1)
        base = np.where(labels[i][..., None] == 1, 190.0, 60.0) + rng.normal(0, 25, (32, 32, 3))
        photos[i] = np.clip(base, 0, 255).astype(np.uint8)
    return photos, labels


def test_segmenter_learns_discs_and_round_trips(tmp_path):
    photos, labels = _disc_scenes(32, seed=0)
    net = train_segmenter(photos, labels, num_classes=2, steps=40, batch_size=8, crop=32, lr=3e-3,
                          device="cpu", seed=0, log_every=20, base_channels=8)
    val_photos, val_labels = _disc_scenes(8, seed=1)
    scores = evaluate_segmenter(net, val_photos, val_labels, num_classes=2)
    chance = max(val_labels.mean(), 1 - val_labels.mean())
    assert scores["pixel_accuracy"] > max(0.9, chance + 0.1)
    assert scores["mean_iou"] > 0.7

    save_net(net, tmp_path / "seg", {"class_names": ["background", "disc"]})
    loaded, config = load_net(tmp_path / "seg")
    assert isinstance(loaded, SegmenterNet) and config["class_names"] == ["background", "disc"]
    x = torch.from_numpy(val_photos[:, :30, :27]).permute(0, 3, 1, 2).float() / 127.5 - 1  # odd size: padded
    assert torch.equal(predict_labels(loaded, x), predict_labels(net, x))
    assert predict_labels(net, x).shape == (8, 30, 27)


def _stripes_and_blobs(n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:32, 0:32].astype(np.float64)
    stripes, blobs = [], []
    for _ in range(n):
        angle, period, phase = rng.uniform(0, np.pi), rng.uniform(4, 8), rng.uniform(0, 2 * np.pi)
        wave = np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period + phase)
        stripes.append(np.repeat((127 + 100 * wave)[..., None], 3, axis=2))
        field = np.zeros((32, 32))
        for _ in range(3):
            cy, cx, r = rng.uniform(0, 32), rng.uniform(0, 32), rng.uniform(4, 8)
            field += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r**2))
        blobs.append(np.repeat((40 + 180 * np.clip(field, 0, 1))[..., None], 3, axis=2))
    as_u8 = lambda images: np.clip(np.stack(images), 0, 255).astype(np.uint8)  # noqa: E731
    return as_u8(stripes), as_u8(blobs)


def test_judge_separates_stripes_from_blobs(tmp_path):
    stripes, blobs = _stripes_and_blobs(32, seed=0)
    net = train_judge(stripes, blobs, steps=30, batch_size=16, crop=28, lr=2e-3, device="cpu", seed=0)
    held_stripes, held_blobs = _stripes_and_blobs(16, seed=1)
    assert judge_accuracy(net, held_stripes, held_blobs)["accuracy"] > 0.9

    save_net(net, tmp_path / "judge", {"class_names": ["stripes", "blobs"]})
    loaded, _ = load_net(tmp_path / "judge")
    x = torch.from_numpy(held_blobs).permute(0, 3, 1, 2).float() / 127.5 - 1
    assert isinstance(loaded, DomainJudge)
    assert torch.allclose(judge_probabilities(loaded, x), judge_probabilities(net, x))


def test_save_net_refuses_foreign_nets_and_reserved_keys(tmp_path):
    with pytest.raises(ValueError, match="savable"):
        save_net(torch.nn.Linear(2, 2), tmp_path / "x", {})
    with pytest.raises(ValueError, match="architecture"):
        save_net(DomainJudge(), tmp_path / "x", {"architecture": "other"})


# ---------------------------------------------------------------- commands


def test_segmenter_command_on_pix2pix_pairs(tmp_path, capsys):
    photos, labels = _disc_scenes(10, seed=2)
    palette = np.array([[0, 0, 170], [255, 85, 0]], np.uint8)
    (tmp_path / "data" / "train").mkdir(parents=True)
    for i, (photo, label) in enumerate(zip(photos, labels)):
        pair = np.concatenate([photo, palette[label]], axis=1)
        cv2.imwrite(str(tmp_path / "data" / "train" / f"{i}.png"), cv2.cvtColor(pair, cv2.COLOR_RGB2BGR))
    (tmp_path / "palette.json").write_text(json.dumps(
        [{"name": "background", "rgb": [0, 0, 170]}, {"name": "disc", "rgb": [255, 85, 0]}]))
    out = tmp_path / "run"
    assert segmenter_main(["--data", str(tmp_path / "data"), "--out", str(out), "--palette",
                           str(tmp_path / "palette.json"), "--steps", "3", "--crop", "32", "--device", "cpu"]) == 0
    report = json.loads((out / "validation.json").read_text())
    assert report["val_images"] == 1 and 0 <= report["val_pixel_accuracy"] <= 1
    _, config = load_net(out)
    assert config["class_names"] == ["background", "disc"]
    assert json.loads(capsys.readouterr().out) == report


def test_judge_command_holds_out_a_tenth(tmp_path):
    stripes, blobs = _stripes_and_blobs(20, seed=3)
    for name, images in (("trainA", stripes), ("trainB", blobs)):
        (tmp_path / "data" / name).mkdir(parents=True)
        for i, image in enumerate(images):
            cv2.imwrite(str(tmp_path / "data" / name / f"{i}.png"), image)
    out = tmp_path / "run"
    assert judge_main(["--data", str(tmp_path / "data"), "--out", str(out), "--size", "32",
                       "--steps", "3", "--device", "cpu"]) == 0
    report = json.loads((out / "validation.json").read_text())
    assert report["held_out"] == [2, 2] and not math.isnan(report["val_accuracy"])
    assert (out / "model.safetensors").is_file()


@pytest.mark.parametrize("name, text", [
    ("p.json", '[[0, 0, 222], [1, 48, 254]]'),
    ("p.json", '{"palette": [{"name": "background", "rgb": [0, 0, 222]}, {"name": "facade", "color": [1, 48, 254]}]}'),
    ("p.json", '[["background", 0, 0, 222], ["facade", 1, 48, 254]]'),
    ("recipe.toml", 'layout = "aligned"\npalette = [\n  ["background", 0, 0, 222],\n  ["facade", 1, 48, 254],\n]\n'),
])
def test_read_palette_formats(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    rgb, names = read_palette(tmp_path / name)
    assert rgb.tolist() == [[0, 0, 222], [1, 48, 254]]
    assert names in (None, ["background", "facade"])


def test_ssim_equals_the_direct_two_dimensional_window():
    """The separable fast path gives what the 11 x 11 Gaussian window of the definition gives."""
    g = torch.Generator().manual_seed(3)
    a = torch.rand(2, 3, 40, 50, generator=g) * 2 - 1
    b = (a + 0.3 * torch.randn(a.shape, generator=g)).clamp(-1, 1)
    x, y = (a.double() + 1) / 2, (b.double() + 1) / 2
    taps = torch.exp(-(torch.arange(11, dtype=torch.float64) - 5) ** 2 / (2 * 1.5**2))
    taps = taps / taps.sum()
    window = (taps[:, None] * taps[None, :]).expand(3, 1, 11, 11)
    blur = lambda t: torch.nn.functional.conv2d(t, window, groups=3)  # noqa: E731
    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx**2, blur(y * y) - my**2, blur(x * y) - mx * my
    c1, c2 = 0.01**2, 0.03**2
    want = (((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))).mean().item()
    assert ssim(a, b) == pytest.approx(want, abs=1e-12)
