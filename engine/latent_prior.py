"""Where a seed's z comes from: N(0, I), or near the code of a real training photo.

BicycleGAN's encoder does not put real photos at N(0, I) (its KL weight is small): their codes sit
off-centre, squeezed and correlated, and z far from them renders casts no photo had (issue #41).
A model that ships its training photos' codes (`extra.z_codes`, with `extra.z_noise`) draws a seed's
z as one of those codes plus Gaussian noise of that per-dimension size: a kernel density over the
codes, so every coat in the training photos keeps its share. Seeds mean the same z everywhere:
the page gets its latents from the server.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import safe_open

from .device import generator_for, random_latent
from .model_format import weight_files

CODES_KEY, NOISE_KEY = "z_codes", "z_noise"  # extras (stored as "extra.<key>")


@dataclass(frozen=True)
class LatentPrior:
    nz: int
    codes: torch.Tensor | None = None  # K x nz: the training photos' codes; None: N(0, I)
    noise: torch.Tensor | None = None  # nz: the kernel's standard deviation per dimension

    def __post_init__(self) -> None:
        if (self.codes is None) != (self.noise is None):
            raise ValueError(f"a latent prior needs both {CODES_KEY} and {NOISE_KEY}, or neither")
        if self.codes is not None and (self.codes.ndim != 2 or self.codes.shape[1] != self.nz or self.noise.shape != (self.nz,)):
            raise ValueError(f"{CODES_KEY} must be K x {self.nz} and {NOISE_KEY} {self.nz} long; got {tuple(self.codes.shape)} and {tuple(self.noise.shape)}")

    @property
    def fitted(self) -> bool:
        return self.codes is not None

    @property
    def interpolation(self) -> str:
        """How to morph between two of its latents: slerp keeps a Gaussian sample's norm; codes
        are not centred, so a straight line between them stays among them."""
        return "linear" if self.fitted else "slerp"

    def sample(self, seed: int, n: int = 1) -> torch.Tensor:
        """n x nz latents of a seed (float32, CPU)."""
        if self.codes is None:
            return random_latent(self.nz, seed, n)
        generator = generator_for(seed)
        pick = torch.randint(0, self.codes.shape[0], (n,), generator=generator)
        return self.codes[pick] + self.noise * torch.randn(n, self.nz, generator=generator)

    def to_extras(self) -> dict[str, torch.Tensor]:
        """What a model folder stores of it (nothing for N(0, I))."""
        return {} if self.codes is None else {CODES_KEY: self.codes.float().contiguous(), NOISE_KEY: self.noise.float().contiguous()}

    @classmethod
    def from_codes(cls, codes: torch.Tensor, *, bandwidth: float) -> LatentPrior:
        """The kernel density over K x nz codes: noise `bandwidth` times their spread in each dimension."""
        if codes.ndim != 2 or codes.shape[0] < 2:
            raise ValueError(f"a latent prior needs at least 2 codes as a K x nz tensor, got {tuple(codes.shape)}")
        if bandwidth <= 0:
            raise ValueError(f"bandwidth must be above 0, got {bandwidth}")
        codes = codes.float()
        return cls(nz=codes.shape[1], codes=codes, noise=bandwidth * codes.std(0))

    @classmethod
    def from_extras(cls, extras: dict[str, torch.Tensor], *, nz: int) -> LatentPrior:
        codes, noise = extras.get(CODES_KEY), extras.get(NOISE_KEY)
        return cls(nz=nz, codes=None if codes is None else codes.float(), noise=None if noise is None else noise.float())


def read_latent_prior(folder: Path, *, nz: int) -> LatentPrior:
    """The prior of a model folder, read without loading its networks."""
    keys = (f"extra.{CODES_KEY}", f"extra.{NOISE_KEY}")
    extras: dict[str, torch.Tensor] = {}
    for path in weight_files(folder):
        with safe_open(str(path), framework="pt") as weights:
            extras.update({key.removeprefix("extra."): weights.get_tensor(key) for key in keys if key in weights.keys()})
    return LatentPrior.from_extras(extras, nz=nz)
