"""Random zoomed crops for the projected discriminator's second set of heads.

At 256 px a cat's mouth or eye spans 15-30 px: a few positions of the backbone's stride-4 map, where
ImageNet features read texture but not what the part is. A crop of half the side, scaled back up to the
full size, shows the same parts at twice the scale, as ImageNet's close-ups do (Projected GAN's heads
see only the whole picture).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def random_zoom(images: torch.Tensor, *, crop: float) -> torch.Tensor:
    """N x C x H x W -> each picture's own random crop of `crop` of each side, resized back to H x W
    (bilinear, differentiable). Positions come from torch's global generator, which the training
    loop reseeds every step, as DiffAugment's do."""
    if not 0.0 < crop <= 1.0:
        raise ValueError(f"projected_zoom_crop must be in (0, 1], got {crop}")
    n, _, h, w = images.shape
    ch, cw = max(1, round(h * crop)), max(1, round(w * crop))
    tops = torch.randint(0, h - ch + 1, (n,)).tolist()
    lefts = torch.randint(0, w - cw + 1, (n,)).tolist()
    crops = torch.cat([images[i : i + 1, :, t : t + ch, lf : lf + cw] for i, (t, lf) in enumerate(zip(tops, lefts, strict=True))])
    return F.interpolate(crops, size=(h, w), mode="bilinear", align_corners=False)
