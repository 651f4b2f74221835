"""GANvas studio: the Gradio app over the engine (see app.py at the top level to start it).

Modules: `cli` (flags, launch), `ui` (the page) and one `tab_*` per workflow; `handlers` and
`street_handlers` (events: UI values in, output and status line out); pure helpers `canvas`
(canvas values -> model inputs, palette snapping), `seeds` (seeds, locks, z morphs), `styles`
(SPADE style controls), `batching`, `uploads`; `models` (lazy, cached, thread-safe loading);
`errors` (short messages and log lines); procedural examples `cat_sketches`, `facade_layouts`,
`street_layouts`; `bench` (latency through the HTTP API).
"""
