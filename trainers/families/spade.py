"""SPADE (Park et al. 2019) with its style encoder: semantic image synthesis with a steerable look.

Paper-to-code: G is the SPADE generator started from a style code z (use_vae); E is the image
encoder giving q(z | photo) = N(mu, exp(logvar)); D is the multi-scale PatchGAN (num_d scales,
spectral norm + instance norm) that sees the one-hot label map concatenated with the image.

Losses, as in the original code: hinge GAN averaged over D's scales; feature matching
lambda_feat * L1 between D's intermediate features on fake and real; KL(q(z | photo) || N(0, I))
times lambda_kl with z reparameterised; the VGG19 perceptual loss times lambda_vgg only when
cfg.vgg_weights names a local file (trainers/vgg.py). G and E share one Adam at lr_g, D has its own
at lr_d (two time-scale update rule), betas (0, 0.999) as in the paper (the released code uses
beta2 0.9 under TTUR). Per step: G and E update (D frozen), then D on a fresh fake drawn without
gradients, as the original does. Weights start Xavier-normal with gain 0.02 (its default).

Differences from the original, all deliberate: the KL term is averaged over the batch (summed in
the original, which ties its weight to the batch size); D's middle layers use padding 1 and keep
their bias (trainers/discriminators.py), the original's padding 2 and no bias change the patch
grid by a pixel, not the model. An addition, off by default: lambda_swap > 0 also renders each
label map in the next photo's style and lets D judge it (G's hinge term times lambda_swap, half of
D's fake term), since the app puts any look on any layout and the paired losses never show G that.
Two more, off by default, for a style photo that sets the look: lambda_colour times the colour
statistics distance (trainers.losses.region_colour_loss: per shared class and whole picture) between
each render and its style photo, the encoded render and the swapped one; style_jitter, the share of
training photos shown in another light (trainers/data/look_jitter.py); encoder_colour_grid, E's colour
path (engine.nets.encoders), since its instance norms hide a photo's exposure; tone_from_z, G's code
setting its output's per-channel gain and offset (engine.nets.spade). And fine_levels grows G by
gated full-resolution blocks, warm-started from a smaller model (coarse to fine).

Shipping: spectral norm is folded into plain weights (the engine runs plain convs), and the
export carries style controls computed from every training photo's code (see `style_controls`).
"""
from __future__ import annotations

import logging
import math
import typing
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from engine.nets import ConvStyleEncoder, Network, SPADEGenerator, build_network, describe
from engine.nets.spade import UPSAMPLING_LAYERS

from ..settings import TrainConfig
from ..data.look_jitter import jitter_looks
from ..dataset import crop_width, load_training_set
from ..discriminators import MultiscaleDiscriminator
from ..losses import feature_matching_loss, kl_divergence, multiscale_gan_loss, region_colour_loss, reparameterize
from .base import FamilyTrainer, init_weights, loss_values, set_requires_grad

logger = logging.getLogger(__name__)

UPSAMPLING = "normal"  # 5 upsamplings (plus fine_levels): the trunk starts at 1/32 (1/64, ...) of the training size
BETAS = (0.0, 0.999)


def encoder_input_size(crop_size: int) -> int:
    """The original encodes every photo at 256 x 256; tiny test runs use a smaller power of two."""
    return min(256, max(32, 2 ** math.ceil(math.log2(crop_size))))


def fold_spectral_norm(trained: Network) -> Network:
    """A copy of `trained` (built with spectral norm) with the norm folded into plain weights as in
    eval mode (weight_orig / sigma from the stored u, v): the same network built without it."""
    arch, kwargs = describe(trained)
    fresh = build_network(arch, **kwargs)
    fresh.load_state_dict(trained.state_dict())
    for module in fresh.modules():
        if hasattr(module, "weight_orig"):
            nn.utils.remove_spectral_norm(module)
    fresh.init_kwargs = {**kwargs, "spectral_norm": False}  # what it now is
    return fresh.to(next(trained.parameters()).device).eval()


