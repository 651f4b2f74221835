"""Rebuild the official networks' numeric references from ../shared/interop/*.json.

Each fixture records an official network's state_dict layout (`keys`), a deterministic way to fill
it (`init_rule`, checked by `init_check`), a seeded input recipe (`inputs`) and the eval-mode output
statistics (`outputs`). This module turns those records back into tensors, without running any code
from the fixtures: the rules and recipes are re-implemented here and confirmed by their checksums.
"""
from __future__ import annotations

import json
import math
import re
from collections import OrderedDict
from pathlib import Path

import torch

INTEROP_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "interop"
ATOL = RTOL = 1e-4


def fixture_path(name: str) -> Path:
    return INTEROP_DIR / f"{name}.json"


def load_fixture(name: str) -> dict:
    return json.loads(fixture_path(name).read_text())


# ----- weights -----
def _rule_for(key: str, shape: list[int], dtype: str) -> str:
    """The init_rule table, decided from the key name and shape alone."""
    if not dtype.startswith("float"):
        return "int_untouched"
    leaf = key.rsplit(".", 1)[-1]
    if leaf == "weight_u":
        return "spectral_u"
    if leaf == "weight_v":
        return "spectral_v"
    if leaf == "running_mean":
        return "running_mean"
    if leaf == "running_var":
        return "running_var"
    if leaf == "bias":
        return "bias"
    if leaf in ("weight", "weight_orig"):
        return "norm_weight" if len(shape) == 1 else "conv_linear_weight"
    raise ValueError(f"no init rule for {key!r}")


def build_state_dict(fixture: dict) -> OrderedDict[str, torch.Tensor]:
    """The official state dict: every tensor drawn from one generator seeded 0, in key order."""
    g = torch.Generator(device="cpu").manual_seed(0)
    sd: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key, shape, dtype in fixture["keys"]:
        rule = _rule_for(key, shape, dtype)
        if rule == "int_untouched":
            sd[key] = torch.zeros(shape, dtype=getattr(torch, dtype))
        elif rule == "conv_linear_weight":
            sd[key] = 0.02 * torch.randn(shape, generator=g)
        elif rule == "norm_weight":
            sd[key] = 1.0 + 0.02 * torch.randn(shape, generator=g)
        elif rule == "bias":
            sd[key] = 0.01 * torch.randn(shape, generator=g)
        elif rule == "running_mean":
            sd[key] = 0.1 * torch.randn(shape, generator=g)
        elif rule == "running_var":
            sd[key] = 1.0 + 0.1 * torch.rand(shape, generator=g)
        elif rule == "spectral_u":
            sd[key] = torch.empty(shape)  # set with its weight_v (which follows it)
        elif rule == "spectral_v":
            # One power iteration from a random v, as the fixture's rule describes (float64).
            base = key[: -len("_v")]
            w = sd[base + "_orig"].double()
            w = w.reshape(w.shape[0], -1)
            v0 = torch.randn(shape, generator=g).double()
            v0 = v0 / v0.norm()
            u1 = w @ v0
            u1 = u1 / u1.norm()
            v = w.T @ u1
            v = v / v.norm()
            u = w @ v
            u = u / u.norm()
            sd[key] = v.float()
            sd[base + "_u"] = u.float()
    return sd


