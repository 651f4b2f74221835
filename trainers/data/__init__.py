"""Training data: folders decoded once into memory, augmented on the training device.

- folders: image folders -> uint8 arrays (aligned pairs, unaligned domains, photos with labels)
- palette: snap colour label maps to a palette; recover the palette from JPEG-damaged maps
- augment: paired random resize/crop/flip on NCHW batches; halving for coarse steps; uint8 <-> [-1, 1]
- sketch_augment: make computed edge maps look hand drawn
- outline_sketch: outline-only sketches of photos, as people draw for fun (training mix, evaluation)
- edges_cli: `python -m trainers edges IN_DIR OUT_DIR`
"""

from .augment import from_model_range, halve_resolution, random_resized_crop_flip, stack_nchw, to_model_range
from .folders import (
    ImageSet,
    LabeledImages,
    PairedImages,
    load_aligned,
    load_labeled,
    load_photos,
    load_unaligned,
    split_holdout,
)
from .palette import recover_palette, snap_to_palette
from .sketch_augment import augment_sketches

__all__ = [
    "ImageSet",
    "LabeledImages",
    "PairedImages",
    "augment_sketches",
    "from_model_range",
    "halve_resolution",
    "load_aligned",
    "load_labeled",
    "load_photos",
    "load_unaligned",
    "random_resized_crop_flip",
    "recover_palette",
    "snap_to_palette",
    "split_holdout",
    "stack_nchw",
    "to_model_range",
]
