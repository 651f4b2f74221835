"""Sketch -> Cat: draw (or upload a photo to turn into a sketch), see the cat while drawing;
variations with seeds, locks, rerolls and a morph between two samples (BicycleGAN)."""
from __future__ import annotations

import gradio as gr

from . import handlers as h
from .examples import sketch_examples
from .models import SKETCH, VARIATIONS
from .widgets import UiOptions, action, live, status_banner


def sketch_canvas() -> gr.ImageEditor:
    return gr.ImageEditor(
        value=h.blank_sketch_canvas(),
        label="Sketch (draw with the pen; eraser, undo and clear are in the toolbar)",
        elem_id="sketch-canvas",
        type="numpy",
        image_mode="RGBA",
        format="png",
        canvas_size=h.SKETCH_CANVAS,
        fixed_canvas=True,
        sources=(),
        transforms=(),
        layers=False,
        brush=gr.Brush(colors=["#000000"], default_color="#000000", color_mode="fixed", default_size=3),
        eraser=gr.Eraser(default_size=12),
        buttons=["download", "fullscreen"],
        height=430,
    )


def build(options: UiOptions) -> dict:
    banner = status_banner(SKETCH, elem_id="sketch-status")
    with gr.Row(equal_height=False):
        with gr.Column():
            canvas = sketch_canvas()
            with gr.Row():
                clear = gr.Button("Clear canvas", size="sm", elem_id="sketch-clear")
            with gr.Row():
                upload = gr.Image(label="Photo (becomes a sketch) or a drawing", type="filepath", sources=["upload", "clipboard"], height=160, elem_id="sketch-upload")
                line_width = gr.Slider(1, 5, value=2, step=1, label="Line width of the photo sketch (px)")
        with gr.Column():
            output = gr.Image(label="Cat", format="png", type="pil", interactive=False, buttons=["download", "fullscreen"], elem_id="sketch-output", elem_classes=["ganvas-output"], height=430)
            status = gr.Markdown(elem_id="sketch-render-status")
    examples = sketch_examples(h.SKETCH_CANVAS)
    gr.Examples(examples=[[value] for _, value in examples], inputs=[canvas], example_labels=[name for name, _ in examples], examples_per_page=10, label="Examples (drawn by code: assets/sketches)")

    with gr.Accordion("Variations (BicycleGAN): many cats for one sketch", open=False, elem_id="variations"):
        var_banner = status_banner(VARIATIONS, elem_id="variations-status")
        with gr.Row():
            n = gr.Slider(1, h.MAX_VARIATIONS, value=6, step=1, label="How many")
            seeds = gr.Textbox(label="Seeds (type your own, comma separated)", placeholder="empty: random seeds", elem_id="variation-seeds")
        with gr.Row():
            render = gr.Button("Render variations", variant="primary", size="md")
            reroll = gr.Button("Reroll the ones not kept", size="md")
        keep = gr.CheckboxGroup(label="Keep (locked when rerolling)", choices=[], type="value")
        gallery = gr.Gallery(label="Variations", columns=6, height=260, format="png", object_fit="contain", elem_id="variation-gallery")
        var_status = gr.Markdown()
        with gr.Row():
            a = gr.Number(1, label="Morph from sample #", precision=0, minimum=1)
            b = gr.Number(2, label="to sample #", precision=0, minimum=1)
            t = gr.Slider(0, 1, value=0.5, step=0.05, label="Morph")
        morph = gr.Image(label="Morph (move the slider)", format="png", type="pil", interactive=False, height=256, elem_id="variation-morph", elem_classes=["ganvas-output"])

    render_fn = h.render_sketch_batch if options.batch else h.render_sketch
    canvas.input(render_fn, inputs=canvas, outputs=[output, status], **live(options, SKETCH, "sketch_render", batched=True))
    clear.click(h.blank_sketch_canvas, outputs=canvas, api_name="sketch_clear", queue=False)
    upload.upload(h.sketch_upload, inputs=[upload, line_width], outputs=[canvas, status], preprocess=False, **action(options, None, "sketch_upload"))

    var_inputs = [canvas, n, seeds, keep]
    var_outputs = [gallery, seeds, keep, var_status]
    render.click(h.variations, inputs=var_inputs, outputs=var_outputs, **action(options, VARIATIONS, "variations"))
    seeds.submit(h.variations, inputs=var_inputs, outputs=var_outputs, **action(options, VARIATIONS, "variations_seeds"))
    reroll.click(h.variations_reroll, inputs=var_inputs, outputs=var_outputs, **action(options, VARIATIONS, "variations_reroll"))
    gr.on([t.change, a.input, b.input], h.variations_morph, inputs=[canvas, seeds, a, b, t], outputs=[morph, var_status], **live(options, VARIATIONS, "variations_morph"))
    return {"banners": [(banner, (SKETCH,)), (var_banner, (VARIATIONS,))], "canvas": canvas, "output": output}
