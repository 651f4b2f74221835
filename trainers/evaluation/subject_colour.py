"""How much the subject's colour changes between samples of one input: the mean colour of the
picture's central half (a cat's coat), in CIELAB, per sample. An L1 diversity cannot tell a new coat
from a brighter background; these figures can: the mean colour difference between samples (delta E,
~2.3 is a just noticeable difference) and the spread of their hue (chroma-weighted, so a grey sample,
whose hue means nothing, counts little)."""
from __future__ import annotations

import numpy as np
import torch

from ..losses import central_half

D65_WHITE = np.array([0.95047, 1.0, 1.08883])
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """... x 3 sRGB in [0, 1] -> ... x 3 CIELAB (L in 0-100), D65."""
    rgb = np.clip(np.asarray(rgb, dtype=np.float64), 0, 1)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ SRGB_TO_XYZ.T / D65_WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def centre_colours(samples: torch.Tensor) -> np.ndarray:
    """K x 3 x H x W samples in [-1, 1] -> K x 3 CIELAB mean colours of each sample's central half."""
    centre = central_half(samples).float()
    rgb = ((centre.mean((2, 3)) + 1) / 2).cpu().numpy()
    return srgb_to_lab(rgb)


def subject_colour_spread(samples: torch.Tensor) -> dict[str, float]:
    """K >= 2 samples of one input -> {"delta_e": mean pairwise CIELAB distance of the central half's
    mean colours, "hue_spread_deg": their chroma-weighted circular hue spread}."""
    if samples.dim() != 4 or samples.shape[0] < 2:
        raise ValueError(f"expected K x 3 x H x W with K >= 2, got {tuple(samples.shape)}")
    lab = centre_colours(samples)
    k = len(lab)
    delta_e = np.mean([np.linalg.norm(lab[i] - lab[j]) for i in range(k) for j in range(i + 1, k)])
    ab = lab[:, 1:]
    chroma = np.linalg.norm(ab, axis=1)
    # Circular spread of hue angles, each sample weighted by its chroma: sqrt(-2 ln R), R the length
    # of the weighted mean unit vector (0 degrees when every sample has one hue).
    resultant = np.linalg.norm(ab.sum(0)) / max(chroma.sum(), 1e-9)
    spread = np.degrees(np.sqrt(-2 * np.log(np.clip(resultant, 1e-9, 1.0))))
    return {"delta_e": float(delta_e), "hue_spread_deg": float(spread)}
