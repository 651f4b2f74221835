"""The label painter's page, shared by the facade and street tabs (painters.py holds the painter
and its two settings): the canvas with its named palette, a random procedural layout with its
seed, a label-map upload and the example layouts of assets/.

`canvas_column` builds the canvas side; `extras_row` the layouts, upload and examples under it
(below the output on a phone); `wire` connects them. The tabs add their own outputs and controls.
"""
from __future__ import annotations

import gradio as gr

from . import handlers as h
from .examples import layout_examples, thumbnails
from .paint_canvas import paint_canvas
from .painters import LabelPainter
from .widgets import UiOptions, action


def canvas_column(painter: LabelPainter) -> gr.HTML:
    blank = h.blank_class(painter.model)
    noun = painter.kind
    return paint_canvas(
        elem_id=f"{noun}-canvas",
        size=painter.size,
        classes=painter.classes(),
        blank_class=blank,
        value=painter.example(0),
        label=f"Paint a {noun}: pick a class, then brush, drag a rectangle or fill a region",
        model=painter.model,
        output_id=f"{noun}-output",
    )


def extras_row(painter: LabelPainter) -> dict:
    noun = painter.kind
    with gr.Row(equal_height=False):
        with gr.Column():
            with gr.Row(equal_height=False):
                random_btn = gr.Button(f"Random {noun}", elem_id=f"{noun}-random", scale=2, size="md")
                seed = gr.Number(label="Layout seed (↵ applies)", precision=0, minimum=0, elem_id=f"{noun}-seed", scale=2)
            upload = gr.Image(label="Upload a label map (colours are snapped to the palette)", type="filepath", sources=["upload", "clipboard"], height=140, elem_id=f"{noun}-upload")
            upload_status = gr.Markdown(elem_id=f"{noun}-upload-status")
        with gr.Column():
            colour = painter.colours()
            gallery = gr.Gallery(thumbnails(layout_examples(noun), colour, tag=f"{noun}s"), label=f"Example {noun}s (drawn by code: assets/{noun}s) — pick one to load it", columns=4, height=230, allow_preview=False, object_fit="contain", elem_id=f"{noun}-examples")
    return {"random": random_btn, "seed": seed, "upload": upload, "upload_status": upload_status, "examples": gallery}


def wire(painter: LabelPainter, canvas: gr.HTML, parts: dict, options: UiOptions) -> None:
    noun = painter.kind

    def pick_example(evt: gr.SelectData) -> tuple[dict, None, str]:
        return painter.pick_example(evt.index)

    layout_outputs = [canvas, parts["seed"], parts["upload_status"]]
    parts["random"].click(lambda: painter.random_layout(None), outputs=layout_outputs, api_name=f"{noun}_random", queue=False)
    parts["seed"].submit(painter.random_layout, inputs=parts["seed"], outputs=layout_outputs, api_name=f"{noun}_layout", queue=False)
    # A loaded example or upload is no seed's layout: the seed box empties, so no stale seed is shown.
    parts["examples"].select(pick_example, outputs=layout_outputs, api_visibility="private", queue=False, show_progress="hidden")
    parts["upload"].upload(lambda: None, outputs=parts["seed"], api_visibility="private", queue=False, show_progress="hidden")
    parts["upload"].upload(painter.upload, inputs=parts["upload"], outputs=[canvas, parts["upload_status"]], preprocess=False, **action(options, None, f"{noun}_upload"))
