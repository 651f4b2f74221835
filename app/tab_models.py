"""Models: a card per model from the manifest, refreshed whenever the tab is opened."""
from __future__ import annotations

import gradio as gr

from .model_cards import models_markdown
from .widgets import UiOptions


def build(options: UiOptions) -> dict:
    cards = gr.Markdown(models_markdown(), elem_id="model-cards")
    refresh = gr.Button("Refresh", size="sm")
    refresh.click(models_markdown, outputs=cards, api_name="models", queue=False)
    return {"on_select": (models_markdown, [cards])}
