"""The studio's page: one tab per workflow. Building it reads the manifest but loads no model."""
from __future__ import annotations

import gradio as gr

from . import tab_facade, tab_models, tab_sketch, tab_street, tab_zebra
from .widgets import UiOptions, availability_markdown

TITLE = "GANvas studio"
INTRO = (
    "# GANvas studio\n"
    "Sketch a cat, paint a facade or a street, turn horses into zebras. Models load the first time "
    "their tab is used; every output downloads as PNG."
)
CACHE_CLEANUP = (3600, 3600)  # every hour, delete cached uploads and outputs older than an hour
TABS = (
    ("Sketch → Cat", "sketch", tab_sketch),
    ("Facade painter", "facade", tab_facade),
    ("Street painter", "street", tab_street),
    ("Horse ↔ Zebra", "zebra", tab_zebra),
    ("Models", "models", tab_models),
)


def build_demo(options: UiOptions | None = None) -> gr.Blocks:
    options = options or UiOptions()
    with gr.Blocks(title=TITLE, delete_cache=CACHE_CLEANUP) as demo:
        gr.Markdown(INTRO, elem_id="ganvas-title")
        banners, on_loads = [], []
        with gr.Tabs(overflow_behavior="wrap"):  # a phone shows every tab's name, in two rows if need be
            for label, key, module in TABS:
                with gr.Tab(label, id=key, elem_id=f"tab-{key}") as tab:
                    parts = module.build(options)
                banners += parts.get("banners", [])
                if "on_load" in parts:
                    on_loads.append(parts["on_load"])
                if "on_select" in parts:
                    fn, outputs = parts["on_select"]
                    tab.select(fn, outputs=outputs, api_name=f"{key}_open", show_progress="minimal")
        # Weights may appear while the server runs (a training finishes): re-check on page load.
        refresh = [lambda names=names: availability_markdown(*names) for _, names in banners]
        demo.load(lambda: tuple(fn() for fn in refresh), outputs=[b for b, _ in banners], api_name="availability", queue=False)
        for fn, outputs in on_loads:  # controls that follow the weights (an upload enabled once they exist)
            demo.load(fn, outputs=outputs, queue=False, api_visibility="private")
    return demo
