"""Start a run from an exported model's networks instead of a fresh initialisation.

A run's checkpoints live in runs/, which a new session may not have; the shipped model folder in
weights/ always travels with the code. Warm-starting from it lets a later leg continue what an
earlier one shipped: the exported roles (G, and E where the family has one) take the stored weights
(int8 ones dequantized), while discriminators, optimizers and the schedule start afresh.
"""
from __future__ import annotations

from pathlib import Path

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
            networks[role].load_state_dict(stored[role], strict=True)
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise ValueError(
                f"init_from={source!r}: its {role} does not fit this recipe's {role} ({first}); "
                "warm-start with the settings that model was trained with (its manifest entry lists them)"
            ) from exc
    return roles
