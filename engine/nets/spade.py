"""SPADE generator (Park et al. 2019): a decoder whose every normalisation is modulated per pixel
by the label map. With `use_vae` it starts from a style code z through a linear layer (the form
that lets a style encoder steer the look); otherwise from a conv over the downsampled labels.
Module names follow the original so released weights load 1:1."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_latent
from .norms import make_norm

UPSAMPLING_LAYERS = {"normal": 5, "more": 6, "most": 7}


class SPADE(nn.Module):
    """Parameter-free norm, then a per-pixel scale and shift predicted from the labels."""

    def __init__(self, *, channels: int, label_channels: int, hidden: int, param_free_norm: str) -> None:
        super().__init__()
        if param_free_norm == "batch":
            self.param_free_norm = nn.BatchNorm2d(channels, affine=False)
        else:
            self.param_free_norm = make_norm(param_free_norm, channels)
        self.mlp_shared = nn.Sequential(nn.Conv2d(label_channels, hidden, 3, padding=1), nn.ReLU())
        self.mlp_gamma = nn.Conv2d(hidden, channels, 3, padding=1)
        self.mlp_beta = nn.Conv2d(hidden, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        normalized = self.param_free_norm(x)
        seg = F.interpolate(seg, size=x.shape[-2:], mode="nearest")
        actv = self.mlp_shared(seg)
        return normalized * (1 + self.mlp_gamma(actv)) + self.mlp_beta(actv)


class SPADEResnetBlock(nn.Module):
    def __init__(self, *, fin: int, fout: int, label_channels: int, hidden: int, param_free_norm: str, spectral: bool) -> None:
        super().__init__()
        self.learned_shortcut = fin != fout
        fmiddle = min(fin, fout)
        wrap = nn.utils.spectral_norm if spectral else (lambda m: m)
        self.conv_0 = wrap(nn.Conv2d(fin, fmiddle, 3, padding=1))
        self.conv_1 = wrap(nn.Conv2d(fmiddle, fout, 3, padding=1))
        if self.learned_shortcut:
            self.conv_s = wrap(nn.Conv2d(fin, fout, 1, bias=False))
        spade = dict(label_channels=label_channels, hidden=hidden, param_free_norm=param_free_norm)
        self.norm_0 = SPADE(channels=fin, **spade)
        self.norm_1 = SPADE(channels=fmiddle, **spade)
        if self.learned_shortcut:
            self.norm_s = SPADE(channels=fin, **spade)

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        x_s = self.conv_s(self.norm_s(x, seg)) if self.learned_shortcut else x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, seg), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, seg), 0.2))
        return x_s + dx


class SPADEGenerator(nn.Module):
    def __init__(
        self,
        *,
        label_channels: int,  # one-hot classes (plus "don't care" where the data has one)
        ngf: int = 64,  # the trunk runs at 16 * ngf, halving per upsampling block
        z_dim: int = 256,  # style code size (used when use_vae)
        num_upsampling_layers: str = "normal",  # "normal" (5), "more" (6) or "most" (7)
        use_vae: bool = True,  # start from a style code z; else from the downsampled labels
        spectral_norm: bool = True,
        param_free_norm: str = "batch",  # "batch" (original, synchronised BN) or "instance"
        base_height: int = 8,  # trunk grid at the training size: training height / 2**layers
        base_width: int = 8,
        hidden: int = 128,  # width of the label MLP inside each SPADE
    ) -> None:
        super().__init__()
        if num_upsampling_layers not in UPSAMPLING_LAYERS:
            raise ValueError(f"num_upsampling_layers must be one of {list(UPSAMPLING_LAYERS)}")
        self.label_channels, self.z_dim, self.use_vae = label_channels, z_dim, use_vae
        self.num_upsampling_layers = num_upsampling_layers
        self.base_height, self.base_width = base_height, base_width
        nf = ngf
        if use_vae:
            self.fc = nn.Linear(z_dim, 16 * nf * base_height * base_width)
        else:
            self.fc = nn.Conv2d(label_channels, 16 * nf, 3, padding=1)
        block = dict(label_channels=label_channels, hidden=hidden, param_free_norm=param_free_norm, spectral=spectral_norm)
        self.head_0 = SPADEResnetBlock(fin=16 * nf, fout=16 * nf, **block)
        self.G_middle_0 = SPADEResnetBlock(fin=16 * nf, fout=16 * nf, **block)  # noqa: N815
        self.G_middle_1 = SPADEResnetBlock(fin=16 * nf, fout=16 * nf, **block)  # noqa: N815
        self.up_0 = SPADEResnetBlock(fin=16 * nf, fout=8 * nf, **block)
        self.up_1 = SPADEResnetBlock(fin=8 * nf, fout=4 * nf, **block)
        self.up_2 = SPADEResnetBlock(fin=4 * nf, fout=2 * nf, **block)
        self.up_3 = SPADEResnetBlock(fin=2 * nf, fout=1 * nf, **block)
        final_nc = nf
        if num_upsampling_layers == "most":
            self.up_4 = SPADEResnetBlock(fin=1 * nf, fout=nf // 2, **block)
            final_nc = nf // 2
        self.conv_img = nn.Conv2d(final_nc, 3, 3, padding=1)
        self.up = nn.Upsample(scale_factor=2)

    @property
    def size_multiple(self) -> int:
        return 2 ** UPSAMPLING_LAYERS[self.num_upsampling_layers]

    def forward(self, seg: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        if seg.dim() != 4 or seg.shape[1] != self.label_channels:
            raise ValueError(f"labels must be N x {self.label_channels} x H x W one-hot, got {tuple(seg.shape)}")
        n, _, height, width = seg.shape
        m = self.size_multiple
        if height % m or width % m:
            raise ValueError(f"label height and width must be multiples of {m}, got {height}x{width}")
        grid = (height // m, width // m)
        if self.use_vae:
            if z is None:
                z = torch.randn(n, self.z_dim, dtype=seg.dtype, device=seg.device)
            check_latent(z, batch=n, nz=self.z_dim)
            x = self.fc(z.to(seg.dtype)).view(n, -1, self.base_height, self.base_width)
            if x.shape[-2:] != grid:
                # Any aspect: the learned start grid is resampled to the requested one.
                x = F.interpolate(x, size=grid, mode="bilinear", align_corners=False)
        else:
            x = self.fc(F.interpolate(seg, size=grid))
        x = self.head_0(x, seg)
        x = self.up(x)
        x = self.G_middle_0(x, seg)
        if self.num_upsampling_layers in ("more", "most"):
            x = self.up(x)
        x = self.G_middle_1(x, seg)
        for name in ("up_0", "up_1", "up_2", "up_3"):
            x = self.up(x)
            x = getattr(self, name)(x, seg)
        if self.num_upsampling_layers == "most":
            x = self.up(x)
            x = self.up_4(x, seg)
        x = self.conv_img(F.leaky_relu(x, 2e-1))
        return torch.tanh(x)
