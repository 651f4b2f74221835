"""Street painter: paint a CamVid street, choose its style (seed, preset, reference photo), steer it."""
from __future__ import annotations

import gradio as gr

from . import label_painter as lp
from . import street_handlers as sh
from .downloads import named_outputs
from .models import STREET
from .painters import STREET_PAINTER
from .styles import MAX_SLIDERS
from .widgets import UiOptions, action, render_on_canvas, status_banner


PAINTER = STREET_PAINTER
STYLE_CODE_JS = f"""const push = () => props.value && window.Ganvas?.web?.setLatent("{STREET}", props.value.z);
watch("value", push); push();"""


def build(options: UiOptions) -> dict:
    banner = status_banner(STREET, elem_id="street-status")
    photo_z = gr.State(None)  # the encoded reference photo of this session
    with gr.Row(equal_height=False, elem_classes=["ganvas-workbench"]):
        with gr.Column(min_width=300):
            canvas = lp.canvas_column(PAINTER)
        with gr.Column(min_width=300):
            output = gr.Image(label="Street", format="png", type="filepath", interactive=False, buttons=["download", "fullscreen"], elem_id="street-output", elem_classes=["ganvas-output"], height=330)
            status = gr.Markdown(elem_id="street-render-status")
            with gr.Group():
                source = gr.Radio(["random", "preset", "photo"], value="random", label="Style from", elem_id="street-source")
                style_seed = gr.Number(0, label="Style seed", precision=0, minimum=0, elem_id="street-style-seed")
                new_style = gr.Button("Random style", size="md")
                preset = gr.Dropdown(choices=[], label="Style preset", visible=False, allow_custom_value=True)
                photo = gr.Image(label="Reference photo: its light and colours, through the style encoder (today's model takes only a hint of them)", type="filepath", sources=["upload", "clipboard"], height=140, elem_id="street-style-photo")
                sliders = [gr.Slider(-3, 3, value=0, step=0.1, label=f"style direction {i + 1}", visible=False) for i in range(MAX_SLIDERS)]
                style_status = gr.Markdown(elem_id="street-style-status")
    parts = lp.extras_row(PAINTER)
    # The style code the controls choose, for the page's own renderer (hidden; never a render).
    code = gr.HTML(sh.initial_style_code(), html_template="", js_on_load=STYLE_CODE_JS, elem_id="street-style-code", elem_classes=["ganvas-hidden"])

    inputs = [canvas, source, style_seed, preset, photo_z, *sliders]
    # One endpoint re-renders on any change: strokes, style source, seed, preset, photo, sliders.
    style_changes = [source.change, style_seed.change, preset.change, photo_z.change, *[s.change for s in sliders]]
    render_fn = named_outputs(sh.render_street_batch if options.batch else sh.render_street)
    render_on_canvas(canvas, render_fn, inputs=inputs, outputs=[output, status], options=options, model=STREET, api_name="street_render", also=style_changes)
    gr.on(style_changes, sh.street_style_code, inputs=inputs[1:], outputs=code, api_visibility="private", show_progress="hidden", trigger_mode="always_last")
    # Picking a preset or typing a seed switches the style source to it (a source change re-renders).
    preset.input(lambda: "preset", outputs=source, queue=False, api_visibility="private")
    style_seed.input(lambda: "random", outputs=source, queue=False, api_visibility="private")
    new_style.click(sh.new_style_seed, outputs=[style_seed, source], api_name="street_new_style", queue=False)
    photo.upload(sh.street_style_photo, inputs=photo, outputs=[photo_z, source, style_status], preprocess=False, **action(options, STREET, "street_style_photo"))
    lp.wire(PAINTER, canvas, parts, options)
    controls = [style_status, preset, photo, source, *sliders]
    return {"banners": [(banner, (STREET,))], "canvas": canvas, "output": output, "on_select": (sh.street_controls, controls)}
