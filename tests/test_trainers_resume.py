"""Full-state resume: 4 steps straight and 2 + crash + resume + 2 give the same weights and weight
averages (CPU, fixed seeds)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from test_trainers_families import TINY, make_data, make_unaligned, tiny
from trainers.checkpoint import latest_checkpoint, load_checkpoint
from trainers.families import TRAINERS
from trainers.loop import train

torch.set_num_threads(1)


class Crash(Exception):
    pass


def _crash_after(monkeypatch: pytest.MonkeyPatch, family: str, steps: int) -> None:
    """Make the family's train_step raise on call steps + 1, as if the process died there."""
    cls = TRAINERS[family]
    original = cls.train_step
    calls = {"n": 0}

    def step(self, batch):
        calls["n"] += 1
        if calls["n"] > steps:
            raise Crash
        return original(self, batch)

    monkeypatch.setattr(cls, "train_step", step)


def _assert_same(a: object, b: object, where: str) -> None:
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), f"{where} differs"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


@pytest.mark.parametrize("family", sorted(TRAINERS))  # every registered family (the toy one registers only in its own test)
def test_resume_gives_the_same_weights(tmp_path, monkeypatch, family):
    data = make_data(family, tmp_path / "data")
    # CycleGAN with a pool of 2: full after two steps, so steps 3 and 4 draw from the restored pool.
    extra = dict(pool_size=2) if family == "cyclegan" else {}
    extra["ema_decay"] = 0.5  # the weight average is part of the state too
    cfg = tiny(family, data, max_steps=4, checkpoint_every=2, **extra)

    train(cfg, run_dir=tmp_path / "straight")
    with monkeypatch.context() as m:
        _crash_after(m, family, steps=2)
        with pytest.raises(Crash):
            train(tiny(family, data, max_steps=4, checkpoint_every=2, **extra), run_dir=tmp_path / "resumed")
    assert latest_checkpoint(tmp_path / "resumed").name == "step_00000002.pt"
    if family == "cyclegan":
        pools = load_checkpoint(latest_checkpoint(tmp_path / "resumed"))["extra"]
        assert len(pools["pool_A"]["images"]) == len(pools["pool_B"]["images"]) == 2
    # A new process would know only the run directory: the command line's config is ignored.
    train(tiny(family, data, max_steps=99, seed=123), run_dir=tmp_path / "resumed", resume=True)

    straight = load_checkpoint(tmp_path / "straight" / "checkpoints" / "step_00000004.pt")
    resumed = load_checkpoint(tmp_path / "resumed" / "checkpoints" / "step_00000004.pt")
    assert straight["ema"].keys() == straight["networks"].keys() - {"D", "D_A", "D_B", "D2"} and straight["ema"]
    for part in ("networks", "optimizers", "schedulers", "extra", "ema"):
        _assert_same(straight[part], resumed[part], part)
    assert resumed["step"] == 4


def test_resume_without_a_checkpoint_says_so(tmp_path):
    cfg = tiny("pix2pix", tmp_path)
    with pytest.raises(ValueError, match="nothing to resume"):
        train(cfg, run_dir=tmp_path / "empty", resume=True)


def test_tiny_configs_cover_every_family():
    assert set(TINY) == set(TRAINERS)


def test_resume_may_change_the_length_but_not_the_recipe(tmp_path, monkeypatch):
    data = make_data("pix2pix", tmp_path / "data")
    with monkeypatch.context() as m:
        _crash_after(m, "pix2pix", steps=2)
        with pytest.raises(Crash):
            train(tiny("pix2pix", data, max_steps=8, checkpoint_every=2), run_dir=tmp_path / "run")
    with pytest.raises(ValueError, match="only these may change: max_steps"):
        train(tiny("pix2pix", data), run_dir=tmp_path / "run", resume=True, resume_overrides={"lambda_l1": 1.0})
    family = train(tiny("pix2pix", data), run_dir=tmp_path / "run", resume=True, resume_overrides={"max_steps": "3"})
    final = load_checkpoint(tmp_path / "run" / "checkpoints" / "step_00000003.pt")
    assert final["step"] == 3 and final["config"]["max_steps"] == 3
    assert family.optimizers["G"].param_groups[0]["lr"] == 0.0  # the shortened schedule decayed to its end


