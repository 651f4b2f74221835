"""A model folder on disk: `config.json` + safetensors weights, written and read here only.

config.json holds {"format_version", "name", "family", "task", "networks": {role: {"arch",
"kwargs"}}, "contract", "storage"}. Tensors are stored under "<role>.<state_dict key>"; extra
tensors a family needs at inference (e.g. SPADE style directions) under "extra.<name>".

Storage: plain fp32 or fp16, or int8 per output channel with a float scale per channel
("<key>" int8 + "<key>:scale"), dequantized at load. Large models may be split in shards listed
by `model.safetensors.index.json` ({"weight_map": {key: file}}).
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .errors import ModelError

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"
STORAGE_DTYPES = ("fp32", "fp16", "int8")
SCALE_SUFFIX = ":scale"
# Small tensors (norms, biases, spectral-norm vectors) gain nothing from int8.
INT8_MIN_ELEMENTS = 1024


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quantize_int8(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    flat = t.float().reshape(t.shape[0], -1)
    scale = flat.abs().amax(dim=1).clamp_min(1e-12) / 127.0
    q = torch.round(flat / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return q.reshape(t.shape), scale


def encode_tensors(tensors: dict[str, torch.Tensor], *, storage: str) -> dict[str, torch.Tensor]:
    if storage not in STORAGE_DTYPES:
        raise ValueError(f"storage must be one of {STORAGE_DTYPES}, got {storage!r}")
    out: dict[str, torch.Tensor] = {}
    for key, t in tensors.items():
        t = t.detach().cpu()
        if not t.is_floating_point() or key.startswith("extra."):
            out[key] = t.contiguous()
        elif storage == "int8" and t.dim() >= 2 and t.numel() >= INT8_MIN_ELEMENTS:
            out[key], out[key + SCALE_SUFFIX] = _quantize_int8(t)
        elif storage in ("fp16", "int8"):
            out[key] = t.to(torch.float16).contiguous()
        else:
            out[key] = t.float().contiguous()
    return out


def decode_tensors(stored: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, t in stored.items():
        if key.endswith(SCALE_SUFFIX):
            continue
        scale = stored.get(key + SCALE_SUFFIX)
        if scale is not None:
            shape = (-1,) + (1,) * (t.dim() - 1)
            out[key] = t.float() * scale.float().reshape(shape)
        elif t.is_floating_point():
            out[key] = t.float()
        else:
            out[key] = t
    return out


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def write_model_folder(
    folder: Path,
    *,
    config: dict,
    tensors: dict[str, torch.Tensor],
    storage: str = "fp32",
    shard_bytes: int | None = None,
) -> dict[str, str]:
    """Write config.json and the weights; return {file name: sha256} of everything written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    encoded = encode_tensors(tensors, storage=storage)
    config = {**config, "format_version": FORMAT_VERSION, "storage": storage}
    meta = {"format": "pt", "ganvas_format_version": str(FORMAT_VERSION), "storage": storage}
    files: list[str] = []
    if shard_bytes is None:
        save_file(encoded, str(folder / WEIGHTS_FILE), metadata=meta)
        files.append(WEIGHTS_FILE)
    else:
        shards: list[dict[str, torch.Tensor]] = [{}]
        size = 0
        for key, t in encoded.items():
            nbytes = t.numel() * t.element_size()
            if shards[-1] and size + nbytes > shard_bytes:
                shards.append({})
                size = 0
            shards[-1][key] = t
            size += nbytes
        weight_map = {}
        for i, shard in enumerate(shards):
            name = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
            save_file(shard, str(folder / name), metadata=meta)
            files.append(name)
            weight_map.update({key: name for key in shard})
        _atomic_write_text(folder / INDEX_FILE, json.dumps({"weight_map": weight_map}, indent=1))
        files.append(INDEX_FILE)
    _atomic_write_text(folder / CONFIG_FILE, json.dumps(config, indent=1, ensure_ascii=False))
    files.append(CONFIG_FILE)
    return {name: sha256_file(folder / name) for name in files}


def read_config(folder: Path) -> dict:
    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        raise ModelError(f"{path} is missing: a model folder needs config.json beside its safetensors weights")
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path} is not valid JSON ({exc}); re-export the model") from exc
    for key in ("family", "networks", "contract"):
        if key not in config:
            raise ModelError(f"{path} has no {key!r} entry; re-export the model with `python -m trainers export`")
    return config


def weight_files(folder: Path) -> list[Path]:
    folder = Path(folder)
    index = folder / INDEX_FILE
    if index.is_file():
        weight_map = json.loads(index.read_text())["weight_map"]
        return [folder / name for name in sorted(set(weight_map.values()))]
    return [folder / WEIGHTS_FILE]


def read_tensors(folder: Path) -> dict[str, torch.Tensor]:
    """All stored tensors of a model folder, dequantized to float32 (integers kept)."""
    stored: dict[str, torch.Tensor] = {}
    for path in weight_files(folder):
        if not path.is_file():
            raise ModelError(f"weights file {path} is missing; download or re-export the model")
        try:
            stored.update(load_file(str(path)))
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelError(f"{path} is not a readable safetensors file ({exc}); download it again") from exc
    return decode_tensors(stored)


def split_by_role(tensors: dict[str, torch.Tensor]) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, torch.Tensor]]:
    """{"G.x.weight": t} -> ({"G": {"x.weight": t}}, extras)."""
    roles: dict[str, dict[str, torch.Tensor]] = {}
    extras: dict[str, torch.Tensor] = {}
    for key, t in tensors.items():
        role, _, rest = key.partition(".")
        if role == "extra":
            extras[rest] = t
        else:
            roles.setdefault(role, {})[rest] = t
    return roles, extras


def join_roles(state_dicts: dict[str, dict[str, torch.Tensor]], extras: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    tensors = {f"{role}.{key}": t for role, sd in state_dicts.items() for key, t in sd.items()}
    tensors.update({f"extra.{name}": t for name, t in (extras or {}).items()})
    return tensors
