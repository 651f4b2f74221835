"""GAN objectives and the auxiliary losses of the four papers."""
from __future__ import annotations

import torch
import torch.nn.functional as F

GAN_MODES = ("vanilla", "lsgan", "hinge")


def gan_loss(prediction: torch.Tensor, *, real: bool, mode: str, for_discriminator: bool = True) -> torch.Tensor:
    """vanilla: BCE with logits (pix2pix); lsgan: least squares (CycleGAN, BicycleGAN); hinge (SPADE)."""
    prediction = prediction.float()
    if mode == "vanilla":
        target = torch.ones_like(prediction) if real else torch.zeros_like(prediction)
        return F.binary_cross_entropy_with_logits(prediction, target)
    if mode == "lsgan":
        return F.mse_loss(prediction, torch.full_like(prediction, 1.0 if real else 0.0))
    if mode == "hinge":
        if not for_discriminator:
            return -prediction.mean()
        return F.relu(1.0 - prediction).mean() if real else F.relu(1.0 + prediction).mean()
    raise ValueError(f"unknown gan mode {mode!r}; valid: {', '.join(GAN_MODES)}")


def multiscale_gan_loss(outputs: list[list[torch.Tensor]], *, real: bool, mode: str, for_discriminator: bool) -> torch.Tensor:
    """Mean over the scales of a multiscale D, on each scale's final map."""
    return sum(gan_loss(o[-1], real=real, mode=mode, for_discriminator=for_discriminator) for o in outputs) / len(outputs)


def feature_matching_loss(fake: list[list[torch.Tensor]], real: list[list[torch.Tensor]]) -> torch.Tensor:
    """L1 between D's intermediate features on fake and real, averaged over scales (pix2pixHD/SPADE)."""
    total = fake[0][0].new_zeros(())
    for f_scale, r_scale in zip(fake, real, strict=True):
        for f, r in zip(f_scale[:-1], r_scale[:-1], strict=True):
            total = total + F.l1_loss(f.float(), r.detach().float())
    return total / len(fake)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma) || N(0, 1)), summed over latent dims; divided by the batch so its weight does not depend on batch size."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / mu.shape[0]


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    eps = torch.randn(mu.shape, generator=generator, device="cpu").to(mu.device, mu.dtype) if generator else torch.randn_like(mu)
    return mu + eps * torch.exp(0.5 * logvar)


def mode_seeking_loss(first: torch.Tensor, second: torch.Tensor, *, z_first: torch.Tensor, z_second: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Mode seeking (Mao et al. 2019): two renders of one input from two latents should differ as
    much as the latents do. Per sample, ratio = mean |first - second| / mean |z_first - z_second|;
    the loss is the batch mean of 1 / (ratio + eps), large when G ignores z. The latents are constants."""
    images = (first.float() - second.float()).abs().flatten(1).mean(1)
    latents = (z_first.detach().float() - z_second.detach().float()).abs().flatten(1).mean(1)
    return (1.0 / (images / latents + eps)).mean()


def central_half(images: torch.Tensor) -> torch.Tensor:
    """The middle half of each side of [...] x H x W images (a view): where a centred subject (a cat)
    is. Training's centre-only mode seeking and evaluation's centre figures share it."""
    h, w = images.shape[-2:]
    return images[..., h // 4 : h - h // 4, w // 4 : w - w // 4]


def region_colour_loss(
    render: torch.Tensor, style: torch.Tensor, *, render_labels: torch.Tensor, style_labels: torch.Tensor, size: tuple[int, int] = (32, 40), min_share: float = 0.01
) -> torch.Tensor:
    """How far a render's colours are from its style photo's: L1 between the mean colours of each
    class both pictures show (at least min_share of each), plus L1 between the two whole-picture
    means. Images N x 3 x H x W in [-1, 1]; labels one-hot N x K x H x W (each its own layout, so a
    style photo with other streets still sets the sky's, the road's and the whole picture's light).
    Means are taken at `size`: colour statistics need no detail."""
    def class_means(image: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        image = F.adaptive_avg_pool2d(image.float(), size).flatten(2)  # N x 3 x P
        share = F.adaptive_avg_pool2d(labels.float(), size).flatten(2)  # N x K x P, soft class shares
        mass = share.sum(2)  # N x K
        means = torch.einsum("nkp,ncp->nkc", share, image) / mass.clamp_min(1e-6)[..., None]
        return means, mass / share.shape[2]

    ours, our_share = class_means(render, render_labels)
    theirs, their_share = class_means(style, style_labels)
    both = ((our_share >= min_share) & (their_share >= min_share)).float()[..., None]
    per_class = ((ours - theirs.detach()).abs() * both).sum() / (both.sum() * 3).clamp_min(1.0)
    whole = (render.float().mean((2, 3)) - style.float().mean((2, 3)).detach()).abs().mean()
    return per_class + whole
