"""Horse <-> Zebra: any photo in (any size and aspect; very large ones are scaled down), the
direction from the model's contract, input and output side by side.

While the model's weights are missing the upload is switched off (the banner says why); the
page turns it back on when they appear: `build` returns parts["on_load"] = (fn, outputs), to be
run on every page load (`demo.load(fn, outputs=outputs)`); fn takes no input and returns one
update per output.
"""
from __future__ import annotations

import gradio as gr

from . import handlers as h
from .downloads import named_outputs
from .models import HUB, ZEBRA
from .widgets import UiOptions, live, status_banner

DEFAULT_DIRECTIONS = {"AtoB": "horse → zebra", "BtoA": "zebra → horse"}
PHOTO_LABEL = "Photo"
PHOTO_LABEL_OFF = "Photo (uploads open once the model is installed)"


def upload_state() -> tuple[gr.Image, gr.Radio]:
    """Updates of the photo upload and the direction: usable only while the weights are there."""
    ready = HUB.availability(ZEBRA).ready
    return (
        gr.Image(interactive=ready, label=PHOTO_LABEL if ready else PHOTO_LABEL_OFF),
        gr.Radio(interactive=ready),
    )


def build(options: UiOptions) -> dict:
    banner = status_banner(ZEBRA, elem_id="zebra-status")
    ready = HUB.availability(ZEBRA).ready
    contract = HUB.contract(ZEBRA)
    directions = (contract.directions if contract and contract.directions else DEFAULT_DIRECTIONS)
    with gr.Row(equal_height=False):
        photo = gr.Image(label=PHOTO_LABEL if ready else PHOTO_LABEL_OFF, type="filepath", sources=["upload", "clipboard", "webcam"], interactive=ready, height=400, elem_id="zebra-input")
        output = gr.Image(label="Translated", format="png", type="filepath", interactive=False, buttons=["download", "fullscreen"], height=400, elem_id="zebra-output", elem_classes=["ganvas-output"])
    direction = gr.Radio([(label, key) for key, label in directions.items()], value=next(iter(directions)), label="Direction", interactive=ready, elem_id="zebra-direction")
    status = gr.Markdown(elem_id="zebra-render-status")
    gr.on([photo.upload, direction.change], named_outputs(h.translate_photo), inputs=[photo, direction], outputs=[output, status], preprocess=False, **live(options, ZEBRA, "zebra_translate"))
    return {"banners": [(banner, (ZEBRA,))], "on_load": (upload_state, [photo, direction])}
