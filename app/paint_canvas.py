"""The studio's painting canvas: a gr.HTML whose script (static/paint_canvas.js) draws and posts.

Gradio's ImageEditor uploads the canvas about a second after the pen lifts and never while it
moves; this canvas posts a PNG (a data URL in the value) while the pen moves, throttled, and once
on pen-up, so the picture follows the pen. Label maps are painted without antialiasing in the
display colours of their classes, with a named palette, brush, rectangle, fill, eraser (to the
blank class), undo/redo (Ctrl+Z, Ctrl+Shift+Z / Ctrl+Y) and one clear. Values:
  browser -> server: {"png": data URL, "final": bool, "seq": int, "origin": "browser"}
  server -> browser: {"png": data URL, "origin": "server", "render": bool}; the canvas loads it
  (undo steps back past it) and, unless render is False, posts it back for a render.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from .drawings.palettes import hex_colour

STATIC = Path(__file__).resolve().parent / "static"
SCRIPT = (STATIC / "paint_canvas.js").read_text(encoding="utf-8")
STYLE = (STATIC / "paint_canvas.css").read_text(encoding="utf-8")
LIVE_MS = 150  # a live render at most this often while drawing (a render takes ~100 ms on 2 cores)


@dataclass(frozen=True)
class PaintClass:
    name: str
    rgb: tuple[int, int, int]  # the colour painted on the canvas (what the user sees)


def _button(label: str, *, title: str, **data: str) -> str:
    attrs = " ".join(f'data-{k}="{html.escape(v)}"' for k, v in data.items())
    return f'<button type="button" {attrs} title="{html.escape(title)}">{label}</button>'


def _toolbar(*, sketch: bool, max_size: int) -> str:
    if sketch:
        tools = [("pen", "✎ Pen", "Draw lines"), ("eraser", "⌫ Eraser", "Erase to paper")]
    else:
        tools = [
            ("brush", "✎ Brush", "Paint the chosen class"),
            ("rect", "▭ Rectangle", "Drag a filled rectangle of the chosen class"),
            ("fill", "◍ Fill", "Fill the touched region with the chosen class"),
            ("eraser", "⌫ Eraser", "Paint the blank class"),
        ]
    parts = [_button(label, title=title, tool=key) for key, label, title in tools]
    parts.append('<span class="pc-sep"></span>')
    parts.append(_button("↶ Undo", title="Undo (Ctrl+Z)", act="undo"))
    parts.append(_button("↷ Redo", title="Redo (Ctrl+Shift+Z or Ctrl+Y)", act="redo"))
    parts.append(_button("Clear", title="Start again from a blank canvas", act="clear"))
    parts.append(f'<label title="Brush size (px)">size <input class="pc-size" type="range" min="1" max="{max_size}" step="1"></label>')
    return '<div class="pc-bar">' + "".join(parts) + "</div>"


def _palette(classes: list[PaintClass]) -> str:
    chips = "".join(
        f'<button type="button" data-class="{i}" style="--swatch:{hex_colour(c.rgb)}" title="{html.escape(c.name)}">{html.escape(c.name)}</button>'
        for i, c in enumerate(classes)
    )
    return f'<div class="pc-current" aria-live="polite"></div><div class="pc-palette">{chips}</div>'


def _where(model: str) -> str:
    """Where the pictures are rendered, with the visitor's switch (ganvas_web.js fills it in)."""
    return (
        f'<div class="pc-where" data-model="{html.escape(model)}" data-where="server" aria-live="polite">'
        '<span class="pc-where-text">Rendered on the server</span>'
        '<button type="button" data-act="where" title="Choose where pictures are rendered">Render on this device</button></div>'
    )


def paint_canvas(
    *, elem_id: str, size: tuple[int, int], classes: list[PaintClass] | None, blank_class: int, value: dict | None, label: str, model: str, output_id: str
) -> gr.HTML:
    """A sketch canvas (classes None: pen on paper) or a label painter over `classes`, whose
    pictures come from `model` into the output element `output_id` (rendered in the page where
    it can, else by the server)."""
    sketch = classes is None
    if sketch:
        classes = [PaintClass("paper", (255, 255, 255)), PaintClass("ink", (0, 0, 0))]
        blank_class = 0
    w, h = size
    markup = (
        f'<div class="pc" data-mode="{"sketch" if sketch else "labels"}" style="--pc-aspect:{w} / {h}; --pc-ratio:{w / h:.4f}">'
        f'<div class="pc-label">{html.escape(label)}</div>'
        + _toolbar(sketch=sketch, max_size=12 if sketch else 64)
        + ("" if sketch else _palette(classes))
        + '<canvas class="pc-canvas"></canvas>'
        + _where(model)
        + "</div>"
    )
    return gr.HTML(
        value=value,
        html_template=markup,
        css_template=STYLE,
        js_on_load=SCRIPT,
        elem_id=elem_id,
        # props read by the script
        mode="sketch" if sketch else "labels",
        width=w,
        height=h,
        classes=[{"name": c.name, "hex": hex_colour(c.rgb)} for c in classes],
        blank=blank_class,
        live_ms=LIVE_MS,
        model=model,
        output=output_id,
    )
