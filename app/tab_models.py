"""Models: a sample render per model and a card per model from the manifest.

The cards are refreshed whenever the tab is opened; the sample renders are made the first time it
is opened (which loads the models) and kept (app.model_samples).
"""
from __future__ import annotations

import gradio as gr

from .model_cards import models_markdown
from .model_samples import samples
from .widgets import UiOptions


def open_tab() -> tuple[str, list]:
    """-> (cards, sample renders): what the tab shows when opened (renders first: making them
    loads the models, which the cards then list as loaded)."""
    rendered = samples()
    return models_markdown(), rendered


def build(options: UiOptions) -> dict:
    gallery = gr.Gallery(
        label="Sample renders: a project example in, the model's answer out",
        columns=4,
        height="auto",
        object_fit="contain",
        interactive=False,
        elem_id="model-samples",
    )
    cards = gr.Markdown(models_markdown(), elem_id="model-cards")
    refresh = gr.Button("Refresh", size="sm")
    refresh.click(models_markdown, outputs=cards, api_name="models", queue=False)
    refresh.click(samples, outputs=gallery, api_visibility="private", show_progress="minimal")
    return {"on_select": (open_tab, [cards, gallery])}
