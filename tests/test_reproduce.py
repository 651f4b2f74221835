"""Recipes as the whole truth: each shipped model's recipe gives its manifest's very settings, and
`python -m trainers reproduce` runs every recipe's whole chain (legs, export, int8 graphs, helper
networks, evaluation) on tiny networks and synthetic data of its layout, so a recipe that no longer
runs fails here. A second run trains nothing that is done."""
from __future__ import annotations

import dataclasses
import json
import shutil
import tomllib
from pathlib import Path

import pytest

from test_trainers_families import make_aligned, make_labeled, make_photos, make_unaligned
from trainers import loop
from trainers.recipe import all_recipes, read_recipe, recipe_path
from trainers.reproduce import plan, reproduce

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {e["name"]: e for e in json.loads((ROOT / "weights" / "manifest.json").read_text())["models"]}
# Settings that say where and how often, not what is learnt (and init_from: a leg's own start).
NOT_THE_MODEL = ("data", "init_from", "palette")
# What each model's evaluation measures (a missing key means a step of the chain did not run).
MEASURED = {
    "pix2pix.facades": ("fcn", "realism", "l1"),
    "pix2pix.edges2cats": ("edge_f1", "l1", "outline"),
    "bicyclegan.edges2cats": ("edge_f1", "diversity_ratio", "diversity_centre", "subject_colour", "l1_encoded_z", "outline"),
    "spade.camvid": ("fcn", "realism", "styles", "diversity_ratio", "style_follow"),
    "cyclegan.horse2zebra": ("cycle_l1_A", "judge", "imagenet_top1"),
}


def synthetic_data(recipe, root: Path) -> Path:
    """A few 64 px images in the recipe's dataset layout (as ../shared/datasets holds them)."""
    layout = recipe.settings["layout"]
    if layout == "aligned":
        make_aligned(root / "train", n=6, size=64, corrupt=False)
        make_aligned(root / "val", n=4, size=64, corrupt=False)
    elif layout == "labeled":
        make_labeled(root, n=6, h=48, w=64, corrupt=False)
        val = make_labeled(root / "split", n=4, h=48, w=64, corrupt=False)
        shutil.move(str(val / "train"), str(root / "val"))
        shutil.move(str(val / "train_labels"), str(root / "val_labels"))
    elif layout == "unaligned":
        make_unaligned(root, n=8, size=64, corrupt=False)
    else:  # photos, in subfolders as the cats are (faces/, whole/)
        for folder in ("faces", "whole"):
            make_photos(root / folder, n=15, size=64, corrupt=False)
    return root


def test_every_shipped_model_has_a_recipe_that_gives_its_settings() -> None:
    recipes = {r.name: r for r in all_recipes()}
    assert set(SHIPPED) <= set(recipes)
    for name, entry in SHIPPED.items():
        r = recipes[name]
        final = dataclasses.asdict(r.leg_config(len(r.legs) - 1))
        differ = {k: (final.get(k), v) for k, v in entry["config"].items() if k not in NOT_THE_MODEL and final.get(k) != v}
        assert not differ, f"{name}: the recipe's last leg differs from the shipped model: {differ}"
        assert r.legs[-1].steps == entry["steps"] and r.data == entry["config"]["data"]
        assert r.export["storage"] == entry["storage"]
        assert (r.export.get("weights") == "last") == (entry["weights"] == "last step")
        assert (r.quantize is not None) == ("int8" in (entry.get("onnx_precision") or {}).values())
        assert entry["recipe"] == f"trainers/recipes/{name}.toml"
        card = tomllib.loads(recipe_path(name).read_text())["card"]
        assert entry["task"] == card["task"] and entry["dataset"] == card["dataset"] and entry["plain"] == card["plain"]
        assert (ROOT / "trainers" / "recipes" / f"{name}.md").is_file()  # the lab notebook, beside it


def test_a_recipe_is_settings_not_a_notebook() -> None:
    for path in sorted((ROOT / "trainers" / "recipes").glob("*.toml")):
        comment_lines = [line for line in path.read_text().splitlines() if line.startswith("#")]
        assert len(comment_lines) <= 3, f"{path.name}: {len(comment_lines)} comment lines; the history goes to {path.stem}.md"


def test_leg_starts_are_checked(tmp_path) -> None:
    bad = tmp_path / "pix2pix.bad.toml"
    bad.write_text('family = "pix2pix"\n[[legs]]\nmax_steps = 2\n[[legs]]\nstart = "continue"\nmax_steps = 4\nngf = 8\n')
    with pytest.raises(ValueError, match="continues a run, which may change only"):
        read_recipe(bad)
    bad.write_text('family = "pix2pix"\n[[legs]]\nstart = "warm"\nmax_steps = 2\n')
    with pytest.raises(ValueError, match="first leg starts from scratch"):
        read_recipe(bad)


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_every_recipe_reproduces_at_tiny_scale(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = read_recipe(recipe_path(name))
    data = str(synthetic_data(recipe, tmp_path / "data"))
    said: list[str] = []
    entry = reproduce(name, runs=tmp_path / "runs", scale="tiny", data=data, threads=1, say=said.append)
    folder = tmp_path / "runs" / name / "weights" / name
    assert (folder / "model.safetensors").is_file() and entry["name"] == name
    assert all(key in entry["metrics"] for key in MEASURED[name]), sorted(entry["metrics"])
    if recipe.quantize is not None:
        assert "int8" in (folder / "onnx.json").read_text() and "fp32" in json.dumps(entry["int8_check"])
    assert said[-1].startswith("figure") and "shipped" in said[-1]  # the table beside the shipped figures
    for step in plan(recipe, tmp_path / "runs" / name, scale="tiny", data=data):
        assert step.todo == 0 and (step.run_dir / "checkpoints").is_dir()

    def no_training(*args, **kwargs):
        raise AssertionError("a finished leg trained again")

    monkeypatch.setattr(loop, "train", no_training)
    again = reproduce(name, runs=tmp_path / "runs", scale="tiny", data=data, threads=1, say=lambda _: None)
    assert again["steps"] == entry["steps"]


def test_dry_run_prints_each_leg_with_hours_from_a_timing(tmp_path: Path, capsys) -> None:
    from trainers.__main__ import main

    recipe = read_recipe(recipe_path("pix2pix.edges2cats"))
    data = synthetic_data(recipe, tmp_path / "data")
    assert main(["reproduce", "pix2pix.edges2cats", "--dry-run", "--scale", "tiny", "--data", str(data), "--runs", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    for leg in recipe.legs:
        assert f"{leg.name} [{leg.start}]" in out
    assert "h here" in out and "training time here" in out
    assert not (tmp_path / "runs" / "pix2pix.edges2cats").exists()  # a plan trains nothing
