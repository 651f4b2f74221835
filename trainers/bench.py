"""`python -m trainers.bench`: training images/s per family on this device, GANvas path vs a plain step.

Both columns run the same family trainer with the shipped network sizes on the same synthetic
batches (drawn and augmented by trainers/dataset.py, as in training):

- reference: the plain research-code step: eager fp32, batch 1 (BicycleGAN: 2, its smallest),
  default memory format, no autocast, torch's default Adam and thread count;
- GANvas: what `python -m trainers train` does on this device (trainers/loop.py): on CUDA bf16
  autocast, channels_last and fused Adam; on CPU all cores as threads; at the batch size (of those
  tried) with the most images/s.

`--pretrained` instead prints the cost of the pretrained-feature terms (trainers/pretrained/):
seconds per GANvas training step of each family plain, with the perceptual loss, with the
projected discriminator beside its own, and with both (batch 2: the projected heads' batch norm
needs two images).

This is a benchmark, not a test: it prints a table (and --json writes one) and checks nothing.
On a busy host use --rounds 2 or more (each figure is the best round). For a quick look on a
CPU, --size 64 or 128: at 256 px one SPADE or CycleGAN step takes several seconds per core.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import torch

from engine.contract import InputContract
from engine.families import family_spec

from .config import build_config, config_class
from .dataset import TrainingSet, draw_batch
from .families import TRAINERS
from .families.base import FamilyTrainer
from .loop import place_networks
from .state import training_device


def _usual_input(family: str) -> InputContract:
    return family_spec(family).example_contract("paper")


def _synthetic_data(family: str, size: int, n: int = 8) -> TrainingSet:
    gen = torch.Generator().manual_seed(0)
    photos = torch.randint(0, 256, (n, 3, size, size), generator=gen, dtype=torch.uint8)
    contract = _usual_input(family)
    kind = contract.kind
    if kind == "labels":
        inputs = torch.randint(0, len(contract.palette), (n, 1, size, size), generator=gen, dtype=torch.uint8)
    elif kind == "sketch":
        inputs = torch.where(torch.rand(n, 1, size, size, generator=gen) < 0.05, 0, 255).to(torch.uint8)
    else:
        inputs = torch.randint(0, 256, (n, 3, size, size), generator=gen, dtype=torch.uint8)
    paired = len(family_spec(family).generators) == 1  # one generator per direction: unpaired domains
    return TrainingSet(inputs=inputs, targets=photos, paired=paired, files=[f"{i}" for i in range(n)])


@contextlib.contextmanager
def _plain_adam() -> Iterator[None]:
    """The reference step's optimizer: torch's default Adam (no fused kernel)."""
    original = FamilyTrainer.adam

    def adam(self: FamilyTrainer, params: object, *, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
        return torch.optim.Adam(params, lr=lr, betas=betas)

    FamilyTrainer.adam = adam
    try:
        yield
    finally:
        FamilyTrainer.adam = original


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(
    family: str, *, size: int, batch: int, steps: int, warmup: int, device: torch.device, ganvas: bool, settings: dict | None = None
) -> float:
    """Images per second of `steps` training steps (after `warmup` untimed ones); `settings` adds config overrides."""
    contract = _usual_input(family)
    overrides = dict(load_size=size, crop_size=size, batch_size=batch, amp=ganvas, input_kind=contract.kind, device=str(device))
    if contract.palette:
        overrides["palette"] = [[p.name, *p.rgb] for p in contract.palette]
    if "num_downs" in {f.name for f in dataclasses.fields(config_class(family))}:
        overrides["num_downs"] = max(5, min(8, size.bit_length() - 1))  # 8 at 256 px, as shipped
    overrides.update(settings or {})
    cfg = build_config(family, overrides=overrides)
    torch.manual_seed(0)
    if ganvas:
        trainer = TRAINERS[family](cfg, device=device)
        place_networks(trainer, device)
    else:
        with _plain_adam():
            trainer = TRAINERS[family](cfg, device=device)
    data = _synthetic_data(family, size, n=max(8, batch))
    for step in range(warmup):
        trainer.train_step(draw_batch(data, cfg, step=step, device=device))
    _sync(device)
    start = time.perf_counter()
    for step in range(warmup, warmup + steps):
        trainer.train_step(draw_batch(data, cfg, step=step, device=device))
    _sync(device)
    return steps * batch / (time.perf_counter() - start)


# The arms of the pretrained-features table: what each adds to the family's own step.
PRETRAINED_ARMS = {
    "plain": {},
    "+perceptual": {"lambda_perceptual": 10.0},
    "+projected D": {"projected_d": "beside"},
    "both": {"projected_d": "beside", "lambda_perceptual": 10.0},
}


def pretrained_table(families: list[str], *, size: int, steps: int, warmup: int, device: torch.device) -> list[dict]:
    """Seconds per training step (batch 2) of each family under each arm of PRETRAINED_ARMS."""
    threads = torch.get_num_threads()
    print(f"seconds per training step at {size}x{size}, batch 2, {steps} timed steps each ({threads} thread{'s' if threads > 1 else ''})")
    print(f"{'family':<11}" + "".join(f"{arm:>14}" for arm in PRETRAINED_ARMS))
    rows = []
    for family in families:
        run = dict(size=size, batch=2, steps=steps, warmup=warmup, device=device, ganvas=True)
        seconds = {arm: 2 / measure(family, settings=settings, **run) for arm, settings in PRETRAINED_ARMS.items()}
        rows.append({"family": family, "seconds_per_step": seconds})
        print(f"{family:<11}" + "".join(f"{v:>14.3f}" for v in seconds.values()))
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m trainers.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--families", nargs="+", default=list(TRAINERS), choices=list(TRAINERS))
    p.add_argument("--steps", type=int, default=5, help="timed steps per measurement")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (allocator, cuDNN autotuning)")
    p.add_argument("--rounds", type=int, default=1, help="measure everything this many times, interleaved, and keep each best (noisy hosts)")
    p.add_argument("--size", type=int, default=256, help="training crop side, px (256: the shipped size)")
    p.add_argument("--batch-sizes", default="", help="GANvas batch sizes to try, e.g. 1,2,4 (default: 1,2,4 on CPU, 1,4,8,16 on CUDA)")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for the GANvas path (0: all cores, as training)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--pretrained", action="store_true", help="the cost of the perceptual loss and the projected D instead")
    args = p.parse_args(argv)
    if args.device == "auto":
        device = training_device("auto")
    else:
        device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    if args.pretrained:
        if device.type == "cpu":
            torch.set_num_threads(args.threads or os.cpu_count() or 1)
        rows = pretrained_table(args.families, size=args.size, steps=args.steps, warmup=args.warmup, device=device)
        if args.json:
            args.json.write_text(json.dumps({"size": args.size, "batch": 2, "results": rows}, indent=1))
        return 0
    default_threads = torch.get_num_threads()
    batches = [int(b) for b in args.batch_sizes.split(",") if b] or ([1, 4, 8, 16] if device.type == "cuda" else [1, 2, 4])
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({os.cpu_count()} cores)"
    print(f"training images/s at {args.size}x{args.size} on {name}, {args.steps} timed steps each")
    print(f"{'family':<11} {'reference':>10} {'GANvas':>10} {'batch':>6} {'speed-up':>9}")
    rows = []
    for family in args.families:
        smallest = TRAINERS[family].min_batch
        sizes = sorted({max(smallest, b + b % smallest) for b in batches})
        ref, tried = 0.0, {}
        run = dict(size=args.size, steps=args.steps, warmup=args.warmup, device=device)
        for _ in range(args.rounds):
            torch.set_num_threads(default_threads)
            ref = max(ref, measure(family, batch=smallest, ganvas=False, **run))
            if device.type == "cpu":
                torch.set_num_threads(args.threads or os.cpu_count() or 1)
            for b in sizes:
                try:
                    tried[b] = max(tried.get(b, 0.0), measure(family, batch=b, ganvas=True, **run))
                except torch.OutOfMemoryError:
                    torch.cuda.empty_cache()
                    break
        best = max(tried, key=tried.get)
        rows.append({"family": family, "reference": ref, "ganvas": tried[best], "batch": best, "tried": tried})
        print(f"{family:<11} {ref:>10.2f} {tried[best]:>10.2f} {best:>6d} {tried[best] / ref:>8.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"device": name, "size": args.size, "steps": args.steps, "results": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
