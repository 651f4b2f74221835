"""ONNX Runtime Web for rendering in the visitor's page: a pinned release, installed into the app's
static files from the npm registry.

    python -m app.web_runtime            # download (once; checked against the registry's sha512)
    python -m app.web_runtime --check    # exit 1 when the files are missing or changed

The page loads the runtime from the app (`/ganvas/ort/<version>/`) when these files are here, else
from a public CDN at the same version (so `pip install -r requirements.txt && python app.py` keeps
working; offline, with neither, the server renders). Only what the page uses is unpacked: the
WebAssembly build (ort.wasm.min.js with its SIMD + threads module) and the WebGPU build
(ort.webgpu.min.js with its asyncify module), not the tarball's other ~80 MB.
"""
from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

VERSION = "1.31.1"
TARBALL = f"https://registry.npmjs.org/onnxruntime-web/-/onnxruntime-web-{VERSION}.tgz"
INTEGRITY = "sha512-5GeH+bWQ+HxM10z7erGlsWqryrwMbSvm/1tkIsKTT48g0fI19VXVVC435t4t7VsPdSQeS7NmuZPXrQ73k82URw=="
CDN = f"https://cdn.jsdelivr.net/npm/onnxruntime-web@{VERSION}/dist/"
WASM_SCRIPT = "ort.wasm.min.js"
WEBGPU_SCRIPT = "ort.webgpu.min.js"
FILES = (
    WASM_SCRIPT,
    "ort-wasm-simd-threaded.mjs",
    "ort-wasm-simd-threaded.wasm",
    WEBGPU_SCRIPT,
    "ort-wasm-simd-threaded.asyncify.mjs",
    "ort-wasm-simd-threaded.asyncify.wasm",
)
RUNTIME_DIR = Path(__file__).resolve().parent / "static" / "ort" / VERSION
STAMP = "INSTALLED"  # written last: lists each file's sha256, so a half-written install is not trusted


def installed(folder: Path = RUNTIME_DIR) -> bool:
    """True when every file is present and matches the stamp written at install time."""
    stamp = folder / STAMP
    if not stamp.is_file():
        return False
    expected = dict(line.split("  ", 1)[::-1] for line in stamp.read_text().splitlines() if "  " in line)
    if set(expected) != set(FILES):
        return False
    return all((folder / name).is_file() and _sha256(folder / name) == digest for name, digest in expected.items())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(url: str, *, attempts: int = 3) -> bytes:
    for attempt in range(attempts):  # a registry hiccup should not fail a CI run
        try:
            with urllib.request.urlopen(url, timeout=120) as response:
                return response.read()
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(2 * (attempt + 1))
    raise AssertionError("unreachable")


def _check_integrity(data: bytes) -> None:
    algo, _, expected = INTEGRITY.partition("-")
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode("ascii")
    if got != expected:
        raise RuntimeError(f"onnxruntime-web {VERSION}: the download does not match the registry's {algo} ({TARBALL})")


def install(folder: Path = RUNTIME_DIR, *, fetch=_download) -> bool:
    """Install the runtime files into folder; False when they were already there (idempotent)."""
    if installed(folder):
        return False
    data = fetch(TARBALL)
    _check_integrity(data)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STAMP).unlink(missing_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for name in FILES:
            member = tar.extractfile(f"package/dist/{name}")
            if member is None:
                raise RuntimeError(f"onnxruntime-web {VERSION} has no dist/{name}")
            (folder / name).write_bytes(member.read())
    for name in FILES:  # the WebAssembly modules gzipped once here: 14 MB -> 4 MB over the wire
        if name.endswith(".wasm"):
            (folder / f"{name}.gz").write_bytes(gzip.compress((folder / name).read_bytes(), compresslevel=6, mtime=0))
    (folder / STAMP).write_text("".join(f"{_sha256(folder / n)}  {n}\n" for n in FILES))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.web_runtime", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the installed files")
    args = parser.parse_args(argv)
    if args.check:
        ok = installed()
        print(f"onnxruntime-web {VERSION}: {'installed' if ok else 'missing'} in {RUNTIME_DIR}")
        return 0 if ok else 1
    try:
        fresh = install()
    except (OSError, RuntimeError) as exc:
        print(f"onnxruntime-web {VERSION} could not be installed: {exc}\nThe page will load it from {CDN} instead.", file=sys.stderr)
        return 1
    size = sum((RUNTIME_DIR / n).stat().st_size for n in FILES) / 2**20
    print(f"onnxruntime-web {VERSION} {'installed' if fresh else 'already installed'} in {RUNTIME_DIR} ({size:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
