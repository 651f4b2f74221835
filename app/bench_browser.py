"""Pen to picture in a real browser (a benchmark, not a test): Playwright drives Debian's chromium
against the studio and draws strokes on the sketch canvas like a person, ~2 s each, once with
the pictures rendered in the page (ONNX Runtime Web) and once on the server, in one run.

Per stroke it records, in the page's own clock: how many new pictures arrived while the pen was
moving (the live pictures), and the time from pen-up to the last picture (the settled one; a
stroke is settled when no new picture came for SETTLE_MS). Reports p50 / p95 over the strokes,
the server's renders and CPU seconds over all strokes (its /ganvas/stats), per path.

    python -m app.bench_browser                         # the shipped weights (weights/)
    python -m app.bench_browser --phone                 # also a 390x844 page with WASM on one thread
    python -m app.bench_browser --standins tiny --strokes 5
"""
from __future__ import annotations

import argparse
import contextlib
import math
import time
from pathlib import Path

import numpy as np

from .bench import SCALES, serving_standins

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SETTLE_MS = 1500  # no new picture for this long after pen-up: the stroke is settled
POLL_MS = 250  # how often the bench looks (Playwright's default, every frame, keeps the page's thread busy)
STROKE_MS = 2000
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}

# Page-side recorders: every new picture (the server's <img> or the page's own), pen down/up.
RECORDER = """() => {
  window.__ganvas = {outs: [], downs: [], ups: []};
  const rec = window.__ganvas, img = () => document.querySelector('#sketch-output img');
  let last = img() ? img().src : null;
  new MutationObserver(() => { const i = img(); if (i && i.src !== last) { last = i.src; rec.outs.push(performance.now()); } })
    .observe(document.querySelector('#sketch-output'), {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  document.addEventListener('ganvas-picture', (e) => { if (e.detail.name === 'pix2pix.edges2cats') rec.outs.push(performance.now()); });
  rec.longtasks = [];  // the page's own thread busy for > 50 ms: the pen stutters meanwhile
  new PerformanceObserver((list) => list.getEntries().forEach((t) => rec.longtasks.push([t.startTime, t.duration]))).observe({type: 'longtask'});
  const c = document.querySelector('#sketch-canvas canvas');
  // The events' own time stamps: when the pen went down / up, even if the page's thread was busy then.
  c.addEventListener('pointerdown', (e) => rec.downs.push(e.timeStamp), true);
  c.addEventListener('pointerup', (e) => rec.ups.push(e.timeStamp), true);
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


def _server(page, url: str) -> tuple[int, float]:
    stats = page.request.get(url + "ganvas/stats").json()
    return sum(stats["renders"].values()), stats["cpu_seconds"]


def measure(browser, url: str, *, strokes: int, where: str, viewport: dict = DESKTOP, query: str = "") -> dict:
    """Strokes on a fresh page that renders `where` ("device" or "server"); query: more of the
    page's switches (threads=N, proxy=0)."""
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(120_000)
    query = f"?render={where}" + (f"&{query}" if query else "")
    page.goto(url + query)
    if where == "device":
        page.wait_for_function("() => document.querySelector('#sketch-canvas .pc-where')?.dataset.where === 'device'")
    else:
        page.wait_for_selector("#sketch-output img")  # the starting example has rendered
    page.wait_for_timeout(SETTLE_MS)
    how = page.locator("#sketch-canvas .pc-where-text").inner_text()
    page.evaluate(RECORDER)
    page.locator("#sketch-canvas canvas").scroll_into_view_if_needed()
    box = page.locator("#sketch-canvas canvas").bounding_box()
    renders0, cpu0 = _server(page, url)
    finals, lives, stroke_ms = [], [], []
    for i in range(strokes):
        _draw(page, i, box)
        page.wait_for_function(
            f"() => {{ const r = window.__ganvas, up = r.ups[r.ups.length - 1], o = r.outs[r.outs.length - 1];"
            f" return o > up && performance.now() - o > {SETTLE_MS}; }}",
            polling=POLL_MS,
        )
        rec = page.evaluate("window.__ganvas")
        down, up = rec["downs"][-1], rec["ups"][-1]
        stroke_ms.append(up - down)
        lives.append(sum(1 for t in rec["outs"] if down < t <= up))
        finals.append(max(t for t in rec["outs"] if t > up) - up)
    renders1, cpu1 = _server(page, url)
    rec = page.evaluate("window.__ganvas")
    renders = page.evaluate("(window.Ganvas?.web && Ganvas.web.state.stats['pix2pix.edges2cats'] || {ms: []}).ms")
    in_strokes = [d for t, d in rec["longtasks"] if any(a <= t <= b for a, b in zip(rec["downs"], rec["ups"]))]
    page.close()
    return {
        "where": where,
        "how": how,
        "strokes": strokes,
        "stroke_ms": float(np.median(stroke_ms)),
        "final_p50_ms": float(np.percentile(finals, 50)),
        "final_p95_ms": float(np.percentile(finals, 95)),
        "live_min": min(lives),
        "live_median": float(np.median(lives)),
        "server_renders": renders1 - renders0,
        "longest_task_ms": max(in_strokes, default=0.0),
        "page_render_ms": float(np.median(renders[3:])) if len(renders) > 3 else float("nan"),
        "busy_share": sum(in_strokes) / max(1.0, sum(b - a for a, b in zip(rec["downs"], rec["ups"]))),
        # Minus the SETTLE_MS waits' idle ticks, this is what the strokes cost the server.
        "server_cpu_s": cpu1 - cpu0,
    }


