"""Save and load the evaluation networks as a folder: config.json + model.safetensors.

config.json names the architecture and its constructor keyword arguments, so a folder rebuilds its
network without flags, plus whatever the trainer adds (class names, validation scores). No pickles.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

log = logging.getLogger(__name__)

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
_RESERVED_KEYS = ("architecture", "kwargs")


def _architectures() -> dict[str, type[nn.Module]]:
    # Imported here, not at the top: those modules import this one to save their networks.
    from .judge import DomainJudge
    from .segmenter import SegmenterNet

    return {"segmenter": SegmenterNet, "domain_judge": DomainJudge}


def _unwrap(net: nn.Module) -> nn.Module:
    # torch.compile wraps the module; saving the wrapper would prefix every key with `_orig_mod.`.
    return getattr(net, "_orig_mod", net)


def save_net(net: nn.Module, folder: Path, config: dict) -> Path:
    """Write `net` (one of the registered architectures) and `config` (JSON-able metadata) to `folder`."""
    net = _unwrap(net)
    names = {cls: name for name, cls in _architectures().items()}
    if type(net) not in names:
        raise ValueError(f"cannot save {type(net).__name__}; savable: {', '.join(sorted(_architectures()))}")
    clash = [k for k in _RESERVED_KEYS if k in config]
    if clash:
        raise ValueError(f"config may not set {clash}: save_net writes them from the network")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    document = {"architecture": names[type(net)], "kwargs": dict(net.init_kwargs), **config}
    text = json.dumps(document, indent=2)  # fails before anything is written if config is not JSON-able
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_NAME))
    (folder / CONFIG_NAME).write_text(text + "\n")
    log.info("saved %s to %s", document["architecture"], folder)
    return folder


def load_config(folder: Path) -> dict:
    """The folder's config.json as a dict."""
    return json.loads((Path(folder) / CONFIG_NAME).read_text())


def load_net(folder: Path, *, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """The network saved in `folder`, in eval mode on `device`, and its config."""
    config = load_config(folder)
    archs = _architectures()
    name = config.get("architecture")
    if name not in archs:
        raise ValueError(f"{folder}: unknown architecture {name!r}; valid: {', '.join(sorted(archs))}")
    net = archs[name](**config["kwargs"])
    net.load_state_dict(load_file(str(Path(folder) / WEIGHTS_NAME)))
    return net.to(device).eval(), config
