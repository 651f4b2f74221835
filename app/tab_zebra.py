"""Horse <-> Zebra: any photo in (any aspect, up to 250 MP, read scaled down: app.uploads), the
direction from the model's contract, input and output side by side. A line above says what to do;
painted examples below (app/examples.photo_examples) load with their direction and render at once.

While the model's weights are missing the upload is switched off (the banner says why); the
page turns it back on when they appear: `build` returns parts["on_load"] = (fn, outputs), to be
run on every page load (`demo.load(fn, outputs=outputs)`); fn takes no input and returns one
update per output.
"""
from __future__ import annotations

import gradio as gr

from . import handlers as h
from .downloads import named_outputs
from .examples import photo_examples
from .models import HUB, ZEBRA
from .widgets import UiOptions, action, live, status_banner

DEFAULT_DIRECTIONS = {"AtoB": "horse → zebra", "BtoA": "zebra → horse"}
PHOTO_LABEL = "Photo"
PHOTO_LABEL_OFF = "Photo (uploads open once the model is installed)"
CALL_TO_ACTION = ("**Drop a photo with horses or zebras here** (or paste one, or take one with the webcam), "
                  "or pick a painted example below: horses become zebras, zebras become horses. "
                  "Real photos work best, straight from a phone too (up to 250 MP); the examples are paintings made by code.")


def upload_state() -> tuple[gr.Image, gr.Radio]:
    """Updates of the photo upload and the direction: usable only while the weights are there."""
    ready = HUB.availability(ZEBRA).ready
    return (
        gr.Image(interactive=ready, label=PHOTO_LABEL if ready else PHOTO_LABEL_OFF),
        gr.Radio(interactive=ready),
    )


def pick_example(evt: gr.SelectData) -> tuple[str, str]:
    """The picked example into the photo input, with the direction it is an example of."""
    example = photo_examples()[evt.index]
    return str(example.path), example.direction


def build(options: UiOptions) -> dict:
    banner = status_banner(ZEBRA, elem_id="zebra-status")
    ready = HUB.availability(ZEBRA).ready
    contract = HUB.contract(ZEBRA)
    directions = (contract.directions if contract and contract.directions else DEFAULT_DIRECTIONS)
    gr.Markdown(CALL_TO_ACTION, elem_id="zebra-call-to-action")
    with gr.Row(equal_height=False):
        photo = gr.Image(label=PHOTO_LABEL if ready else PHOTO_LABEL_OFF, type="filepath", sources=["upload", "clipboard", "webcam"], interactive=ready, height=400, elem_id="zebra-input")
        output = gr.Image(label="Translated", format="png", type="filepath", interactive=False, buttons=["download", "fullscreen"], height=400, elem_id="zebra-output", elem_classes=["ganvas-output"])
    direction = gr.Radio([(label, key) for key, label in directions.items()], value=next(iter(directions)), label="Direction", interactive=ready, elem_id="zebra-direction")
    status = gr.Markdown(elem_id="zebra-render-status")
    examples = photo_examples()
    gallery = gr.Gallery([(str(e.path), e.name) for e in examples], label="Examples (painted by code: assets/photos) — pick one to translate it", columns=6, height=150, allow_preview=False, object_fit="cover", elem_id="zebra-examples")
    translate = named_outputs(h.translate_photo)
    # .input, not .change: an example sets the direction itself and then translates once.
    gr.on([photo.upload, direction.input], translate, inputs=[photo, direction], outputs=[output, status], preprocess=False, **live(options, ZEBRA, "zebra_translate"))
    gallery.select(pick_example, outputs=[photo, direction], api_visibility="private", queue=False, show_progress="hidden").then(
        translate, inputs=[photo, direction], outputs=[output, status], preprocess=False, api_visibility="private", **action(options, ZEBRA, "zebra_example"))
    return {"banners": [(banner, (ZEBRA,))], "on_load": (upload_state, [photo, direction])}
