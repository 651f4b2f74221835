"""What a family trainer adds to its own objective when a recipe switches on pretrained features.

    projected_d = "beside"   # a projected discriminator next to the family's own (conditional) D
    projected_d = "only"     # ... in its place (pix2pix, CycleGAN)
    lambda_perceptual = 1.0  # an LPIPS-style loss between fake and real (paired families; CycleGAN's cycle and identity)

The projected D judges the generated photo alone (hinge loss, DiffAugment on real and fake); the
family's conditional D keeps the output tied to its input. Its heads are ordinary trained networks
(family.networks["D_proj"], one head set per output domain) with an optimizer of their own
(family.optimizers["D_proj"], on the family's schedule), so a resume restores them exactly; the
frozen backbone and random mixing are rebuilt from the seed.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable

import torch
from torch import nn

from ..settings import TrainConfig
from .diffaugment import diff_augment, parse_policy
from .efficientnet_lite import load_efficientnet_lite
from .perceptual import PerceptualLoss
from .projected import FeatureProjection, ProjectedHeads

PROJECTED_MODES = ("off", "beside", "only")
PROJECTED_BETAS = (0.0, 0.99)  # Projected GAN's Adam


def _hinge(logits: list[torch.Tensor], *, real: bool) -> torch.Tensor:
    sign = -1.0 if real else 1.0
    return torch.stack([torch.relu(1.0 + sign * lg.float()).mean() for lg in logits]).mean()


class PretrainedTerms:
    def __init__(
        self,
        cfg: TrainConfig,
        *,
        device: torch.device,
        domains: tuple[str, ...] = ("photo",),  # output domains, one head set each (CycleGAN: its two)
        lr: float,  # the family's discriminator learning rate
        autocast: Callable[[], contextlib.AbstractContextManager],
    ) -> None:
        if cfg.projected_d not in PROJECTED_MODES:
            raise ValueError(f"projected_d must be one of {', '.join(PROJECTED_MODES)}, got {cfg.projected_d!r}")
        if cfg.lambda_perceptual < 0 or cfg.lambda_projected < 0:
            raise ValueError("lambda_perceptual and lambda_projected must be >= 0")
        self.cfg = cfg
        self.autocast = autocast
        self.policy = parse_policy(cfg.diffaugment)
        self.networks: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.projection = self.heads = self.perceptual_loss = None
        if cfg.projected_d != "off":
            backbone = load_efficientnet_lite("lite0")
            self.projection = FeatureProjection(backbone, seed=cfg.seed, min_size=cfg.projected_size).to(device)
            self.heads = nn.ModuleDict({d: ProjectedHeads(norm=cfg.projected_d_norm) for d in domains}).to(device)
            self.networks["D_proj"] = self.heads
            fused = device.type == "cuda"
            self.optimizers["D_proj"] = torch.optim.Adam(self.heads.parameters(), lr=lr, betas=PROJECTED_BETAS, fused=fused)
        if cfg.lambda_perceptual > 0:
            self.perceptual_loss = PerceptualLoss(load_efficientnet_lite("lite0")).to(device)

    @property
    def own_discriminator(self) -> bool:
        """Whether the family still trains its own discriminator."""
        return self.cfg.projected_d != "only"

    def _logits(self, images: torch.Tensor, domain: str) -> list[torch.Tensor]:
        with self.autocast():
            features = self.projection(diff_augment(images, self.policy))
        # The heads in fp32: their spectral norm's power iteration turned to NaN under bf16 autocast.
        with torch.autocast(images.device.type, enabled=False):
            return self.heads[domain]([f.float() for f in features])

    def train_discriminator(self, pairs: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """One step of the projected heads on {domain: (real, fake)}; returns the losses to log,
        "D_proj" (one domain) or "D_proj_<domain>" each; nothing when the projected D is off."""
        if self.heads is None:
            return {}
        self.heads.requires_grad_(True)
        self.optimizers["D_proj"].zero_grad(set_to_none=True)
        losses = {}
        for domain, (real, fake) in pairs.items():
            name = "D_proj" if len(pairs) == 1 else f"D_proj_{domain}"
            losses[name] = _hinge(self._logits(real, domain), real=True) + _hinge(self._logits(fake.detach(), domain), real=False)
        torch.stack(list(losses.values())).sum().backward()
        self.optimizers["D_proj"].step()
        return losses

    def generator_terms(
        self, fake: torch.Tensor, *, real: torch.Tensor, step: int, perceptual_fake: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """The weighted terms G adds for a paired family: "G_proj" on `fake`, "G_perc" between
        `perceptual_fake` (default: `fake`) and `real`; only those switched on."""
        terms = {}
        if self.heads is not None:
            terms["G_proj"] = self.generator_loss(fake, step=step)
        if self.perceptual_loss is not None:
            terms["G_perc"] = self.perceptual(fake if perceptual_fake is None else perceptual_fake, real)
        return terms

    def generator_loss(self, fake: torch.Tensor, *, step: int, domain: str = "photo") -> torch.Tensor | None:
        """lambda_projected * the hinge generator loss on `fake`, ramped up over projected_warmup steps."""
        if self.heads is None:
            return None
        self.heads.requires_grad_(False)
        ramp = min(1.0, (step + 1) / self.cfg.projected_warmup) if self.cfg.projected_warmup > 0 else 1.0
        logits = self._logits(fake, domain)
        return self.cfg.lambda_projected * ramp * -torch.stack([lg.float().mean() for lg in logits]).mean()

    def perceptual(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor | None:
        """lambda_perceptual * the LPIPS-style distance, or None when it is off."""
        if self.perceptual_loss is None:
            return None
        with self.autocast():
            return self.cfg.lambda_perceptual * self.perceptual_loss(fake, real)
