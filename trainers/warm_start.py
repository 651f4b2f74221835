"""Start a run from an exported model's networks instead of a fresh initialisation.

A run's checkpoints live in runs/, which a new session may not have; the shipped model folder in
weights/ always travels with the code. Warm-starting from it lets a later leg continue what an
earlier one shipped: the exported roles (G, and E where the family has one) take the stored weights
(int8 ones dequantized), while discriminators, optimizers and the schedule start afresh. A generator
grown by blocks that start as the identity (SPADE's fine levels) takes a smaller model's weights too.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from engine.manifest import find_card
from engine.model_format import read_config, read_tensors, split_by_role


def model_folder(name_or_folder: str) -> Path:
    """A model folder path, or the folder of a registered model name (e.g. pix2pix.edges2cats)."""
    path = Path(name_or_folder)
    return path if path.is_dir() else find_card(name_or_folder).folder


def load_exported_weights(networks: dict[str, nn.Module], *, roles: list[str], source: str, family: str) -> list[str]:
    """Copy the exported weights of `roles` from `source` into `networks`; returns the roles loaded.
    Raises ValueError when the source is another family or its networks have another shape."""
    folder = model_folder(source)
    config = read_config(folder)
    if config["family"] != family:
        raise ValueError(f"init_from={source!r} is a {config['family']} model; this run trains {family}")
    stored, _ = split_by_role(read_tensors(folder))
    missing = [role for role in roles if role not in stored]
    if missing:
        raise ValueError(f"init_from={source!r} has no weights for {', '.join(missing)} (it has {', '.join(sorted(stored))})")
    for role in roles:
        try:
            load_growing(networks[role], with_spectral_norm(stored[role], target=networks[role]))
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise ValueError(
                f"init_from={source!r}: its {role} does not fit this recipe's {role} ({first}); "
                "warm-start with the settings that model was trained with (its manifest entry lists them)"
            ) from exc
    return roles


def load_growing(network: nn.Module, weights: dict[str, torch.Tensor]) -> None:
    """Load `weights` strictly, except that a network grown from them (its `grown_prefixes`, e.g. a
    SPADE generator's fine levels) keeps its own start for the blocks the smaller network lacked."""
    grown = tuple(getattr(network, "grown_prefixes", ()))
    missing = [k for k in network.state_dict() if k not in weights]
    if not grown or not missing or any(not k.startswith(grown) for k in missing):
        network.load_state_dict(weights, strict=True)
        return
    unexpected = network.load_state_dict(weights, strict=False).unexpected_keys
    if unexpected:
        raise RuntimeError(f"Unexpected key(s) in state_dict: {', '.join(unexpected[:5])}")


def with_spectral_norm(weights: dict[str, torch.Tensor], *, target: nn.Module, iterations: int = 100) -> dict[str, torch.Tensor]:
    """`weights` as `target` stores them where it trains with spectral norm and the export folded it.

    A folded weight W = W_orig / sigma has a largest singular value of 1, so taking W itself as
    weight_orig, with u and v from power iteration on it, gives the same effective weight: W / sigma(W)
    = W up to the export's last power-iteration estimate of sigma.
    """
    wanted = target.state_dict()
    converted = dict(weights)
    for key in wanted:
        if key.rsplit(".", 1)[-1] != "weight_orig":
            continue
        prefix = key[: -len("orig")]  # "...weight_"
        folded = converted.pop(prefix[:-1], None)
        if folded is None:
            continue
        u, v = power_iteration(folded.float().flatten(1), like=wanted[prefix + "u"], iterations=iterations)
        converted[key], converted[prefix + "u"], converted[prefix + "v"] = folded, u, v
    return converted


def power_iteration(matrix: torch.Tensor, *, like: torch.Tensor, iterations: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The leading left and right singular vectors of `matrix` (rows x cols), as spectral norm keeps them.

    Taken from an SVD where it converges (exact even when the two largest singular values are close,
    where `iterations` of power iteration from a fixed start may not be); power iteration otherwise.
    """
    try:
        left, _, right = torch.linalg.svd(matrix.double(), full_matrices=False)
        return left[:, 0].to(like.dtype), right[0].to(like.dtype)
    except RuntimeError:  # (torch.linalg.LinAlgError) no convergence
        pass
    u = nn.functional.normalize(torch.ones(matrix.shape[0]), dim=0)
    v = nn.functional.normalize(matrix.t() @ u, dim=0)
    for _ in range(iterations):
        v = nn.functional.normalize(matrix.t() @ u, dim=0)
        u = nn.functional.normalize(matrix @ v, dim=0)
    return u.to(like.dtype), v.to(like.dtype)
