"""The shipped ONNX graphs are what a fresh export of the shipped safetensors gives.

For every shipped model: its onnx.json names the safetensors it came from (sha256), the manifest
lists every graph with its checksum, and a fresh export into a temporary folder (which checks
ONNX Runtime against torch at two sizes itself) gives the same outputs as the shipped graphs:
fp32 graphs within 1e-5, int8 graphs within their recorded int8 deviation of the fresh fp32
graph (the quantization of that same fp32 graph).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import INT8_SLACK
from test_shipped_models import WEIGHTS, fixed_input, shipped_models

import engine
from engine.manifest import read_manifest
from engine.model_format import sha256_file
from engine.onnx_backend import make_session
from engine.onnx_export import ONNX_CONFIG, export_folder, read_onnx_config

pytestmark = pytest.mark.slow
pytest.importorskip("onnxruntime")


def _feed(model: engine.Translator, graph: dict) -> dict[str, np.ndarray]:
    if graph.get("side"):  # an encoder: a photo-like input at its side
        x = torch.linspace(-1, 1, 3 * graph["side"] ** 2).reshape(1, 3, graph["side"], graph["side"])
        return {"x": x.numpy()}
    x, _ = model.prepare(fixed_input(model.contract))
    feed = {"x": x.numpy()}
    if "z" in graph["inputs"]:
        feed["z"] = model.random_z(0).numpy()
    return feed


def with_graphs() -> list[str]:
    return [name for name in shipped_models() if (WEIGHTS / name / ONNX_CONFIG).is_file()]


def test_every_live_canvas_model_ships_graphs() -> None:
    """Sketches and label maps render on every stroke: those models ship ONNX graphs. (Photo
    models may render with torch: horse2zebra's graphs do not fit the weights budget.)"""
    entries = read_manifest(WEIGHTS / "manifest.json")["models"]
    live = [m["name"] for m in entries if m["contract"]["kind"] in ("sketch", "labels")]
    assert live and set(live) <= set(with_graphs())


@pytest.mark.parametrize("name", shipped_models())
def test_shipped_graphs_match_a_fresh_export(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every shipped model exports (checked against torch at two sizes); shipped graphs match it."""
    monkeypatch.setenv("GANVAS_WEIGHTS_DIR", str(WEIGHTS))
    folder = WEIGHTS / name
    record = read_onnx_config(folder) or {"source": {"model.safetensors": sha256_file(folder / "model.safetensors")}, "graphs": {}}
    assert record["source"] == {"model.safetensors": sha256_file(folder / "model.safetensors")}, "graphs from other weights"
    entry = next(m for m in read_manifest(WEIGHTS / "manifest.json")["models"] if m["name"] == name)
    shipped_files = [ONNX_CONFIG, *(g["file"] for g in record["graphs"].values())] if record["graphs"] else []
    for file in shipped_files:
        assert entry["files"].get(file) == sha256_file(folder / file), f"manifest checksum of {file}"

    fresh = tmp_path / name
    shutil.copytree(folder, fresh, ignore=shutil.ignore_patterns("*.onnx", ONNX_CONFIG))
    fresh_record = export_folder(fresh)  # fp32, each graph checked against torch at two sizes
    assert all(g["max_abs_diff_vs_torch"] <= 1e-4 for g in fresh_record["graphs"].values())
    model = engine.load(name, backend="torch")
    for role, graph in record["graphs"].items():
        feed = _feed(model, graph)
        shipped = make_session(folder / graph["file"], threads=1).run(None, feed)[0]
        want = make_session(fresh / graph["file"], threads=1).run(None, feed)[0]
        diff = np.abs(shipped - want)
        if graph["precision"] == "fp32":
            assert diff.max() <= 1e-5, f"{name} {role}: shipped fp32 graph differs from a fresh export by {diff.max():.1e}"
        else:
            bound = max(0.05, 2 * graph["int8_mean_abs_diff"]) * INT8_SLACK
            assert 0 < diff.mean() <= bound, f"{name} {role}: int8 graph is {diff.mean():.3f} from fp32 (recorded {graph['int8_mean_abs_diff']:.3f})"
