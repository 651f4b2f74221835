"""Named loading through the manifest, and every way a model can fail to load: each is a
ModelError that names the file and says what to do. Also: `import engine` stays light."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import engine
from engine import ModelError, ModelNotFound
from engine.model_format import CONFIG_FILE, WEIGHTS_FILE

from conftest import ROOT

pytestmark = pytest.mark.usefixtures("one_thread")


def test_list_and_load_by_name(weights_registry) -> None:
    weights_registry("pix2pix")
    weights_registry("cyclegan")
    cards = {c.name: c for c in engine.list_models()}
    assert set(cards) == {"pix2pix.tiny", "cyclegan.tiny"}
    card = cards["pix2pix.tiny"]
    assert card.available and card.family == "pix2pix" and card.contract.kind == "sketch"
    t = engine.load("pix2pix.tiny")
    assert t.name == "pix2pix.tiny" and t.folder == weights_registry.root / "pix2pix.tiny"


def test_unknown_name_lists_the_valid_ones(weights_registry) -> None:
    weights_registry("pix2pix")
    with pytest.raises(ModelNotFound, match=r"no model named 'pix2pix\.nope'.*valid names: pix2pix\.tiny"):
        engine.load("pix2pix.nope")


def test_missing_weights_say_how_to_get_them(weights_registry) -> None:
    weights_registry("pix2pix", write_files=False)
    assert not engine.list_models()[0].available
    with pytest.raises(ModelError, match=r"model\.safetensors.*python -m trainers train pix2pix"):
        engine.load("pix2pix.tiny")


def test_checksum_mismatch_names_the_file(weights_registry) -> None:
    weights_registry("pix2pix")
    weights = weights_registry.root / "pix2pix.tiny" / WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one flipped byte in the last tensor: still loadable, but not what was exported
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=rf"{weights}.*checksum"):
        engine.load("pix2pix.tiny")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_weights_name_the_file(make_model, damage: str) -> None:
    folder = make_model("pix2pix")
    weights = folder / WEIGHTS_FILE
    data = weights.read_bytes()
    weights.write_bytes({"garbage": os.urandom(2048), "truncated": data[: len(data) // 2], "empty": b""}[damage])
    with pytest.raises(ModelError, match=rf"{weights}.*not a readable safetensors"):
        engine.load(folder)


def test_missing_files_in_a_folder(make_model) -> None:
    folder = make_model("pix2pix")
    (folder / WEIGHTS_FILE).unlink()
    with pytest.raises(ModelError, match=rf"{folder / WEIGHTS_FILE} is missing"):
        engine.load(folder)
    (folder / CONFIG_FILE).unlink()
    with pytest.raises(ModelError, match=rf"{folder / CONFIG_FILE} is missing"):
        engine.load(folder)


def edit_config(folder: Path, change) -> None:
    config = json.loads((folder / CONFIG_FILE).read_text())
    change(config)
    (folder / CONFIG_FILE).write_text(json.dumps(config))


def test_config_that_does_not_fit_the_weights(make_model) -> None:
    folder = make_model("pix2pix")
    edit_config(folder, lambda c: c["networks"]["G"]["kwargs"].update(ngf=16))
    with pytest.raises(ModelError, match=rf"{folder / WEIGHTS_FILE}.*do not fit.*'G'.*config\.json"):
        engine.load(folder)


def test_config_naming_a_network_the_weights_lack(make_model) -> None:
    folder = make_model("pix2pix")
    edit_config(folder, lambda c: c["networks"].update(E={"arch": "resnet_encoder", "kwargs": {}}))
    with pytest.raises(ModelError, match="no tensors for network 'E'"):
        engine.load(folder)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["networks"]["G"].update(arch="transformer"), "unknown architecture 'transformer'; valid:"),
        (lambda c: c["networks"]["G"]["kwargs"].update(colour="blue"), "bad arguments for 'unet'"),
        (lambda c: c.pop("contract"), "no 'contract' entry"),
    ],
)
def test_broken_configs(make_model, change, message: str) -> None:
    folder = make_model("pix2pix")
    edit_config(folder, change)
    with pytest.raises(ModelError, match=message):
        engine.load(folder)


def test_config_that_is_not_json(make_model) -> None:
    folder = make_model("pix2pix")
    (folder / CONFIG_FILE).write_text("{not json")
    with pytest.raises(ModelError, match=rf"{folder / CONFIG_FILE} is not valid JSON"):
        engine.load(folder)


def test_unknown_family_in_config(make_model) -> None:
    folder = make_model("pix2pix")
    edit_config(folder, lambda c: c.update(family="stylegan"))
    with pytest.raises(ValueError, match="unknown family 'stylegan'; valid: pix2pix"):
        engine.load(folder)


def test_malformed_manifest_entries(weights_registry) -> None:
    weights_registry("pix2pix")
    manifest = weights_registry.root / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["models"][0]["contract"]
    manifest.write_text(json.dumps(data))
    with pytest.raises(ModelError, match=r"manifest\.json: the entry for model pix2pix\.tiny is malformed"):
        engine.list_models()
    manifest.write_text("[1, 2")
    with pytest.raises(ModelError, match="not valid JSON"):
        engine.list_models()


@pytest.mark.parametrize(("device", "message"), [("gpu", "unknown device 'gpu'"), ("cuda", "no CUDA GPU"), ("mps", "MPS")])
def test_unavailable_devices_are_value_errors(make_model, device: str, message: str) -> None:
    if device == "cuda" and torch.cuda.is_available() or device == "mps" and torch.backends.mps.is_available():
        pytest.skip(f"{device} is available here")
    with pytest.raises(ValueError, match=message):
        engine.load(make_model("pix2pix"), device=device)


def run_python(code: str, *, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout
    )


def test_offline_hub_fetch_fails_fast_and_clearly(weights_registry, tmp_path: Path) -> None:
    weights_registry("pix2pix", write_files=False, hub={"repo_id": "ganvas/weights-that-do-not-exist"})
    code = "import engine\ntry:\n    engine.load('pix2pix.tiny')\nexcept engine.ModelError as e:\n    print('MODELERROR', e)\n"
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "OMP_NUM_THREADS": "1"}
    start = time.monotonic()
    done = run_python(code, env=env, timeout=60)
    assert time.monotonic() - start < 30
    assert "MODELERROR" in done.stdout, done.stderr
    assert "could not be downloaded from the hub repo 'ganvas/weights-that-do-not-exist'" in done.stdout
    assert str(weights_registry.root / "pix2pix.tiny" / WEIGHTS_FILE) in done.stdout


def test_import_engine_is_light() -> None:
    code = (
        "import sys, engine\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('gradio', 'trainers', 'huggingface_hub', 'cv2'))\n"
        "print(heavy)\n"
    )
    done = run_python(code, env={"OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
