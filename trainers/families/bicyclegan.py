"""BicycleGAN (Zhu et al. 2017): cVAE-GAN and cLR-GAN trained together, for many outputs per input.

Paper-to-code: A is the input (sketch, labels or photo), B the photo. E maps B to q(z | B); G
renders G(A, z) with z added at every encoder level of its U-Net (every decoder level of the ImageNet-
encoder U-Net, generator = lite0_unet); D judges the cVAE-GAN branch
(B -> E -> z -> G(A, z) should look real), D2 the cLR-GAN branch (random z -> G(A, z)). Both Ds
are, as in the paper, two PatchGANs each, at 70x70 and 140x140 (the image and its half-size copy);
unconditional by default, or with conditional_d shown the input beside the photo, as the original's
--conditional_D (the fake beside its own input, the real B2 beside A2).

Each batch is split in two halves as the original does: the first half (A1, B1) is encoded,
z_enc = E(B1) reparameterised; the second half's photos B2 are the real images for D2, while the
random branch renders from A1 with z ~ N(0, I). Losses: least-squares GAN (summed over D's scales)
for both branches, lambda_l1 * |G(A1, z_enc) - B1|, lambda_kl * KL(q(z | B1) || N(0, I)), and the
latent regression lambda_z * |E(G(A1, z_rand)).mu - z_rand|, which updates G only: E is frozen
while it runs, as in the paper and code; optionally (lambda_ms) the mode-seeking term of MSGAN, which
BicycleGAN's own code lacks, on two random-z renders of A1 (one more G pass). G and E step, then D and D2 on the same (detached) fakes
with real + fake losses (not halved). Weights start Xavier-normal with gain 0.02 (its default).
The KL term is averaged over the half batch (summed in the original; equal at batch size 2).

At inference the original draws z ~ N(0, I). With z_prior_bandwidth > 0 the export ships E's codes of
the training photos instead and seeds draw z near them (engine.latent_prior): E does not put real
photos at N(0, I), and z far from their codes renders casts no photo had.
"""
from __future__ import annotations

import logging
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from engine.latent_prior import LatentPrior
from engine.nets import Network, ResnetEncoder, UnetGenerator

from ..settings import TrainConfig
from ..dataset import load_training_set
from ..discriminators import MultiscaleDiscriminator
from ..line_loss import line_following_loss, require_sketch_input
from ..losses import central_half, feature_matching_loss, gan_loss, kl_divergence, mode_seeking_loss, reparameterize
from .base import FamilyTrainer, imagenet_unet, init_weights, loss_values, set_requires_grad

logger = logging.getLogger(__name__)

D_SCALES = 2  # PatchGANs per discriminator (the original's basic_256_multi)
MODE_SEEKING_REGIONS = ("whole", "centre")


def lsgan(outputs: list[list[torch.Tensor]], *, real: bool, mode: str) -> torch.Tensor:
    """Summed over D's scales, on each scale's final map (the others are its inner features)."""
    return sum(gan_loss(features[-1], real=real, mode=mode) for features in outputs)


def judged(a: torch.Tensor, b: torch.Tensor, *, conditional: bool) -> torch.Tensor:
    """What D and D2 see of a photo b: b alone, or (conditional) b beside the input a it should follow."""
    return torch.cat([a.to(b.dtype), b], 1) if conditional else b


def encoder_blocks(crop_size: int) -> int:
    """Residual blocks of E: enough to reach 8 x 8 before the global pool (4 at 256 px, as resnet_256)."""
    return max(1, int(math.log2(crop_size)) - 4)


@dataclass
class BicycleGANConfig(TrainConfig):
    input_kind: str = "sketch"
    generator: str = "unet"  # unet (the paper's, z at every encoder level) | lite0_unet (ImageNet EfficientNet-Lite0 encoder, z at every decoder level)
    attention_strides: list = field(default_factory=list)  # lite0_unet: decoder levels (of 16, 8, 4, 2) followed by SAGAN self-attention
    ngf: int = 64
    ndf: int = 64
    nef: int = 64
    nz: int = 8
    num_downs: int = 8
    norm: str = "instance"
    upsample: str = "transpose"  # U-Net decoder: "transpose" (paper) or "resize" (nearest 2x + 3x3 conv)
    n_layers_d: int = 3
    lambda_l1: float = 10.0
    lambda_kl: float = 0.01
    lambda_z: float = 0.5
    lambda_feat: float = 0.0  # >0: feature matching (pix2pixHD) on D's inner features, encoded render vs its photo
    lambda_lines: float = 0.0  # >0: both branches' renders keep to the sketch's lines (trainers.line_loss; sketches only)
    lambda_ms: float = 0.0  # mode seeking (MSGAN, Mao et al. 2019) between two random-z renders of A1: z must matter
    mode_seeking_region: str = "whole"  # whole | centre: the renders must differ in their central half, where the cat is
    conditional_d: bool = False  # D and D2 see the input beside the photo (the original's --conditional_D), so
    # random-z renders are judged against the drawn lines, not only for looking like cats
    gan_mode: str = "lsgan"
    lr: float = 2e-4
    beta1: float = 0.5
    z_prior_bandwidth: float = 0.0  # >0: seeds draw z near E's codes of the training photos, with noise this
    # many of the codes' spreads (a kernel density, shipped with the model); 0: N(0, I), as the original

    family: typing.ClassVar[str] = "bicyclegan"
    changeable_on_resume: typing.ClassVar[tuple[str, ...]] = ("z_prior_bandwidth",)  # read by the export alone


