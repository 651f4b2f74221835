"""Street painter: paint a CamVid street, choose its style (seed, preset, reference photo), steer it."""
from __future__ import annotations

import gradio as gr

from . import handlers as h
from . import street_handlers as sh
from .models import STREET
from .palettes import DEFAULT_STREET_PALETTE
from .styles import MAX_SLIDERS
from .widgets import UiOptions, action, label_canvas, legend_html, live, status_banner


def build(options: UiOptions) -> dict:
    banner = status_banner(STREET, elem_id="street-status")
    palette = h.label_palette(STREET, DEFAULT_STREET_PALETTE)
    photo_z = gr.State(None)  # the encoded reference photo of this session
    with gr.Row(equal_height=False):
        with gr.Column():
            gr.HTML(legend_html(palette), elem_id="street-legend")
            canvas = label_canvas(palette, size=sh.STREET_CANVAS, value=h.blank_label_canvas(STREET, DEFAULT_STREET_PALETTE, sh.STREET_CANVAS), label="Label map (the eraser paints the blank class)", elem_id="street-canvas")
            with gr.Row(equal_height=False):
                random_btn = gr.Button("Random street", elem_id="street-random", scale=2, size="md")
                layout_seed = gr.Number(label="Layout seed (↵ applies)", precision=0, minimum=0, scale=2)
                clear = gr.Button("Clear", scale=1, size="md")
            upload = gr.Image(label="Upload a label map (colours are snapped to the palette)", type="filepath", sources=["upload", "clipboard"], height=140)
        with gr.Column():
            output = gr.Image(label="Street", format="png", type="pil", interactive=False, buttons=["download", "fullscreen"], elem_id="street-output", elem_classes=["ganvas-output"], height=330)
            status = gr.Markdown(elem_id="street-render-status")
            with gr.Group():
                source = gr.Radio(["random", "preset", "photo"], value="random", label="Style from", elem_id="street-source")
                style_seed = gr.Number(0, label="Style seed", precision=0, minimum=0, elem_id="street-style-seed")
                new_style = gr.Button("Random style", size="md")
                preset = gr.Dropdown(choices=[], label="Style preset", visible=False, allow_custom_value=True)
                photo = gr.Image(label="Reference photo (its style, through the style encoder)", type="filepath", sources=["upload", "clipboard"], height=140, elem_id="street-style-photo")
                sliders = [gr.Slider(-3, 3, value=0, step=0.1, label=f"style direction {i + 1}", visible=False) for i in range(MAX_SLIDERS)]

    inputs = [canvas, source, style_seed, preset, photo_z, *sliders]
    # One endpoint re-renders on any change: strokes, style source, seed, preset, photo, sliders.
    triggers = [canvas.input, source.change, style_seed.change, preset.change, photo_z.change, *[s.change for s in sliders]]
    render_fn = sh.render_street_batch if options.batch else sh.render_street
    gr.on(triggers, render_fn, inputs=inputs, outputs=[output, status], **live(options, STREET, "street_render", batched=True))
    # Picking a preset or typing a seed switches the style source to it (a source change re-renders).
    preset.input(lambda: "preset", outputs=source, queue=False, api_visibility="private")
    style_seed.input(lambda: "random", outputs=source, queue=False, api_visibility="private")
    new_style.click(sh.new_style_seed, outputs=[style_seed, source], api_name="street_new_style", queue=False)
    photo.upload(sh.street_style_photo, inputs=photo, outputs=[photo_z, source, status], preprocess=False, **action(options, STREET, "street_style_photo"))
    random_btn.click(lambda: sh.street_random(None), outputs=[canvas, layout_seed, status], api_name="street_random", queue=False)
    layout_seed.submit(sh.street_random, inputs=layout_seed, outputs=[canvas, layout_seed, status], api_name="street_layout", queue=False)
    clear.click(lambda: h.blank_label_canvas(STREET, DEFAULT_STREET_PALETTE, sh.STREET_CANVAS), outputs=canvas, api_name="street_clear", queue=False)
    upload.upload(sh.street_upload, inputs=upload, outputs=[canvas, status], preprocess=False, **action(options, None, "street_upload"))
    controls = [status, preset, photo, source, *sliders]
    return {"banners": [(banner, (STREET,))], "canvas": canvas, "output": output, "on_select": (sh.street_controls, controls)}
