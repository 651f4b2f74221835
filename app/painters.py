"""The label painter, one kind with two settings: the facade painter and the street painter.

A setting names the model that renders the map, the palette to paint with until its contract is
known, the procedural layouts it starts from and the canvas size. Everything a painter does
without a style (random layouts, label-map uploads, examples, swatches, thumbnails' colours) is
here once; the street painter's style controls are in street_handlers, the page in label_painter.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr
import numpy as np

from . import handlers as h
from . import seeds as sd
from .drawings.facade_layouts import facade_layout
from .drawings.palettes import DEFAULT_FACADE_PALETTE, DEFAULT_STREET_PALETTE
from .drawings.street_layouts import street_layout
from .errors import report
from .examples import layout_examples
from .models import FACADE, STREET
from .paint_canvas import PaintClass
from .street_handlers import STREET_CANVAS


@dataclass(frozen=True)
class LabelPainter:
    model: str  # manifest name of the model that renders the map
    default_palette: list  # (name, rgb) pairs used until the model's contract is known
    kind: str  # "facade" or "street": the layout family of examples.LAYOUTS
    size: tuple[int, int]  # canvas (width, height)
    draw_layout: Callable[..., np.ndarray]  # (seed, size=) -> class ids in the layout's own order

    def random_layout(self, seed: object = None) -> tuple[dict, int, str]:
        """A procedural layout for the seed (a new seed when empty) -> (canvas value, seed, status)."""
        try:
            s = sd.seed_or_new(seed)
            return self.canvas_value(self.draw_layout(s, size=self.size)), s, f"layout seed {s}"
        except Exception as exc:
            return gr.skip(), gr.skip(), report(exc, where=f"{self.kind} layout")

    def upload(self, payload: object) -> tuple[dict, str]:
        return h.label_upload(self.model, self.default_palette, payload, self.size)

    def canvas_value(self, ids: np.ndarray) -> dict:
        return h.layout_canvas_value(self.model, self.default_palette, self.kind, ids, self.size)

    def example(self, index: int) -> dict:
        return self.canvas_value(layout_examples(self.kind)[index].picture)

    def pick_example(self, index: int) -> tuple[dict, None, str]:
        """An example layout -> (canvas value, no seed: it is not a seed's layout, status)."""
        example = layout_examples(self.kind)[index]
        return self.canvas_value(example.picture), None, f"example “{example.name}”"

    def classes(self) -> list[PaintClass]:
        return [PaintClass(name, rgb) for name, rgb in h.painter_palette(self.model, self.default_palette)]

    def colours(self) -> Callable[[np.ndarray], np.ndarray]:
        return h.layout_colours(self.model, self.default_palette, self.kind)


FACADE_PAINTER = LabelPainter(model=FACADE, default_palette=DEFAULT_FACADE_PALETTE, kind="facade", size=h.FACADE_CANVAS, draw_layout=facade_layout)
STREET_PAINTER = LabelPainter(model=STREET, default_palette=DEFAULT_STREET_PALETTE, kind="street", size=STREET_CANVAS, draw_layout=street_layout)
