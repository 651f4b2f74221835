"""`python -m trainers train|export`: help text, errors that list the valid keys, a whole tiny run."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_trainers_families import make_aligned

import engine
from trainers.__main__ import main
from trainers.config import config_classes

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]


def test_train_help_lists_every_field_with_its_default():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "trainers", "train", "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    for family, cls in config_classes().items():
        assert f"[{family}]" in out.stdout
        for f in dataclasses.fields(cls):
            assert f"{f.name} = {getattr(cls(), f.name)!r}" in out.stdout, f"{family}.{f.name} missing from --help"


def test_unknown_set_key_errors_and_lists_the_valid_ones(tmp_path, capsys):
    code = main(["train", "cyclegan", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--set", "lambda_cycel=5"])
    err = capsys.readouterr().err
    assert code == 2
    assert "lambda_cycel" in err and "lambda_cycle" in err and "pool_size" in err


def test_unknown_family_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "stylegan", "--data", str(tmp_path), "--out", str(tmp_path / "run")])
    assert "invalid choice" in capsys.readouterr().err


def test_train_resume_and_export_from_the_command_line(tmp_path, capsys):
    data = make_aligned(tmp_path / "data", corrupt=False)
    run = tmp_path / "run"
    sets = ["load_size=32", "crop_size=32", "ngf=8", "ndf=8", "num_downs=5", "max_steps=3", "checkpoint_every=2",
            "sample_every=0", "num_threads=1", "input_kind=photo"]
    args = ["train", "pix2pix", "--data", str(data), "--out", str(run)] + [a for s in sets for a in ("--set", s)]
    assert main(args) == 0
    saved = json.loads((run / "config.json").read_text())
    assert saved["family"] == "pix2pix" and saved["ngf"] == 8 and saved["max_steps"] == 3
    # Resuming a finished run has nothing left to do and keeps its final checkpoint.
    assert main(["train", "--resume", str(run)]) == 0
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["step_00000002.pt", "step_00000003.pt"]
    folder = tmp_path / "pix2pix.cli"
    assert main(["export", str(run), "--name", "pix2pix.cli", "--out", str(folder)]) == 0
    out = capsys.readouterr().out
    assert float(out.rsplit("=", 1)[1]) < 1e-4, out
    translator = engine.load(folder, device="cpu")
    assert translator.family == "pix2pix" and translator.contract.size == 32
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [(m["name"], m["steps"]) for m in manifest["models"]] == [("pix2pix.cli", 3)]
    assert main(["export", str(run), "--name", "cyclegan.cli", "--out", str(tmp_path / "x")]) == 2


def test_bench_runs_and_reports(tmp_path, capsys):
    from trainers.bench import main as bench_main

    out = tmp_path / "bench.json"
    args = ["--families", "pix2pix", "--size", "32", "--steps", "1", "--warmup", "0", "--batch-sizes", "1,2", "--device", "cpu"]
    assert bench_main(args + ["--json", str(out)]) == 0
    assert "pix2pix" in capsys.readouterr().out
    (row,) = json.loads(out.read_text())["results"]
    assert row["reference"] > 0 and set(row["tried"]) == {"1", "2"} and row["batch"] in (1, 2)


def test_bench_reports_the_cost_of_pretrained_features(tmp_path, capsys):
    from trainers.bench import main as bench_main

    out = tmp_path / "bench.json"
    args = ["--pretrained", "--families", "pix2pix", "--size", "32", "--steps", "1", "--warmup", "0", "--device", "cpu", "--threads", "1"]
    assert bench_main(args + ["--json", str(out)]) == 0
    assert "+projected D" in capsys.readouterr().out
    (row,) = json.loads(out.read_text())["results"]
    seconds = row["seconds_per_step"]
    assert set(seconds) == {"plain", "+perceptual", "+projected D", "both"} and all(v > 0 for v in seconds.values())
