"""ONNX Runtime as the engine's CPU backend: a model folder's ONNX graphs behind the network interface
the Translator already uses (`net(x, z)` -> torch tensor; `encoder(x)` -> (mu, logvar)).

Sessions are made once per graph with all optimisations on and as many threads as the machine
has cores, and warmed up at the model's own size, so a visitor's first stroke pays for nothing.
A graph whose onnx.json records other source weights than the folder holds is stale
(`stale_reason`): `engine.load` falls back to torch (with a warning) unless ONNX was asked for by
name, which then fails.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import torch

from .errors import ModelError
from .model_format import sha256_file, weight_files
from .onnx_export import ONNX_CONFIG

logger = logging.getLogger(__name__)


def runtime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


THREADS_ENV = "GANVAS_ORT_THREADS"  # ONNX Runtime threads per session (default: the cores this process may use)


def default_threads() -> int:
    if os.environ.get(THREADS_ENV, "").strip().isdigit():
        return max(1, int(os.environ[THREADS_ENV]))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def make_session(path: Path, *, threads: int | None = None) -> object:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # ORT's own notes on unused initializers are not ours to print
    # Idle threads sleep instead of spinning: a studio holds several sessions (and Gradio's and
    # torch's threads), and a session's threads still spinning after its render took the cores
    # from the next one: the cat model's int8 render went from 25 to 49 ms when it followed another.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


class OnnxNetwork:
    """One ONNX graph, called like the torch network it was exported from."""

    def __init__(self, *, session: object, graph: dict) -> None:
        self.session = session
        self.inputs: list[str] = graph["inputs"]
        self.outputs: list[str] = graph["outputs"]
        self.size_multiple: int = int(graph.get("size_multiple", 1))
        self.min_size: int = int(graph.get("min_size", 1))
        self.input_size: int | None = graph.get("side")
        self.precision: str = graph.get("precision", "fp32")

    def __call__(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor | tuple[torch.Tensor, ...]:
        feed = {"x": np.ascontiguousarray(x.detach().cpu().float().numpy())}
        if "z" in self.inputs:
            if z is None:
                raise ValueError("this network needs z")
            feed["z"] = np.ascontiguousarray(z.detach().cpu().float().numpy())
        out = [torch.from_numpy(a) for a in self.session.run(self.outputs, feed)]
        return out[0] if len(out) == 1 else tuple(out)

    def warm_up(self, *, side: int, channels: int, nz: int) -> None:
        m = self.size_multiple
        side = self.input_size or -(-max(side, self.min_size) // m) * m
        x = torch.zeros(1, channels, side, side)
        self(x, torch.zeros(1, nz) if "z" in self.inputs else None)


def stale_reason(folder: Path, record: dict) -> str | None:
    """Why the folder's ONNX graphs do not belong to its weights, or None where they do."""
    source = record.get("source", {})
    for path in weight_files(folder):
        if source.get(path.name) != sha256_file(path):
            return f"{folder / ONNX_CONFIG} was exported from other weights than {path.name}"
    for graph in record["graphs"].values():
        if not (folder / graph["file"]).is_file():
            return f"{folder / graph['file']} is missing"
    return None


def load_onnx_networks(folder: Path, *, record: dict, config: dict, threads: int | None = None) -> dict[str, OnnxNetwork]:
    """role -> OnnxNetwork for every graph in `record` (the folder's onnx.json, checked current by
    engine.loading.choose_backend), warmed up at the model's size."""
    generators = [r for r in config["networks"] if r.startswith("G")]
    missing = set(generators) - set(record["graphs"])
    if missing:
        raise ModelError(f"{folder / ONNX_CONFIG} has no graph for {', '.join(sorted(missing))}; export again")
    contract = config["contract"]
    networks = {}
    for role, graph in record["graphs"].items():
        net = OnnxNetwork(session=make_session(folder / graph["file"], threads=threads), graph=graph)
        channels = 3 if graph.get("side") else int(contract["channels"])
        net.warm_up(side=int(contract["size"]), channels=channels, nz=int(contract.get("nz", 0)))
        networks[role] = net
    return networks
