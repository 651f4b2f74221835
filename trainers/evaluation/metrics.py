"""Image-quality and task metrics for the evaluation reports: pure functions, no state, no I/O.

Image tensors are float N x C x H x W in [-1, 1], the generators' output range. Sketches are
H x W uint8 with ink 0 and paper 255, the engine's sketch convention.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..blur import gaussian_taps, separable_blur
from ..losses import central_half

# A finite PSNR for identical images keeps averages finite and reports valid JSON (which has no inf);
# float32 rounding alone already puts near-identical images below this.
PSNR_CAP_DB = 100.0

_SSIM_WINDOW = 11
_SSIM_SIGMA = 1.5
_SSIM_K1, _SSIM_K2 = 0.01, 0.03


def _check_pair(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.dim() != 4 or a.shape != b.shape:
        raise ValueError(f"expected two N x C x H x W tensors of one shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def l1(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean absolute difference on the [-1, 1] scale, the scale of pix2pix's L1 loss."""
    _check_pair(a, b)
    return (a.float() - b.float()).abs().mean().item()


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """Peak signal-to-noise ratio in dB on the [0, 1] scale, per image, averaged over images.

    Each image is capped at PSNR_CAP_DB, so identical images give the cap rather than inf.
    """
    _check_pair(a, b)
    a01 = (a.float().clamp(-1, 1) + 1) / 2
    b01 = (b.float().clamp(-1, 1) + 1) / 2
    mse = (a01 - b01).pow(2).flatten(1).mean(dim=1).double()
    floor = 10.0 ** (-PSNR_CAP_DB / 10.0)
    per_image = -10.0 * torch.log10(mse.clamp_min(floor))
    return per_image.mean().item()


def ssim(a: torch.Tensor, b: torch.Tensor) -> float:
    """Structural similarity (Wang et al. 2004) on the [0, 1] scale.

    Gaussian window 11 x 11, sigma 1.5, K1 = 0.01, K2 = 0.03, data range 1; only windows that fit
    inside the image count (as the reference MATLAB code); averaged over pixels, channels, images.
    """
    _check_pair(a, b)
    if min(a.shape[-2:]) < _SSIM_WINDOW:
        raise ValueError(f"SSIM needs images at least {_SSIM_WINDOW} px on each side, got {tuple(a.shape[-2:])}")
    x = (a.double().clamp(-1, 1) + 1) / 2
    y = (b.double().clamp(-1, 1) + 1) / 2
    c = x.shape[1]
    # The five local means in one pass, and the Gaussian as two 1-D passes (it is separable):
    # float64 convolutions have no fast kernel, and this is 10x fewer operations than 11 x 11 x 5.
    stack = torch.cat([x, y, x * x, y * y, x * y], dim=1)
    stack = separable_blur(stack, gaussian_taps(window=_SSIM_WINDOW, sigma=_SSIM_SIGMA, dtype=torch.float64, device=x.device))
    mu_x, mu_y, xx, yy, xy = stack.split(c, dim=1)
    var_x = xx - mu_x.pow(2)
    var_y = yy - mu_y.pow(2)
    cov = xy - mu_x * mu_y
    c1, c2 = _SSIM_K1**2, _SSIM_K2**2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x.pow(2) + mu_y.pow(2) + c1) * (var_x + var_y + c2))
    return ssim_map.mean().item()


