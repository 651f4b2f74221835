"""What a web page needs to render a model itself: its generator graph and the engine's own input
and output rules written as data (one source of truth for Translator.prepare / _to_image and the
page's copy of them in app/static/ganvas_tensor.js).

A model has a web spec only where its folder holds a current ONNX graph for its generator: the
page runs exactly the graph the server's ONNX backend runs.
"""
from __future__ import annotations

from pathlib import Path

from .families import family_spec
from .manifest import find_card
from .model_format import read_config, sha256_file

SKETCH_PAPER = 1.0  # a sketch is padded with paper (white = +1 in the network's range)


def web_spec(name: str, *, folder: Path | None = None) -> dict | None:
    """The model's web spec, or None where the page cannot render it (no current generator graph,
    or a generator with more than one direction: those stay on the server)."""
    from .onnx_backend import stale_reason  # (the ONNX modules load only where a spec is asked for)
    from .onnx_export import read_onnx_config

    card = find_card(name) if folder is None else None
    folder = Path(folder) if folder is not None else card.folder
    config = read_config(folder)
    spec = family_spec(config["family"])
    record = read_onnx_config(folder)
    if record is None or len(spec.generators) != 1 or stale_reason(folder, record) is not None:
        return None
    role = spec.generators[0]
    graph = record["graphs"].get(role)
    if graph is None:
        return None
    contract = config["contract"]
    return {
        "name": config.get("name", name),
        "graph": {
            "file": graph["file"],
            # The manifest records every shipped file's hash (the loader verifies them): no reading 5 MB again.
            "sha256": (card.files.get(graph["file"]) if card else None) or sha256_file(folder / graph["file"]),
            "inputs": list(graph["inputs"]),
            "outputs": list(graph["outputs"]),
            "precision": graph.get("precision", "fp32"),
        },
        "kind": contract["kind"],
        "channels": int(contract["channels"]),
        # Placement: the long side is scaled to `size`, sides padded right/bottom to a multiple.
        "size": int(contract["size"]),
        "size_multiple": int(graph["size_multiple"]),
        "min_side": int(graph.get("min_size") or 1),
        "value_range": list(contract.get("value_range", (-1.0, 1.0))),
        "palette": [list(p["rgb"]) for p in contract.get("palette", ())],
        "class_names": [p["name"] for p in contract.get("palette", ())],
        "label_encoding": contract.get("label_encoding", "onehot"),
        "blank_class": int(contract.get("blank_class", 0)),
        "nz": int(contract.get("nz", 0)),
        "sketch_paper": SKETCH_PAPER,
    }
