"""A fifth family, walked through: registered in one place (tests/toy_family.py, which stands for
one nets file and one trainer module), it is trained, exported, loaded and benchmarked by the
project's own code without any other file naming it."""
from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator

import pytest
import torch
from PIL import Image

import engine
import engine.families
from engine.registry import unregister_family
from conftest import _tiny_spec
from engine.nets import ARCHITECTURES, build_network, describe
from trainers.config import build_config, config_classes
from trainers.dataset import TrainingSet
from trainers.export import export_run
from trainers.families import TRAINERS, trainer_class
from trainers.loop import train

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def toy() -> Iterator[object]:
    """tests/toy_family.py imported (which registers it), and forgotten afterwards."""
    module = importlib.import_module("toy_family")
    yield module
    unregister_family("toy")
    ARCHITECTURES.pop("toy_conv", None)
    sys.modules.pop("toy_family", None)


def test_the_built_in_families_are_registered_beside_their_networks() -> None:
    assert set(engine.families.FAMILIES) == {"pix2pix", "bicyclegan", "spade", "cyclegan"}
    assert set(TRAINERS) == set(config_classes()) == set(engine.families.FAMILIES)
    for family in engine.families.FAMILIES:
        spec = engine.families.family_spec(family)
        for role, (arch, kwargs) in spec.networks(spec.example_contract("tiny"), "tiny").items():
            assert role in spec.roles and describe(build_network(arch, **kwargs)) == (arch, kwargs)


def test_a_new_family_needs_only_its_own_file(toy, tmp_path) -> None:
    # Registered: the engine, the trainers' command line and the tests' tiny models know it.
    assert "toy" in engine.families.FAMILIES and "toy" not in ("pix2pix", "bicyclegan", "spade", "cyclegan")
    assert trainer_class("toy") is toy.ToyTrainer and config_classes()["toy"] is toy.ToyConfig
    assert _tiny_spec("toy", None)["networks"] == {"G": ("toy_conv", {"in_channels": 3, "ngf": 4})}

    # Trained by the shared loop on a few synthetic pairs, and exported as a model folder.
    gen = torch.Generator().manual_seed(0)
    photos = torch.randint(0, 256, (4, 3, 32, 32), generator=gen, dtype=torch.uint8)
    data = TrainingSet(inputs=photos, targets=255 - photos, paired=True, files=[str(i) for i in range(4)])
    cfg = build_config("toy", overrides=dict(load_size=32, crop_size=32, max_steps=6, epochs=1, epochs_decay=1, sample_every=0, device="cpu", num_threads=1))
    family = train(cfg, run_dir=tmp_path / "run", data=data)
    assert isinstance(family, toy.ToyTrainer)
    entry = export_run(tmp_path / "run", name="toy.test", out=tmp_path / "weights" / "toy.test", averaged=False)
    assert entry["export_max_abs_diff"] < 1e-5 and entry["steps"] == 6  # fp32: rounding of the packed convs only

    # Loaded and run by the engine at any size, as every model is.
    translator = engine.load(tmp_path / "weights" / "toy.test")
    out = translator(Image.new("RGB", (60, 36), (200, 30, 30)))
    assert translator.family == "toy" and out.size == (32, 19)

    # And the inference benchmark builds its paper-size generator from the registry alone.
    from engine.bench import paper_generator

    assert describe(paper_generator("toy")) == ("toy_conv", {"in_channels": 3, "ngf": 32})
