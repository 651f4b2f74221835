"""VGG19 features for SPADE's perceptual loss, from a local safetensors file only (nothing downloads).

The layer indices match torchvision's `vgg19().features`, so its ImageNet state dict saved as
safetensors (keys `features.N.weight` / `features.N.bias`; `classifier.*` keys are ignored) loads
as it is:

    from safetensors.torch import save_file
    sd = torchvision.models.vgg19(weights="IMAGENET1K_V1").state_dict()
    save_file({k: v for k, v in sd.items() if k.startswith("features.")}, "vgg19.safetensors")

The loss is pix2pixHD's and SPADE's: L1 between relu1_1, relu2_1, relu3_1, relu4_1 and relu5_1
features of the fake and the real image, weighted 1/32, 1/16, 1/8, 1/4, 1. As in the original
code the images go in as they are, in [-1, 1], without ImageNet mean/std normalisation.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

# VGG19 ("E"): conv widths, "M" for 2x2 max pooling.
_LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
# features[a:b] ends at relu1_1, relu2_1, relu3_1, relu4_1, relu5_1.
_SLICES = ((0, 2), (2, 7), (7, 12), (12, 21), (21, 30))
LAYER_WEIGHTS = (1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0)


class VGG19Features(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = 3
        for item in _LAYOUT:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(width, int(item), 3, padding=1), nn.ReLU()]
                width = int(item)
        self.features = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """N x 3 x H x W -> [relu1_1, relu2_1, relu3_1, relu4_1, relu5_1]."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"VGG19 takes N x 3 x H x W images, got {tuple(x.shape)}")
        out = []
        for start, stop in _SLICES:
            for layer in self.features[start:stop]:
                x = layer(x)
            out.append(x)
        return out


def load_vgg19(path: str | Path) -> VGG19Features:
    """VGG19 features with the weights in `path` (safetensors), frozen, in eval mode."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"vgg_weights {path} does not exist; give a local VGG19 safetensors file or leave vgg_weights empty")
    state = {k: v for k, v in load_file(str(path)).items() if k.startswith("features.")}
    net = VGG19Features()
    missing, _ = net.load_state_dict(state, strict=False)
    if missing:
        raise ValueError(f"{path} is not a VGG19 feature state dict: missing {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}")
    return net.eval().requires_grad_(False)


class VGGLoss(nn.Module):
    def __init__(self, vgg: VGG19Features) -> None:
        super().__init__()
        self.vgg = vgg

    def train(self, mode: bool = True) -> VGGLoss:
        return super().train(False)  # always the frozen ImageNet features

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        fake_features = self.vgg(fake)
        with torch.no_grad():
            real_features = self.vgg(real)
        return sum(w * F.l1_loss(f.float(), r.float()) for w, f, r in zip(LAYER_WEIGHTS, fake_features, real_features, strict=True))
