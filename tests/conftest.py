"""Shared test set-up: tiny models of every engine family (the markers live in pytest.ini).

Tiny models are real engine networks at toy widths (ngf 8, 64 px), seeded, with BatchNorm
statistics of real activations so that folding and packing are exercised. `make_model` writes one
as a model folder; `weights_registry` points GANVAS_WEIGHTS_DIR at a temporary weights folder and
registers models in its manifest, so named loading works without any shipped weights.
Test modules import the helpers (`from conftest import tiny_networks`): tests/ is on sys.path.
"""
from __future__ import annotations

import dataclasses
import functools
import struct
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine import InputContract, PaletteEntry, save_model  # noqa: E402
from engine.families import FAMILIES, family_spec  # noqa: E402
from engine.manifest import upsert_entry  # noqa: E402
from engine.model_format import join_roles, write_model_folder  # noqa: E402
from engine.nets import Network, build_network, describe  # noqa: E402

TINY_SIZE = 64  # native side of every tiny model


def cpu_has_vnni() -> bool:
    """AVX-512 VNNI, AVX-VNNI or AMX: ONNX Runtime's int8 kernels multiply-add without saturating."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return True
    return any(f" {flag}" in flags for flag in ("avx512_vnni", "avx_vnni", "amx_int8"))


# Without VNNI (AVX2 only) ONNX Runtime's u8s8 int8 kernels add pairs of products in int16, which
# saturates: int8 graphs land about 3x further from fp32 there (seen: 0.065 against 0.021 recorded
# on a VNNI machine). Tests of int8 deviation allow that factor on such CPUs.
INT8_SLACK = 1.0 if cpu_has_vnni() else 3.0
PALETTE = (
    PaletteEntry("sky", (70, 130, 180)),
    PaletteEntry("tree", (0, 128, 0)),
    PaletteEntry("building", (128, 64, 0)),
    PaletteEntry("road", (128, 128, 128)),
)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with a tiny (wrong) body: never decodable."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


def _tiny_spec(family: str, variant: str | None) -> dict:
    """family -> save_model arguments, with networks as role -> (arch, kwargs): the family's own
    toy-size networks (engine/families.py) for its usual input at TINY_SIZE."""
    spec = family_spec(family)
    if family == "pix2pix" and variant == "labels":  # a facades-like model: palette colours in
        contract = InputContract(kind="labels", size=TINY_SIZE, channels=3, palette=PALETTE, label_encoding="rgb")
    else:
        contract = spec.example_contract("tiny")
        if contract.kind == "labels" and contract.label_encoding == "onehot":  # the tests paint with PALETTE's four classes
            contract = dataclasses.replace(contract, palette=PALETTE, channels=len(PALETTE))
    assert contract.size == TINY_SIZE, f"{family}'s tiny contract is {contract.size} px, the tests assume {TINY_SIZE}"
    return dict(task=spec.default_task(contract), contract=contract, networks=spec.networks(contract, "tiny"))


def calibrate_norm_stats(net: Network, *, seed: int) -> Network:
    """Give BatchNorms the statistics of real activations (as training would) and random affines,
    so that eval-mode outputs are neither saturated nor what a fresh init gives. Returns net in eval."""
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d) and m.running_mean is not None]
    if not bns:
        return net.eval()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
            if m.affine:
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
        net.train()
        for _ in range(2):
            net(*net.example_inputs(batch=2, size=TINY_SIZE, generator=gen))
        for m in bns:
            m.momentum = 0.1
    return net.eval()


def tiny_networks(family: str, *, variant: str | None = None, seed: int = 0) -> dict:
    """save_model keyword arguments (less folder) for a seeded tiny model of the family.

    Built once per process and shared: callers must not modify the modules (deep-copy first).
    """
    return dict(_tiny_networks(family, variant, seed))


@functools.cache
def _tiny_networks(family: str, variant: str | None, seed: int) -> dict:
    spec = _tiny_spec(family, variant)
    torch.manual_seed(seed)
    networks = {}
    for i, (role, (arch, kwargs)) in enumerate(spec["networks"].items()):
        networks[role] = calibrate_norm_stats(build_network(arch, **kwargs), seed=seed + i)
    name = f"{family}.tiny" + (f"-{variant}" if variant else "")
    return dict(name=name, family=family, task=spec["task"], contract=spec["contract"], networks=networks)


TINY_VARIANTS = [(family, None) for family in FAMILIES] + [("pix2pix", "labels")]


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Run on one intra-op thread: tiny networks gain nothing from more, and on a busy 2-core
    machine OpenMP barriers make them 10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(params=FAMILIES)
def engine_family(request: pytest.FixtureRequest) -> str:
    """Each family in the engine's registry in turn."""
    return request.param


@pytest.fixture
def make_model(tmp_path: Path) -> Callable[..., Path]:
    """make_model(family, variant=None, storage="fp32", folder=None, seed=0, shard_bytes=None) -> a model folder."""

    def make(
        family: str,
        *,
        variant: str | None = None,
        storage: str = "fp32",
        folder: Path | None = None,
        seed: int = 0,
        shard_bytes: int | None = None,
    ) -> Path:
        spec = tiny_networks(family, variant=variant, seed=seed)
        folder = folder or tmp_path / "models" / f"{spec['name']}.{storage}"
        if shard_bytes is None:
            save_model(folder, storage=storage, **spec)
            return folder
        config = {  # sharded: written through the format module, as save_model would
            "name": spec["name"],
            "family": family,
            "task": spec["task"],
            "networks": {role: dict(zip(("arch", "kwargs"), describe(net), strict=True)) for role, net in spec["networks"].items()},
            "contract": spec["contract"].to_dict(),
        }
        state = {role: module.state_dict() for role, module in spec["networks"].items()}
        write_model_folder(folder, config=config, tensors=join_roles(state), storage=storage, shard_bytes=shard_bytes)
        return folder

    return make


@pytest.fixture
def weights_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict]:
    """register(family, variant=None, name=None, hub=None, write_files=True) -> its manifest entry.

    Writes the model into a temporary weights folder (GANVAS_WEIGHTS_DIR) and lists it in that
    folder's manifest.json with its checksums, as `python -m trainers export` would.
    `register.root` is the weights folder.
    """
    root = tmp_path / "weights"
    root.mkdir()
    monkeypatch.setenv("GANVAS_WEIGHTS_DIR", str(root))
    monkeypatch.delenv("GANVAS_HUB_REPO", raising=False)

    def register(family: str, *, variant: str | None = None, name: str | None = None, hub: dict | None = None, write_files: bool = True) -> dict:
        spec = tiny_networks(family, variant=variant)
        name = name or spec["name"]
        files = save_model(root / name, storage="fp32", **{**spec, "name": name})
        entry = {
            "name": name,
            "family": family,
            "task": spec["task"],
            "files": files,
            "size_bytes": sum((root / name / f).stat().st_size for f in files),
            "dataset": {"name": "synthetic", "terms": "made by the tests"},
            "contract": spec["contract"].to_dict(),
        }
        if hub:
            entry["hub"] = hub
        if not write_files:
            for f in files:
                (root / name / f).unlink()
        upsert_entry(entry)
        return entry

    register.root = root  # type: ignore[attr-defined]
    return register
