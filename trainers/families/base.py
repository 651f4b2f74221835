"""What every family trainer provides to the shared loop (trainers/loop.py).

A family builds its networks and optimizers from its config, turns a uint8 batch into network
inputs, runs one optimisation step, draws preview columns, and says what to export. Adding a
family: subclass `FamilyTrainer`, register it in trainers/families/__init__.py, add its config.
"""
from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from engine.contract import InputContract, PaletteEntry
from engine.labels import encode_labels
from engine.nets import Network, build_network

from ..settings import TrainConfig
from ..data.augment import to_model_range
from ..data.sketch_augment import augment_sketches
from ..pretrained.efficientnet_lite import start_from_imagenet
from ..pretrained.terms import PretrainedTerms


class FamilyTrainer:
    task: str = ""
    config_class: type[TrainConfig] = TrainConfig  # the family's settings (a dataclass beside its trainer)
    min_batch: int = 1  # the smallest batch a step takes

    def __init__(self, cfg: TrainConfig, *, device: torch.device) -> None:
        self.cfg = cfg
        self.device = device
        self.networks: dict[str, nn.Module] = {}  # everything trained, discriminators included
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.use_amp = cfg.amp and amp_supported(device)

    # ----- shared helpers -----
    def autocast(self) -> contextlib.AbstractContextManager:
        if self.use_amp:
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def adam(self, params: object, *, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
        fused = self.device.type == "cuda"
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused)

    def input_channels(self) -> int:
        kind = self.cfg.input_kind
        if kind == "sketch":
            return 1
        if kind == "labels":
            return len(self.cfg.palette) if getattr(self.cfg, "label_encoding", "onehot") == "onehot" else 3
        return 3

    def contract(self) -> InputContract:
        cfg = self.cfg
        palette = tuple(PaletteEntry(str(row[0]), tuple(int(v) for v in row[1:4])) for row in cfg.palette)
        return InputContract(
            kind=cfg.input_kind,
            size=max(cfg.crop_size, round(cfg.crop_size * getattr(cfg, "aspect", 1.0))),
            channels=self.input_channels(),
            palette=palette if cfg.input_kind == "labels" else (),
            label_encoding=getattr(cfg, "label_encoding", "onehot"),
            **self.contract_extras(),
        )

    def contract_extras(self) -> dict:
        return {}

    def encode_input(self, x: torch.Tensor, *, generator: torch.Generator | None, training: bool) -> torch.Tensor:
        """uint8 batch (sketch ink 0, label ids, or RGB) -> the generator's input."""
        kind = self.cfg.input_kind
        if kind == "labels":
            return encode_labels(x[:, 0].long(), self.contract())
        x = to_model_range(x)
        if kind == "sketch" and training and self.cfg.sketch_augment and generator is not None:
            x = augment_sketches(x, generator=generator)
        return x

    def preview_input(self, x: torch.Tensor) -> torch.Tensor:
        """A uint8 input batch as RGB in [-1, 1] for sample grids."""
        if self.cfg.input_kind == "labels":
            pal = torch.tensor([row[1:4] for row in self.cfg.palette], dtype=torch.float32, device=x.device)
            return (pal[x[:, 0].long()].permute(0, 3, 1, 2) / 127.5 - 1.0).contiguous()
        x = to_model_range(x)
        return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x

    @torch.no_grad()
    def encode_photos(self, photos: torch.Tensor, *, side: int | None = None, chunk: int = 16) -> torch.Tensor:
        """uint8 N x 3 x H x W photos -> E's mean for each, N x nz float32 on the CPU. side: each
        photo is first resized to side x side (as the engine's encode does)."""
        encoder = self.networks["E"]
        was_training = encoder.training
        encoder.eval()
        codes = []
        for part in photos.split(chunk):
            x = to_model_range(part.to(self.device))
            if side is not None and tuple(x.shape[-2:]) != (side, side):
                x = F.interpolate(x, size=(side, side), mode="bicubic", antialias=True, align_corners=False)
            codes.append(encoder(x)[0].float().cpu())
        encoder.train(was_training)
        return torch.cat(codes)

    def add_pretrained_terms(self, *, lr: float, domains: tuple[str, ...] = ("photo",)) -> PretrainedTerms:
        """The projected discriminator and perceptual loss the config asks for; their trained parts
        join self.networks and self.optimizers (checkpointed, scheduled, resumed like the rest)."""
        terms = PretrainedTerms(self.cfg, device=self.device, domains=domains, lr=lr, autocast=self.autocast)
        self.networks.update(terms.networks)
        self.optimizers.update(terms.optimizers)
        return terms

    # ----- what each family implements -----
    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        raise NotImplementedError

    @torch.no_grad()
    def preview(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """Columns of the sample grid, each N x 3 x H x W in [-1, 1]."""
        raise NotImplementedError

    def export_networks(self) -> dict[str, Network]:
        """role -> the network to ship (it describes itself: engine.nets.describe)."""
        raise NotImplementedError

    def export_extras(self, data: object) -> tuple[dict[str, torch.Tensor], dict]:
        """Extra tensors and config entries shipped with the model (e.g. SPADE style controls)."""
        return {}, {}

    def extra_state(self) -> dict:
        """Anything besides networks and optimizers a resume needs (e.g. image pools)."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        pass


def amp_supported(device: torch.device) -> bool:
    """bf16 autocast pays on CUDA and on CPUs with native bf16 (AVX512-BF16 / AMX): measured 1.9x per
    pix2pix step on the 2-core AMX CPU here. Elsewhere the CPU would emulate bf16, slower than fp32."""
    if device.type == "cuda":
        return True
    return device.type == "cpu" and torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def loss_values(losses: dict[str, torch.Tensor]) -> dict[str, float]:
    """Loss tensors -> floats with one device sync (not one per loss)."""
    values = torch.stack([v.detach().float().reshape(()) for v in losses.values()]).tolist()
    return dict(zip(losses, values, strict=True))


def set_requires_grad(nets: list[nn.Module], flag: bool) -> None:
    for net in nets:
        for p in net.parameters():
            p.requires_grad_(flag)


def init_weights(net: nn.Module, *, gain: float = 0.02, kind: str = "normal") -> nn.Module:
    """N(0, 0.02) convs and N(1, 0.02) norm scales, as the pix2pix/CycleGAN code initialises;
    kind="xavier": Xavier-normal convs with that gain (the BicycleGAN and SPADE default)."""
    if kind not in ("normal", "xavier"):
        raise ValueError(f"unknown init {kind!r}; valid: normal, xavier")
    for m in net.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            weight = getattr(m, "weight_orig", m.weight)
            if kind == "xavier":
                nn.init.xavier_normal_(weight, gain=gain)
            else:
                nn.init.normal_(weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d) and m.affine:
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)
    return net


def imagenet_unet(*, in_channels: int, ngf: int, nz: int = 0, attention_strides: list[int] | None = None) -> Network:
    """A lite_unet generator whose encoder starts from ImageNet EfficientNet-Lite0 and whose decoder
    (taking z where nz > 0; self-attention after the levels at attention_strides) is initialised as
    the pix2pix code does."""
    kwargs = dict(in_channels=in_channels, out_channels=3, ngf=ngf, variant="lite0", **({"nz": nz} if nz else {}))
    if attention_strides:  # only when asked: the shipped models' configs stay as they were
        kwargs["attention_strides"] = list(attention_strides)
    return start_from_imagenet(init_weights(build_network("lite_unet", **kwargs)), variant="lite0")
