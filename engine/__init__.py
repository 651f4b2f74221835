"""GANvas engine: load trained image-to-image generators and run them on any image.

    import engine
    engine.list_models()                      # model cards from weights/manifest.json
    cat = engine.load("pix2pix.edges2cats")   # or the path of a model folder
    photo = cat("sketch.png")                 # PIL image, same aspect as the input

Inference only: no gradio, no trainers. Logging through `logging`, never print.
"""
from __future__ import annotations

from .contract import InputContract, PaletteEntry
from .errors import ModelError, ModelNotFound
from .loading import list_models, load, load_folder, save_model
from .manifest import ModelCard, weights_dir
from .translator import SEED_KEY, Translator

__all__ = [
    "SEED_KEY",
    "InputContract",
    "ModelCard",
    "ModelError",
    "ModelNotFound",
    "PaletteEntry",
    "Translator",
    "list_models",
    "load",
    "load_folder",
    "save_model",
    "weights_dir",
]
