"""CycleGAN (Zhu et al. 2017): two generators (the paper's ResNets, or U-Nets on an ImageNet encoder), two PatchGANs, least squares, cycle + identity.

Paper-to-code map (the original code's names differ from the paper's; ours say what they do):

    paper     original code   here        what it is
    G         netG_A          G_AtoB      domain A -> domain B (X -> Y)
    F         netG_B          G_BtoA      domain B -> domain A (Y -> X)
    D_X       netD_B          D_A         judges domain A images: real A vs G_BtoA(B)
    D_Y       netD_A          D_B         judges domain B images: real B vs G_AtoB(A)

Losses, as in the original code: least-squares GAN for both directions; cycle L1
lambda_cycle * (|G_BtoA(G_AtoB(a)) - a| + |G_AtoB(G_BtoA(b)) - b|); identity L1
lambda_identity * lambda_cycle * (|G_AtoB(b) - b| + |G_BtoA(a) - a|). Both generators share one
Adam, both discriminators another. Each D learns from a pool of the last 50 generated images (half
the batch swapped for history), with its loss halved. Order per step: G update (D frozen), then D.
"""
from __future__ import annotations

import itertools
import typing
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from engine.nets import Network, ResnetGenerator

from ..settings import TrainConfig
from ..discriminators import PatchDiscriminator
from ..image_pool import ImagePool
from ..losses import gan_loss
from .base import FamilyTrainer, imagenet_unet, init_weights, loss_values, set_requires_grad


@dataclass
class CycleGANConfig(TrainConfig):
    layout: str = "unaligned"
    generator: str = "resnet"  # resnet (the paper's) | lite0_unet (encoder: ImageNet EfficientNet-Lite0, fine-tuned; ngf sizes the decoder)
    ngf: int = 64
    ndf: int = 64
    n_blocks: int = 9
    n_layers_d: int = 3
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5  # times lambda_cycle, as in the original
    pool_size: int = 50
    gan_mode: str = "lsgan"
    lr: float = 2e-4
    beta1: float = 0.5
    domain_names: list = field(default_factory=lambda: ["A", "B"])

    family: typing.ClassVar[str] = "cyclegan"
    # Size-free networks (ResNet generators, PatchGANs): a run may go on at larger crops, e.g. a
    # 128 px run finished at the paper's 286 -> 256. A fine-tune may also re-weight the losses
    # (the same networks and optimiser state carry over).
    changeable_on_resume: typing.ClassVar[tuple[str, ...]] = ("load_size", "crop_size", "lambda_cycle", "lambda_identity")


