"""Export a registered model (or a folder) to ONNX and record the graphs' checksums in the manifest."""
from __future__ import annotations

from pathlib import Path

from .manifest import MANIFEST_FILE, find_card, read_manifest, upsert_entry, weights_dir
from .model_format import sha256_file
from .onnx_export import ONNX_CONFIG, export_folder, onnx_files, read_onnx_config


def resolve_folder(model: str | Path) -> tuple[Path, str | None]:
    """(model folder, registered name or None for a bare folder)."""
    path = Path(model)
    if path.is_dir():
        return path, None
    card = find_card(str(model))
    return card.folder, card.name


def register_graphs(folder: Path, name: str, *, manifest: Path | None = None) -> dict:
    """Put the folder's ONNX files (and onnx.json) in the model's manifest entry with their sha256,
    in place of any it listed before; return the new entry."""
    manifest = manifest or weights_dir() / MANIFEST_FILE
    entry = next(m for m in read_manifest(manifest)["models"] if m["name"] == name)
    files = {k: v for k, v in entry["files"].items() if not (k.endswith(".onnx") or k == ONNX_CONFIG)}
    files.update({f: sha256_file(folder / f) for f in onnx_files(folder)})
    record = read_onnx_config(folder) or {"graphs": {}}
    precision = {role: graph["precision"] for role, graph in record["graphs"].items()}
    entry = {**entry, "files": files, "size_bytes": sum((folder / f).stat().st_size for f in files), "onnx_precision": precision}
    upsert_entry(entry, path=manifest)
    return entry


def export_and_register(model: str | Path, *, calibration: object = None, generators_only: bool = False) -> list[str]:
    """Export, check, record; return one line per graph for the command line."""
    folder, name = resolve_folder(model)
    record = export_folder(folder, calibration=calibration, generators_only=generators_only)
    if name is not None and (folder.parent / MANIFEST_FILE).is_file():
        register_graphs(folder, name, manifest=folder.parent / MANIFEST_FILE)
    lines = []
    for role, graph in record["graphs"].items():
        size = (folder / graph["file"]).stat().st_size / 1e6
        diff = graph.get("max_abs_diff_vs_torch")
        what = f"max |ORT - torch| {diff:.1e}" if graph["precision"] == "fp32" else f"int8, mean |int8 - fp32| {graph['int8_mean_abs_diff']:.3f}"
        lines.append(f"{folder / graph['file']}  {role}  {graph['precision']}  {size:.1f} MB  {what}")
    return lines
