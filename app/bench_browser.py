"""Pen to picture in a real browser (a benchmark, not a test): Playwright drives Debian's chromium
against the studio and draws strokes on the sketch canvas like a person, ~2 s each.

Per stroke it records, in the page's own clock: how many new pictures arrived while the pen was
moving (the live renders), and the time from pen-up to the last picture (the final render; a
stroke is settled when no new picture came for SETTLE_MS). Reports p50 / p95 over the strokes,
beside the server's own render time read from the status line.

    python -m app.bench_browser                         # the shipped weights (weights/)
    python -m app.bench_browser --standins tiny --strokes 5
"""
from __future__ import annotations

import argparse
import contextlib
import math
import re
import time
from pathlib import Path

import numpy as np

from .bench import SCALES, serving_standins

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SETTLE_MS = 1500  # no new picture for this long after pen-up: the stroke is settled
STROKE_MS = 2000

# Page-side recorders: every change of the output picture, and pen down/up times, in one clock.
RECORDER = """() => {
  window.__ganvas = {outs: [], downs: [], ups: []};
  const rec = window.__ganvas, img = () => document.querySelector('#sketch-output img');
  let last = img() ? img().src : null;
  new MutationObserver(() => { const i = img(); if (i && i.src !== last) { last = i.src; rec.outs.push(performance.now()); } })
    .observe(document.querySelector('#sketch-output'), {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  const c = document.querySelector('#sketch-canvas canvas');
  c.addEventListener('pointerdown', () => rec.downs.push(performance.now()), true);
  c.addEventListener('pointerup', () => rec.ups.push(performance.now()), true);
}"""


def _point(i: int, t: float, box: dict) -> tuple[float, float]:
    """Where stroke i's pen is at t in [0, 1]: a wavy line across the canvas, different per i."""
    cx, cy, side = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, min(box["width"], box["height"])
    y0 = (((i * 37) % 11) / 11 - 0.5) * 0.7
    return cx + (t - 0.5) * 0.7 * side, cy + (y0 + 0.08 * math.sin(t * 9 + i)) * side


def _draw(page, i: int, box: dict) -> None:
    """Drag the mouse for STROKE_MS, placing the pen by elapsed time (each move is a round trip)."""
    start = time.perf_counter()
    page.mouse.move(*_point(i, 0.0, box))
    page.mouse.down()
    while (t := (time.perf_counter() - start) * 1000 / STROKE_MS) < 1:
        page.mouse.move(*_point(i, t, box), steps=2)
        page.wait_for_timeout(15)
    page.mouse.move(*_point(i, 1.0, box))
    page.mouse.up()


def measure(url: str, *, strokes: int) -> dict:
    from playwright.sync_api import sync_playwright

    finals, lives, server_ms, stroke_ms = [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        page.goto(url)
        page.wait_for_selector("#sketch-output img")  # the starting example has rendered
        page.evaluate(RECORDER)
        box = page.locator("#sketch-canvas canvas").bounding_box()
        for i in range(strokes):
            _draw(page, i, box)
            page.wait_for_function(
                f"() => {{ const r = window.__ganvas, up = r.ups[r.ups.length - 1], o = r.outs[r.outs.length - 1];"
                f" return o > up && performance.now() - o > {SETTLE_MS}; }}"
            )
            rec = page.evaluate("window.__ganvas")
            down, up = rec["downs"][-1], rec["ups"][-1]
            stroke_ms.append(up - down)
            lives.append(sum(1 for t in rec["outs"] if down < t <= up))
            finals.append(max(t for t in rec["outs"] if t > up) - up)
            found = re.search(r"(\d+) ms", page.locator("#sketch-render-status").inner_text())
            if found:
                server_ms.append(float(found.group(1)))
        browser.close()
    return {
        "strokes": strokes,
        "stroke_ms": float(np.median(stroke_ms)),
        "final_p50_ms": float(np.percentile(finals, 50)),
        "final_p95_ms": float(np.percentile(finals, 95)),
        "live_min": min(lives),
        "live_median": float(np.median(lives)),
        "server_p50_ms": float(np.percentile(server_ms, 50)) if server_ms else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="pen-to-picture latency of the sketch canvas in chromium")
    parser.add_argument("--standins", choices=SCALES, help="launch on stand-in models instead of weights/")
    parser.add_argument("--url", help="a running app instead of launching one")
    parser.add_argument("--strokes", type=int, default=20)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = args.url
        if url is None:
            weights = None if args.standins else ROOT / "weights"
            url = stack.enter_context(serving_standins(weights, scale=args.standins or "tiny", args=["--device", "cpu"])).url
        r = measure(url, strokes=args.strokes)
    print(f"{r['strokes']} strokes on the sketch canvas in chromium, pen down for {r['stroke_ms']:.0f} ms (median):")
    print(f"  pen-up -> final picture   p50 {r['final_p50_ms']:.0f} ms   p95 {r['final_p95_ms']:.0f} ms")
    print(f"  pictures while drawing    min {r['live_min']}   median {r['live_median']:.0f} per stroke")
    print(f"  server render (status)    p50 {r['server_p50_ms']:.0f} ms")


if __name__ == "__main__":
    main()