def test_oversubscribed_cpu_is_named_before_a_run_crawls():
    from trainers.loop import oversubscription_warning

    assert oversubscription_warning(2, load=0.1, cores=2) is None  # an idle machine
    assert oversubscription_warning(1, load=1.0, cores=2) is None  # two 1-thread runs side by side
    message = oversubscription_warning(2, load=1.0, cores=2)
    assert message and "num_threads" in message and "2 cores" in message


def test_a_resume_runs_on_the_runs_own_thread_count(tmp_path, monkeypatch):
    """The command line of a resume carries no thread count (0: all cores); the run's own one, or a
    new one from --set, must be what the process uses. Taking all cores beside another training
    made both crawl (OpenMP threads spin-waiting), the slowdown sessions saw on every resume."""
    data = make_data("pix2pix", tmp_path / "data")
    train(tiny("pix2pix", data, max_steps=2, checkpoint_every=2, num_threads=1), run_dir=tmp_path / "run")
    calls: list[int] = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    command_line = tiny("pix2pix", data, num_threads=0)
    train(command_line, run_dir=tmp_path / "run", resume=True, resume_overrides={"max_steps": 3})
    assert calls == [1]
    calls.clear()
    train(command_line, run_dir=tmp_path / "run", resume=True, resume_overrides={"max_steps": 4, "num_threads": 2})
    assert calls == [2]


def test_a_cyclegan_run_may_go_on_at_larger_crops(tmp_path):
    data = make_unaligned(tmp_path / "data", size=64)
    train(tiny("cyclegan", data, max_steps=2, checkpoint_every=2, pool_size=2, batch_size=2), run_dir=tmp_path / "run")
    # The pool is full of 32 px images; a batch of 64 px ones must not mix with them.
    family = train(
        tiny("cyclegan", data), run_dir=tmp_path / "run", resume=True,
        resume_overrides={"max_steps": "6", "load_size": "64", "crop_size": "64"},
    )
    final = load_checkpoint(tmp_path / "run" / "checkpoints" / "step_00000006.pt")
    assert final["config"]["crop_size"] == 64 and family.contract().size == 64
    assert {tuple(t.shape[-2:]) for t in final["extra"]["pool_A"]["images"]} == {(64, 64)}


def test_a_cyclegan_fine_tune_may_reweight_its_losses(tmp_path):
    data = make_unaligned(tmp_path / "data", size=64)
    train(tiny("cyclegan", data, max_steps=2, checkpoint_every=2, pool_size=2), run_dir=tmp_path / "run")
    train(
        tiny("cyclegan", data), run_dir=tmp_path / "run", resume=True,
        resume_overrides={"max_steps": "3", "lambda_cycle": "5", "lambda_identity": "0"},
    )
    final = load_checkpoint(tmp_path / "run" / "checkpoints" / "step_00000003.pt")
    assert (final["config"]["lambda_cycle"], final["config"]["lambda_identity"]) == (5.0, 0.0)
    with pytest.raises(ValueError, match="only these may change"):
        train(tiny("cyclegan", data), run_dir=tmp_path / "run", resume=True, resume_overrides={"ngf": "8"})


def test_a_finished_run_records_a_setting_changed_for_its_export(tmp_path):
    data = make_data("bicyclegan", tmp_path / "data")
    train(tiny("bicyclegan", data, checkpoint_every=2), run_dir=tmp_path / "run")
    final = tmp_path / "run" / "checkpoints" / "step_00000002.pt"
    weights = load_checkpoint(final)["networks"]
    train(tiny("bicyclegan", data), run_dir=tmp_path / "run", resume=True, resume_overrides={"z_prior_bandwidth": "1.0"})
    again = load_checkpoint(latest_checkpoint(tmp_path / "run"))
    assert again["step"] == 2 and again["config"]["z_prior_bandwidth"] == 1.0
    _assert_same(weights, again["networks"], "networks")  # no step was taken


def test_a_pix2pix_run_keeps_its_crop_size(tmp_path, monkeypatch):
    data = make_data("pix2pix", tmp_path / "data")
    train(tiny("pix2pix", data, checkpoint_every=2), run_dir=tmp_path / "run")
    with pytest.raises(ValueError, match="only these may change"):
        train(tiny("pix2pix", data), run_dir=tmp_path / "run", resume=True, resume_overrides={"crop_size": "64"})
