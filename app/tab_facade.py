"""Facade painter: paint the 12 CMP classes (or start from a layout), see the facade live."""
from __future__ import annotations

import gradio as gr

from . import handlers as h
from . import label_painter as lp
from .downloads import named_outputs
from .models import FACADE
from .painters import FACADE_PAINTER
from .widgets import UiOptions, render_on_canvas, status_banner

PAINTER = FACADE_PAINTER


def build(options: UiOptions) -> dict:
    banner = status_banner(FACADE, elem_id="facade-status")
    with gr.Row(equal_height=False, elem_classes=["ganvas-workbench"]):
        with gr.Column(min_width=300):
            canvas = lp.canvas_column(PAINTER)
        with gr.Column(min_width=300):
            output = gr.Image(label="Facade", format="png", type="filepath", interactive=False, buttons=["download", "fullscreen"], elem_id="facade-output", elem_classes=["ganvas-output"], height=430)
            status = gr.Markdown(elem_id="facade-render-status")
    parts = lp.extras_row(PAINTER)
    render_fn = named_outputs(h.render_facade_batch if options.batch else h.render_facade)
    render_on_canvas(canvas, render_fn, inputs=[canvas], outputs=[output, status], options=options, model=FACADE, api_name="facade_render")
    lp.wire(PAINTER, canvas, parts, options)
    return {"banners": [(banner, (FACADE,))], "canvas": canvas, "output": output}
