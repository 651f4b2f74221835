"""The moving average of exported weights (ema_decay): its arithmetic, that a resume can switch it
on, and that export ships it (or the last step on request). That it resumes exactly is checked
with the rest of the state in test_trainers_resume.py."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from safetensors.torch import load_file
from test_trainers_families import make_data, tiny
from trainers.averaging import WeightAverage
from trainers.checkpoint import latest_checkpoint, load_checkpoint
from trainers.export import export_run
from trainers.loop import train

torch.set_num_threads(1)


def test_average_trails_the_weights_and_copies_buffers():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    start = net[0].weight.detach().clone()
    avg = WeightAverage({"G": net}, decay=0.9)
    with torch.no_grad():
        net[0].weight.add_(1.0)
        net[1].running_mean.fill_(5.0)
    avg.update()
    got = avg.averages["G"]
    assert torch.allclose(got[0].weight, start + 0.1), "one update moves a tenth of the way at decay 0.9"
    assert torch.equal(got[1].running_mean, torch.full((2,), 5.0)), "buffers are copied, not averaged"
    assert not any(p.requires_grad for p in got.parameters())
    assert torch.equal(net[0].weight, start + 1.0), "the trained network is untouched"


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.5])
def test_decay_outside_zero_one_is_refused(decay):
    with pytest.raises(ValueError, match="ema_decay"):
        WeightAverage({"G": nn.Linear(1, 1)}, decay=decay)


def _ema(run_dir) -> dict:
    return load_checkpoint(latest_checkpoint(run_dir))["ema"]


def test_a_resume_can_switch_the_average_on(tmp_path):
    data = make_data("pix2pix", tmp_path / "data")
    cfg = tiny("pix2pix", data, max_steps=4, checkpoint_every=2, ema_decay=0.5)
    train(tiny("pix2pix", data, max_steps=2, checkpoint_every=2), run_dir=tmp_path / "late")
    assert _ema(tmp_path / "late") == {}
    train(cfg, run_dir=tmp_path / "late", resume=True, resume_overrides={"max_steps": 4, "ema_decay": 0.5})
    state = load_checkpoint(latest_checkpoint(tmp_path / "late"))
    assert set(state["ema"]) == {"G"} and state["config"]["ema_decay"] == 0.5


def test_export_ships_the_average_unless_asked_for_the_last_step(tmp_path):
    data = make_data("bicyclegan", tmp_path / "data")
    train(tiny("bicyclegan", data, max_steps=3, ema_decay=0.5), run_dir=tmp_path / "run")
    state = load_checkpoint(latest_checkpoint(tmp_path / "run"))
    assert set(state["ema"]) == {"G", "E"}, "every exported network is averaged"

    def shipped(folder, key: str) -> torch.Tensor:
        return load_file(str(folder / "model.safetensors"))[f"G.{key}"]

    averaged = export_run(tmp_path / "run", name="bicyclegan.avg", out=tmp_path / "avg", manifest=False)
    last = export_run(tmp_path / "run", name="bicyclegan.last", out=tmp_path / "last", manifest=False, averaged=False)
    assert averaged["weights"] == "moving average" and last["weights"] == "last step"
    assert max(averaged["export_max_abs_diff"], last["export_max_abs_diff"]) < 1e-6, "each export matches what it was made from"
    key = next(k for k in state["ema"]["G"] if k.endswith("weight"))
    assert torch.equal(shipped(tmp_path / "avg", key), state["ema"]["G"][key])
    assert torch.equal(shipped(tmp_path / "last", key), state["networks"]["G"][key])
    assert not torch.equal(state["ema"]["G"][key], state["networks"]["G"][key])
