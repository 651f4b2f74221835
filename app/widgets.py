"""Pieces shared by the tabs: event options, status banners, the page's CSS."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import gradio as gr

from .model_words import unavailable_markdown
from .models import HUB


@dataclass(frozen=True)
class UiOptions:
    batch: bool = False  # gradio gathers concurrent requests of one event into one call (GPU)
    max_batch_size: int = 8
    concurrency: int = 1  # requests one model runs at the same time (per model, across events)


def live(options: UiOptions, model: str, api_name: str, *, batched: bool = False) -> dict:
    """Options of an event that re-renders while the user draws: only the latest state renders."""
    opts = dict(
        api_name=api_name,
        trigger_mode="always_last",
        show_progress="minimal",
        concurrency_id=model,
        concurrency_limit=options.concurrency,
    )
    if batched and options.batch:
        opts.update(batch=True, max_batch_size=options.max_batch_size)
    return opts


def render_on_canvas(canvas: gr.HTML, fn: Callable, *, inputs: list, outputs: list, options: UiOptions, model: str, api_name: str, also: Sequence = ()) -> None:
    """Wire a painting canvas to its render: live frames while the pen moves, a final one on lift.

    The canvas triggers "input" for live frames and "submit" for the settled picture (pen-up,
    undo, clear, a loaded example). Live frames use trigger_mode "once": while one renders, newer
    ones are dropped, so no backlog builds and no live frame is left waiting in the page when the
    pen lifts; the final one is sent at once and queues (same model, same concurrency group)
    behind at most the one live frame in flight, which therefore never lands after it. `also`:
    other triggers that re-render (style controls), treated like the final picture.
    """
    settled = live(options, model, api_name, batched=True)
    gr.on([canvas.submit, *also], fn, inputs=inputs, outputs=outputs, **settled)
    live_frames = {**settled, "trigger_mode": "once", "api_name": None, "api_visibility": "private", "show_progress": "hidden"}
    canvas.input(fn, inputs=inputs, outputs=outputs, **live_frames)


def action(options: UiOptions, model: str | None, api_name: str) -> dict:
    """Options of a button-like event."""
    opts: dict = dict(api_name=api_name, show_progress="minimal")
    if model:
        opts.update(concurrency_id=model, concurrency_limit=options.concurrency)
    return opts


def availability_markdown(*names: str) -> str:
    """The banner of a tab: empty when its models are ready; else, in plain words, what the tab
    will do and that it is not available yet, with the files and commands folded away for
    developers (app.model_words; no server paths)."""
    return "\n\n".join(note for note in (unavailable_markdown(name, HUB) for name in names) if note)


def status_banner(*names: str, elem_id: str) -> gr.Markdown:
    """A tab's availability banner (hidden while empty; the page re-checks it on every load)."""
    return gr.Markdown(availability_markdown(*names), elem_id=elem_id, elem_classes=["ganvas-banner"])


CSS = """
#street-style-photo {border-width:1px; border-color:var(--border-color-primary)}
.ganvas-banner:empty {display:none}
.ganvas-hidden {display:none !important}
#ganvas-title h1 {margin-bottom:0}
#model-samples .caption-label {white-space:normal; text-overflow:clip; max-width:calc(100% - 12px)}
.ganvas-output img {width:100%; height:100%; object-fit:contain}
.ganvas-output, #variation-gallery {position:relative}
.ganvas-device-out {position:absolute; inset:0; z-index:50; display:flex; flex-direction:column; gap:4px; padding:6px; background:var(--block-background-fill, #fff); border-radius:inherit}
.ganvas-device-out[hidden] {display:none}
.ganvas-device-out > canvas {flex:1; min-height:0; width:100%; height:100%; object-fit:contain}
.gdo-bar {display:flex; justify-content:space-between; align-items:center; font-size:12px; opacity:0.85}
.gdo-save {cursor:pointer; text-decoration:none}
.gdo-grid {flex:1; min-height:0; overflow:auto; display:grid; grid-template-columns:repeat(auto-fill, minmax(110px, 1fr)); gap:6px}
.gdo-grid figure {margin:0; display:flex; flex-direction:column; gap:2px}
.gdo-grid canvas {width:100%; height:auto; aspect-ratio:1}
.gdo-grid a {font-size:11px; text-decoration:none}
body[data-ganvas-sketch-output="device"] #sketch-render-status, body[data-ganvas-facade-output="device"] #facade-render-status,
body[data-ganvas-street-output="device"] #street-render-status {display:none}
/* A phone: every tab's name in view (short padding, wrapping rows), and each canvas's picture
   short enough to sit under the canvas on the same screen. */
@media (max-width: 640px) {
  #ganvas-title h1 {font-size:1.5rem}
  #ganvas-title p {display:none}
  .tab-container button, [role=tablist] button {padding:6px 8px; font-size:13px}
  .ganvas-workbench {gap:8px}
  .ganvas-workbench .ganvas-output {height:calc(33svh + 36px) !important}
  #model-samples .grid-container {--grid-cols:1 !important}  /* one sample a row: input and output readable */
}
"""
