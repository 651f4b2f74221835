"""Stand-in models: randomly initialised networks with the studio's five model names and contracts.

Test and benchmark tooling (the app's benchmarks borrow it for --standins), and a way to try the
app before the real weights are trained. They make noise, not cats. "tiny" models are a few
hundred KB and run in milliseconds; "full" ones have each family's paper-size networks (random
weights), for measuring realistic latency. The networks are the families' own
(engine/families.py); the names, contracts and palettes are the studio's.

    python tests/standins.py --out /tmp/ganvas-weights [--scale tiny|full]
    GANVAS_WEIGHTS_DIR=/tmp/ganvas-weights python app.py
"""
from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script, or imported by the app's benchmarks
    sys.path.insert(0, str(ROOT))

from app.drawings.palettes import DEFAULT_FACADE_PALETTE, DEFAULT_STREET_PALETTE  # noqa: E402
from app.models import FACADE, SKETCH, STREET, STUDIO_MODELS, VARIATIONS, ZEBRA  # noqa: E402
from engine import InputContract, LatentPrior, PaletteEntry, save_model, upsert_entry  # noqa: E402
from engine.families import family_spec  # noqa: E402
from engine.nets import build_network  # noqa: E402
from engine.onnx_export import export_folder  # noqa: E402

SCALES = ("tiny", "full")


def _palette(pairs: list) -> tuple[PaletteEntry, ...]:
    return tuple(PaletteEntry(name, tuple(rgb)) for name, rgb in pairs)


def _specs(scale: str, native: int | None = None) -> dict[str, dict]:
    """name -> family, task, contract, extras (the networks are the family's own at this scale).
    native: the contracts' side (default 64 tiny, 256 full)."""
    tiny = scale == "tiny"
    size = native or (64 if tiny else 256)
    z_dim = 16 if tiny else 256
    k = 3
    g = torch.Generator().manual_seed(0)
    street_extras = {
        "style_mean": torch.zeros(z_dim),
        "style_components": torch.linalg.qr(torch.randn(z_dim, k, generator=g))[0].T.contiguous(),
        "style_spread": torch.tensor([1.5, 1.0, 0.7]),
        "style_presets": torch.randn(2, z_dim, generator=g),
    }
    return {
        SKETCH: dict(
            family="pix2pix",
            task="sketch -> cat photo",
            contract=InputContract(kind="sketch", size=size, channels=1),
        ),
        VARIATIONS: dict(
            family="bicyclegan",
            task="sketch -> many cat photos",
            contract=InputContract(kind="sketch", size=size, channels=1, nz=8, encoder=True),
            # seeds draw z near "training codes", as the shipped model's do (engine.latent_prior)
            extras=LatentPrior.from_codes(torch.randn(20, 8, generator=g) * 0.5 + 1.0, bandwidth=1.0).to_extras(),
        ),
        FACADE: dict(
            family="pix2pix",
            task="facade label map -> facade photo",
            contract=InputContract(kind="labels", size=size, channels=12, palette=_palette(DEFAULT_FACADE_PALETTE)),
        ),
        STREET: dict(
            family="spade",
            task="street label map -> street photo",
            contract=InputContract(kind="labels", size=size, channels=12, palette=_palette(DEFAULT_STREET_PALETTE), blank_class=11, nz=z_dim, style=True, encoder=True),
            extras=street_extras,
            extra_config={"style_preset_names": ["sunny", "overcast"]},
        ),
        ZEBRA: dict(
            family="cyclegan",
            task="horse <-> zebra",
            contract=InputContract(kind="photo", size=size, any_resolution=True, directions={"AtoB": "horse → zebra", "BtoA": "zebra → horse"}),
        ),
    }


def write_standins(
    weights: Path, *, scale: str = "tiny", names: Iterable[str] = STUDIO_MODELS, register_only: Iterable[str] = (), native: int | None = None, onnx: bool = False
) -> Path:
    """Write stand-in model folders and their manifest entries under `weights`.

    Names in `register_only` get a manifest entry but no files (a model whose weights are missing).
    native: the contracts' side (256: the canvases' own, so a page renders them without resizing).
    onnx: also export fp32 ONNX generator graphs (what the server's ONNX backend and the page run).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    weights = Path(weights)
    specs = _specs(scale, native)
    register_only = set(register_only)
    for name in list(names) + sorted(register_only):
        spec = specs[name]
        torch.manual_seed(0)
        networks = family_spec(spec["family"]).networks(spec["contract"], "tiny" if scale == "tiny" else "paper")
        nets = {role: build_network(arch, **kwargs) for role, (arch, kwargs) in networks.items()}
        folder = weights / name
        files = save_model(folder, name=name, family=spec["family"], task=spec["task"], contract=spec["contract"], networks=nets, extras=spec.get("extras"), extra_config=spec.get("extra_config"))
        entry = {
            "name": name,
            "family": spec["family"],
            "task": spec["task"],
            "files": files,
            "size_bytes": sum((folder / f).stat().st_size for f in files),
            "dataset": {"name": "none (stand-in, random weights)", "terms": "n/a"},
            "recipe": f"app.standins ({scale})",
            "metrics": {},
            "contract": spec["contract"].to_dict(),
        }
        if name in register_only:
            for f in files:
                (folder / f).unlink()
        elif onnx:
            # No parity check here: test_onnx checks every family's export. A random SPADE has one
            # output pixel in 294,912 (at 192x256) that differs by 2 between torch and ONNX Runtime
            # on AVX2-only CPUs; random weights turn any small difference into ±1. The page tests
            # compare the page's pictures with the server's themselves.
            export_folder(folder, generators_only=True, check=False)
        upsert_entry(entry, path=weights / "manifest.json")
    return weights



@dataclass
class Served:
    url: str
    weights: Path
    log: Path
    process: subprocess.Popen


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the app did not answer within {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def serving(weights: Path | None = None, *, scale: str = "tiny", args: Iterable[str] = (), timeout_s: float = 180.0) -> Iterator[Served]:
    """Run `python app.py` on 127.0.0.1 (a free port) over stand-in weights; stop it afterwards.

    weights: an existing weights folder, or None to write stand-ins of `scale` into a temp folder.
    """
    with tempfile.TemporaryDirectory(prefix="ganvas-serve-") as tmp:
        if weights is None:
            weights = write_standins(Path(tmp) / "weights", scale=scale)
        port = free_port()
        log = Path(tmp) / "app.log"
        env = {**os.environ, "GANVAS_WEIGHTS_DIR": str(weights), "GRADIO_ANALYTICS_ENABLED": "False"}
        env.pop("SPACE_ID", None)
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port), "--no-browser", *args],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}/"
        try:
            _wait_until_up(url, proc, log, timeout_s)
            yield Served(url=url, weights=Path(weights), log=log, process=proc)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="weights folder to write (then set GANVAS_WEIGHTS_DIR to it)")
    parser.add_argument("--scale", choices=SCALES, default="tiny")
    args = parser.parse_args()
    write_standins(args.out, scale=args.scale)
    print(f"stand-in models written to {args.out}; start the app with GANVAS_WEIGHTS_DIR={args.out} python app.py")


if __name__ == "__main__":
    main()
