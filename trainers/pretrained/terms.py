"""What a family trainer adds to its own objective when a recipe switches on pretrained features.

    projected_d = "beside"   # a projected discriminator next to the family's own (conditional) D
    projected_d = "only"     # ... in its place (pix2pix, CycleGAN)
    lambda_perceptual = 1.0  # an LPIPS-style loss between fake and real (paired families; CycleGAN's cycle and identity)
    lambda_projected_zoom = 1.0  # a second head set on random crops at twice the scale (pretrained/zoom.py)

The projected D judges the generated photo alone (hinge loss, DiffAugment on real and fake); the
family's conditional D keeps the output tied to its input. Its heads are ordinary trained networks
(family.networks["D_proj"], one head set per output domain) with an optimizer of their own
(family.optimizers["D_proj"], on the family's schedule), so a resume restores them exactly; the
frozen backbone and random mixing are rebuilt from the seed. The zoomed heads share the backbone and
mixing, and are a network of their own ("D_proj_zoom"): runs without them checkpoint as before.
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
from .zoom import random_zoom

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
        if cfg.lambda_perceptual < 0 or cfg.lambda_projected < 0 or cfg.lambda_projected_zoom < 0:
            raise ValueError("lambda_perceptual, lambda_projected and lambda_projected_zoom must be >= 0")
        if cfg.lambda_projected_zoom and cfg.projected_d == "off":
            raise ValueError("lambda_projected_zoom adds heads to the projected discriminator: set projected_d too")
        self.cfg = cfg
        self.autocast = autocast
        self.policy = parse_policy(cfg.diffaugment)
        self.networks: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.projection = self.heads = self.zoom_heads = self.perceptual_loss = None
        if cfg.projected_d != "off":
            backbone = load_efficientnet_lite("lite0")
            self.projection = FeatureProjection(backbone, seed=cfg.seed, min_size=cfg.projected_size).to(device)
            self.heads = self._add_heads("D_proj", domains=domains, lr=lr, device=device)
        if cfg.lambda_projected_zoom > 0:
            self.zoom_heads = self._add_heads("D_proj_zoom", domains=domains, lr=lr, device=device)
        if cfg.lambda_perceptual > 0:
            self.perceptual_loss = PerceptualLoss(load_efficientnet_lite("lite0")).to(device)

    def _add_heads(self, name: str, *, domains: tuple[str, ...], lr: float, device: torch.device) -> nn.ModuleDict:
        heads = nn.ModuleDict({d: ProjectedHeads(norm=self.cfg.projected_d_norm) for d in domains}).to(device)
        self.networks[name] = heads
        fused = device.type == "cuda"
        self.optimizers[name] = torch.optim.Adam(heads.parameters(), lr=lr, betas=PROJECTED_BETAS, fused=fused)
        return heads

    def _head_sets(self) -> list[tuple[str, nn.ModuleDict]]:
        """(loss name suffix, heads) of every head set switched on: the whole picture's, then the zoomed."""
        sets = [("", self.heads), ("_zoom", self.zoom_heads)]
        return [(suffix, heads) for suffix, heads in sets if heads is not None]

    @property
    def own_discriminator(self) -> bool:
        """Whether the family still trains its own discriminator."""
        return self.cfg.projected_d != "only"

    def _logits(self, images: torch.Tensor, domain: str, *, heads: nn.ModuleDict) -> list[torch.Tensor]:
        if heads is self.zoom_heads:
            images = random_zoom(images, crop=self.cfg.projected_zoom_crop)
        with self.autocast():
            features = self.projection(diff_augment(images, self.policy))
        # The heads in fp32: their spectral norm's power iteration turned to NaN under bf16 autocast.
        with torch.autocast(images.device.type, enabled=False):
            return heads[domain]([f.float() for f in features])

    def train_discriminator(self, pairs: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """One step of the projected heads on {domain: (real, fake)}; returns the losses to log,
        "D_proj" (one domain) or "D_proj_<domain>" each, and "D_proj_zoom..." for the zoomed heads;
        nothing when the projected D is off."""
        if self.heads is None:
            return {}
        losses = {}
        for suffix, heads in self._head_sets():
            heads.requires_grad_(True)
            self.optimizers["D_proj" + suffix].zero_grad(set_to_none=True)
            for domain, (real, fake) in pairs.items():
                name = "D_proj" + suffix + ("" if len(pairs) == 1 else f"_{domain}")
                judged_real = self._logits(real, domain, heads=heads)
                losses[name] = _hinge(judged_real, real=True) + _hinge(self._logits(fake.detach(), domain, heads=heads), real=False)
        torch.stack(list(losses.values())).sum().backward()
        for suffix, _ in self._head_sets():
            self.optimizers["D_proj" + suffix].step()
        return losses

    def generator_terms(
        self, fake: torch.Tensor, *, real: torch.Tensor, step: int, perceptual_fake: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """The weighted terms G adds for a paired family: "G_proj" (and "G_proj_zoom") on `fake`,
        "G_perc" between `perceptual_fake` (default: `fake`) and `real`; only those switched on."""
        terms = {}
        for suffix, heads in self._head_sets():
            terms["G_proj" + suffix] = self._generator_hinge(fake, step=step, domain="photo", heads=heads)
        if self.perceptual_loss is not None:
            terms["G_perc"] = self.perceptual(fake if perceptual_fake is None else perceptual_fake, real)
        return terms

    def generator_loss(self, fake: torch.Tensor, *, step: int, domain: str = "photo") -> torch.Tensor | None:
        """lambda_projected * the hinge generator loss on `fake` (plus lambda_projected_zoom * the
        zoomed heads'), ramped up over projected_warmup steps."""
        if self.heads is None:
            return None
        return sum(self._generator_hinge(fake, step=step, domain=domain, heads=heads) for _, heads in self._head_sets())

    def _generator_hinge(self, fake: torch.Tensor, *, step: int, domain: str, heads: nn.ModuleDict) -> torch.Tensor:
        heads.requires_grad_(False)
        ramp = min(1.0, (step + 1) / self.cfg.projected_warmup) if self.cfg.projected_warmup > 0 else 1.0
        weight = self.cfg.lambda_projected_zoom if heads is self.zoom_heads else self.cfg.lambda_projected
        logits = self._logits(fake, domain, heads=heads)
        return weight * ramp * -torch.stack([lg.float().mean() for lg in logits]).mean()

    def perceptual(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor | None:
        """lambda_perceptual * the LPIPS-style distance, or None when it is off."""
        if self.perceptual_loss is None:
            return None
        with self.autocast():
            return self.cfg.lambda_perceptual * self.perceptual_loss(fake, real)