@dataclass
class SPADEConfig(TrainConfig):
    layout: str = "labeled"
    input_kind: str = "labels"
    ngf: int = 64
    ndf: int = 64
    z_dim: int = 256
    num_d: int = 2  # discriminator scales
    n_layers_d: int = 4
    param_free_norm: str = "batch"
    label_hidden: int = 128  # width of the label MLP inside every SPADE norm (paper: 128); most of G's cost at full resolution
    lambda_feat: float = 10.0
    lambda_kl: float = 0.05
    lambda_vgg: float = 10.0
    vgg_weights: str = ""  # VGG19 safetensors for the perceptual loss; off when empty (nothing downloads)
    lr_g: float = 1e-4
    lr_d: float = 4e-4
    aspect: float = 1.0  # width / height of training crops (camvid: 4/3)
    style_components: int = 8  # principal style directions shipped for sliders
    style_presets: int = 6  # cluster centres of training styles shipped as presets
    lambda_swap: float = 0.0  # >0: also render each label map in another photo's style, judged by D (needs batch >= 2)
    lambda_colour: float = 0.0  # >0: renders take their style photo's colours (per shared class and overall)
    style_jitter: float = 0.0  # share of training photos shown in another light (brightness, saturation, tint)
    fine_levels: int = 0  # G's gated full-resolution blocks after up_3, each doubling the output side
    encoder_size: int = 0  # E's input square, px; 0: the crop's power of two up to 256 (the original's 256)
    encoder_colour_grid: int = 0  # >0: E also reads the photo's mean colours on this grid (engine.nets.encoders)
    tone_from_z: bool = False  # G's code also sets a per-channel gain and offset of its output (engine.nets.spade)

    family: typing.ClassVar[str] = "spade"
    changeable_on_resume: typing.ClassVar[tuple[str, ...]] = ("lambda_colour",)  # a loss weight: nothing in the state depends on it


