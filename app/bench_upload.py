"""What a phone photo costs the server (a benchmark, not a test): time and peak memory to read a
large JPEG as the studio does (scaled down as it is decoded) against reading it whole, and a
whole horse -> zebra translation of it through the tab's handler.

    python -m app.bench_upload                      # a 24 MP JPEG, 5 runs each
    python -m app.bench_upload --megapixels 48 --runs 3

Each way runs in its own process; the table gives the peak resident memory above what the
process held just before the photo was read (sampled every millisecond).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

WAYS = {
    "read as the studio does": "read-scaled",
    "read whole (no scaling)": "read-whole",
    "horse → zebra, upload to picture": "translate",
}


def phone_jpeg(path: Path, megapixels: float) -> Path:
    """A 3:2 JPEG with a photo's kind of detail (smooth light, fine noise), quality 90."""
    width = int((megapixels * 1e6 * 1.5) ** 0.5)
    height = int(width / 1.5)
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([120 + 80 * np.sin(x / 700), 140 + 60 * np.cos(y / 500), 110 + 50 * np.sin((x + y) / 900)], axis=-1)
    noisy = base + rng.normal(0, 18, (height, width, 1)).astype(np.float32)
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(path, quality=90)
    return path


class PeakMemory:
    """The highest resident memory of this process while it is on, sampled every millisecond
    (ru_maxrss would keep the imports' own peak, which can hide the photo's)."""

    def __init__(self) -> None:
        self.peak = self.start = rss_mb()
        self._on = False

    def __enter__(self) -> "PeakMemory":
        self.peak = self.start = rss_mb()
        self._on = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while self._on:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.001)

    def __exit__(self, *exc: object) -> None:
        self._on = False
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def one_way(way: str, path: Path, runs: int) -> dict:
    """Run in a child process: import, note the peak so far, then time `runs` repetitions."""
    from app import handlers
    from app.uploads import load_upload
    from engine import load_image

    steps = {
        "read-scaled": lambda: load_upload({"path": str(path)}),
        "read-whole": lambda: load_image(path),
        "translate": lambda: handlers.translate_photo({"path": str(path)}, "AtoB"),
    }
    step = steps[way]
    if way == "translate":
        handlers.HUB.get(handlers.ZEBRA)  # the model loads before the clock starts, as on a warm server
    times, result, above = [], None, 0.0
    for _ in range(runs):
        with PeakMemory() as memory:
            started = time.perf_counter()
            result = step()
            times.append((time.perf_counter() - started) * 1000)
        above = max(above, memory.peak - memory.start)
        result = result if isinstance(result, tuple) else f"{result.width}x{result.height}"  # let the picture go
    said = result[1] if isinstance(result, tuple) else result
    return {"ms_median": statistics.median(times), "ms_min": min(times), "peak_mb_above": above, "said": said}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=24.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("WAY", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_way(args.child[0], Path(args.child[1]), args.runs)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = phone_jpeg(Path(tmp) / "phone.jpg", args.megapixels)
        with Image.open(path) as im:
            size = im.size
        print(f"{args.megapixels:g} MP JPEG {size[0]}x{size[1]}, {path.stat().st_size / 2**20:.1f} MB; {args.runs} runs each, each way in its own process")
        print(f"{'way':36} {'median ms':>10} {'min ms':>8} {'peak MB above start':>20}  result")
        for label, way in WAYS.items():
            out = subprocess.run([sys.executable, "-m", "app.bench_upload", "--runs", str(args.runs), "--child", way, str(path)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{label:36} {r['ms_median']:10.0f} {r['ms_min']:8.0f} {r['peak_mb_above']:20.0f}  {r['said']}")


if __name__ == "__main__":
    main()
