"""Make computed edge maps look hand drawn, so sketch models also work on what users draw.

A model trained only on photo_to_sketch output learns its exact line width, its perfectly
registered contours and its completeness. People draw with other pens, miss strokes and wobble.
Each sample of a batch independently gets (in this order):

- width: the pen is made thicker (max-pool over ink) or thinner (never below 1 px, so no stroke is lost);
- wobble: a smooth random displacement field (a few control points per side) bends the lines;
- drops: ink is erased inside a few smooth random blobs, as if strokes were never drawn.

Works on float N x 1 x H x W batches in [-1, 1] (ink -1, paper +1) on any device; every random
number comes from the CPU generator handed in, so augmentations are reproducible.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["augment_sketches"]

_WOBBLE_CELL = 24  # px between displacement control points: lines bend over ~2 cells
_DROP_GRID = 6  # control points per side of the blob field: blobs span ~1/6 of the image
_DROP_COVERAGE = (0.08, 0.3)  # share of the image erased when a sample gets drops
_RESAMPLE_GAIN = 1.6  # ink boost after bilinear resampling


def augment_sketches(
    sketches: torch.Tensor,
    *,
    generator: torch.Generator,  # CPU generator: the only source of randomness
    width_jitter: int = 1,  # the pen changes by up to this many px of line width, either way
    drop_prob: float = 0.3,  # chance per sample that some strokes are erased
    wobble: float = 1.5,  # largest displacement of a line, px
) -> torch.Tensor:
    """Randomly re-draw a batch of sketches (N x 1 x H x W, [-1, 1]); returns a new tensor."""
    if sketches.ndim != 4 or sketches.shape[1] != 1:
        raise ValueError(f"expected N x 1 x H x W sketches, got shape {tuple(sketches.shape)}")
    if not sketches.is_floating_point():
        raise ValueError(f"expected a float batch in [-1, 1], got {sketches.dtype}")
    ink = ((1.0 - sketches) * 0.5).clamp(0.0, 1.0)
    # Width first, on the crisp lines: eroding after resampling would leave faint grey strokes.
    if width_jitter > 0:
        ink = _jitter_width(ink, max_change=width_jitter, generator=generator)
    if wobble > 0:
        ink = _wobble(ink, amplitude=wobble, generator=generator)
    if drop_prob > 0:
        ink = _drop_strokes(ink, prob=drop_prob, generator=generator)
    return (1.0 - 2.0 * ink).to(sketches.dtype)


def _smooth_noise(
    n: int, channels: int, grid: tuple[int, int], size: tuple[int, int], *, generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """Gaussian noise on a coarse grid of control points, bicubically upsampled to size."""
    coarse = torch.randn((n, channels, *grid), generator=generator).to(device)
    return F.interpolate(coarse, size=size, mode="bicubic", align_corners=True)


def _wobble(ink: torch.Tensor, *, amplitude: float, generator: torch.Generator) -> torch.Tensor:
    n, _, h, w = ink.shape
    grid = (max(2, round(h / _WOBBLE_CELL) + 1), max(2, round(w / _WOBBLE_CELL) + 1))
    strength = (torch.rand(n, generator=generator) * amplitude).to(ink.device)
    disp = _smooth_noise(n, 2, grid, (h, w), generator=generator, device=ink.device)
    # Scale each field so its largest shift is the sample's strength, then px -> [-1, 1] units.
    peak = disp.abs().amax(dim=(1, 2, 3)).clamp_min(1e-6)
    disp = disp * (strength / peak)[:, None, None, None]
    disp = disp * torch.tensor([2.0 / w, 2.0 / h], device=ink.device)[None, :, None, None]
    # Pixel centres in grid_sample's [-1, 1] units (align_corners=False), x first.
    xs = (torch.arange(w, device=ink.device, dtype=ink.dtype) * 2 + 1) / w - 1
    ys = (torch.arange(h, device=ink.device, dtype=ink.dtype) * 2 + 1) / h - 1
    base = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)[None]
    coords = base + disp.permute(0, 2, 3, 1)
    # Outside the page is paper: zero ink.
    bent = F.grid_sample(ink, coords, mode="bilinear", padding_mode="zeros", align_corners=False)
    # Resampling splits a 1 px line over two pixels at half strength; a pen stroke has a dark core.
    return (bent * _RESAMPLE_GAIN).clamp_(max=1.0)


def _dilate(ink: torch.Tensor, k: int) -> torch.Tensor:
    """Widen lines by k px (a k+1 square window, split padding so even k stays centred on average)."""
    padded = F.pad(ink, (k // 2, k - k // 2, k // 2, k - k // 2))
    return F.max_pool2d(padded, k + 1, stride=1)


def _thin(ink: torch.Tensor, k: int) -> torch.Tensor:
    """Narrow lines by k px, but never below 1 px: plain erosion would delete thin strokes.

    Each step clears an ink pixel only where the run it ends is at least 2 px long across it:
    the bottom pixel of a vertical run, then the right pixel of a horizontal run.
    """
    for _ in range(k):
        for dim in (2, 3):
            dark = ink >= 0.5
            after = F.pad(dark, (0, 1) if dim == 3 else (0, 0, 0, 1)).narrow(dim, 1, ink.shape[dim])
            before = F.pad(dark, (1, 0) if dim == 3 else (0, 0, 1, 0)).narrow(dim, 0, ink.shape[dim])
            ink = torch.where(dark & before & ~after, torch.zeros_like(ink), ink)
    return ink


def _jitter_width(ink: torch.Tensor, *, max_change: int, generator: torch.Generator) -> torch.Tensor:
    change = torch.randint(-max_change, max_change + 1, (ink.shape[0],), generator=generator)
    out = ink.clone()
    for c in change.unique().tolist():
        if c == 0:
            continue
        idx = (change == c).nonzero().flatten().to(ink.device)
        part = ink.index_select(0, idx)
        out.index_copy_(0, idx, _dilate(part, c) if c > 0 else _thin(part, -c))
    return out


def _drop_strokes(ink: torch.Tensor, *, prob: float, generator: torch.Generator) -> torch.Tensor:
    n, _, h, w = ink.shape
    chosen = torch.rand(n, generator=generator) < prob
    low, high = _DROP_COVERAGE
    coverage = low + (high - low) * torch.rand(n, generator=generator)
    # Threshold a 64 x 64 field at each sample's quantile, then upsample the soft mask.
    field = _smooth_noise(n, 1, (_DROP_GRID, _DROP_GRID), (64, 64), generator=generator, device=ink.device)
    flat = field.flatten(1).sort(dim=1).values
    rank = ((1.0 - coverage) * (flat.shape[1] - 1)).long().to(ink.device)
    threshold = flat.gather(1, rank[:, None])[:, :, None, None]
    spread = field.flatten(1).std(dim=1)[:, None, None, None].clamp_min(1e-6)
    erase = torch.sigmoid((field - threshold) / (0.05 * spread))
    erase = erase * chosen.to(ink.device, ink.dtype)[:, None, None, None]
    erase = F.interpolate(erase, size=(h, w), mode="bilinear", align_corners=False)
    return ink * (1.0 - erase)
