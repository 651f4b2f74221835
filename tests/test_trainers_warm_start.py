"""Warm start (init_from): a new run begins from an exported model's generator and encoder."""
from __future__ import annotations

import pytest
import torch

from engine.model_format import read_tensors, split_by_role
from test_trainers_families import make_data, tiny
from trainers.export import export_run
from trainers.families import TRAINERS
from trainers.loop import train

torch.set_num_threads(1)


def _first_step_weights(monkeypatch: pytest.MonkeyPatch, family: str) -> dict[str, dict[str, torch.Tensor]]:
    """Record the exported roles' weights as the first train_step of the next run sees them."""
    seen: dict[str, dict[str, torch.Tensor]] = {}
    cls = TRAINERS[family]
    original = cls.train_step

    def step(self, batch):
        if not seen:
            seen.update({role: {k: v.clone() for k, v in self.networks[role].state_dict().items()} for role in self.export_networks()})
        return original(self, batch)

    monkeypatch.setattr(cls, "train_step", step)
    return seen


@pytest.mark.parametrize("family,storage", [("pix2pix", "fp32"), ("bicyclegan", "int8")])
def test_a_run_starts_from_the_exported_weights(tmp_path, monkeypatch, family, storage):
    data = make_data(family, tmp_path / "data")
    first = tmp_path / "first"
    train(tiny(family, data, max_steps=3), run_dir=first)
    folder = tmp_path / "model"
    export_run(first, name=f"{family}.tiny", storage=storage, out=folder, manifest=False, averaged=False)

    seen = _first_step_weights(monkeypatch, family)
    train(tiny(family, data, max_steps=1, seed=9, init_from=str(folder)), run_dir=tmp_path / "second")
    stored, _ = split_by_role(read_tensors(folder))
    assert set(seen) == set(stored)
    for role, weights in seen.items():
        for key, value in weights.items():
            assert torch.equal(value, stored[role][key].to(value.dtype)), f"{role}.{key} did not come from the export"
    # ... and a fresh run with the same seed starts elsewhere
    fresh = _first_step_weights(monkeypatch, family)
    train(tiny(family, data, max_steps=1, seed=9), run_dir=tmp_path / "fresh")
    role = next(iter(fresh))
    assert any(not torch.equal(fresh[role][k], seen[role][k]) for k in fresh[role] if fresh[role][k].is_floating_point())


def test_a_warm_start_from_another_family_or_shape_is_refused(tmp_path):
    data = make_data("pix2pix", tmp_path / "data")
    train(tiny("pix2pix", data, max_steps=1), run_dir=tmp_path / "run")
    folder = tmp_path / "model"
    export_run(tmp_path / "run", name="pix2pix.tiny", out=folder, manifest=False)
    with pytest.raises(ValueError, match="does not fit"):
        train(tiny("pix2pix", data, max_steps=1, ngf=16, init_from=str(folder)), run_dir=tmp_path / "wider")
    bicycle_data = make_data("bicyclegan", tmp_path / "bdata")
    with pytest.raises(ValueError, match="is a pix2pix model"):
        train(tiny("bicyclegan", bicycle_data, max_steps=1, init_from=str(folder)), run_dir=tmp_path / "other")


def test_a_spectral_norm_family_starts_from_its_folded_export(tmp_path, monkeypatch):
    """SPADE trains G and E under spectral norm and ships them folded: the next run starts from the
    shipped weights, each spectrally normed one divided by its largest singular value (about 1 after
    a real training's power iterations have settled; 3 tiny steps leave it further off)."""
    data = make_data("spade", tmp_path / "data")
    train(tiny("spade", data, max_steps=3), run_dir=tmp_path / "first")
    folder = tmp_path / "model"
    export_run(tmp_path / "first", name="spade.tiny", out=folder, manifest=False, averaged=False)
    stored, _ = split_by_role(read_tensors(folder))

    seen: dict[str, dict[str, torch.Tensor]] = {}
    normed: set[str] = set()
    original = TRAINERS["spade"].train_step

    def step(self, batch):
        if not seen:
            seen.update({role: net.state_dict() for role, net in self.export_networks().items()})
            for role in seen:
                normed.update(f"{role}.{k[: -len('_orig')]}" for k in self.networks[role].state_dict() if k.endswith("weight_orig"))
        return original(self, batch)

    monkeypatch.setattr(TRAINERS["spade"], "train_step", step)
    train(tiny("spade", data, max_steps=1, seed=9, init_from=str(folder)), run_dir=tmp_path / "second")
    assert normed, "the tiny SPADE has no spectral norm to test"
    for role, weights in seen.items():
        assert set(weights) == set(stored[role])
        for key, value in weights.items():
            expected = stored[role][key]
            if f"{role}.{key}" in normed:
                expected = expected / torch.linalg.matrix_norm(expected.flatten(1), ord=2)
            torch.testing.assert_close(value, expected, rtol=1e-3, atol=1e-5, msg=f"{role}.{key}")


def test_folded_weights_become_spectral_norm_state_that_reproduces_them():
    from trainers.warm_start import with_spectral_norm

    torch.manual_seed(0)
    trained = torch.nn.utils.spectral_norm(torch.nn.Conv2d(4, 6, 3))
    for _ in range(20):  # settle the power iteration, as training does
        trained(torch.randn(1, 4, 8, 8))
    trained.eval()
    folded = {"weight": trained.weight.detach().clone(), "bias": trained.bias.detach().clone()}
    target = torch.nn.utils.spectral_norm(torch.nn.Conv2d(4, 6, 3))
    target.load_state_dict(with_spectral_norm(folded, target=target), strict=True)
    target.eval()
    torch.testing.assert_close(target.weight, folded["weight"], rtol=1e-3, atol=1e-5)
