"""A toy model family, whole: what adding a fifth family to GANvas takes, in one file here.

In the project the two halves live apart: the network and `register_family` in engine/nets/toy.py
(engine/nets imports every module of its folder), the config and trainer in
trainers/families/toy.py; then a recipe in trainers/recipes/ and, once trained and exported, a
manifest entry. Nothing else names a family: the engine's loading and conversion, both
benchmarks, the trainers' command line and the tests' tiny models all read the registry.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from engine.contract import InputContract
from engine.registry import Family, NetworkSpecs, register_family
from engine.nets import Network
from engine.nets.base import register_network
from trainers.settings import TrainConfig
from trainers.families.base import FamilyTrainer, loss_values


# ----- engine/nets/toy.py -----
@register_network("toy_conv")
class ToyGenerator(Network):
    """Two 3x3 convolutions: any input size, x in [-1, 1] -> an RGB image in [-1, 1]."""

    def __init__(self, *, in_channels: int = 3, ngf: int = 8) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(in_channels, ngf, 3, padding=1), nn.ReLU(), nn.Conv2d(ngf, 3, 3, padding=1), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def _toy_networks(contract: InputContract, scale: str) -> NetworkSpecs:
    return {"G": ("toy_conv", dict(in_channels=contract.channels, ngf=4 if scale == "tiny" else 32))}


TOY = register_family(Family(
    name="toy",
    generators=("G",),
    trainer="toy_family:ToyTrainer",
    networks=_toy_networks,
    example_contract=lambda scale: InputContract(kind="photo", size=64 if scale == "tiny" else 256),
))


# ----- trainers/families/toy.py -----
@dataclass
class ToyConfig(TrainConfig):
    layout: str = "aligned"
    ngf: int = 8
    lr: float = 1e-3

    family: typing.ClassVar[str] = "toy"


class ToyTrainer(FamilyTrainer):
    task = "photo -> photo (toy, L1 only)"
    config_class = ToyConfig

    def __init__(self, cfg: ToyConfig, *, device: torch.device) -> None:
        super().__init__(cfg, device=device)
        self.G = ToyGenerator(in_channels=self.input_channels(), ngf=cfg.ngf).to(device)
        self.networks = {"G": self.G}
        self.optimizers = {"G": self.adam(self.G.parameters(), lr=cfg.lr, betas=(0.5, 0.999))}

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        x = self.encode_input(batch["input"], generator=batch.get("generator"), training=True)
        loss = F.l1_loss(self.G(x), batch["target"].float() / 127.5 - 1.0)
        self.optimizers["G"].zero_grad(set_to_none=True)
        loss.backward()
        self.optimizers["G"].step()
        return loss_values({"G_l1": loss})

    @torch.no_grad()
    def preview(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        x = self.encode_input(batch["input"], generator=None, training=False)
        return [self.preview_input(batch["input"]), self.G(x), batch["target"].float() / 127.5 - 1.0]

    def export_networks(self) -> dict[str, Network]:
        return {"G": self.G}
