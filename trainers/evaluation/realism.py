"""KID-Lite1: how much generated photos look like real ones, in pretrained ImageNet features.

KID (Bińkowski et al. 2018: unbiased MMD^2, cubic polynomial kernel, reported x1000) between images
and a reference set of real photos, in the pooled 1280-d head features of EfficientNet-Lite1, a
network no GANvas training ever uses (the projected discriminator and the perceptual loss read
Lite0), so a generator cannot learn to game it. Unlike edge F1 or FCN-score it sees blur, smears
and noise texture.

A score means little alone, so it comes with two reference rows against the same reference set:
real held-out photos (real vs real, the floor) and the same photos blurred with a Gaussian of
radius 4 px (what a blurry model would score). A model is photographic when it scores well below
the blurred row. All images are resized to Lite1's 240 x 240 alike.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFilter

from ..pretrained.efficientnet_lite import NATIVE_SIZE, load_efficientnet_lite
from .fid import kid_subset_estimates

BLUR_RADIUS = 4.0  # px, at the photo's own resolution
SIDE = NATIVE_SIZE["lite1"]


def _tensor(image: np.ndarray | torch.Tensor) -> torch.Tensor:
    """HxWx3 uint8, or 1x3xHxW / 3xHxW in [-1, 1] -> 1 x 3 x SIDE x SIDE in [-1, 1]."""
    if isinstance(image, np.ndarray):
        image = torch.from_numpy(np.array(image, dtype=np.float32)).permute(2, 0, 1) / 127.5 - 1.0
    image = image.float().reshape(1, 3, *image.shape[-2:])
    return F.interpolate(image, size=(SIDE, SIDE), mode="bilinear", antialias=True, align_corners=False).clamp(-1, 1)


@torch.no_grad()
def lite1_features(images: list, *, batch_size: int = 32) -> torch.Tensor:
    """N x 1280 pooled EfficientNet-Lite1 features of uint8 photos or [-1, 1] tensors."""
    net = load_efficientnet_lite("lite1")
    out = []
    for start in range(0, len(images), batch_size):
        batch = torch.cat([_tensor(i) for i in images[start : start + batch_size]])
        out.append(net.pooled(batch))
    return torch.cat(out)


@torch.no_grad()
def top1_share(images: list, *, imagenet_class: int, batch_size: int = 32) -> float:
    """The share of images whose ImageNet top-1 class by EfficientNet-Lite1 is `imagenet_class`
    (e.g. 340 "zebra"): a second judge of a translation that no training reads."""
    if not images:
        raise ValueError("top-1 share of no images")
    net = load_efficientnet_lite("lite1")
    hits = 0
    for start in range(0, len(images), batch_size):
        batch = torch.cat([_tensor(i) for i in images[start : start + batch_size]])
        hits += int((net(batch).argmax(dim=1) == imagenet_class).sum())
    return hits / len(images)


def blurred(photos: list[np.ndarray], *, radius: float = BLUR_RADIUS) -> list[np.ndarray]:
    return [np.asarray(Image.fromarray(p).filter(ImageFilter.GaussianBlur(radius))) for p in photos]


def kid_x1000(a: torch.Tensor, b: torch.Tensor, *, seed: int = 0) -> tuple[float, float]:
    """KID x1000 and its spread: the standard deviation of the subset estimates (x1000)."""
    # Subsets of half the smaller set: the estimate stays unbiased, and differs across subsets.
    size = max(2, min(len(a), len(b)) // 2)
    estimates = 1000.0 * kid_subset_estimates(a, b, subsets=100, subset_size=size, seed=seed)
    return float(estimates.mean()), float(estimates.std())


def realism(generated: list, held_out: list[np.ndarray], reference: list[np.ndarray], *, reference_features: torch.Tensor | None = None) -> dict:
    """KID-Lite1 x1000 of the generated images, of the held-out real photos and of those photos
    blurred, each against `reference` (real photos of another split; `reference_features`: their
    Lite1 features where the caller has them already)."""
    if min(len(generated), len(held_out), len(reference)) < 4:
        raise ValueError(f"KID needs at least 4 images per set, got {len(generated)}, {len(held_out)}, {len(reference)}")
    ref = lite1_features(reference) if reference_features is None else reference_features
    score, spread = kid_x1000(lite1_features(generated), ref)
    return {
        # Two models whose scores differ by well under the spread are not told apart by this score.
        "kid_lite1_x1000": score, "kid_lite1_x1000_spread": spread,
        "real_vs_real": kid_x1000(lite1_features(held_out), ref)[0],
        "real_blurred": kid_x1000(lite1_features(blurred(held_out)), ref)[0],
        "n_generated": len(generated), "n_reference": len(reference), "blur_radius_px": BLUR_RADIUS,
    }
