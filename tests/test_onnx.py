"""ONNX export and the ONNX Runtime backend, on every family's tiny model.

Each graph must agree with torch (max |diff| <= 1e-4) at two input sizes of different aspect,
with z or a style where the family takes one; engine.load must pick ONNX where the folder has
current graphs and torch where it has none or stale ones; int8 graphs must hold their quantized
weights and stay near the fp32 graph.
"""
from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import INT8_SLACK, TINY_VARIANTS, TINY_SIZE

import engine
from engine.errors import ModelError
from engine.onnx_export import ONNX_CONFIG, PARITY_LIMIT, export_folder, read_onnx_config
from engine.onnx_quantize import Calibration

pytest.importorskip("onnxruntime")

ROOT = Path(__file__).resolve().parent.parent


def _inputs(translator: engine.Translator, *, height: int, width: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    c = translator.contract
    if c.kind == "labels":
        ids = torch.randint(0, len(c.palette), (1, height // 8, width // 8), generator=gen)
        ids = torch.nn.functional.interpolate(ids[:, None].float(), size=(height, width)).long()[:, 0]
        from engine.labels import encode_labels

        return encode_labels(ids, c)
    return torch.rand(1, c.channels, height, width, generator=gen) * 2 - 1


def _sizes(translator: engine.Translator) -> list[tuple[int, int]]:
    m = translator.size_multiple
    side = -(-TINY_SIZE // m) * m
    return [(side, side), (side, side + 2 * m)]  # square, and wider than tall


@pytest.mark.parametrize(("family", "variant"), TINY_VARIANTS)
def test_every_family_exports_graphs_that_match_torch(family: str, variant: str | None, make_model, one_thread) -> None:
    folder = make_model(family, variant=variant)
    record = export_folder(folder)
    torch_model = engine.load_folder(folder, backend="torch")
    onnx_model = engine.load_folder(folder, backend="onnx")
    assert onnx_model.backend == "onnx" and onnx_model.precision == "fp32"
    assert set(record["graphs"]) == set(json.loads((folder / "config.json").read_text())["networks"])
    for graph in record["graphs"].values():
        assert graph["max_abs_diff_vs_torch"] <= PARITY_LIMIT
        assert (folder / graph["file"]).is_file()
    directions = [r.removeprefix("G_") for r in torch_model.spec.generators] if len(torch_model.spec.generators) > 1 else [None]
    for seed, (h, w) in enumerate(_sizes(torch_model)):
        x = _inputs(torch_model, height=h, width=w, seed=seed)
        z = torch_model.random_z(seed) if torch_model.nz else None
        for direction in directions:
            want = torch_model.forward_tensor(x, z=z, direction=direction)
            got = onnx_model.forward_tensor(x, z=z, direction=direction)
            assert got.shape == want.shape == (1, 3, h, w)
            assert (got - want).abs().max().item() <= PARITY_LIMIT, f"{family} at {h}x{w} {direction or ''}"


@pytest.mark.parametrize("family", ["bicyclegan", "spade"])
def test_encoder_graph_gives_the_same_code_and_render(family: str, make_model, one_thread) -> None:
    folder = make_model(family)
    export_folder(folder)
    photo = (np.random.default_rng(0).random((70, 90, 3)) * 255).astype(np.uint8)
    torch_model, onnx_model = engine.load_folder(folder, backend="torch"), engine.load_folder(folder, backend="onnx")
    code_t, code_o = torch_model.encode(photo), onnx_model.encode(photo)
    assert torch.allclose(code_t, code_o, atol=PARITY_LIMIT)
    sketch = np.full((64, 64), 255, np.uint8) if torch_model.contract.kind == "sketch" else np.zeros((64, 64), np.uint8)
    a = np.asarray(torch_model(sketch, style=photo), np.int16) if torch_model.contract.style else np.asarray(torch_model(sketch, z=code_t), np.int16)
    b = np.asarray(onnx_model(sketch, style=photo), np.int16) if onnx_model.contract.style else np.asarray(onnx_model(sketch, z=code_o), np.int16)
    assert np.abs(a - b).max() <= 1


def test_encoder_may_stay_in_torch_beside_generator_graphs(make_model, one_thread) -> None:
    folder = make_model("spade")
    record = export_folder(folder, generators_only=True)
    assert set(record["graphs"]) == {"G"} and not (folder / "E.onnx").exists()
    model = engine.load_folder(folder)
    assert model.backend == "onnx" and isinstance(model.networks["E"], torch.nn.Module)
    photo = (np.random.default_rng(1).random((40, 40, 3)) * 255).astype(np.uint8)
    assert torch.allclose(model.encode(photo), engine.load_folder(folder, backend="torch").encode(photo), atol=1e-5)


def test_load_picks_onnx_only_for_current_graphs(make_model, one_thread, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = make_model("pix2pix")
    assert engine.load_folder(folder).backend == "torch"  # no graphs yet
    with pytest.raises(ModelError, match="export-onnx"):
        engine.load_folder(folder, backend="onnx")
    export_folder(folder)
    assert engine.load_folder(folder).backend == "onnx"
    assert engine.load_folder(folder, backend="torch").backend == "torch"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GANVAS_BACKEND", "torch")  # a server's default, e.g. to compare both ways
        assert engine.load_folder(folder).backend == "torch"
    with pytest.raises(ValueError, match="unknown backend"):
        engine.load_folder(folder, backend="tensorrt")
    # Other weights under the same graphs: stale, so torch renders and says why.
    other = make_model("pix2pix", seed=1, folder=tmp_path / "other")
    shutil.copy(other / "model.safetensors", folder / "model.safetensors")
    with caplog.at_level(logging.WARNING):
        assert engine.load_folder(folder).backend == "torch"
    assert "other weights" in caplog.text
    with pytest.raises(ModelError, match="other weights"):
        engine.load_folder(folder, backend="onnx")


def test_int8_graph_is_quantized_and_stays_near_fp32(make_model, one_thread) -> None:
    import onnx

    folder = make_model("pix2pix")
    model = engine.load_folder(folder, backend="torch")
    rng = np.random.default_rng(0)
    feeds = [{"x": (rng.random((1, model.contract.channels, 64, 64)) * 2 - 1).astype(np.float32)} for _ in range(8)]
    record = export_folder(folder, calibration=Calibration(feeds={"G": feeds}, record={"inputs": "random, for the test"}))
    graph = record["graphs"]["G"]
    assert graph["precision"] == "int8" and record["calibration"] == {"inputs": "random, for the test"}
    ops = {n.op_type for n in onnx.load(str(folder / "G.onnx")).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    int8_weights = [t for t in onnx.load(str(folder / "G.onnx")).graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert int8_weights, "weights should be stored as int8"
    quantized = engine.load_folder(folder, backend="onnx")
    assert quantized.precision == "int8"
    x = torch.from_numpy(feeds[0]["x"])
    diff = (quantized.forward_tensor(x) - model.forward_tensor(x)).abs()
    assert 0 < diff.mean().item() < 0.05 * INT8_SLACK, "int8 should round a little, not change the picture"


def test_export_onnx_command_registers_the_graphs(weights_registry) -> None:
    weights_registry("cyclegan")
    env = {"GANVAS_WEIGHTS_DIR": str(weights_registry.root), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "engine", "export-onnx", "cyclegan.tiny"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "G_AtoB.onnx" in done.stdout and "G_BtoA.onnx" in done.stdout
    entry = next(m for m in json.loads((weights_registry.root / "manifest.json").read_text())["models"] if m["name"] == "cyclegan.tiny")
    assert {"G_AtoB.onnx", "G_BtoA.onnx", ONNX_CONFIG} <= set(entry["files"])
    bad = subprocess.run([sys.executable, "-m", "engine", "export-onnx", "no.such"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "valid names" in bad.stderr and "Traceback" not in bad.stderr


def test_read_onnx_config_is_none_without_graphs(tmp_path: Path) -> None:
    assert read_onnx_config(tmp_path) is None
