"""Line following: a differentiable stand-in for the evaluation's edge F1 (issue #41).

The evaluation draws a sketch of each render (engine.edges: smoothing, then Canny with thresholds
taken from the picture's own gradients) and compares it with the input sketch. This loss does the
same softly: a pixel is an "edge" when its smoothed luminance gradient is among the picture's
strongest `share` (a per-picture threshold, as Canny's), and

- recall: each drawn line should have an edge within `tolerance` px of it;
- precision: the edges should lie within `tolerance` px of a drawn line.

Because the threshold is relative, texture weaker than the picture's contours (fur, grain) costs
little: where the strongest gradients lie counts, not how flat the rest is. (Where the contours fill
less than `share` of the picture, the strongest texture makes up the rest and does count: real cat
photos score about 0.6 against their own sketches, not 0.)
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.images import LUMA_WEIGHTS

from .blur import gaussian_taps, separable_blur

REFERENCE_SIDE = 256  # the blur is sized for a 256 px short side and scales with the picture
# Chosen on 40 held-out cats (runs/f1): of sigma 1-4 and share 0.05-0.15, these set real photos
# furthest apart from today's random-z renders (loss 0.60 against 0.84); a smaller blur keeps fur.
BLUR_SIGMA = 3.0
EDGE_SHARE = 0.15
SOFTNESS = 0.25  # width of the soft threshold, as a fraction of the threshold


def _blurred_luminance(images: torch.Tensor, *, sigma: float) -> torch.Tensor:
    """N x 3 x H x W in [-1, 1] -> N x 1 x H x W luminance in [0, 1], Gaussian-blurred (replicate edges)."""
    weights = torch.tensor(LUMA_WEIGHTS, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    grey = ((images + 1) / 2 * weights).sum(1, keepdim=True)
    radius = max(1, round(3 * sigma))
    taps = gaussian_taps(window=2 * radius + 1, sigma=sigma, dtype=images.dtype, device=images.device)
    return separable_blur(F.pad(grey, (radius, radius, radius, radius), mode="replicate"), taps)


def soft_edges(images: torch.Tensor, *, sigma: float = BLUR_SIGMA, share: float = EDGE_SHARE) -> torch.Tensor:
    """N x 3 x H x W in [-1, 1] -> N x 1 x H x W in (0, 1): how surely each pixel is among the
    picture's strongest `share` of (smoothed) luminance gradients."""
    scale = min(images.shape[-2:]) / REFERENCE_SIDE
    grey = F.pad(_blurred_luminance(images.float(), sigma=sigma * scale), (1, 1, 1, 1), mode="replicate")
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], device=images.device)
    gx = F.conv2d(grey, sobel.view(1, 1, 3, 3))
    gy = F.conv2d(grey, sobel.t().contiguous().view(1, 1, 3, 3))
    magnitude = (gx.pow(2) + gy.pow(2) + 1e-8).sqrt()
    # The threshold moves with the picture (a dark photo has weaker gradients), not with the gradient step.
    threshold = torch.quantile(magnitude.detach().flatten(1), 1 - share, dim=1).clamp_min(1e-4).view(-1, 1, 1, 1)
    return torch.sigmoid((magnitude - threshold) / (SOFTNESS * threshold))


def require_sketch_input(*, input_kind: str, weight: float) -> None:
    """A trainer's check: lambda_lines > 0 needs drawn lines to follow."""
    if weight and input_kind != "sketch":
        raise ValueError(f"lambda_lines follows a sketch's lines; input_kind is {input_kind!r}")


def line_following_loss(render: torch.Tensor, sketch: torch.Tensor, *, tolerance: int = 2) -> torch.Tensor:
    """(1 - recall) + (1 - precision) of render's soft edges against the sketch's ink.

    render: N x 3 x H x W in [-1, 1]; sketch: N x 1 x H x W in [-1, 1], ink below 0 (the model's input).
    """
    if render.shape[0] != sketch.shape[0] or render.shape[-2:] != sketch.shape[-2:] or sketch.shape[1] != 1:
        raise ValueError(f"expected a render N x 3 x H x W and its sketch N x 1 x H x W, got {tuple(render.shape)} and {tuple(sketch.shape)}")
    window = 2 * tolerance + 1
    edges = soft_edges(render)
    ink = (sketch.float() < 0).float()
    edge_near = F.max_pool2d(edges, window, stride=1, padding=tolerance)
    ink_near = F.max_pool2d(ink, window, stride=1, padding=tolerance)
    missed = (ink * (1 - edge_near)).sum((1, 2, 3)) / ink.sum((1, 2, 3)).clamp_min(1.0)
    stray = (edges * (1 - ink_near)).sum((1, 2, 3)) / edges.sum((1, 2, 3)).clamp_min(1e-6)
    # A blank sketch has no lines to miss; its stray term alone would ask for a flat picture, so it is skipped.
    has_ink = (ink.sum((1, 2, 3)) > 0).float()
    return ((missed + stray) * has_ink).sum() / has_ink.sum().clamp_min(1.0)
