"""engine.load(): a registered name or a model folder -> a ready Translator; engine.save_model()."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
from torch import nn

from .contract import InputContract
from .device import resolve_device
from .errors import ModelError
from .families import family_spec
from .hub import fetch_from_hub, hub_repo_for
from .manifest import ModelCard, find_card, model_cards
from .model_format import CONFIG_FILE, join_roles, read_config, read_tensors, sha256_file, split_by_role, weight_files, write_model_folder
from .nets import build_network, describe
from .speed import optimize_for_inference
from .translator import Translator

logger = logging.getLogger(__name__)


def list_models() -> list[ModelCard]:
    """Every model in the manifest, with its contract and whether its files are on disk."""
    return model_cards()


def how_to_get(name: str) -> str:
    family = name.split(".", 1)[0]
    return (
        f"train it with `python -m trainers train {family} --data DIR --out runs/{name} --recipe trainers/recipes/{name}.toml` "
        f"then `python -m trainers export runs/{name} --name {name}`, or convert a released checkpoint with "
        f"`python -m engine convert --family {family} SRC --out weights/{name}`"
    )


def _ensure_files(card: ModelCard) -> None:
    missing = card.missing_files
    if not missing:
        return
    repo = hub_repo_for(card.entry)
    if repo is None:
        raise ModelError(f"model {card.name!r} is missing {', '.join(str(card.folder / m) for m in missing)}; {how_to_get(card.name)}")
    fetch_from_hub(name=card.name, files=missing, folder=card.folder, repo_id=repo, revision=(card.entry.get("hub") or {}).get("revision"))


def _verify(card: ModelCard) -> None:
    for file, expected in card.files.items():
        actual = sha256_file(card.folder / file)
        if actual != expected:
            raise ModelError(
                f"{card.folder / file} does not match its checksum in the manifest (sha256 {actual[:12]}… != {expected[:12]}…); "
                "the file is corrupt or from another export: download or export it again"
            )


def build_networks(config: dict) -> dict[str, nn.Module]:
    networks = {}
    for role, spec in config["networks"].items():
        try:
            networks[role] = build_network(spec["arch"], **spec.get("kwargs", {}))
        except (KeyError, ValueError) as exc:
            raise ModelError(f"config.json network {role!r} cannot be built: {exc}") from exc
    return networks


BACKENDS = ("torch", "onnx")
BACKEND_ENV = "GANVAS_BACKEND"  # "torch" or "onnx": the default for engine.load (e.g. to compare a server both ways)


def choose_backend(folder: Path, *, target: torch.device, backend: str | None) -> tuple[str, dict | None]:
    """(backend, the folder's onnx.json when it is "onnx"). Explicit wins (and fails where the
    graphs are missing or stale); otherwise ONNX Runtime on the CPU where the graphs are current."""
    from .onnx_backend import runtime_available, stale_reason
    from .onnx_export import read_onnx_config

    backend = backend or os.environ.get(BACKEND_ENV) or None
    if backend not in (None, *BACKENDS):
        raise ValueError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    if backend == "torch":
        return "torch", None
    if backend == "onnx":
        if target.type != "cpu":
            raise ValueError(f"the onnx backend runs on the CPU; use backend='torch' on {target.type}")
        if not runtime_available():
            raise ModelError("backend='onnx' needs ONNX Runtime: pip install -r requirements.txt")
    elif target.type != "cpu" or not runtime_available():
        return "torch", None
    record = read_onnx_config(folder)
    reason = f"{folder} has no ONNX graphs" if record is None else stale_reason(folder, record)
    if reason is None:
        return "onnx", record
    if backend == "onnx":
        raise ModelError(f"{reason}; make them with `python -m engine export-onnx {folder}`")
    if record is not None:
        logger.warning("%s: rendering with torch; run `python -m engine export-onnx %s`", reason, folder)
    return "torch", None


def load_folder(folder: Path, *, device: str | torch.device | None = None, backend: str | None = None) -> Translator:
    """backend: "onnx" (ONNX Runtime, CPU), "torch", or None for ONNX where the folder has graphs."""
    folder = Path(folder)
    config = read_config(folder)
    family_spec(config["family"])
    target = resolve_device(device)
    chosen, record = choose_backend(folder, target=target, backend=backend)
    roles, extras = split_by_role(read_tensors(folder))
    networks: dict = {}
    if record is not None:
        from .onnx_backend import load_onnx_networks

        networks = load_onnx_networks(folder, record=record, config=config)
    # torch builds every network without a graph (all of them on the torch backend; on the ONNX
    # one, an encoder shipped without a graph: it runs once per style photo, not per stroke).
    rest = {role: spec for role, spec in config["networks"].items() if role not in networks}
    networks.update(_torch_networks(folder, {**config, "networks": rest}, roles, target))
    return Translator(config=config, networks=networks, extras=extras, device=target, folder=folder, backend=chosen)


def _torch_networks(folder: Path, config: dict, roles: dict[str, dict], target: torch.device) -> dict[str, nn.Module]:
    networks = build_networks(config)
    for role, net in networks.items():
        if role not in roles:
            raise ModelError(f"the weights in {folder} have no tensors for network {role!r} named in config.json; re-export the model")
        try:
            net.load_state_dict(roles[role], strict=True)
        except RuntimeError as exc:
            first = str(exc).splitlines()[0:3]
            files = ", ".join(str(p) for p in weight_files(folder))
            raise ModelError(
                f"the weights {files} do not fit the network {role!r} described in {folder / CONFIG_FILE} "
                f"({' '.join(first)}); the config and weights come from different exports: export the model again"
            ) from exc
    for net in networks.values():
        net.eval().requires_grad_(False).to(target)
        if target.type == "cuda":
            net.to(memory_format=torch.channels_last)
    return {role: optimize_for_inference(net, target) for role, net in networks.items()}


def load(name_or_folder: str | Path, device: str | torch.device | None = None, *, backend: str | None = None) -> Translator:
    """A registered model name (see list_models) or the path of a model folder -> Translator.

    backend: "onnx" renders through ONNX Runtime on the CPU, "torch" through PyTorch (any device);
    None picks ONNX on the CPU where the model folder has graphs current with its weights."""
    path = Path(name_or_folder)
    if path.is_dir():
        return load_folder(path, device=device, backend=backend)
    card = find_card(str(name_or_folder))
    _ensure_files(card)
    _verify(card)
    return load_folder(card.folder, device=device, backend=backend)


def save_model(
    folder: Path,
    *,
    name: str,
    family: str,
    task: str,
    contract: InputContract,
    networks: dict[str, nn.Module],
    extras: dict[str, torch.Tensor] | None = None,
    storage: str = "fp32",
    extra_config: dict | None = None,
) -> dict[str, str]:
    """Write a model folder (config + safetensors). networks: role -> GANvas network (engine.nets.Network)."""
    family_spec(family)
    described = {role: describe(net) for role, net in networks.items()}
    config = {
        "name": name,
        "family": family,
        "task": task,
        "networks": {role: {"arch": arch, "kwargs": kwargs} for role, (arch, kwargs) in described.items()},
        "contract": contract.to_dict(),
        **(extra_config or {}),
    }
    state = {role: {k: v for k, v in module.state_dict().items()} for role, module in networks.items()}
    return write_model_folder(Path(folder), config=config, tensors=join_roles(state, extras), storage=storage)
