"""Facade painter: paint the 12 CMP classes (or start from a random layout), see the facade live."""
from __future__ import annotations

import gradio as gr

from . import handlers as h
from .models import FACADE
from .palettes import DEFAULT_FACADE_PALETTE
from .widgets import UiOptions, action, label_canvas, legend_html, live, status_banner


def build(options: UiOptions) -> dict:
    banner = status_banner(FACADE, elem_id="facade-status")
    palette = h.label_palette(FACADE, DEFAULT_FACADE_PALETTE)
    with gr.Row(equal_height=False):
        with gr.Column():
            gr.HTML(legend_html(palette), elem_id="facade-legend")
            canvas = label_canvas(palette, size=h.FACADE_CANVAS, value=h.blank_label_canvas(FACADE, DEFAULT_FACADE_PALETTE, h.FACADE_CANVAS), label="Label map (the eraser paints background)", elem_id="facade-canvas")
            with gr.Row(equal_height=False):
                random_btn = gr.Button("Random layout", elem_id="facade-random", scale=2, size="md")
                seed = gr.Number(label="Layout seed (↵ applies)", precision=0, minimum=0, elem_id="facade-seed", scale=2)
                clear = gr.Button("Clear", scale=1, size="md")
            upload = gr.Image(label="Upload a label map (colours are snapped to the palette)", type="filepath", sources=["upload", "clipboard"], height=140)
        with gr.Column():
            output = gr.Image(label="Facade", format="png", type="pil", interactive=False, buttons=["download", "fullscreen"], elem_id="facade-output", elem_classes=["ganvas-output"], height=430)
            status = gr.Markdown(elem_id="facade-render-status")

    render_fn = h.render_facade_batch if options.batch else h.render_facade
    canvas.input(render_fn, inputs=canvas, outputs=[output, status], **live(options, FACADE, "facade_render", batched=True))
    random_btn.click(lambda: h.facade_random(None), outputs=[canvas, seed, status], api_name="facade_random", queue=False)
    seed.submit(h.facade_random, inputs=seed, outputs=[canvas, seed, status], api_name="facade_layout", queue=False)
    clear.click(lambda: h.blank_label_canvas(FACADE, DEFAULT_FACADE_PALETTE, h.FACADE_CANVAS), outputs=canvas, api_name="facade_clear", queue=False)
    upload.upload(h.facade_upload, inputs=upload, outputs=[canvas, status], preprocess=False, **action(options, None, "facade_upload"))
    return {"banners": [(banner, (FACADE,))], "canvas": canvas, "output": output}
