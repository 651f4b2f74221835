"""Sketch -> Cat: draw (or upload a photo to turn into a sketch), see the cat while drawing;
variations with seeds, locks, rerolls and a morph between two samples (BicycleGAN)."""
from __future__ import annotations

import gradio as gr

from . import handlers as h
from .downloads import named_outputs
from .examples import sketch_examples, thumbnails
from .models import SKETCH, VARIATIONS
from .paint_canvas import paint_canvas
from .widgets import UiOptions, action, live, render_on_canvas, status_banner

STALE_NOTE = "⚠ The sketch changed since these variations were rendered: press “Render variations” to update them."
# A stroke under rendered variations marks them stale, in the page (no server round trip per stroke).
MARK_STALE = f"""document.addEventListener("pc-changed", (e) => {{
  if (!e.target.closest || !e.target.closest("#sketch-canvas")) return;
  if (!document.querySelector("#variation-gallery img, #variation-gallery .gdo-grid")) return;
  const note = document.querySelector("#variations-stale");  // (clearing it replaces this element's own nodes)
  if (note) note.textContent = "{STALE_NOTE}"; }});"""


def page_renders_js(*, clear_stale: bool) -> str:
    """The variation events' inputs, with the canvas value saying whether this page renders them
    itself (then the server sends latents, not pictures); rendering them clears the stale note."""
    clear = "const n = document.querySelector('#variations-stale'); if (n) n.textContent = '';" if clear_stale else ""
    return (
        f"(canvas, ...rest) => {{ {clear} const here = Boolean(window.Ganvas?.web?.ready('{VARIATIONS}'));"
        " return [canvas && typeof canvas === 'object' ? {...canvas, where: here ? 'device' : 'server'} : canvas, ...rest]; }"
    )


# Latents from the server for the page's renderer; the model loads when the variations are opened.
LATENTS_JS = f"""watch("value", () => props.value && window.Ganvas?.web?.renderLatents("{VARIATIONS}", props.value));
const opened = () => {{  // the accordion is open: its gallery is laid out
  const gallery = document.querySelector("#variation-gallery");
  if (!gallery || !gallery.getClientRects().length || !window.Ganvas?.web) return setTimeout(opened, 500);
  window.Ganvas.web.prepare("{VARIATIONS}");
}};
opened();"""


def pick_example(evt: gr.SelectData) -> dict:
    return h.sketch_example(evt.index)


def build(options: UiOptions) -> dict:
    banner = status_banner(SKETCH, elem_id="sketch-status")
    with gr.Row(equal_height=False, elem_classes=["ganvas-workbench"]):
        with gr.Column(min_width=300):
            canvas = paint_canvas(elem_id="sketch-canvas", size=h.SKETCH_CANVAS, classes=None, blank_class=0, value=h.sketch_example(0), label="Sketch a cat: pen, eraser, undo (Ctrl+Z) and clear are above the canvas", model=SKETCH, output_id="sketch-output")
        with gr.Column(min_width=300):
            output = gr.Image(label="Cat", format="png", type="filepath", interactive=False, buttons=["download", "fullscreen"], elem_id="sketch-output", elem_classes=["ganvas-output"], height=430)
            status = gr.Markdown(elem_id="sketch-render-status")
    with gr.Row(equal_height=False):
        with gr.Column():
            upload = gr.Image(label="Photo (becomes a sketch) or a drawing", type="filepath", sources=["upload", "clipboard"], height=160, elem_id="sketch-upload")
            line_width = gr.Slider(1, 5, value=2, step=1, label="Line width of the photo sketch (px)", elem_id="sketch-line-width")
            upload_status = gr.Markdown(elem_id="sketch-upload-status")
        with gr.Column():
            examples = sketch_examples()
            gallery = gr.Gallery(thumbnails(examples, lambda s: s, tag="sketches"), label="Examples (drawn by code: assets/sketches) — pick one to load it", columns=5, height=230, allow_preview=False, object_fit="contain", elem_id="sketch-examples")

    with gr.Accordion("Variations (BicycleGAN): many cats for one sketch", open=False, elem_id="variations"):
        var_banner = status_banner(VARIATIONS, elem_id="variations-status")
        with gr.Row():
            n = gr.Slider(1, h.MAX_VARIATIONS, value=6, step=1, label="How many")
            seeds = gr.Textbox(label="Seeds (type your own, comma separated)", placeholder="empty: random seeds", elem_id="variation-seeds")
        with gr.Row():
            render = gr.Button("Render variations", variant="primary", size="md")
            reroll = gr.Button("Reroll the ones not kept", size="md")
        keep = gr.CheckboxGroup(label="Keep (locked when rerolling)", choices=[], type="value")
        gr.HTML("", html_template="<span></span>", elem_id="variations-stale", js_on_load=MARK_STALE)  # a template: mounted while empty
        var_gallery = gr.Gallery(label="Variations", columns=6, height=260, format="png", object_fit="contain", elem_id="variation-gallery")
        var_status = gr.Markdown()
        with gr.Row():
            a = gr.Number(1, label="Morph from sample #", precision=0, minimum=1)
            b = gr.Number(2, label="to sample #", precision=0, minimum=1)
            t = gr.Slider(0, 1, value=0.5, step=0.05, label="Morph")
        morph = gr.Image(label="Morph: between the two samples chosen above", format="png", type="filepath", interactive=False, height=256, elem_id="variation-morph", elem_classes=["ganvas-output"])
        latents = gr.HTML(None, html_template="", js_on_load=LATENTS_JS, elem_id="variation-latents", elem_classes=["ganvas-hidden"])

    render_fn = named_outputs(h.render_sketch_batch if options.batch else h.render_sketch)
    render_on_canvas(canvas, render_fn, inputs=[canvas], outputs=[output, status], options=options, model=SKETCH, api_name="sketch_render")
    gallery.select(pick_example, outputs=canvas, api_visibility="private", queue=False, show_progress="hidden")
    upload_inputs = dict(inputs=[upload, line_width], outputs=[canvas, upload_status], preprocess=False)
    upload.upload(h.sketch_upload, **upload_inputs, **action(options, None, "sketch_upload"))
    line_width.release(h.sketch_upload, **upload_inputs, **action(options, None, "sketch_line_width"))

    var_inputs = [canvas, n, seeds, keep]
    var_outputs = [var_gallery, seeds, keep, var_status, latents]
    variations = named_outputs(h.variations)
    reroll_fn = named_outputs(h.variations_reroll)
    where = page_renders_js(clear_stale=True)
    morph_inputs = [canvas, seeds, a, b, t]
    morph_where = page_renders_js(clear_stale=False)
    follow = named_outputs(h.variations_morph_follow)
    for event, fn, api in ((render.click, variations, "variations"), (seeds.submit, variations, "variations_seeds"), (reroll.click, reroll_fn, "variations_reroll")):
        # New samples bring their morph along, so it is not empty until the slider moves.
        event(fn, inputs=var_inputs, outputs=var_outputs, js=where, **action(options, VARIATIONS, api)).then(
            follow, inputs=morph_inputs, outputs=[morph, latents], js=morph_where, api_visibility="private", show_progress="hidden", concurrency_id=VARIATIONS)
    gr.on([t.change, a.input, b.input], named_outputs(h.variations_morph), inputs=morph_inputs, outputs=[morph, var_status, latents], js=morph_where, **live(options, VARIATIONS, "variations_morph"))
    return {"banners": [(banner, (SKETCH,)), (var_banner, (VARIATIONS,))], "canvas": canvas, "output": output}
