"""Label maps: painted colours snapped to a palette, class ids, and the network encodings."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .contract import InputContract


def pack_rgb(rgb: np.ndarray) -> np.ndarray:
    c = rgb.reshape(-1, 3).astype(np.int32)
    return (c[:, 0] << 16) | (c[:, 1] << 8) | c[:, 2]


def unpack_rgb(codes: np.ndarray) -> np.ndarray:
    return np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], axis=1).astype(np.int32)


def snap_to_palette(rgb: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8 colours -> H x W uint8 ids of the nearest palette colour (squared RGB distance).

    Works on JPEG-compressed or antialiased maps: in-between colours go to the closest class.
    Distances are computed once per distinct colour (packed to one int, so np.unique is 1-D and
    fast); ties go to the lower id.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected H x W x 3 colours, got shape {rgb.shape}")
    pal = np.asarray(palette, dtype=np.int32).reshape(-1, 3)
    if not 1 <= len(pal) <= 256:
        raise ValueError(f"palette must hold 1..256 colours, got {len(pal)}")
    colours, inverse = np.unique(pack_rgb(rgb), return_inverse=True)
    dist = ((unpack_rgb(colours)[:, None, :] - pal[None, :, :]) ** 2).sum(-1)
    return dist.argmin(1).astype(np.uint8)[inverse.reshape(-1)].reshape(rgb.shape[:2])


def palette_array(contract: InputContract) -> np.ndarray:
    return np.array([p.rgb for p in contract.palette], dtype=np.uint8)


def image_to_class_ids(image: Image.Image, contract: InputContract) -> np.ndarray:
    """A painted RGB map is snapped to the palette; a grayscale map is read as class ids."""
    n_classes = len(contract.palette)
    if image.mode == "L":
        ids = np.asarray(image)
        if ids.max() < n_classes:
            return ids.astype(np.uint8)
        image = image.convert("RGB")
    return snap_to_palette(np.asarray(image.convert("RGB")), palette_array(contract))


def class_ids_to_rgb(ids: np.ndarray, contract: InputContract) -> np.ndarray:
    return palette_array(contract)[np.clip(ids, 0, len(contract.palette) - 1)]


def encode_labels(ids: torch.Tensor, contract: InputContract) -> torch.Tensor:
    """N x H x W long ids -> the network input: one-hot (K channels) or palette RGB in [-1, 1]."""
    n_classes = len(contract.palette)
    if contract.label_encoding == "onehot":
        return F.one_hot(ids, n_classes).permute(0, 3, 1, 2).float()
    pal = torch.tensor(palette_array(contract), dtype=torch.float32, device=ids.device) / 127.5 - 1.0
    return pal[ids].permute(0, 3, 1, 2).contiguous()
