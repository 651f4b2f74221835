"""Save and load the evaluation networks in the engine's model folder format.

A folder holds config.json ({"name", "networks": {"net": {"arch", "kwargs"}}} plus whatever the
trainer adds: class names, validation scores) and model.safetensors, written by
engine.model_format as every GANvas model is. No pickles. Folders written before this format
(config {"architecture", "kwargs"} and unprefixed tensors) still load.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

from engine.model_format import CONFIG_FILE, WEIGHTS_FILE, join_roles, read_tensors, split_by_role, write_model_folder
from engine.nets import describe

from .nets import EVALUATION_NETS

log = logging.getLogger(__name__)

ROLE = "net"  # the folder's one network
_RESERVED_KEYS = ("name", "networks", "architecture", "kwargs")  # the last two: how the old layout named the network


def save_net(net: nn.Module, folder: Path, config: dict) -> Path:
    """Write `net` (a judge or a segmenter) and `config` (JSON-able metadata) to `folder`."""
    net = getattr(net, "_orig_mod", net)  # torch.compile's wrapper would prefix every key
    if not isinstance(net, tuple(EVALUATION_NETS.values())):
        raise ValueError(f"cannot save {type(net).__name__}; savable: {', '.join(sorted(EVALUATION_NETS))}")
    arch, kwargs = describe(net)
    clash = [k for k in _RESERVED_KEYS if k in config]
    if clash:
        raise ValueError(f"config may not set {clash}: save_net writes them from the network")
    folder = Path(folder)
    document = {"name": folder.name, "networks": {ROLE: {"arch": arch, "kwargs": kwargs}}, **config}
    json.dumps(document)  # fails before anything is written if config is not JSON-able
    folder.mkdir(parents=True, exist_ok=True)
    write_model_folder(folder, config=document, tensors=join_roles({ROLE: net.state_dict()}))
    log.info("saved %s to %s", arch, folder)
    return folder


def load_config(folder: Path) -> dict:
    """The folder's config.json as a dict."""
    return json.loads((Path(folder) / CONFIG_FILE).read_text())


def load_net(folder: Path, *, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """The network saved in `folder`, in eval mode on `device`, and its config."""
    folder = Path(folder)
    config = load_config(folder)
    if "networks" in config:
        spec = config["networks"][ROLE]
        name, kwargs = spec["arch"], spec["kwargs"]
        state = split_by_role(read_tensors(folder))[0][ROLE]
    else:  # the layout before the engine's format
        name, kwargs = config.get("architecture"), config.get("kwargs", {})
        state = load_file(str(folder / WEIGHTS_FILE))
    if name not in EVALUATION_NETS:
        raise ValueError(f"{folder}: unknown architecture {name!r}; valid: {', '.join(sorted(EVALUATION_NETS))}")
    net = EVALUATION_NETS[name](**kwargs)
    net.load_state_dict(state)
    return net.to(device).eval(), config
