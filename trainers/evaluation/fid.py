"""FID and KID between two sets of images, from Inception pool3 features.

The Inception weights are not shipped and never downloaded: point GANVAS_INCEPTION (or the `path`
argument) at the FID Inception weights (.safetensors, or the PyTorch state dict that common FID
tools use, pt_inception-2015-12-05). Without them, inception_or_none() says so and returns None,
and the evaluation skips FID/KID rather than report numbers from a different network.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .inception import InceptionFeatures, inception_features, load_inception

log = logging.getLogger(__name__)

INCEPTION_ENV = "GANVAS_INCEPTION"


def inception_or_none(path: Path | None = None) -> InceptionFeatures | None:
    """The FID Inception from `path`, else from $GANVAS_INCEPTION, else None (with a log line saying why)."""
    source = path if path is not None else os.environ.get(INCEPTION_ENV)
    if not source:
        log.warning(
            "FID/KID skipped: no Inception weights. To enable them, set %s (or pass a path) to the FID "
            "Inception weights file (.safetensors or a PyTorch state dict such as "
            "pt_inception-2015-12-05-6726825d.pth).", INCEPTION_ENV,
        )
        return None
    source = Path(source)
    if not source.is_file():
        log.warning("FID/KID skipped: Inception weights file %s does not exist (from %s).", source,
                    "the path argument" if path is not None else f"${INCEPTION_ENV}")
        return None
    return load_inception(source)


def _as_numpy(features: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(features, torch.Tensor):
        features = features.detach().cpu().numpy()
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2:
        raise ValueError(f"features must be N x D, got shape {f.shape}")
    return f


def _sqrt_psd(m: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric positive semi-definite matrix, via eigh."""
    w, v = np.linalg.eigh((m + m.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Squared Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2).

    |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^1/2), where tr((S1 S2)^1/2) is computed as the sum
    of square roots of the eigenvalues of S1^1/2 S2 S1^1/2 (symmetric, same spectrum as S1 S2). Unlike
    sqrtm of the non-symmetric product this needs no scipy and stays real for singular covariances
    (fewer samples than feature dimensions).
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise ValueError(f"shape mismatch: mu {mu1.shape}/{mu2.shape}, sigma {s1.shape}/{s2.shape}")
    root1 = _sqrt_psd(s1)
    middle = root1 @ s2 @ root1
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    tr_covmean = np.sqrt(np.clip(eig, 0, None)).sum()
    diff = mu1 - mu2
    value = diff @ diff + np.trace(s1) + np.trace(s2) - 2 * tr_covmean
    return float(max(value, 0.0))  # round-off can dip a hair below zero for equal sets


def fid_from_features(f1: torch.Tensor | np.ndarray, f2: torch.Tensor | np.ndarray) -> float:
    """FID between two N x D feature sets (each N >= 2)."""
    a, b = _as_numpy(f1), _as_numpy(f2)
    if len(a) < 2 or len(b) < 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"need two N x D sets with N >= 2 and equal D, got {a.shape} and {b.shape}")
    return frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def _polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # The KID paper's kernel (Bińkowski et al. 2018): (x.y / d + 1)^3.
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def kid_subset_estimates(
    f1: torch.Tensor | np.ndarray,
    f2: torch.Tensor | np.ndarray,
    *,
    subsets: int = 100,  # random subset pairs
    subset_size: int = 1000,  # samples per subset; clipped to the smaller set
    seed: int = 0,  # subset sampling, so a report is reproducible
) -> np.ndarray:
    """Kernel Inception Distance on each random subset pair: unbiased MMD^2, cubic polynomial kernel."""
    a, b = _as_numpy(f1), _as_numpy(f2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature dimensions differ: {a.shape[1]} vs {b.shape[1]}")
    m = min(subset_size, len(a), len(b))
    if m < 2:
        raise ValueError(f"KID needs at least 2 samples per set, got {len(a)} and {len(b)}")
    rng = np.random.default_rng(seed)
    estimates = np.empty(subsets)
    for i in range(subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx, kyy, kxy = _polynomial_kernel(x, x), _polynomial_kernel(y, y), _polynomial_kernel(x, y)
        within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        estimates[i] = within - 2 * kxy.mean()
    return estimates


def kid_from_features(
    f1: torch.Tensor | np.ndarray,
    f2: torch.Tensor | np.ndarray,
    *,
    subsets: int = 100,  # random subset pairs averaged over
    subset_size: int = 1000,  # samples per subset; clipped to the smaller set
    seed: int = 0,  # subset sampling, so a report is reproducible
) -> float:
    """Kernel Inception Distance: the mean of `kid_subset_estimates`."""
    return float(np.mean(kid_subset_estimates(f1, f2, subsets=subsets, subset_size=subset_size, seed=seed)))


@torch.no_grad()
def fid_kid(
    images_a: torch.Tensor,
    images_b: torch.Tensor,
    *,
    net: nn.Module,
    batch_size: int = 50,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
) -> dict[str, float]:
    """FID and KID between two image sets in [-1, 1] (N x C x H x W), sharing one feature pass each."""
    fa = inception_features(net, images_a, batch_size=batch_size)
    fb = inception_features(net, images_b, batch_size=batch_size)
    return {
        "fid": fid_from_features(fa, fb),
        "kid": kid_from_features(fa, fb, subsets=kid_subsets, subset_size=kid_subset_size),
    }
