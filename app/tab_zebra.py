"""Horse <-> Zebra: any photo in (any size and aspect; very large ones are scaled down), the
direction from the model's contract, input and output side by side."""
from __future__ import annotations

import gradio as gr

from . import handlers as h
from .models import HUB, ZEBRA
from .widgets import UiOptions, live, status_banner

DEFAULT_DIRECTIONS = {"AtoB": "horse → zebra", "BtoA": "zebra → horse"}


def build(options: UiOptions) -> dict:
    banner = status_banner(ZEBRA, elem_id="zebra-status")
    contract = HUB.contract(ZEBRA)
    directions = (contract.directions if contract and contract.directions else DEFAULT_DIRECTIONS)
    with gr.Row(equal_height=False):
        photo = gr.Image(label="Photo", type="filepath", sources=["upload", "clipboard", "webcam"], height=400, elem_id="zebra-input")
        output = gr.Image(label="Translated", format="png", type="pil", interactive=False, buttons=["download", "fullscreen"], height=400, elem_id="zebra-output", elem_classes=["ganvas-output"])
    direction = gr.Radio([(label, key) for key, label in directions.items()], value=next(iter(directions)), label="Direction", elem_id="zebra-direction")
    status = gr.Markdown(elem_id="zebra-render-status")
    gr.on([photo.upload, direction.change], h.translate_photo, inputs=[photo, direction], outputs=[output, status], preprocess=False, **live(options, ZEBRA, "zebra_translate"))
    return {"banners": [(banner, (ZEBRA,))]}
