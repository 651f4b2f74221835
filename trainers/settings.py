"""The settings every family's training shares: the base config dataclass. It imports no trainer
(each family's config subclasses it beside its trainer, trainers/families/<family>.py), so the
family modules and trainers.config, which looks them up, import each other in one direction only.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass, field


@dataclass
class TrainConfig:
    data: str = ""  # dataset folder
    layout: str = "aligned"  # aligned (pix2pix pairs) | unaligned (trainA/trainB) | labeled (photos + label maps) | photos
    input_kind: str = "photo"  # what the generator takes: sketch | labels | photo
    direction: str = "AtoB"  # aligned pairs: which half is the input
    holdout: float = 0.0  # fraction of the training files kept out for validation (when the data has no val/)
    limit: int = 0  # use at most this many training images (0: all)
    balance_folders: bool = False  # photos layout: draw every top-level subfolder about equally often
    load_size: int = 286  # images are resized to this, then randomly cropped ...
    crop_size: int = 256  # ... to this (the network's training size)
    batch_size: int = 1
    epochs: int = 100  # epochs at the initial learning rate
    epochs_decay: int = 100  # epochs of linear decay to zero after that
    max_steps: int = 0  # stop after this many steps (0: run the epochs)
    coarse_steps: int = 0  # the first steps train on crops halved to half resolution (a quarter
    # of the pixels: ~4x the images per second to learn layout and colour), then at full size for detail
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    amp: bool = True  # bf16 autocast on CUDA and on CPUs with native bf16 (AVX512-BF16/AMX)
    compile: bool = False  # torch.compile the generator and discriminator
    num_threads: int = 0  # CPU threads (0: all cores)
    log_every: int = 50  # steps between loss log rows
    sample_every: int = 500  # steps between sample grids
    checkpoint_every: int = 1000  # steps between checkpoints
    keep_checkpoints: int = 3
    init_from: str = ""  # warm start: an exported model folder or registered name whose generator (and encoder)
    # weights this run starts from; discriminators and optimizers start afresh (trainers/warm_start.py)
    ema_decay: float = 0.0  # >0 (e.g. 0.999): also keep a moving average of the exported networks' weights; export uses it
    line_width: int = 2  # sketch inputs: pen width of computed sketches
    sketch_augment: bool = True  # sketch inputs: width jitter, dropped and wobbled strokes
    outline_sketches: float = 0.0  # sketch inputs: share of samples drawn as an outline only, as people draw for fun
    # (trainers/data/outline_sketch.py); 0 keeps the batches of runs made before it
    palette: list = field(default_factory=list)  # label inputs: [[name, r, g, b], ...] (id = position)
    # Pretrained ImageNet features (trainers/pretrained/): a projected discriminator and a perceptual loss.
    projected_d: str = "off"  # off | beside (next to the family's own D) | only (in its place: pix2pix, CycleGAN)
    lambda_projected: float = 1.0  # weight of the projected D's hinge loss in G's objective
    projected_warmup: int = 0  # steps over which that weight ramps up from 0 (a projected D can overpower G early)
    projected_size: int = 224  # images with a shorter side go up to it before the backbone (its ImageNet scale); 0: as they are
    projected_d_norm: str = "batch"  # the heads' norm: batch (the paper's; batches of 2 or more) | none
    diffaugment: str = "color,translation,cutout"  # what the projected D sees of real and fake alike ("" for nothing)
    lambda_projected_zoom: float = 0.0  # >0: a second set of projected heads judges random crops (projected_zoom_crop of
    # each side) scaled back up, so the pretrained features see eyes, mouths and fur at twice the scale; weight in G's objective
    projected_zoom_crop: float = 0.5  # the zoomed heads' crop, as a share of each side
    lambda_perceptual: float = 0.0  # LPIPS-style distance in EfficientNet-Lite0 features: paired families' fake vs
    # real; CycleGAN's cycle and identity terms (times lambda_cycle, as their L1); SPADE's in place of VGG

    family: typing.ClassVar[str] = ""
    # Settings a resume of this family may change besides RESUME_SETTINGS (see resume_settings).
    changeable_on_resume: typing.ClassVar[tuple[str, ...]] = ()
