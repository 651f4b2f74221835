"""Running several requests for one model in one forward pass.

On a GPU the studio lets gradio gather concurrent requests for the same event (`batch=True`);
they arrive here as a list. Inputs that become tensors of the same shape share one forward pass;
each output is cropped back to its own input's aspect, exactly as `Translator.__call__` does.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image

from engine import SEED_KEY, Translator
from engine.geometry import Placement, crop_back


def _to_image(y: torch.Tensor, placement: Placement) -> Image.Image:
    y = crop_back(y, placement)[0].clamp(-1, 1)
    return Image.fromarray(((y.permute(1, 2, 0).float().cpu().numpy() + 1.0) * 127.5 + 0.5).astype(np.uint8))


def translate_batch(
    translator: Translator,
    images: Sequence[object],
    *,
    zs: Sequence[torch.Tensor | None] | None = None,  # one latent (nz,) per image for models with z
    seeds: Sequence[int | None] | None = None,  # recorded in each output's info, as __call__ does
    direction: str | None = None,
) -> list[Image.Image]:
    """Translate many images; same-shape inputs go through the network together."""
    prepared = [translator.prepare(im) for im in images]
    if translator.nz and (zs is None or any(z is None for z in zs)):
        raise ValueError(f"{translator.name} needs a latent per image")
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, (x, _) in enumerate(prepared):
        groups.setdefault(tuple(x.shape), []).append(i)
    outputs: list[Image.Image | None] = [None] * len(images)
    for members in groups.values():
        x = torch.cat([prepared[i][0] for i in members])
        z = torch.stack([torch.as_tensor(zs[i], dtype=torch.float32).reshape(-1) for i in members]) if translator.nz else None
        y = translator.forward_tensor(x, z=z, direction=direction)
        for row, i in enumerate(members):
            outputs[i] = _to_image(y[row : row + 1], prepared[i][1])
            if seeds is not None and seeds[i] is not None:
                outputs[i].info[SEED_KEY] = int(seeds[i])
    return outputs  # type: ignore[return-value]


def render_latents(translator: Translator, image: object, zs: torch.Tensor) -> list[Image.Image]:
    """One input rendered with each row of zs (n x nz) in one forward pass."""
    x, placement = translator.prepare(image)
    y = translator.forward_tensor(x.expand(len(zs), -1, -1, -1), z=zs)
    return [_to_image(y[i : i + 1], placement) for i in range(len(zs))]
