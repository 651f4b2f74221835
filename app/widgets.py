"""Pieces shared by the tabs: event options, status banners, palette legends, label canvases."""
from __future__ import annotations

import html
from dataclasses import dataclass

import gradio as gr

from .models import HUB
from .palettes import hex_colour, text_colour


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


def action(options: UiOptions, model: str | None, api_name: str) -> dict:
    """Options of a button-like event."""
    opts: dict = dict(api_name=api_name, show_progress="minimal")
    if model:
        opts.update(concurrency_id=model, concurrency_limit=options.concurrency)
    return opts


def availability_markdown(*names: str) -> str:
    """The banner of a tab: empty when its models are ready, else what is missing and how to fix."""
    notes = []
    for name in names:
        status = HUB.availability(name)
        if not status.ready:
            notes.append(f"**Weights missing.** {status.message}")
    return "\n\n".join(notes)


def status_banner(*names: str, elem_id: str) -> gr.Markdown:
    return gr.Markdown(availability_markdown(*names), elem_id=elem_id, elem_classes=["ganvas-banner"])


LEGEND_NOTE = "Classes, laid out like the swatches of the colour button in the canvas toolbar (left):"


def legend_html(palette: list[tuple[str, tuple[int, int, int]]]) -> str:
    """Named swatches, in the order of the brush colours of the canvas."""
    chips = "".join(
        f'<span class="ganvas-chip" style="background:{hex_colour(rgb)};color:{text_colour(rgb)}">{html.escape(name)}</span>'
        for name, rgb in palette
    )
    return f'<div class="ganvas-legend-note">{LEGEND_NOTE}</div><div class="ganvas-legend">{chips}</div>'


def label_canvas(palette: list[tuple[str, tuple[int, int, int]]], *, size: tuple[int, int], value: dict, label: str, elem_id: str) -> gr.ImageEditor:
    """A lossless painting canvas whose brush only has the palette's colours."""
    colours = [hex_colour(rgb) for _, rgb in palette]
    return gr.ImageEditor(
        value=value,
        label=label,
        elem_id=elem_id,
        type="numpy",
        image_mode="RGBA",
        format="png",  # lossless: webp would blur class colours into each other
        canvas_size=size,
        fixed_canvas=True,
        sources=(),
        transforms=(),
        layers=False,
        brush=gr.Brush(colors=colours, default_color=colours[1 % len(colours)], color_mode="fixed", default_size=12),
        eraser=gr.Eraser(default_size=16),
        buttons=["download", "fullscreen"],
        height=430,
    )


CSS = """
.ganvas-legend-note {font-size:12px; opacity:0.8; margin:2px 0}
.ganvas-legend {display:grid; grid-template-columns:repeat(6, 1fr); gap:4px; margin:2px 0 6px 0}
.ganvas-chip {padding:2px 8px; border-radius:10px; font-size:12px; border:1px solid #0002; text-align:center; overflow:hidden; text-overflow:ellipsis; white-space:nowrap}
#street-style-photo {border-width:1px; border-color:var(--border-color-primary)}
.ganvas-banner:empty {display:none}
#ganvas-title h1 {margin-bottom:0}
.ganvas-output img {width:100%; height:100%; object-fit:contain}
"""
