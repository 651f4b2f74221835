"""weights/manifest.json: the registry of shipped models and their cards.

Each entry: name, family, task, files {name: sha256}, size_bytes, dataset {name, terms}, recipe,
steps, wall_time_s, device, metrics, contract, and optionally hub {repo_id, revision}. The weights
folder is `weights/` beside the engine unless GANVAS_WEIGHTS_DIR points elsewhere.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .contract import InputContract
from .errors import ModelError, ModelNotFound

MANIFEST_FILE = "manifest.json"


def weights_dir() -> Path:
    override = os.environ.get("GANVAS_WEIGHTS_DIR")
    return Path(override) if override else Path(__file__).resolve().parent.parent / "weights"


@dataclass(frozen=True)
class ModelCard:
    name: str
    family: str
    task: str
    contract: InputContract
    files: dict[str, str]  # file name -> sha256
    entry: dict = field(repr=False)  # the whole manifest entry (dataset, recipe, metrics, ...)

    @property
    def folder(self) -> Path:
        return weights_dir() / self.name

    @property
    def missing_files(self) -> list[str]:
        return [name for name in self.files if not (self.folder / name).is_file()]

    @property
    def available(self) -> bool:
        return not self.missing_files

    @property
    def size_bytes(self) -> int:
        return int(self.entry.get("size_bytes", 0))


def read_manifest(path: Path | None = None) -> dict:
    path = path or weights_dir() / MANIFEST_FILE
    if not path.is_file():
        return {"format_version": 1, "models": []}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path} is not valid JSON ({exc})") from exc
    if not isinstance(data.get("models"), list):
        raise ModelError(f"{path} has no 'models' list")
    return data


def model_cards(path: Path | None = None) -> list[ModelCard]:
    path = path or weights_dir() / MANIFEST_FILE
    cards = []
    for i, entry in enumerate(read_manifest(path)["models"]):
        try:
            cards.append(
                ModelCard(
                    name=entry["name"],
                    family=entry["family"],
                    task=entry.get("task", ""),
                    contract=InputContract.from_dict(entry["contract"]),
                    files=dict(entry.get("files", {})),
                    entry=entry,
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            name = entry.get("name", f"#{i + 1}") if isinstance(entry, dict) else f"#{i + 1}"
            raise ModelError(f"{path}: the entry for model {name} is malformed ({type(exc).__name__}: {exc}); export it again") from exc
    return cards


def find_card(name: str) -> ModelCard:
    cards = model_cards()
    for card in cards:
        if card.name == name:
            return card
    valid = ", ".join(c.name for c in cards) or "none are registered yet"
    raise ModelNotFound(f"no model named {name!r} in {weights_dir() / MANIFEST_FILE}; valid names: {valid}")


def upsert_entry(entry: dict, *, path: Path | None = None) -> Path:
    """Add or replace one model's entry (by name), keeping the others; written atomically."""
    path = path or weights_dir() / MANIFEST_FILE
    data = read_manifest(path)
    data["models"] = [m for m in data["models"] if m["name"] != entry["name"]] + [entry]
    data["models"].sort(key=lambda m: m["name"])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)
    return path
