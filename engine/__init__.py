"""GANvas engine: load trained image-to-image generators and run them on any image.

    import engine
    engine.list_models()                      # model cards from weights/manifest.json
    cat = engine.load("pix2pix.edges2cats")   # or the path of a model folder
    photo = cat("sketch.png")                 # PIL image, same aspect as the input

Inference only: no gradio, no trainers. Logging through `logging`, never print. What is listed in
`__all__` is the API the app is built on; the app imports nothing else from the engine.
"""
from __future__ import annotations

from .contract import InputContract, PaletteEntry
from .device import random_latent
from .errors import ModelError, ModelNotFound
from .images import LUMA_WEIGHTS, MAX_PIXELS, MIN_SIDE, SOURCE_SIZE_KEY, load_image
from .labels import image_to_class_ids
from .latent_prior import LatentPrior, read_latent_prior
from .loading import how_to_get, list_models, load, load_folder, save_model
from .manifest import MANIFEST_FILE, ModelCard, upsert_entry, weights_dir
from .translator import SEED_KEY, Translator
from .web_spec import web_spec


def __getattr__(name: str) -> object:
    if name == "photo_to_sketch":  # imported on first use: the edge pipeline loads OpenCV
        from .edges import photo_to_sketch

        return photo_to_sketch
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "MANIFEST_FILE",
    "SEED_KEY",
    "InputContract",
    "LatentPrior",
    "ModelCard",
    "ModelError",
    "ModelNotFound",
    "PaletteEntry",
    "Translator",
    "how_to_get",
    "image_to_class_ids",
    "list_models",
    "load",
    "load_folder",
    "load_image",
    "MAX_PIXELS",
    "MIN_SIDE",
    "LUMA_WEIGHTS",
    "SOURCE_SIZE_KEY",
    "photo_to_sketch",
    "random_latent",
    "read_latent_prior",
    "save_model",
    "upsert_entry",
    "web_spec",
    "weights_dir",
]
