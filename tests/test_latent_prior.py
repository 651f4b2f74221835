"""Where a seed's z comes from (engine.latent_prior): N(0, I), or near the training photos' codes."""
from __future__ import annotations

import pytest
import torch
from test_trainers_families import make_data, tiny

import engine
from engine.latent_prior import CODES_KEY, NOISE_KEY, LatentPrior
from trainers.dataset import load_training_set
from trainers.export import export_run
from trainers.loop import train

NZ = 4


def _codes(k: int = 6) -> torch.Tensor:
    """k codes far apart (10 units) and off-centre, as E's codes of real photos are."""
    return torch.arange(k, dtype=torch.float32)[:, None] * 10.0 + torch.tensor([3.0, -2.0, 1.0, 0.5])


def test_without_codes_a_seed_is_a_standard_normal_z():
    prior = LatentPrior(nz=NZ)
    assert not prior.fitted and prior.interpolation == "slerp" and prior.to_extras() == {}
    assert torch.equal(prior.sample(5, 3), engine.random_latent(NZ, 5, 3))


def test_a_fitted_seed_lands_near_one_training_code():
    codes = _codes()
    prior = LatentPrior.from_codes(codes, bandwidth=0.01)
    z = prior.sample(7, 200)
    nearest = torch.cdist(z, codes).min(1)
    assert nearest.values.max() < 1.0, "a latent strayed from every code"
    assert set(nearest.indices.tolist()) == set(range(len(codes))), "some code is never drawn"
    assert torch.equal(prior.sample(7, 200), z) and not torch.equal(prior.sample(8, 200), z), "z is not a function of the seed"
    assert torch.allclose(prior.noise, 0.01 * codes.std(0))
    assert prior.interpolation == "linear"


def test_a_prior_survives_the_model_folder(tmp_path):
    prior = LatentPrior.from_codes(_codes(), bandwidth=0.5)
    stored = prior.to_extras()
    assert set(stored) == {CODES_KEY, NOISE_KEY}
    again = LatentPrior.from_extras(stored, nz=NZ)
    assert torch.equal(again.sample(3, 4), prior.sample(3, 4))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: LatentPrior(nz=NZ, codes=_codes()), "both"),
        (lambda: LatentPrior(nz=3, codes=_codes(), noise=torch.ones(3)), "K x 3"),
        (lambda: LatentPrior.from_codes(_codes(1), bandwidth=0.5), "at least 2 codes"),
        (lambda: LatentPrior.from_codes(_codes(), bandwidth=0.0), "bandwidth"),
    ],
)
def test_bad_priors_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_bicyclegan_export_ships_its_training_photos_codes(tmp_path, one_thread, monkeypatch):
    cfg = tiny("bicyclegan", make_data("bicyclegan", tmp_path / "data"), max_steps=1, z_prior_bandwidth=0.5)
    trainer = train(cfg, run_dir=tmp_path / "run")
    folder = tmp_path / "bicyclegan.prior"
    export_run(tmp_path / "run", name="bicyclegan.prior", out=folder, manifest=False, onnx=False)
    monkeypatch.setenv("GANVAS_OPTIMIZE", "0")  # the engine's networks as the trainer's: their weights load back
    model = engine.load(folder, device="cpu", backend="torch")
    photos = load_training_set(cfg).targets
    codes = model.extras[CODES_KEY]
    assert codes.shape == (len(photos), cfg.nz)  # every training photo, none of the held-out ones
    trainer.networks["E"].load_state_dict(model.networks["E"].state_dict())  # the shipped (averaged) E
    assert torch.allclose(codes, trainer.encode_photos(photos, side=cfg.crop_size), atol=1e-5)
    assert torch.allclose(model.extras[NOISE_KEY], 0.5 * codes.std(0))
    # The app reads the prior without loading the networks; both draw the same z for a seed.
    alone = engine.read_latent_prior(folder, nz=cfg.nz)
    assert alone.fitted and torch.equal(alone.sample(11, 3), model.random_z(11, 3))
    assert torch.cdist(model.random_z(11, 3), codes).min(1).values.max() < 5 * model.extras[NOISE_KEY].norm()


def test_a_bicyclegan_export_without_a_bandwidth_keeps_n01(tmp_path, one_thread):
    cfg = tiny("bicyclegan", make_data("bicyclegan", tmp_path / "data"), max_steps=1)
    train(cfg, run_dir=tmp_path / "run")
    folder = tmp_path / "bicyclegan.plain"
    export_run(tmp_path / "run", name="bicyclegan.plain", out=folder, manifest=False, onnx=False)
    model = engine.load(folder, device="cpu", backend="torch")
    assert CODES_KEY not in model.extras and not engine.read_latent_prior(folder, nz=cfg.nz).fitted
    assert torch.equal(model.random_z(11, 2), engine.random_latent(cfg.nz, 11, 2))
