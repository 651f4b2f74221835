"""pix2pix (Isola et al. 2017): U-Net generator, 70x70 conditional PatchGAN, GAN + lambda * L1.

Paper-to-code: G maps input x to fake y; D sees (x, y) pairs; D is trained on real (x, y) and
fake (x, G(x)) with the loss halved, G on fooling D plus lambda_l1 * |y - G(x)|.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from engine.nets import Network, UnetGenerator

from ..settings import TrainConfig
from ..discriminators import PatchDiscriminator
from ..line_loss import line_following_loss, require_sketch_input
from ..losses import feature_matching_loss, gan_loss
from .base import FamilyTrainer, imagenet_unet, init_weights, loss_values, set_requires_grad


@dataclass
class Pix2PixConfig(TrainConfig):
    generator: str = "unet"  # unet (the paper's) | lite0_unet (encoder: ImageNet EfficientNet-Lite0, fine-tuned; ngf sizes the decoder)
    attention_strides: list = field(default_factory=list)  # lite0_unet: decoder levels (of 16, 8, 4, 2) followed by SAGAN self-attention
    ngf: int = 64
    ndf: int = 64
    num_downs: int = 8  # U-Net levels (8 for 256 px)
    norm: str = "batch"
    dropout: bool = True
    upsample: str = "transpose"  # U-Net decoder: "transpose" (paper) or "resize" (nearest 2x + 3x3 conv)
    n_layers_d: int = 3  # 3: the 70x70 PatchGAN
    lambda_l1: float = 100.0
    lambda_feat: float = 0.0  # >0: feature matching (pix2pixHD): L1 between the PatchGAN's inner features on (x, fake) and (x, real)
    lambda_lines: float = 0.0  # >0: the render's strongest edges keep to the sketch's lines (trainers.line_loss; sketches only)
    gan_mode: str = "vanilla"
    lr: float = 2e-4
    beta1: float = 0.5
    label_encoding: str = "onehot"

    family: typing.ClassVar[str] = "pix2pix"


class Pix2PixTrainer(FamilyTrainer):
    config_class = Pix2PixConfig
    task = "image-to-image translation (pix2pix)"

    def __init__(self, cfg: Pix2PixConfig, *, device: torch.device) -> None:
        super().__init__(cfg, device=device)
        require_sketch_input(input_kind=cfg.input_kind, weight=cfg.lambda_lines)
        if cfg.generator == "unet":
            self.G = init_weights(UnetGenerator(
                in_channels=self.input_channels(), out_channels=3, ngf=cfg.ngf, num_downs=cfg.num_downs, norm=cfg.norm, dropout=cfg.dropout,
                upsample=cfg.upsample,
            ))
        elif cfg.generator == "lite0_unet":
            self.G = imagenet_unet(in_channels=self.input_channels(), ngf=cfg.ngf, attention_strides=cfg.attention_strides)
        else:
            raise ValueError(f"generator must be unet or lite0_unet, got {cfg.generator!r}")
        self.G = self.G.to(device)
        betas = (cfg.beta1, 0.999)
        self.networks = {"G": self.G}
        self.optimizers = {"G": self.adam(self.G.parameters(), lr=cfg.lr, betas=betas)}
        if cfg.projected_d != "only":  # "only": the projected discriminator stands in for the PatchGAN
            self.D = init_weights(
                PatchDiscriminator(in_channels=self.input_channels() + 3, ndf=cfg.ndf, n_layers=cfg.n_layers_d, norm=cfg.norm, return_features=True)
            ).to(device)
            self.networks["D"] = self.D
            self.optimizers["D"] = self.adam(self.D.parameters(), lr=cfg.lr, betas=betas)
        self.pretrained = self.add_pretrained_terms(lr=cfg.lr)

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        cfg = self.cfg
        extra = self.pretrained
        x = self.encode_input(batch["input"], generator=batch.get("generator"), training=True)
        real = batch["target"].float() / 127.5 - 1.0
        with self.autocast():
            fake = self.G(x)
        losses: dict[str, torch.Tensor] = {}
        if extra.own_discriminator:
            # D: real pairs vs fake pairs (fake detached), halved so D learns slower than G.
            set_requires_grad([self.D], True)
            self.optimizers["D"].zero_grad(set_to_none=True)
            with self.autocast():
                loss_d = 0.5 * (
                    gan_loss(self.D(torch.cat([x, fake.detach()], 1))[-1], real=False, mode=cfg.gan_mode)
                    + gan_loss(self.D(torch.cat([x, real], 1))[-1], real=True, mode=cfg.gan_mode)
                )
            loss_d.backward()
            self.optimizers["D"].step()
            losses["D"] = loss_d
        losses.update(extra.train_discriminator({"photo": (real, fake)}))
        # G: fool the discriminators, stay close to the target.
        if extra.own_discriminator:
            set_requires_grad([self.D], False)
        self.optimizers["G"].zero_grad(set_to_none=True)
        with self.autocast():
            loss_l1 = F.l1_loss(fake.float(), real)
            loss_g = cfg.lambda_l1 * loss_l1
            losses["G_l1"] = loss_l1
            if extra.own_discriminator:
                judged_fake = self.D(torch.cat([x, fake], 1))
                losses["G_gan"] = gan_loss(judged_fake[-1], real=True, mode=cfg.gan_mode, for_discriminator=False)
                loss_g = loss_g + losses["G_gan"]
                if cfg.lambda_feat:
                    # D's view of the real pair is a target here: no gradient flows through it.
                    with torch.no_grad():
                        judged_real = self.D(torch.cat([x, real], 1))
                    losses["G_feat"] = feature_matching_loss([judged_fake], [judged_real])
                    loss_g = loss_g + cfg.lambda_feat * losses["G_feat"]
        if cfg.lambda_lines:  # in fp32: the per-picture threshold is a quantile of small gradients
            losses["G_lines"] = line_following_loss(fake, x)
            loss_g = loss_g + cfg.lambda_lines * losses["G_lines"]
        terms = extra.generator_terms(fake, real=real, step=batch.get("step", 0))
        losses.update(terms)
        loss_g = loss_g + sum(terms.values())
        loss_g.backward()
        self.optimizers["G"].step()
        return loss_values(losses)

    @torch.no_grad()
    def preview(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        x = self.encode_input(batch["input"], generator=None, training=False)
        self.G.eval()
        with self.autocast():
            fake = self.G(x).float()
        self.G.train()
        return [self.preview_input(batch["input"]), fake, batch["target"].float() / 127.5 - 1.0]

    def export_networks(self) -> dict[str, Network]:
        return {"G": self.G}
