"""Procedural drawing, apart from the UI: the example cat sketches (`cat_sketches`, `strokes`),
facade and street layouts (`facade_layouts`, `street_layouts`) and the label palettes they are
painted in (`palettes`). Pure numpy and OpenCV: assets/make_assets.py and the benchmarks use them
without the page.
"""