class SPADETrainer(FamilyTrainer):
    config_class = SPADEConfig
    task = "semantic image synthesis with style (SPADE)"

    def __init__(self, cfg: SPADEConfig, *, device: torch.device) -> None:
        super().__init__(cfg, device=device)
        if cfg.input_kind != "labels":
            raise ValueError(f"SPADE draws photos from label maps: input_kind must be 'labels', got {cfg.input_kind!r}")
        height, width = cfg.crop_size, crop_width(cfg)
        grid = 2 ** (UPSAMPLING_LAYERS[UPSAMPLING] + cfg.fine_levels)
        if height % grid or width % grid:
            raise ValueError(f"SPADE needs crops whose sides are multiples of {grid}; crop_size x aspect gives {height}x{width}")
        n_classes = self.input_channels()
        self.G = init_weights(SPADEGenerator(
            label_channels=n_classes, ngf=cfg.ngf, z_dim=cfg.z_dim, num_upsampling_layers=UPSAMPLING, use_vae=True,
            spectral_norm=True, param_free_norm=cfg.param_free_norm, hidden=cfg.label_hidden, base_height=height // grid, base_width=width // grid,
            fine_levels=cfg.fine_levels, tone_from_z=cfg.tone_from_z,
        ), kind="xavier").to(device)
        self.E = init_weights(ConvStyleEncoder(
            in_channels=3, z_dim=cfg.z_dim, ndf=cfg.ngf, input_size=cfg.encoder_size or encoder_input_size(height), spectral_norm=True, norm="instance",
            colour_grid=cfg.encoder_colour_grid,
        ), kind="xavier").to(device)
        # SPADE's n_layers_D counts the strided convs plus the stride-1 one (4: three middle layers);
        # PatchDiscriminator's n_layers counts the middle layers, like pix2pix's.
        self.D = init_weights(
            MultiscaleDiscriminator(in_channels=n_classes + 3, ndf=cfg.ndf, n_layers=cfg.n_layers_d - 1, num_d=cfg.num_d, norm="instance"),
            kind="xavier",
        ).to(device)
        self.networks = {"G": self.G, "E": self.E, "D": self.D}
        g_params = list(self.G.parameters()) + list(self.E.parameters())
        self.optimizers = {"G": self.adam(g_params, lr=cfg.lr_g, betas=BETAS), "D": self.adam(self.D.parameters(), lr=cfg.lr_d, betas=BETAS)}
        self.vgg_loss = None
        if cfg.vgg_weights:
            from ..vgg import VGGLoss, load_vgg19

            self.vgg_loss = VGGLoss(load_vgg19(cfg.vgg_weights)).to(device)
        if cfg.lambda_swap and cfg.batch_size < 2:
            raise ValueError(f"lambda_swap renders a label map in another photo's style from the same batch: batch_size must be at least 2, got {cfg.batch_size}")
        if cfg.projected_d == "only":
            raise ValueError("SPADE's feature-matching loss needs its own discriminator: use projected_d = 'beside'")
        self.pretrained = self.add_pretrained_terms(lr=cfg.lr_d)
        self.look_generator = torch.Generator().manual_seed(cfg.seed + 7)

    def _discriminate(self, seg: torch.Tensor, fake: torch.Tensor, real: torch.Tensor) -> tuple[list, list]:
        """D on fake and real pairs in one batch (as the original), split back into (fake, real)."""
        outputs = self._judge(torch.cat([seg, seg], 0), torch.cat([fake.to(real.dtype), real], 0))
        n = fake.shape[0]
        return [[f[:n] for f in scale] for scale in outputs], [[f[n:] for f in scale] for scale in outputs]

    def _generate(self, seg: torch.Tensor, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.E(real)
        z = reparameterize(mu.float(), logvar.float())
        return self.G(seg, z), mu.float(), logvar.float()

    def _judge(self, seg: torch.Tensor, image: torch.Tensor) -> list:
        """D's outputs on each label map beside an image."""
        return self.D(torch.cat([seg, image.to(seg.dtype)], 1))

    def _render_swapped(self, seg: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        """Each label map in the next photo's style (its code's mean, no gradient to E). The paired
        losses only ever show G a layout in its own photo's look; presets and the sliders put any look
        on any layout, so D judges these too and G learns to keep the layout under every style."""
        return self.G(seg, mu.detach().roll(1, 0))

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        cfg = self.cfg
        seg = self.encode_input(batch["input"], generator=None, training=True)
        real = batch["target"].float() / 127.5 - 1.0
        if cfg.style_jitter:
            real = jitter_looks(real, probability=cfg.style_jitter, generator=self.look_generator)
        # G and E: fool D, match its features, stay near the prior, (look like the photo to VGG).
        set_requires_grad([self.D], False)
        self.optimizers["G"].zero_grad(set_to_none=True)
        with self.autocast():
            fake, mu, logvar = self._generate(seg, real)
            pred_fake, pred_real = self._discriminate(seg, fake, real)
            gan = multiscale_gan_loss(pred_fake, real=True, mode="hinge", for_discriminator=False)
            feat = feature_matching_loss(pred_fake, pred_real)
            kl = kl_divergence(mu, logvar)
            loss_g = gan + cfg.lambda_feat * feat + cfg.lambda_kl * kl
            losses = {"G_gan": gan, "G_feat": feat, "KL": kl}
            if cfg.lambda_colour:
                colour = region_colour_loss(fake, real, render_labels=seg, style_labels=seg)
                loss_g = loss_g + cfg.lambda_colour * colour
                losses["G_colour"] = colour
            if cfg.lambda_swap:
                swapped = self._render_swapped(seg, mu)
                pred_swap = self._judge(seg, swapped)
                swap = multiscale_gan_loss(pred_swap, real=True, mode="hinge", for_discriminator=False)
                loss_g = loss_g + cfg.lambda_swap * swap
                losses["G_swap"] = swap
                if cfg.lambda_colour:
                    # The style photo of each swapped render is the previous one in the batch.
                    colour_swap = region_colour_loss(swapped, real.roll(1, 0), render_labels=seg, style_labels=seg.roll(1, 0))
                    loss_g = loss_g + cfg.lambda_colour * colour_swap
                    losses["G_colour_swap"] = colour_swap
            if self.vgg_loss is not None:
                vgg = self.vgg_loss(fake, real)
                loss_g = loss_g + cfg.lambda_vgg * vgg
                losses["G_vgg"] = vgg
        terms = self.pretrained.generator_terms(fake, real=real, step=batch.get("step", 0))
        losses.update(terms)
        loss_g = loss_g + sum(terms.values())
        loss_g.backward()
        self.optimizers["G"].step()
        # D: hinge on real pairs and on a fresh fake (no gradient to G or E).
        set_requires_grad([self.D], True)
        self.optimizers["D"].zero_grad(set_to_none=True)
        with self.autocast():
            with torch.no_grad():
                fake, mu, _ = self._generate(seg, real)
            pred_fake, pred_real = self._discriminate(seg, fake.detach(), real)
            d_fake = multiscale_gan_loss(pred_fake, real=False, mode="hinge", for_discriminator=True)
            if cfg.lambda_swap:
                with torch.no_grad():
                    swapped = self._render_swapped(seg, mu)
                pred_swap = self._judge(seg, swapped)
                # Half of D's fake term each: the encoded renders keep their weight against the real ones.
                d_fake = 0.5 * (d_fake + multiscale_gan_loss(pred_swap, real=False, mode="hinge", for_discriminator=True))
            d_real = multiscale_gan_loss(pred_real, real=True, mode="hinge", for_discriminator=True)
        (d_fake + d_real).backward()
        self.optimizers["D"].step()
        losses.update(D_fake=d_fake, D_real=d_real)
        losses.update(self.pretrained.train_discriminator({"photo": (real, fake)}))
        return loss_values(losses)

    @torch.no_grad()
    def preview(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """labels | G(labels, E(photo).mu) | G(labels, random z) | photo."""
        seg = self.encode_input(batch["input"], generator=None, training=False)
        real = batch["target"].float() / 127.5 - 1.0
        self.G.eval()
        self.E.eval()
        with self.autocast():
            mu, _ = self.E(real)
            z = torch.randn(seg.shape[0], self.cfg.z_dim, generator=torch.Generator().manual_seed(0)).to(seg.device)
            encoded, random = self.G(seg, mu.float()).float(), self.G(seg, z).float()
        self.G.train()
        self.E.train()
        return [self.preview_input(batch["input"]), encoded, random, real]

    def extra_state(self) -> dict:
        return {"look_generator": self.look_generator.get_state()}

    def load_extra_state(self, state: dict) -> None:
        if "look_generator" in state:
            self.look_generator.set_state(state["look_generator"])

    def contract_extras(self) -> dict:
        return {"nz": self.cfg.z_dim, "style": True, "encoder": True}

    def export_networks(self) -> dict[str, Network]:
        return {"G": fold_spectral_norm(self.networks["G"]), "E": fold_spectral_norm(self.networks["E"])}

    def export_extras(self, run_dir: Path) -> tuple[dict[str, torch.Tensor], dict]:
        """Style controls from the codes of every training photo (the run's data folder must exist)."""
        cfg = self.cfg
        if not Path(cfg.data).is_dir():
            raise ValueError(f"exporting a SPADE run computes its style controls from the training photos; {cfg.data} is missing")
        data = load_training_set(cfg)
        codes = self.encode_photos(data.targets)
        extras, names = style_controls(codes, components=cfg.style_components, presets=cfg.style_presets, seed=cfg.seed)
        labels = [f"style {i + 1} (like {Path(data.files[j]).stem})" for i, j in enumerate(names)]
        logger.info("style controls from %d training photos: %d directions, %d presets", len(codes), len(extras["style_spread"]), len(labels))
        return extras, {"style_preset_names": labels}


def style_controls(codes: torch.Tensor, *, components: int, presets: int, seed: int = 0) -> tuple[dict[str, torch.Tensor], list[int]]:
    """The look space of a training set, for the app's sliders and presets.

    codes: N x z_dim style codes. Returns ({"style_mean": z_dim, "style_components": k x z_dim
    principal directions (unit rows), "style_spread": k standard deviations along them,
    "style_presets": m x z_dim k-means centres, largest cluster first}, for each preset the index
    of the training photo nearest to it).
    """
    codes = codes.double()
    n = codes.shape[0]
    mean = codes.mean(0)
    centred = codes - mean
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    k = max(1, min(components, vh.shape[0]))
    directions = vh[:k]
    # A direction's sign is arbitrary: point each one towards its largest coordinate.
    signs = torch.sign(directions.gather(1, directions.abs().argmax(1, keepdim=True)))
    directions = directions * torch.where(signs == 0, torch.ones_like(signs), signs)
    spread = s[:k] / math.sqrt(max(n - 1, 1))
    centres, sizes = kmeans(codes, clusters=max(1, min(presets, n)), seed=seed)
    order = torch.argsort(sizes, descending=True, stable=True)
    centres = centres[order]
    nearest = torch.cdist(centres, codes).argmin(1).tolist()
    extras = {
        "style_mean": mean.float(),
        "style_components": directions.float().contiguous(),
        "style_spread": spread.float(),
        "style_presets": centres.float().contiguous(),
    }
    return extras, nearest


def kmeans(points: torch.Tensor, *, clusters: int, seed: int = 0, iterations: int = 50) -> tuple[torch.Tensor, torch.Tensor]:
    """Lloyd's k-means with k-means++ seeding; (centres m x d, cluster sizes m)."""
    gen = torch.Generator().manual_seed(seed)
    n = points.shape[0]
    centres = [points[int(torch.randint(0, n, (), generator=gen))]]
    for _ in range(1, clusters):
        d2 = torch.cdist(points, torch.stack(centres)).min(1).values.pow(2)
        if float(d2.sum()) <= 0:
            centres.append(points[int(torch.randint(0, n, (), generator=gen))])
            continue
        centres.append(points[int(torch.multinomial(d2 / d2.sum(), 1, generator=gen))])
    c = torch.stack(centres)
    assign = torch.zeros(n, dtype=torch.long)
    for _ in range(iterations):
        assign = torch.cdist(points, c).argmin(1)
        new = torch.stack([points[assign == j].mean(0) if (assign == j).any() else c[j] for j in range(clusters)])
        if torch.equal(new, c):
            break
        c = new
    sizes = torch.bincount(assign, minlength=clusters)
    return c, sizes
