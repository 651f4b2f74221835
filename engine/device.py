"""Where and in which precision inference runs: CUDA (bf16, else fp16), Apple MPS, else CPU fp32."""
from __future__ import annotations

import torch


def resolve_device(preference: str | torch.device | None = None) -> torch.device:
    if preference is not None:
        try:
            device = torch.device(preference)
        except RuntimeError as exc:
            raise ValueError(f"unknown device {preference!r}; use 'cpu', 'cuda' or 'mps'") from exc
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for but no CUDA GPU is available; use 'cpu'")
        mps = getattr(torch.backends, "mps", None)
        if device.type == "mps" and not (mps is not None and mps.is_available()):
            raise ValueError("device 'mps' was asked for but Apple's GPU (MPS) is not available; use 'cpu'")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def inference_dtype(device: torch.device) -> torch.dtype:
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "mps":
        return torch.float16
    return torch.float32


def generator_for(seed: int) -> torch.Generator:
    # Latents are drawn on the CPU so a seed means the same z on every device.
    return torch.Generator(device="cpu").manual_seed(int(seed))


def random_latent(nz: int, seed: int, n: int = 1) -> torch.Tensor:
    """n x nz standard normal latents of a seed: the same z for a seed everywhere (the page asks
    the server for them rather than porting torch's generator)."""
    return torch.randn(n, nz, generator=generator_for(seed))
