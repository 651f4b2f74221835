"""A model folder's safetensors -> one ONNX graph per network, checked against torch.

    python -m engine export-onnx NAME|FOLDER [--generators-only]   (also run by `python -m trainers export`)
    python -m trainers quantize NAME --data DIR                     (int8 generators: engine/onnx_quantize.py)

Each network role becomes `<role>.onnx` beside the weights (G.onnx; G_AtoB.onnx and G_BtoA.onnx
for CycleGAN; E.onnx for an encoder), described in `onnx.json`. The graphs are derived from the
safetensors, never edited by hand: export again after every change of weights.

- Inputs and outputs are named: generators take `x` (N x C x H x W in [-1, 1]) and, where they
  take a latent, `z` (N x nz), and give `y`; encoders take `x` at their fixed side and give `mu`
  and `logvar`. Batch, height and width are dynamic for every generator (all are fully
  convolutional; SPADE resamples its learned start grid to the input's). Encoders have a dense
  head, so their side is fixed (the translator resizes photos to it): only the batch is dynamic.
- Inference form only: eval mode, spectral norm baked into the weights, dropout removed; batch
  norms export in eval and ONNX Runtime folds them into the convolutions.
- Opset 17 through torch's TorchScript exporter (`dynamo=False`): it keeps shape arithmetic
  (TensorFlow "same" padding, SPADE's start grid) symbolic, where the torch.export path stalled
  for an hour on the EfficientNet encoder of the cat models here.
- Every graph is checked against torch at two input sizes (ONNX Runtime fp32, max |diff| <= 1e-4)
  before it is kept; the figure is recorded in onnx.json.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from .families import family_spec
from .model_format import read_config, read_tensors, sha256_file, split_by_role, weight_files
from .nets import Network

if TYPE_CHECKING:
    from .onnx_quantize import Calibration

logger = logging.getLogger(__name__)

OPSET = 17
ONNX_CONFIG = "onnx.json"
PARITY_LIMIT = 1e-4  # max |ORT fp32 - torch| for a graph to be kept


def onnx_file(role: str) -> str:
    return f"{role}.onnx"


def inference_network(net: nn.Module) -> nn.Module:
    """The network as it runs at inference: eval, spectral norm baked, dropout removed."""
    from .speed import _bake_spectral_norm, _drop_dropout

    net.eval().requires_grad_(False)
    _bake_spectral_norm(net)
    _drop_dropout(net)
    return net


def load_torch_networks(folder: Path) -> tuple[dict, dict[str, Network]]:
    """(config, role -> inference-form network with the folder's weights) on the CPU."""
    from .loading import build_networks

    config = read_config(folder)
    networks = build_networks(config)
    roles, _ = split_by_role(read_tensors(folder))
    for role, net in networks.items():
        net.load_state_dict(roles[role], strict=True)
        inference_network(net)
    return config, networks


def encoder_side(net: Network, config: dict) -> int:
    """The square side a photo is resized to before an encoder (as Translator.encode does)."""
    return int(net.input_size or config["contract"]["size"])


def example_sides(net: Network, config: dict, *, is_encoder: bool) -> tuple[int, int]:
    """Two input sides to check a graph at: the model's own size and about 3/4 of it (encoders:
    their one side)."""
    if is_encoder:
        side = encoder_side(net, config)
        return side, side
    m = max(int(net.size_multiple), 1)
    size = -(-int(config["contract"]["size"]) // m) * m
    smaller = max(m, round(size * 0.75 / m) * m)
    return size, smaller if smaller != size else size + m


def example_feed(net: Network, *, height: int, width: int, batch: int = 1, seed: int = 0) -> dict[str, torch.Tensor]:
    """Named inputs for a network at height x width (its own example, resized)."""
    gen = torch.Generator().manual_seed(seed)
    args = net.example_inputs(batch=batch, size=max(height, width), generator=gen)
    x = args[0][..., :height, :width].contiguous()
    feed = {"x": x}
    if len(args) > 1:
        feed["z"] = args[1]
    return feed


def io_names(config: dict, *, is_encoder: bool) -> tuple[list[str], list[str]]:
    """Graph input and output names: a generator takes z where its family passes a latent."""
    if is_encoder:
        return ["x"], ["mu", "logvar"]
    takes_z = bool(family_spec(config["family"]).latent_arg) and int(config["contract"].get("nz", 0)) > 0
    return (["x", "z"] if takes_z else ["x"]), ["y"]


def export_network(net: Network, path: Path, *, config: dict, is_encoder: bool) -> dict:
    """Write one network's ONNX graph; return its description for onnx.json."""
    inputs, outputs = io_names(config, is_encoder=is_encoder)
    height, _ = example_sides(net, config, is_encoder=is_encoder)
    feed = example_feed(net, height=height, width=height)
    feed = {k: v for k, v in feed.items() if k in inputs}
    dynamic = {"x": {0: "batch"} if is_encoder else {0: "batch", 2: "height", 3: "width"}}
    if "z" in inputs:
        dynamic["z"] = {0: "batch"}
    for name in outputs:
        dynamic[name] = {0: "batch"} if is_encoder else {0: "batch", 2: "height", 3: "width"}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".onnx.tmp")
    os.close(fd)
    os.chmod(tmp, 0o644)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(
            net, tuple(feed[k] for k in inputs), tmp, input_names=inputs, output_names=outputs,
            dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True, dynamo=False,
        )
    os.replace(tmp, path)
    return {
        "file": path.name,
        "inputs": inputs,
        "outputs": outputs,
        "dynamic": ["batch"] if is_encoder else ["batch", "height", "width"],
        "side": encoder_side(net, config) if is_encoder else None,
        "size_multiple": int(net.size_multiple),
        "min_size": int(net.min_size),
    }


def parity(net: Network, path: Path, *, config: dict, is_encoder: bool) -> float:
    """Max |ONNX Runtime fp32 - torch| over two input sizes (two aspects for generators)."""
    from .onnx_backend import make_session

    session = make_session(path, threads=1)
    inputs, _ = io_names(config, is_encoder=is_encoder)
    big, small = example_sides(net, config, is_encoder=is_encoder)
    worst = 0.0
    for seed, (h, w) in enumerate([(big, big), (small, big)] if not is_encoder else [(big, big)]):
        feed = {k: v for k, v in example_feed(net, height=h, width=w, batch=1 + seed, seed=seed).items() if k in inputs}
        with torch.no_grad():
            ref = net(*(feed[k] for k in inputs))
        ref = ref if isinstance(ref, tuple) else (ref,)
        got = session.run(None, {k: v.numpy() for k, v in feed.items()})
        worst = max(worst, *(float(np.abs(r.numpy() - g).max()) for r, g in zip(ref, got)))
    return worst


def export_folder(
    folder: Path, *, check: bool = True, calibration: Calibration | None = None, generators_only: bool = False
) -> dict:
    """Export the networks of a model folder to ONNX and write onnx.json; return it. Generators
    with calibration inputs (`calibration.feeds[role]`) are stored as int8 QDQ graphs, else fp32.
    generators_only: leave the encoder to torch (the engine builds it from the safetensors)."""
    folder = Path(folder)
    config, networks = load_torch_networks(folder)
    spec = family_spec(config["family"])
    graphs = {}
    for stale in folder.glob("*.onnx"):  # a graph this export does not write must not linger
        stale.unlink()
    for role, net in networks.items():
        if generators_only and role == spec.encoder:
            continue
        is_encoder = role == spec.encoder
        path = folder / onnx_file(role)
        graphs[role] = export_network(net, path, config=config, is_encoder=is_encoder)
        graphs[role]["precision"] = "fp32"
        if check:
            diff = parity(net, path, config=config, is_encoder=is_encoder)
            if diff > PARITY_LIMIT:
                path.unlink()
                raise RuntimeError(f"{path}: ONNX Runtime differs from torch by {diff:.2e} (limit {PARITY_LIMIT:.0e}); not kept")
            graphs[role]["max_abs_diff_vs_torch"] = diff
        if calibration is not None and calibration.feeds.get(role):
            graphs[role].update(_quantized(path, calibration.feeds[role], keep_fp32=calibration.keep_fp32))
        logger.info("exported %s (%s)", path, graphs[role])
    record = {
        "opset": OPSET,
        "torch": torch.__version__.split("+")[0],
        "source": {p.name: sha256_file(p) for p in weight_files(folder)},
        "graphs": graphs,
    }
    if calibration is not None and any(calibration.feeds.values()):
        record["calibration"] = calibration.record
    write_onnx_config(folder, record)
    return record


def _quantized(path: Path, feeds: list, *, keep_fp32: str | None) -> dict:
    """Replace the fp32 graph at path by its int8 QDQ form; return what onnx.json records of it."""
    from .onnx_quantize import int8_deviation, quantize_graph

    fp32 = path.with_suffix(".fp32.onnx")
    os.replace(path, fp32)
    try:
        kept = quantize_graph(fp32, path, feeds, keep_fp32=keep_fp32)
        mean, worst = int8_deviation(fp32, path, feeds)
    except BaseException:
        os.replace(fp32, path)  # the fp32 graph stays: the folder is never left without one
        raise
    fp32.unlink()
    return {
        "precision": "int8", "int8_mean_abs_diff": mean, "int8_max_abs_diff": worst, "calibration_inputs": len(feeds),
        "kept_fp32": {"pattern": keep_fp32, "nodes": len(kept)} if keep_fp32 else None,
    }


def read_onnx_config(folder: Path) -> dict | None:
    path = Path(folder) / ONNX_CONFIG
    return json.loads(path.read_text()) if path.is_file() else None


def write_onnx_config(folder: Path, record: dict) -> None:
    path = Path(folder) / ONNX_CONFIG
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh, indent=1)
        fh.write("\n")
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the folder's other files are world-readable
    os.replace(tmp, path)


def onnx_files(folder: Path) -> list[str]:
    """onnx.json and the graphs it lists (for the manifest's checksums)."""
    record = read_onnx_config(folder)
    if record is None:
        return []
    return [ONNX_CONFIG, *(g["file"] for g in record["graphs"].values())]