# Per canvas: its tab, the endpoint that renders it on the server, the extra inputs (style seed 0).
CANVASES = (
    ("Sketch → Cat", "sketch", "/sketch_render", ()),
    ("Facade painter", "facade", "/facade_render", ()),
    ("Street painter", "street", "/street_render", ("random", 0, None, 0, 0, 0, 0)),
)


def parity(browser, url: str) -> list[dict]:
    """Each canvas after a stroke: the page's picture against the server's for the same canvas and
    latent (both the shipped graphs; the page's WebAssembly vs the server's CPU kernels)."""
    from gradio_client import Client
    from PIL import Image

    client, rows = Client(url, verbose=False), []
    page = browser.new_page(viewport=DESKTOP)
    page.set_default_timeout(120_000)
    page.goto(url + "?render=device")
    for tab, key, endpoint, extra in CANVASES:
        page.get_by_role("tab", name=tab).click()
        page.wait_for_function(f"() => document.querySelector('#{key}-canvas .pc-where')?.dataset.where === 'device'")
        box = page.locator(f"#{key}-canvas canvas.pc-canvas").bounding_box()
        _draw(page, 3, box)
        page.wait_for_function(f"(n) => Ganvas.web.state.stats[n] && Ganvas.web.state.stats[n].settled > 0 && !Ganvas.web.state.jobs[n].busy", arg=page.locator(f"#{key}-canvas .pc-where").get_attribute("data-model"))
        page.wait_for_timeout(300)
        shown = page.evaluate(f"(() => {{ const c = document.querySelector('#{key}-output .ganvas-device-out > canvas');"
                              " return {w: c.width, h: c.height, d: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)}; })()")
        mine = np.asarray(shown["d"], np.uint8).reshape(shown["h"], shown["w"], 4)[..., :3].astype(int)
        png = page.evaluate(f"document.querySelector('#{key}-canvas canvas.pc-canvas').toDataURL('image/png')")
        out, _ = client.predict({"png": png, "final": True, "origin": "browser"}, *extra, api_name=endpoint)
        diff = np.abs(mine - np.asarray(Image.open(out).convert("RGB")).astype(int))
        rows.append({"canvas": key, "max": int(diff.max()), "mean": float(diff.mean()), "over3": float((diff > 3).mean())})
    page.close()
    return rows


def report(rows: list[dict], title: str) -> None:
    print(title)
    print(
        f"  {'path':<30} {'pen-up->picture p50':>20} {'p95':>7} {'live/stroke min':>16} {'median':>7}"
        f" {'server renders':>15} {'server CPU s':>13} {'page thread: longest':>21} {'busy':>5} {'page render p50':>16}"
    )
    for r in rows:
        print(
            f"  {r['label']:<30} {r['final_p50_ms']:>17.0f} ms {r['final_p95_ms']:>4.0f} ms {r['live_min']:>16} {r['live_median']:>7.0f}"
            f" {r['server_renders']:>15} {r['server_cpu_s']:>13.2f} {r['longest_task_ms']:>18.0f} ms {r['busy_share']:>5.0%} {r['page_render_ms']:>13.0f} ms"
        )
    for r in rows:
        print(f"  {r['label']}: {r['how']}")


def main() -> None:
    parser = argparse.ArgumentParser(description="pen-to-picture latency of the sketch canvas in chromium, rendered in the page and on the server")
    parser.add_argument("--standins", choices=SCALES, help="launch on stand-in models instead of weights/")
    parser.add_argument("--url", help="a running app instead of launching one")
    parser.add_argument("--strokes", type=int, default=20)
    parser.add_argument("--phone", action="store_true", help="also a 390x844 page whose WASM runs on one thread (no isolation)")
    parser.add_argument("--parity", action="store_true", help="also compare the page's pictures with the server's on every canvas")
    parser.add_argument("--query", action="append", default=[], help="also in the page with these switches (e.g. threads=1)")
    parser.add_argument("--page-thread", action="store_true", help="also in the page with inference on the page's own thread (no worker)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        url = args.url
        if url is None:
            weights = None if args.standins else ROOT / "weights"
            url = stack.enter_context(serving_standins(weights, scale=args.standins or "tiny", args=["--device", "cpu"])).url
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        runs = [("in the page", dict(where="device")), ("on the server", dict(where="server"))]
        if args.phone:
            runs.append(("in the page, phone, 1 thread", dict(where="device", viewport=PHONE, query="threads=1")))
        for q in args.query:
            runs.append((f"in the page, {q}", dict(where="device", query=q)))
        if args.page_thread:
            runs.append(("in the page, no worker", dict(where="device", query="proxy=0")))
        rows = [{**measure(browser, url, strokes=args.strokes, **kw), "label": label} for label, kw in runs]
        same = parity(browser, url) if args.parity else []
        browser.close()
    report(rows, f"{args.strokes} strokes of ~{STROKE_MS / 1000:.0f} s on the sketch canvas in headless chromium, per path:")
    if same:
        print("The page's picture vs the server's, same canvas and latent (uint8 levels):")
        for r in same:
            print(f"  {r['canvas']:<8} max |diff| {r['max']:>3}   mean {r['mean']:.3f}   pixels over 3: {r['over3']:.2%}")


if __name__ == "__main__":
    main()
