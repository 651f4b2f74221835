"""Stroke-to-image latency through the studio's HTTP API (a benchmark, not a test).

Each request is what a stroke costs a user, over Gradio's HTTP API as the page uses it: post the
256 x 256 canvas as a PNG data URL, queue, render, read the result, download the PNG. (What the
user sees in the browser, pen to picture, is measured by `python -m app.bench_browser`.) Per tab it
reports p50 / p95 over many requests with one client, then with 8 clients
sending at the same time (each its own session).

    python -m app.bench --url http://127.0.0.1:7860/       # a running app (its own weights)
    python -m app.bench --standins full                     # launch one on full-size stand-ins
    python -m app.bench --standins tiny --requests 10       # quick check of the plumbing
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from .drawings.cat_sketches import example_sketches
from .drawings.facade_layouts import FACADE_CLASSES, colorize, facade_layout
from .drawings.palettes import DEFAULT_FACADE_PALETTE, DEFAULT_STREET_PALETTE, display_palette
from .drawings.street_layouts import STREET_CLASSES, street_layout

SIZE = (256, 256)
SCALES = ("tiny", "full")  # stand-in model sizes (tests/standins.py)
TESTS = Path(__file__).resolve().parent.parent / "tests"


def serving_standins(weights: Path | None = None, *, scale: str, args: list[str]) -> contextlib.AbstractContextManager:
    """The app launched on stand-in models (or on `weights`). Stand-ins are test tooling: they live
    in tests/standins.py, and a benchmark borrows them only when it launches its own app."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from standins import serving

    return serving(weights, scale=scale, args=args)


def _inputs(folder: Path) -> dict[str, list[Path]]:
    """A few different 256 x 256 inputs per tab, so consecutive requests differ like strokes do."""
    out: dict[str, list[Path]] = {"sketch": [], "facade": [], "street": [], "zebra": []}
    for i, (_, sketch) in enumerate(example_sketches()[:4]):
        out["sketch"].append(folder / f"sketch{i}.png")
        Image.fromarray(sketch).save(out["sketch"][-1])
    for seed in range(4):
        out["facade"].append(folder / f"facade{seed}.png")
        # In the painters' display colours, as the canvas sends them.
        Image.fromarray(colorize(facade_layout(seed, size=SIZE), FACADE_CLASSES, display_palette(DEFAULT_FACADE_PALETTE))).save(out["facade"][-1])
        out["street"].append(folder / f"street{seed}.png")
        Image.fromarray(colorize(street_layout(seed, size=SIZE), STREET_CLASSES, display_palette(DEFAULT_STREET_PALETTE))).save(out["street"][-1])
        out["zebra"].append(folder / f"photo{seed}.png")
        rng = np.random.default_rng(seed)
        photo = Image.fromarray((rng.random((32, 32, 3)) * 255).astype(np.uint8)).resize(SIZE, Image.BICUBIC)
        photo.save(out["zebra"][-1])
    return out


