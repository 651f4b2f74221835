"""GANvas studio: the Gradio app over the engine (start it with app.py at the top level).

- `cli`: flags, Space binding, launch; `ui`: the page; one `tab_*` module per workflow;
  `paint_canvas` (+ `static/`): the live canvas; `painters`: the label painter with its two
  settings, facade and street; `label_painter`: the page parts both painter tabs share;
  `widgets`: shared event options, banners; `downloads`: outputs as named files;
  `model_words`, `metric_words`, `model_samples`, `style_words`: what the page says about models.
- `handlers`, `street_handlers`: the events (UI values in, output and a status line out; they
  never raise), on models from `models` (lazy, cached, thread-safe loading).
- Pure helpers: `canvas` (canvas value -> model input, palette snapping), `seeds` (seeds, locks,
  z morphs), `styles` (SPADE style controls), `uploads`, `errors`.
- `drawings/`: procedural drawing, no dataset images and no UI: `cat_sketches` (+ `strokes`),
  `facade_layouts`, `street_layouts`, `palettes`; `examples` turns them into gallery thumbnails.
- In-page rendering (one namespace, window.Ganvas): `static/ganvas_web.js` (models, scheduling,
  fallback, the "where" indicator), `static/ganvas_runtime.js` (loading ONNX Runtime Web),
  `static/ganvas_picture.js` (the page's pictures), `static/ganvas_tensor.js` (the engine's
  pre/post rules, from engine.web_spec); `web_serving` serves them, the runtime, the graphs and
  the isolation headers; `web_runtime` installs the pinned runtime from npm.
- `bench` measures stroke-to-image latency through the HTTP API, `bench_browser` pen to picture in
  chromium, rendered in the page and on the server; with --standins they launch the app on
  tests/standins.py's random-weight models.
- The app uses the engine's public API only (`engine.__all__`).

Modules of this package are imported at module level only (never inside functions): gradio's
reload mode registers app.py as the module "app" once running, hiding this package's name.
"""