def check_init(fixture: dict, sd: dict[str, torch.Tensor], *, n_sums: int = 12) -> int:
    """Compare the rebuilt tensors with the fixture's init_check.

    Every key's rule is checked; sums and first values for every spectral-norm vector (the subtle
    rule) plus `n_sums` keys spread over the whole order (enough to prove the generator stayed in
    step: one missed or extra draw shifts every later tensor). Returns how many sums were checked.
    """
    entries = fixture["init_check"]
    stride = max(1, len(entries) // n_sums)
    checked = 0
    for i, (key, rule, total, first4) in enumerate(entries):
        t = sd[key]
        expected_rule = _rule_for(key, list(t.shape), str(t.dtype).removeprefix("torch."))
        assert rule == expected_rule, f"{key}: fixture rule {rule}, rebuilt with {expected_rule}"
        if not (rule.startswith("spectral") or i % stride == 0 or i == len(entries) - 1):
            continue
        actual = t.double().sum().item()
        assert math.isclose(actual, total, rel_tol=1e-9, abs_tol=1e-9), f"{key}: sum {actual} != {total}"
        assert t.flatten()[:4].tolist() == first4, f"{key}: first values {t.flatten()[:4].tolist()} != {first4}"
        checked += 1
    return checked


# ----- inputs -----
def _seed(recipe: str) -> int:
    match = re.search(r"manual_seed\((\d+)\)", recipe)
    if not match:
        raise ValueError(f"no seed in recipe {recipe!r}")
    return int(match.group(1))


def build_input(arg: dict) -> torch.Tensor:
    """One reference input: a clamped normal image, a one-hot label map, or a normal z."""
    recipe, check = arg["recipe"], arg["check"]
    shape = check["shape"]
    g = torch.Generator(device="cpu").manual_seed(_seed(recipe))
    if "randint" in recipe:
        n, k, h, w = shape
        label = torch.randint(0, k, (n, 1, h, w), generator=g)
        x = torch.zeros(n, k, h, w).scatter_(1, label, 1.0)
    elif "clamp(-1.0, 1.0)" in recipe:
        x = torch.randn(shape, generator=g).clamp(-1.0, 1.0)
    else:
        x = torch.randn(shape, generator=g)
    assert list(x.shape) == shape
    assert math.isclose(x.double().sum().item(), check["sum"], rel_tol=1e-7, abs_tol=1e-6), arg["name"]
    assert x.flatten()[:8].tolist() == check["first8"], arg["name"]
    return x


def build_inputs(fixture: dict) -> list[torch.Tensor]:
    return [build_input(arg) for arg in fixture["inputs"]["args"]]


# ----- outputs -----
def compare(actual: torch.Tensor, expected: dict, *, sample: str = "image") -> float:
    """Assert shape, mean/std/min/max and the sample slice within atol=rtol=1e-4; return max abs diff."""
    assert list(actual.shape) == expected["shape"], f"shape {list(actual.shape)} != {expected['shape']}"
    a = actual.detach().double()
    stats = {"mean": a.mean(), "std": a.std(), "min": a.min(), "max": a.max()}
    got = torch.stack(list(stats.values()))
    want = torch.tensor([expected[k] for k in stats], dtype=torch.float64)
    piece = a[0, :, :4, :4].flatten() if sample == "image" else a[0].flatten()
    want_piece = torch.tensor(expected["sample"], dtype=torch.float64)
    assert piece.shape == want_piece.shape
    for name, g, w in [("stats (mean, std, min, max)", got, want), ("sample", piece, want_piece)]:
        if not torch.allclose(g, w, atol=ATOL, rtol=RTOL):
            raise AssertionError(f"{name} differ: max abs diff {(g - w).abs().max().item():.3g}\n got {g.tolist()}\nwant {w.tolist()}")
    return max((got - want).abs().max().item(), (piece - want_piece).abs().max().item())


def tiny_fixture(fixture: dict, *, divisor: int = 16) -> dict:
    """The same layout with every width that is a multiple of 64 divided by `divisor` (64 -> 4,
    72 = 64 + nz -> 4 + nz, 9216 = 1024 * 9 -> 576): a small official-layout network for tests
    that need the authors' key structure but no numeric reference. Remainders (image channels,
    nz, kernel sizes, label classes beyond a multiple of 64) stay as they are."""
    def shrink(d: int) -> int:
        return (d // 64) * (64 // divisor) + d % 64

    return {**fixture, "keys": [[key, [shrink(d) for d in shape], dtype] for key, shape, dtype in fixture["keys"]]}