class StudioClient:
    """Gradio's HTTP API spoken as the page speaks it, over one keep-alive connection: upload the
    stroke's files, call the event, read its result from the event stream, fetch the output PNG.

    gradio_client is not used: it adds ~200 ms of its own per call on this machine (a trivial
    endpoint takes 84 ms through it), which would swamp the ~25 ms a 256 px pix2pix render costs.
    """

    def __init__(self, url: str) -> None:
        import httpx

        self.api = url.rstrip("/") + "/gradio_api"
        self.http = httpx.Client(timeout=60)

    def upload(self, path: Path) -> dict:
        with open(path, "rb") as fh:
            r = self.http.post(f"{self.api}/upload", files=[("files", (path.name, fh, "image/png"))])
        r.raise_for_status()
        return {"path": r.json()[0], "meta": {"_type": "gradio.FileData"}}

    def call(self, api_name: str, data: list) -> list:
        r = self.http.post(f"{self.api}/call/{api_name}", json={"data": data})
        r.raise_for_status()
        event = ""
        with self.http.stream("GET", f"{self.api}/call/{api_name}/{r.json()['event_id']}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    if event == "error":
                        raise RuntimeError(f"{api_name}: {line[5:].strip()}")
                    return json.loads(line[5:])
        raise RuntimeError(f"{api_name}: the event stream ended without a result")

    def fetch(self, file_data: dict | None) -> bytes:
        if not file_data:
            return b""
        r = self.http.get(file_data["url"])
        r.raise_for_status()
        return r.content

    def close(self) -> None:
        self.http.close()


def _stroke(client: StudioClient, tab: str, path: Path) -> tuple[bytes, str]:
    """One stroke's request: a canvas tab posts the canvas as a PNG data URL, as the page does; the
    photo tab uploads the photo."""
    if tab == "zebra":
        image, status = client.call("zebra_translate", [client.upload(path), "AtoB"])
        return client.fetch(image), status
    canvas = {"png": "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii"), "final": True, "origin": "browser"}
    extra = ["random", 1, None, 0, 0, 0, 0] if tab == "street" else []
    image, status = client.call(f"{tab}_render", [canvas, *extra])
    return client.fetch(image), status


def _run_client(url: str, tab: str, files: list[Path], n: int, latencies: list[float], errors: list[str], start: threading.Barrier | None) -> None:
    client = StudioClient(url)
    if start is not None:
        start.wait()
    try:
        for i in range(n):
            t0 = time.perf_counter()
            try:
                png, status = _stroke(client, tab, files[i % len(files)])
            except Exception as exc:  # the queue may refuse when full: count it, keep going
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - t0)
            if not png:
                errors.append(status)
    finally:
        client.close()


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def measure(url: str, tab: str, files: list[Path], *, clients: int, requests: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    barrier = threading.Barrier(clients) if clients > 1 else None
    threads = [threading.Thread(target=_run_client, args=(url, tab, files, requests, latencies, errors, barrier)) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "tab": tab,
        "clients": clients,
        "n": len(latencies),
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p95_ms": _percentile(latencies, 95) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
        "req_per_s": len(latencies) / wall if wall else float("nan"),
        "errors": errors,
    }


def run(url: str, *, tabs: list[str], requests: int, concurrent: int, report: Callable[[str], None] = print) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="ganvas-bench-") as tmp:
        files = _inputs(Path(tmp))
        rows = []
        report(f"{'tab':8} {'clients':>7} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7}  errors")
        for tab in tabs:
            measure(url, tab, files[tab], clients=1, requests=2)  # warm up: the model loads on first use
            for clients in (1, concurrent):
                row = measure(url, tab, files[tab], clients=clients, requests=requests if clients == 1 else max(2, requests // 2))
                rows.append(row)
                first_error = f"  ({row['errors'][0][:80]})" if row["errors"] else ""
                report(f"{tab:8} {clients:7d} {row['n']:4d} {row['p50_ms']:8.0f} {row['p95_ms']:8.0f} {row['req_per_s']:7.1f}  {len(row['errors'])}{first_error}")
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="stroke-to-image latency of the running studio, per tab")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running app, e.g. http://127.0.0.1:7860/")
    where.add_argument("--standins", choices=SCALES, help="launch the app on stand-in models of this size")
    parser.add_argument("--tabs", default="sketch,facade,street,zebra")
    parser.add_argument("--requests", type=int, default=30, help="requests per client (single client; half that with many)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients for the second measurement")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None, help="with --standins: where the app runs its models")
    args = parser.parse_args()
    tabs = [t.strip() for t in args.tabs.split(",") if t.strip()]
    with contextlib.ExitStack() as stack:
        url = args.url
        if url is None:
            served = stack.enter_context(serving_standins(scale=args.standins, args=["--device", args.device] if args.device else []))
            url = served.url
            print(f"app on {args.standins} stand-ins at {url}")
        run(url, tabs=tabs, requests=args.requests, concurrent=args.clients)


if __name__ == "__main__":
    main()
