"""Translator: one loaded model, callable on any image, giving back a PIL image of the same aspect."""
from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from .contract import InputContract
from .device import inference_dtype
from .families import family_spec, generator_role, run_generator
from .geometry import Placement, crop_back, pad_to, plan_placement
from .images import MIN_SIDE, load_image
from .labels import encode_labels, image_to_class_ids
from .latent_prior import LatentPrior
from .web_spec import SKETCH_PAPER

logger = logging.getLogger(__name__)

SEED_KEY = "ganvas_seed"  # the seed used is recorded in the output's PIL info
DEFAULT_MAX_SIDE = {"cpu": 512, "mps": 1024, "cuda": 1024}


class Translator:
    def __init__(
        self,
        *,
        config: dict,
        networks: dict[str, nn.Module],
        extras: dict[str, torch.Tensor],
        device: torch.device,
        folder: Path | None = None,
        backend: str = "torch",  # "onnx": networks are ONNX Runtime graphs (engine.onnx_backend)
    ) -> None:
        self.config = config
        self.name: str = config.get("name", folder.name if folder else "model")
        self.family: str = config["family"]
        self.spec = family_spec(self.family)
        self.contract = InputContract.from_dict(config["contract"])
        self.networks = networks
        self.extras = extras
        self.latent_prior = LatentPrior.from_extras(extras, nz=self.contract.nz)
        self.device = device
        self.dtype = inference_dtype(device)
        self.folder = folder
        self.backend = backend
        self.max_side = DEFAULT_MAX_SIDE.get(device.type, 512)
        generators = [networks[r] for r in self.spec.generators if r in networks]
        self.size_multiple: int = max(net.size_multiple for net in generators)  # input sides are padded to a multiple of it
        self.min_side: int = max(net.min_size for net in generators)

    def __repr__(self) -> str:
        return f"Translator({self.name!r}, family={self.family!r}, device={self.device}, backend={self.backend!r})"

    @property
    def precision(self) -> str:
        """What the generators compute in: "int8" / "fp32" (ONNX), or the torch dtype's name."""
        if self.backend == "onnx":
            kinds = {getattr(self.networks[r], "precision", "fp32") for r in self.spec.generators if r in self.networks}
            return "+".join(sorted(kinds))
        return str(self.dtype).removeprefix("torch.")

    # ----- inputs -----
    def _working_side(self, width: int, height: int) -> int:
        if self.contract.any_resolution:
            return int(min(max(max(width, height), self.contract.size), self.max_side))
        return self.contract.size

    @property
    def read_side(self) -> int:
        """The longest side an input is read at: no working size needs more."""
        return max(self.max_side, self.contract.size)

    def prepare(self, image: object) -> tuple[torch.Tensor, Placement]:
        """Any image -> (1 x C x H x W network input on the device, where the content sits)."""
        kind = self.contract.kind
        # Read no bigger than the working size can use (a phone photo decodes small, JPEG at 1/2-1/8).
        pil = load_image(image, keep_gray=kind in ("sketch", "labels"), max_side=self.read_side, min_side=MIN_SIDE,
                         resample=Image.NEAREST if kind == "labels" else Image.LANCZOS)
        placement = plan_placement(
            pil.width, pil.height, long_side=self._working_side(pil.width, pil.height), multiple=self.size_multiple, min_side=self.min_side
        )
        if kind == "labels":
            ids = image_to_class_ids(pil, self.contract)
            ids = np.asarray(Image.fromarray(ids).resize(placement.scaled, Image.NEAREST))
            t = torch.from_numpy(ids.astype(np.int64))[None, None].float()
            t = pad_to(t, placement, fill=float(self.contract.blank_class))
            x = encode_labels(t[:, 0].long(), self.contract)
        else:
            pil = pil.convert("L") if kind == "sketch" else pil.convert("RGB")
            pil = pil.resize(placement.scaled, Image.BICUBIC)
            a = np.asarray(pil, dtype=np.float32) / 127.5 - 1.0
            t = torch.from_numpy(a[None, None] if a.ndim == 2 else a.transpose(2, 0, 1)[None].copy())
            # Paper-white around a sketch; mirrored content around a photo.
            x = pad_to(t, placement, fill=SKETCH_PAPER if kind == "sketch" else None)
            if x.shape[1] != self.contract.channels:
                x = x.expand(-1, self.contract.channels, -1, -1) if x.shape[1] == 1 else x.mean(1, keepdim=True)
        return x.to(self.device).contiguous(), placement

    # ----- latents -----
    @property
    def nz(self) -> int:
        return self.contract.nz

    def random_z(self, seed: int, n: int = 1) -> torch.Tensor:
        if not self.nz:
            raise ValueError(f"{self.name} takes no latent z")
        return self.latent_prior.sample(seed, n)

    @torch.inference_mode()
    def encode(self, photo: object) -> torch.Tensor:
        """A photo's latent code (the encoder's mean), shape (nz,), on the CPU."""
        if not self.spec.encoder or self.spec.encoder not in self.networks:
            raise ValueError(f"{self.name} has no encoder to take a look from a photo")
        pil = load_image(photo, max_side=self.read_side, min_side=MIN_SIDE).convert("RGB")
        encoder = self.networks[self.spec.encoder]
        side = encoder.input_size or self.contract.size
        a = np.asarray(pil.resize((side, side), Image.BICUBIC), dtype=np.float32) / 127.5 - 1.0
        x = torch.from_numpy(a.transpose(2, 0, 1)[None].copy()).to(self.device)
        with self._autocast():
            mu, _ = encoder(x)
        return mu[0].float().cpu()

    encode_style = encode

    def _latent(self, *, z: object, style: object, seed: int | None) -> tuple[torch.Tensor | None, int | None]:
        if not self.nz:
            if z is not None or style is not None:
                raise ValueError(f"{self.name} takes neither z nor a style")
            return None, None
        if z is not None:
            zt = torch.as_tensor(z, dtype=torch.float32).reshape(1, -1)
            if zt.shape[1] != self.nz:
                raise ValueError(f"z must have {self.nz} values, got {zt.shape[1]}")
            return zt, None
        if style is not None:
            # A 1-D vector is a style code; anything else is a photo to encode.
            if isinstance(style, torch.Tensor | np.ndarray) and np.ndim(style) == 1:
                return self._latent(z=style, style=None, seed=None)
            return self.encode(style)[None], None
        seed = secrets.randbelow(2**31) if seed is None else int(seed)
        return self.random_z(seed), seed

    # ----- running -----
    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=self.dtype)
        return contextlib.nullcontext()

    @torch.inference_mode()
    def forward_tensor(self, x: torch.Tensor, *, z: torch.Tensor | None = None, direction: str | None = None) -> torch.Tensor:
        """Network input batch -> output batch in [-1, 1], float32, on the device."""
        role = generator_role(self.family, direction)
        if role not in self.networks:  # e.g. a converted CycleGAN checkpoint with one generator
            have = [r.removeprefix("G_") for r in self.spec.generators if r in self.networks]
            raise ValueError(f"{self.name} has only the {' and '.join(have)} direction; got direction={direction!r}")
        net = self.networks[role]
        if self.nz:
            if z is None:
                raise ValueError(f"{self.name} needs z (or use __call__ with a seed)")
            z = z.to(self.device)
        if self.device.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
        with self._autocast():
            y = run_generator(net, x.to(self.device), z=z, latent_arg=self.spec.latent_arg)
        return y.float()

    def _to_image(self, y: torch.Tensor, placement: Placement, *, keep_size: bool) -> Image.Image:
        y = crop_back(y, placement)[0].clamp(-1, 1)
        a = ((y.permute(1, 2, 0).cpu().numpy() + 1.0) * 127.5 + 0.5).astype(np.uint8)
        image = Image.fromarray(a)
        if keep_size and image.size != placement.source:
            image = image.resize(placement.source, Image.BICUBIC)
        return image

    def __call__(
        self,
        image: object,
        *,
        seed: int | None = None,
        z: object = None,
        style: object = None,
        direction: str | None = None,
        keep_size: bool = False,
    ) -> Image.Image:
        """Translate one image. z, a style photo (or code) or a seed choose the look of models with z.

        The output has the input's aspect at the model's working size (keep_size: the input's size);
        the seed used, if any, is in `output.info["ganvas_seed"]`.
        """
        x, placement = self.prepare(image)
        zt, used_seed = self._latent(z=z, style=style, seed=seed)
        out = self._to_image(self.forward_tensor(x, z=zt, direction=direction), placement, keep_size=keep_size)
        if used_seed is not None:
            out.info[SEED_KEY] = used_seed
        return out

    def translate_many(
        self,
        images: Sequence[object],
        *,
        zs: Sequence[object] | None = None,  # one latent (nz values) per image, for models with z
        seeds: Sequence[int | None] | None = None,  # recorded in each output's info, as __call__ does
        direction: str | None = None,
    ) -> list[Image.Image]:
        """Translate many images: those that become inputs of the same shape share one forward pass
        (concurrent requests batched on a GPU); each output is cropped back to its own aspect."""
        prepared = [self.prepare(im) for im in images]
        if self.nz and (zs is None or len(zs) != len(images) or any(z is None for z in zs)):
            raise ValueError(f"{self.name} needs a latent per image")
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, (x, _) in enumerate(prepared):
            groups.setdefault(tuple(x.shape), []).append(i)
        outputs: list[Image.Image] = [None] * len(images)  # type: ignore[list-item]
        for members in groups.values():
            x = torch.cat([prepared[i][0] for i in members])
            z = torch.stack([torch.as_tensor(zs[i], dtype=torch.float32).reshape(-1) for i in members]) if self.nz else None
            y = self.forward_tensor(x, z=z, direction=direction)
            for row, i in enumerate(members):
                outputs[i] = self._to_image(y[row : row + 1], prepared[i][1], keep_size=False)
                if seeds is not None and seeds[i] is not None:
                    outputs[i].info[SEED_KEY] = int(seeds[i])
        return outputs

    def render_latents(self, image: object, zs: torch.Tensor) -> list[Image.Image]:
        """One input rendered with each row of zs (n x nz), in one forward pass."""
        x, placement = self.prepare(image)
        y = self.forward_tensor(x.expand(len(zs), -1, -1, -1), z=torch.as_tensor(zs, dtype=torch.float32))
        return [self._to_image(y[i : i + 1], placement, keep_size=False) for i in range(len(zs))]

    def sample(self, image: object, n: int, *, seed: int = 0, keep_size: bool = False) -> list[Image.Image]:
        """n renderings of one input with seeds seed, seed+1, ... (one batched forward pass)."""
        if not self.nz:
            raise ValueError(f"{self.name} gives one answer per input; it takes no z")
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        x, placement = self.prepare(image)
        z = torch.cat([self.random_z(seed + i) for i in range(n)])
        y = self.forward_tensor(x.expand(n, -1, -1, -1), z=z)
        images = []
        for i in range(n):
            im = self._to_image(y[i : i + 1], placement, keep_size=keep_size)
            im.info[SEED_KEY] = seed + i
            images.append(im)
        return images