def confusion_matrix(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    num_classes: int,
    ignore_index: int | None = None,
) -> torch.Tensor:
    """num_classes x num_classes counts, rows = target class, columns = predicted class.

    Sum these over a dataset and score once: averaging per-batch scores would weight batches, not pixels.
    Target pixels equal to ignore_index (or outside 0..num_classes-1) are left out.
    """
    if pred.shape != target.shape:
        raise ValueError(f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    p = pred.reshape(-1).long()
    t = target.reshape(-1).long()
    keep = (t >= 0) & (t < num_classes)
    if ignore_index is not None:
        keep &= t != ignore_index
    p, t = p[keep], t[keep]
    if p.numel() and (p.min() < 0 or p.max() >= num_classes):
        raise ValueError(f"predicted class ids must lie in 0..{num_classes - 1}")
    counts = torch.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def scores_from_confusion(confusion: torch.Tensor) -> dict[str, float]:
    """Pixel accuracy, and class accuracy and IoU averaged over the classes present in the target."""
    cm = confusion.double()
    total = cm.sum()
    if total == 0:
        raise ValueError("confusion matrix is empty: no labelled pixels")
    hits = cm.diagonal()
    in_target = cm.sum(dim=1)
    in_pred = cm.sum(dim=0)
    present = in_target > 0
    class_acc = hits[present] / in_target[present]
    iou = hits[present] / (in_target[present] + in_pred[present] - hits[present])
    return {
        "pixel_accuracy": (hits.sum() / total).item(),
        "class_accuracy": class_acc.mean().item(),
        "mean_iou": iou.mean().item(),
    }


def segmentation_scores(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    num_classes: int,
    ignore_index: int | None = None,
) -> dict[str, float]:
    """The pix2pix "FCN-score" numbers for predicted vs target label maps (N x H x W class ids)."""
    cm = confusion_matrix(pred, target, num_classes=num_classes, ignore_index=ignore_index)
    return scores_from_confusion(cm)


def _near_ink(sketch: np.ndarray, tolerance: int) -> np.ndarray:
    """Mask of pixels within `tolerance` px (Euclidean) of an ink pixel of `sketch`."""
    paper = (sketch >= 128).astype(np.uint8)  # distanceTransform measures distance to the nearest zero
    distance = cv2.distanceTransform(paper, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return distance <= tolerance


def edge_f1(sketch_a: np.ndarray, sketch_b: np.ndarray, *, tolerance: int = 2) -> float:
    """F1 of sketch_b's strokes against reference sketch_a, allowing `tolerance` px of misplacement.

    Precision: share of b's ink within tolerance of a's ink; recall: share of a's ink within tolerance
    of b's ink. Both blank gives 1.0; exactly one blank gives 0.0.
    """
    if sketch_a.shape != sketch_b.shape or sketch_a.ndim != 2:
        raise ValueError(f"expected two H x W sketches of one shape, got {sketch_a.shape} and {sketch_b.shape}")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    ink_a = sketch_a < 128
    ink_b = sketch_b < 128
    n_a, n_b = int(ink_a.sum()), int(ink_b.sum())
    if n_a == 0 and n_b == 0:
        return 1.0
    if n_a == 0 or n_b == 0:
        return 0.0
    precision = float((ink_b & _near_ink(sketch_a, tolerance)).sum()) / n_b
    recall = float((ink_a & _near_ink(sketch_b, tolerance)).sum()) / n_a
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def colour_shift(a: torch.Tensor, b: torch.Tensor, *, sigma: float = 8.0) -> float:
    """L1 ([-1, 1] scale) between the two images blurred by a Gaussian of `sigma` px: what a
    translation did to colours and light, with texture (a zebra's stripes) averaged out."""
    _check_pair(a, b)
    radius = int(3 * sigma)
    taps = gaussian_taps(window=2 * radius + 1, sigma=sigma, dtype=torch.float32, device=a.device)
    # The difference blurs as the two images would: one pass instead of two.
    diff = F.pad(a.float() - b.float(), (radius, radius, radius, radius), mode="replicate")
    return separable_blur(diff, taps).abs().mean().item()


def pairwise_l1_map(samples: torch.Tensor) -> torch.Tensor:
    """K x C x H x W samples for one input -> H x W: per pixel, the L1 ([-1, 1] scale, mean over
    channels) averaged over all K(K-1)/2 pairs. Its mean is the diversity; its parts say where."""
    if samples.dim() != 4 or samples.shape[0] < 2:
        raise ValueError(f"expected K x C x H x W with K >= 2, got {tuple(samples.shape)}")
    samples = samples.float()
    k = samples.shape[0]
    total = sum((samples[i] - samples[j]).abs().mean(0) for i in range(k) for j in range(i + 1, k))
    return total / (k * (k - 1) / 2)


def mean_pairwise_l1(samples: torch.Tensor) -> float:
    """Diversity of K samples for one input: mean L1 ([-1, 1] scale) over all K(K-1)/2 pairs."""
    return float(pairwise_l1_map(samples).mean())


def centre_and_border_l1(l1_map: torch.Tensor) -> tuple[float, float]:
    """A pairwise_l1_map's mean inside the central half of each side (where a centred subject such
    as a cat's face is) and outside it: do the variations change the subject or only the background?"""
    inside = torch.zeros(l1_map.shape, dtype=torch.bool)
    central_half(inside).fill_(True)  # a view: the same central half the training's centre terms use
    return float(l1_map[inside].mean()), float(l1_map[~inside].mean())


__all__ = [
    "PSNR_CAP_DB",
    "centre_and_border_l1",
    "colour_shift",
    "confusion_matrix",
    "edge_f1",
    "l1",
    "mean_pairwise_l1",
    "pairwise_l1_map",
    "psnr",
    "scores_from_confusion",
    "segmentation_scores",
    "ssim",
]