class CycleGANTrainer(FamilyTrainer):
    config_class = CycleGANConfig
    task = "unpaired image-to-image translation (CycleGAN)"

    def __init__(self, cfg: CycleGANConfig, *, device: torch.device) -> None:
        super().__init__(cfg, device=device)
        if cfg.input_kind != "photo":
            raise ValueError(f"CycleGAN translates photos between two domains: input_kind must be 'photo', got {cfg.input_kind!r}")
        if len(cfg.domain_names) != 2:
            raise ValueError(f"domain_names must name the two domains, e.g. ['horse', 'zebra']; got {cfg.domain_names!r}")
        self.G_AtoB, self.G_BtoA = (self._generator().to(device) for _ in range(2))
        self.networks = {"G_AtoB": self.G_AtoB, "G_BtoA": self.G_BtoA}
        betas = (cfg.beta1, 0.999)
        g_params = itertools.chain(self.G_AtoB.parameters(), self.G_BtoA.parameters())
        self.optimizers = {"G": self.adam(g_params, lr=cfg.lr, betas=betas)}
        if cfg.projected_d != "only":  # "only": projected discriminators stand in for the PatchGANs
            d_kwargs = dict(in_channels=3, ndf=cfg.ndf, n_layers=cfg.n_layers_d, norm="instance")
            self.D_A = init_weights(PatchDiscriminator(**d_kwargs)).to(device)
            self.D_B = init_weights(PatchDiscriminator(**d_kwargs)).to(device)
            self.networks.update(D_A=self.D_A, D_B=self.D_B)
            d_params = itertools.chain(self.D_A.parameters(), self.D_B.parameters())
            self.optimizers["D"] = self.adam(d_params, lr=cfg.lr, betas=betas)
        # Generated images of each domain, for that domain's discriminator.
        self.pool_A = ImagePool(size=cfg.pool_size)
        self.pool_B = ImagePool(size=cfg.pool_size)
        self.pretrained = self.add_pretrained_terms(lr=cfg.lr, domains=("A", "B"))

    def _generator(self) -> nn.Module:
        cfg = self.cfg
        if cfg.generator == "resnet":
            return init_weights(ResnetGenerator(in_channels=3, out_channels=3, ngf=cfg.ngf, n_blocks=cfg.n_blocks, norm="instance", dropout=False))
        if cfg.generator == "lite0_unet":
            return imagenet_unet(in_channels=3, ngf=cfg.ngf)
        raise ValueError(f"generator must be resnet or lite0_unet, got {cfg.generator!r}")

    def _d_loss(self, d: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        mode = self.cfg.gan_mode
        with self.autocast():
            pred_real, pred_fake = d(real), d(fake.detach())
        return 0.5 * (gan_loss(pred_real, real=True, mode=mode) + gan_loss(pred_fake, real=False, mode=mode))

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        cfg = self.cfg
        mode = cfg.gan_mode
        extra = self.pretrained
        step = batch.get("step", 0)
        real_a = self.encode_input(batch["input"], generator=None, training=True)
        real_b = batch["target"].float() / 127.5 - 1.0
        # G step: both directions and both cycles, discriminators frozen.
        if extra.own_discriminator:
            set_requires_grad([self.D_A, self.D_B], False)
        self.optimizers["G"].zero_grad(set_to_none=True)
        with self.autocast():
            fake_b = self.G_AtoB(real_a)
            rec_a = self.G_BtoA(fake_b)
            fake_a = self.G_BtoA(real_b)
            rec_b = self.G_AtoB(fake_a)
            cycle_a = F.l1_loss(rec_a.float(), real_a)
            cycle_b = F.l1_loss(rec_b.float(), real_b)
            loss_g = cfg.lambda_cycle * (cycle_a + cycle_b)
            losses = {"cycle_A": cycle_a, "cycle_B": cycle_b}
            if extra.own_discriminator:
                losses["G_AtoB"] = gan_loss(self.D_B(fake_b), real=True, mode=mode, for_discriminator=False)
                losses["G_BtoA"] = gan_loss(self.D_A(fake_a), real=True, mode=mode, for_discriminator=False)
                loss_g = loss_g + losses["G_AtoB"] + losses["G_BtoA"]
            if cfg.lambda_identity > 0:
                same_b, same_a = self.G_AtoB(real_b), self.G_BtoA(real_a)  # each G should leave its target domain alone
                idt_b = F.l1_loss(same_b.float(), real_b)
                idt_a = F.l1_loss(same_a.float(), real_a)
                loss_g = loss_g + cfg.lambda_identity * cfg.lambda_cycle * (idt_a + idt_b)
                losses.update(idt_A=idt_a, idt_B=idt_b)
        if extra.perceptual_loss is not None:
            # The perceptual distance joins the cycle and identity L1 at their weights.
            perc = extra.perceptual(rec_a, real_a) + extra.perceptual(rec_b, real_b)
            if cfg.lambda_identity > 0:
                perc = perc + cfg.lambda_identity * (extra.perceptual(same_a, real_a) + extra.perceptual(same_b, real_b))
            losses["perc"] = perc
            loss_g = loss_g + cfg.lambda_cycle * perc
        if extra.heads is not None:
            losses["G_proj_AtoB"] = extra.generator_loss(fake_b, step=step, domain="B")
            losses["G_proj_BtoA"] = extra.generator_loss(fake_a, step=step, domain="A")
            loss_g = loss_g + losses["G_proj_AtoB"] + losses["G_proj_BtoA"]
        loss_g.backward()
        self.optimizers["G"].step()
        # D step: each D sees real images of its domain and (pooled) generated ones.
        gen = batch["generator"]
        pooled_a = self.pool_A.query(fake_a.float(), generator=gen)
        pooled_b = self.pool_B.query(fake_b.float(), generator=gen)
        if extra.own_discriminator:
            set_requires_grad([self.D_A, self.D_B], True)
            self.optimizers["D"].zero_grad(set_to_none=True)
            loss_d_a = self._d_loss(self.D_A, real_a, pooled_a)
            loss_d_b = self._d_loss(self.D_B, real_b, pooled_b)
            (loss_d_a + loss_d_b).backward()
            self.optimizers["D"].step()
            losses.update(D_A=loss_d_a, D_B=loss_d_b)
        losses.update(extra.train_discriminator({"A": (real_a, pooled_a), "B": (real_b, pooled_b)}))
        return loss_values(losses)

    @torch.no_grad()
    def preview(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """A | G_AtoB(A) | B | G_BtoA(B)."""
        real_a = self.encode_input(batch["input"], generator=None, training=False)
        real_b = batch["target"].float() / 127.5 - 1.0
        with self.autocast():
            fake_b, fake_a = self.G_AtoB(real_a).float(), self.G_BtoA(real_b).float()
        return [real_a, fake_b, real_b, fake_a]

    def contract_extras(self) -> dict:
        a, b = self.cfg.domain_names
        return {"directions": {"AtoB": f"{a} → {b}", "BtoA": f"{b} → {a}"}, "any_resolution": True}

    def export_networks(self) -> dict[str, Network]:
        return {"G_AtoB": self.G_AtoB, "G_BtoA": self.G_BtoA}

    def extra_state(self) -> dict:
        return {"pool_A": self.pool_A.state_dict(), "pool_B": self.pool_B.state_dict()}

    def load_extra_state(self, state: dict) -> None:
        if "pool_A" in state:
            self.pool_A.load_state_dict(state["pool_A"], device=self.device)
            self.pool_B.load_state_dict(state["pool_B"], device=self.device)