class BicycleGANTrainer(FamilyTrainer):
    config_class = BicycleGANConfig
    min_batch = 2  # every batch is split: one half encoded, one with random z
    task = "multimodal image-to-image translation (BicycleGAN)"

    def __init__(self, cfg: BicycleGANConfig, *, device: torch.device) -> None:
        super().__init__(cfg, device=device)
        require_sketch_input(input_kind=cfg.input_kind, weight=cfg.lambda_lines)
        if cfg.mode_seeking_region not in MODE_SEEKING_REGIONS:
            raise ValueError(f"mode_seeking_region must be one of {', '.join(MODE_SEEKING_REGIONS)}, got {cfg.mode_seeking_region!r}")
        if cfg.batch_size < 2 or cfg.batch_size % 2:
            raise ValueError(
                f"BicycleGAN splits every batch into two halves (one encoded, one with random z), so batch_size must be "
                f"even and at least 2; got {cfg.batch_size}"
            )
        if cfg.generator == "unet":
            self.G = init_weights(UnetGenerator(
                in_channels=self.input_channels(), out_channels=3, ngf=cfg.ngf, num_downs=cfg.num_downs, norm=cfg.norm,
                dropout=False, nz=cfg.nz, inject_z="all", upsample=cfg.upsample,
            ), kind="xavier").to(device)
        elif cfg.generator == "lite0_unet":
            self.G = imagenet_unet(in_channels=self.input_channels(), ngf=cfg.ngf, nz=cfg.nz, attention_strides=cfg.attention_strides).to(device)
        else:
            raise ValueError(f"generator must be unet or lite0_unet, got {cfg.generator!r}")
        self.E = init_weights(
            ResnetEncoder(in_channels=3, nz=cfg.nz, ndf=cfg.nef, n_blocks=encoder_blocks(cfg.crop_size), norm=cfg.norm), kind="xavier"
        ).to(device)
        # Each discriminator is two PatchGANs (full and half size), as the original's basic_256_multi.
        d_channels = 3 + (self.input_channels() if cfg.conditional_d else 0)
        d_kwargs = dict(
            in_channels=d_channels, ndf=cfg.ndf, n_layers=cfg.n_layers_d, norm=cfg.norm, num_d=D_SCALES, spectral_norm=False, return_features=True
        )
        self.D = init_weights(MultiscaleDiscriminator(**d_kwargs), kind="xavier").to(device)
        self.D2 = init_weights(MultiscaleDiscriminator(**d_kwargs), kind="xavier").to(device)
        self.networks = {"G": self.G, "E": self.E, "D": self.D, "D2": self.D2}
        betas = (cfg.beta1, 0.999)
        self.optimizers = {name: self.adam(net.parameters(), lr=cfg.lr, betas=betas) for name, net in self.networks.items()}
        if cfg.projected_d == "only":
            raise ValueError("BicycleGAN's D and D2 keep each branch's renders tied to the sketch: use projected_d = 'beside'")
        self.pretrained = self.add_pretrained_terms(lr=cfg.lr)

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        cfg = self.cfg
        mode, cond = cfg.gan_mode, cfg.conditional_d
        half = cfg.batch_size // 2
        x = self.encode_input(batch["input"], generator=batch.get("generator"), training=True)
        real = batch["target"].float() / 127.5 - 1.0
        a1, a2, b1, b2 = x[:half], x[half:], real[:half], real[half:]
        # G and E: cVAE-GAN (encoded z) and cLR-GAN (random z) branches, discriminators frozen.
        set_requires_grad([self.D, self.D2], False)
        for name in ("G", "E"):
            self.optimizers[name].zero_grad(set_to_none=True)
        with self.autocast():
            mu, logvar = self.E(b1)
            mu, logvar = mu.float(), logvar.float()
            z_enc = reparameterize(mu, logvar)
            z_rand = torch.randn(half, cfg.nz, device=x.device)
            fake_enc = self.G(a1, z_enc)
            fake_rand = self.G(a1, z_rand)
            # What D and D2 see of each fake, built once: G's turn here, theirs (detached) below.
            judged_enc = judged(a1, fake_enc, conditional=cond)
            judged_rand = judged(a1, fake_rand, conditional=cond)
            seen_enc = self.D(judged_enc)
            gan = lsgan(seen_enc, real=True, mode=mode)
            gan2 = lsgan(self.D2(judged_rand), real=True, mode=mode)
            l1 = F.l1_loss(fake_enc.float(), b1)
            kl = kl_divergence(mu, logvar)
            # Latent regression updates G alone: E runs frozen (the plain module, outside any DDP
            # wrapper, since none of its parameters take part), so gradients reach only G.
            encoder = self.networks["E"]
            set_requires_grad([encoder], False)
            mu2, _ = encoder(fake_rand)
            set_requires_grad([encoder], True)
            z_l1 = F.l1_loss(mu2.float(), z_rand)
            loss = gan + gan2 + cfg.lambda_l1 * l1 + cfg.lambda_kl * kl + cfg.lambda_z * z_l1
        losses = {"G_gan": gan, "G_gan2": gan2, "G_l1": l1, "KL": kl, "z_l1": z_l1}
        if cfg.lambda_feat:
            # The encoded render has its own photo (B1): match D's inner features on the two pairs.
            with torch.no_grad(), self.autocast():
                seen_real = self.D(judged(a1, b1, conditional=cond))
            losses["G_feat"] = feature_matching_loss(seen_enc, seen_real)
            loss = loss + cfg.lambda_feat * losses["G_feat"]
        if cfg.lambda_lines:
            # Random-z renders have no photo to match, only the lines: the term the edge F1 measures
            # (in fp32: the per-picture threshold is a quantile of small gradients).
            losses["G_lines"] = line_following_loss(torch.cat([fake_enc, fake_rand]), torch.cat([a1, a1]))
            loss = loss + cfg.lambda_lines * losses["G_lines"]
        if cfg.lambda_ms:
            # A second random render of A1, as MSGAN's BicycleGAN does: the pair must differ as their z do.
            # (Pairing it with the encoded render instead lets G satisfy the term by pushing the random
            # branch away from the encoded one while random renders stay alike.)
            z_other = torch.randn(half, cfg.nz, device=x.device)
            with self.autocast():
                first, second = fake_rand, self.G(a1, z_other)
                if cfg.mode_seeking_region == "centre":  # only a change of the cat counts, not of the background
                    first, second = central_half(first), central_half(second)
                ms = mode_seeking_loss(first, second, z_first=z_rand, z_second=z_other)
            loss = loss + cfg.lambda_ms * ms
            losses["G_ms"] = ms
        # The projected D judges both branches' renders; the perceptual loss the encoded one's, like L1.
        fakes = torch.cat([fake_enc, fake_rand])
        terms = self.pretrained.generator_terms(fakes, real=b1, step=batch.get("step", 0), perceptual_fake=fake_enc)
        losses.update(terms)
        loss = loss + sum(terms.values())
        loss.backward()
        self.optimizers["E"].step()
        self.optimizers["G"].step()
        # D on the cVAE-GAN branch, D2 on the cLR-GAN branch, with the fakes drawn before the update.
        set_requires_grad([self.D, self.D2], True)
        for name in ("D", "D2"):
            self.optimizers[name].zero_grad(set_to_none=True)
        with self.autocast():
            loss_d = lsgan(self.D(judged_enc.detach()), real=False, mode=mode) + lsgan(
                self.D(judged(a1, b1, conditional=cond)), real=True, mode=mode
            )
            loss_d2 = lsgan(self.D2(judged_rand.detach()), real=False, mode=mode) + lsgan(
                self.D2(judged(a2, b2, conditional=cond)), real=True, mode=mode
            )
        (loss_d + loss_d2).backward()
        self.optimizers["D"].step()
        self.optimizers["D2"].step()
        losses.update(D=loss_d, D2=loss_d2)
        losses.update(self.pretrained.train_discriminator({"photo": (real, fakes)}))
        return loss_values(losses)

    @torch.no_grad()
    def preview(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """input | G(input, E(target).mu) | two random z | target."""
        x = self.encode_input(batch["input"], generator=None, training=False)
        real = batch["target"].float() / 127.5 - 1.0
        n = x.shape[0]
        self.G.eval()
        self.E.eval()
        with self.autocast():
            mu, _ = self.E(real)
            columns = [self.G(x, mu.float()).float()]
            for seed in (1, 2):
                z = torch.randn(n, self.cfg.nz, generator=torch.Generator().manual_seed(seed)).to(x.device)
                columns.append(self.G(x, z).float())
        self.G.train()
        self.E.train()
        return [self.preview_input(batch["input"]), *columns, real]

    def contract_extras(self) -> dict:
        return {"nz": self.cfg.nz, "encoder": True}

    def export_networks(self) -> dict[str, Network]:
        return {"G": self.G, "E": self.E}

    def export_extras(self, run_dir: Path) -> tuple[dict[str, torch.Tensor], dict]:
        """With z_prior_bandwidth: the latent prior from E's codes of every training photo."""
        cfg = self.cfg
        if not cfg.z_prior_bandwidth:
            return {}, {}
        if not Path(cfg.data).is_dir():
            raise ValueError(f"z_prior_bandwidth: the export encodes the training photos, and {cfg.data} is missing")
        photos = load_training_set(cfg).targets
        prior = LatentPrior.from_codes(self.encode_photos(photos, side=cfg.crop_size), bandwidth=cfg.z_prior_bandwidth)
        logger.info("latent prior from %d training photos' codes, bandwidth %.2f", len(photos), cfg.z_prior_bandwidth)
        return prior.to_extras(), {}
