"""The training loop every family shares: schedule, progress, samples, checkpoints, resume, DDP.

Learning rates stay constant for `epochs`, then decay linearly to zero over `epochs_decay` (the
pix2pix/CycleGAN schedule). Each step reseeds torch from (seed, step, rank), and batches are a
function of the step (trainers/dataset.py), so a resumed run continues exactly where it stopped.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .averaging import WeightAverage
from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from .config import TrainConfig, apply_overrides, resume_settings
from .dataset import TrainingSet, draw_batch, load_training_set, step_seed
from .families.base import FamilyTrainer
from .state import build_family, capture, config_of, restore_training, training_device
from .warm_start import load_exported_weights

logger = logging.getLogger(__name__)

try:
    from tqdm.auto import tqdm
except ImportError:  # progress bars are a nicety
    tqdm = None


@dataclasses.dataclass
class Distributed:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed() -> Distributed:
    """torchrun sets WORLD_SIZE/RANK/LOCAL_RANK; one process otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed()
    import torch.distributed as dist

    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend=backend)
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local)
    return Distributed(rank=dist.get_rank(), world=world, local_rank=local)


def total_steps(cfg: TrainConfig, n_images: int, world: int) -> tuple[int, int]:
    """(steps at constant lr, total steps)."""
    per_epoch = max(1, n_images // (cfg.batch_size * world))
    constant, total = cfg.epochs * per_epoch, (cfg.epochs + cfg.epochs_decay) * per_epoch
    if cfg.max_steps:
        scale = cfg.max_steps / max(total, 1)
        constant, total = round(constant * scale), cfg.max_steps
    return constant, total


def make_schedulers(family: FamilyTrainer, *, constant: int, total: int) -> dict[str, torch.optim.lr_scheduler.LRScheduler]:
    decay = max(1, total - constant)

    def factor(step: int) -> float:
        return 1.0 if step < constant else max(0.0, 1.0 - (step - constant) / decay)

    return {name: torch.optim.lr_scheduler.LambdaLR(opt, factor) for name, opt in family.optimizers.items()}


def place_networks(family: FamilyTrainer, device: torch.device) -> None:
    """channels_last on CUDA: the bf16 tensor-core convolutions run NHWC (activations follow the weights).
    Not on CPU: measured with `python -m trainers.bench` it was no faster there (oneDNN, 2 cores)."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # training shapes are fixed: pick the fastest kernels once
        for net in family.networks.values():
            net.to(memory_format=torch.channels_last)


def wrap_ddp(family: FamilyTrainer, dist: Distributed) -> None:
    """Swap each network attribute for its DDP wrapper; family.networks keeps the plain modules."""
    if dist.world <= 1:
        return
    from torch.nn.parallel import DistributedDataParallel as DDP

    for name, net in family.networks.items():
        if getattr(family, name, None) is net and any(p.requires_grad for p in net.parameters()):
            ids = [dist.local_rank] if net_device(net).type == "cuda" else None
            setattr(family, name, DDP(net, device_ids=ids, broadcast_buffers=False, find_unused_parameters=True))


def describe_device(device: torch.device, *, amp: bool) -> str:
    """What a model card says it was trained on, e.g. 'cpu, 1 thread, bf16 autocast'."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else str(device)
    if device.type == "cpu":
        n = torch.get_num_threads()
        name += f", {n} thread{'s' if n > 1 else ''}"
    return name + (", bf16 autocast" if amp else ", fp32")


def oversubscription_warning(threads: int, *, load: float, cores: int) -> str | None:
    """Why a CPU run may crawl: OpenMP threads spin-wait for each other, so more busy threads than
    cores (another training beside this one) cost far more than their share; measured here, a
    2-thread SPADE run went from 0.75 to 13.8 s per step beside a 1-thread job on 2 cores."""
    if load + threads <= cores + 0.5:
        return None
    return (
        f"{threads} training threads on {cores} cores already carrying a load of {load:.1f}: "
        f"threads will wait on each other; give each concurrent run num_threads so the total stays at {cores}"
    )


def net_device(net: torch.nn.Module) -> torch.device:
    return next(net.parameters()).device


def save_grid(columns: list[torch.Tensor], path: Path, *, rows: int = 4) -> None:
    """input | output | target ... one row per sample, as a PNG."""
    cols = [c[:rows].float().clamp(-1, 1).cpu() for c in columns]
    grid = torch.cat([torch.cat(list(c), dim=1) for c in cols], dim=2)
    a = ((grid.permute(1, 2, 0).numpy() + 1.0) * 127.5 + 0.5).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path)


class LossLog:
    """losses.csv, and TensorBoard when it is installed."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / "losses.csv"
        self.writer = None
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(run_dir / "tensorboard"))
        except ImportError:
            pass

    def add(self, step: int, losses: dict[str, float]) -> None:
        new = not self.path.exists()
        with open(self.path, "a", newline="") as fh:
            w = csv.writer(fh)
            if new:
                w.writerow(["step", *losses])
            w.writerow([step, *(f"{v:.5f}" for v in losses.values())])
        if self.writer is not None:
            for k, v in losses.items():
                self.writer.add_scalar(f"loss/{k}", v, step)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def train(
    cfg: TrainConfig, *, run_dir: Path, resume: bool = False, data: TrainingSet | None = None, resume_overrides: dict | None = None,
    on_step: Callable[[int], None] | None = None,  # called after each step with the step count (a caller's own progress)
) -> FamilyTrainer:
    run_dir = Path(run_dir)
    dist = setup_distributed()
    start_step, wall_before = 0, 0.0
    state = None
    if resume:
        path = latest_checkpoint(run_dir)
        if path is None:
            raise ValueError(f"nothing to resume: {run_dir}/checkpoints has no checkpoint")
        state = load_checkpoint(path)
        cfg = config_of(state)  # the run's own settings win over the command line's ...
        allowed = resume_settings(type(cfg))
        changed = set(resume_overrides or {}) - set(allowed)
        if changed:
            raise ValueError(f"a resumed run keeps its settings; only these may change: {', '.join(allowed)} (got {', '.join(sorted(changed))})")
        cfg = apply_overrides(cfg, resume_overrides or {})  # ... except its length and placement
        start_step, wall_before = int(state["step"]), float(state.get("wall_time_s", 0.0))
        logger.info("resuming %s from step %d", run_dir, start_step)
    # Placement after the resume has settled the config: a resumed run takes its own (or the new)
    # device and thread count, not the command line's defaults (all cores: the "resume crawl").
    device = training_device(cfg.device, local_rank=dist.local_rank)
    if device.type == "cpu":
        torch.set_num_threads(cfg.num_threads or os.cpu_count() or 1)
        warning = oversubscription_warning(torch.get_num_threads(), load=os.getloadavg()[0], cores=os.cpu_count() or 1)
        if warning:
            logger.warning(warning)
    torch.manual_seed(cfg.seed)
    family = build_family(cfg, device=device)
    place_networks(family, device)
    data = data if data is not None else load_training_set(cfg)
    constant, total = total_steps(cfg, len(data), dist.world)
    schedulers = make_schedulers(family, constant=constant, total=total)
    if state is not None:
        restore_training(family, state, schedulers=schedulers)
    elif cfg.init_from:
        roles = load_exported_weights(family.networks, roles=list(family.export_networks()), source=cfg.init_from, family=cfg.family)
        logger.info("warm start: %s from %s", ", ".join(roles), cfg.init_from)
    average = None
    if cfg.ema_decay:
        # Made after the restore: an average switched on by a resume starts from the weights reached.
        # The trained modules of the exported roles (SPADE exports folded copies of them).
        average = WeightAverage({role: family.networks[role] for role in family.export_networks()}, decay=cfg.ema_decay)
        if state is not None:
            average.load_state_dict(state.get("ema", {}))
    wrap_ddp(family, dist)
    if cfg.compile:
        for name in family.networks:  # every trained network the family holds as an attribute (G_AtoB, E, D2, ...)
            if hasattr(family, name):
                setattr(family, name, torch.compile(getattr(family, name)))
    run_dir.mkdir(parents=True, exist_ok=True)
    if dist.main:
        _write_json(run_dir / "config.json", {"family": cfg.family, **dataclasses.asdict(cfg)})
        _write_json(run_dir / "data.json", {"train_files": data.files, "held_out_files": data.held_out})
    log = LossLog(run_dir) if dist.main else None
    per_epoch = max(1, len(data) // (cfg.batch_size * dist.world))
    show_bar = tqdm is not None and on_step is None  # a caller with its own progress shows it instead
    bar = tqdm(total=total, initial=start_step, unit="step", disable=not dist.main, dynamic_ncols=True) if show_bar else None
    t0 = time.perf_counter()
    sums: dict[str, float] = {}
    count = 0

    def checkpoint(step: int) -> None:
        if not dist.main:
            return
        state = capture(
            step=step, cfg=cfg, family=family, schedulers=schedulers, average=average,
            wall_time_s=wall_before + time.perf_counter() - t0, device=describe_device(device, amp=family.use_amp),
        )
        save_checkpoint(run_dir, state, step=step, keep=cfg.keep_checkpoints)

    step = start_step
    for step in range(start_step, total):
        torch.manual_seed(step_seed(seed=cfg.seed, step=step, rank=dist.rank))
        batch = draw_batch(data, cfg, step=step, device=device, rank=dist.rank, world=dist.world)
        losses = family.train_step(batch)
        if average is not None:
            average.update()
        for sched in schedulers.values():
            sched.step()
        for k, v in losses.items():
            sums[k] = sums.get(k, 0.0) + v
        count += 1
        done = step + 1
        if on_step is not None:
            on_step(done)
        if bar is not None:
            bar.update(1)
            if done % 10 == 0:
                bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()})
        if log is not None and done % cfg.log_every == 0:
            log.add(done, losses)
        if done % per_epoch == 0 and dist.main:
            means = " ".join(f"{k}={v / count:.4f}" for k, v in sums.items())
            lr = next(iter(family.optimizers.values())).param_groups[0]["lr"]
            logger.info("epoch %d step %d lr %.2e %s", done // per_epoch, done, lr, means)
            sums, count = {}, 0
        if dist.main and cfg.sample_every and done % cfg.sample_every == 0:
            save_grid(family.preview(batch), run_dir / "samples" / f"step_{done:08d}.png")
        if cfg.checkpoint_every and done % cfg.checkpoint_every == 0 and done < total:
            checkpoint(done)
    if bar is not None:
        bar.close()
    if total > start_step:
        checkpoint(total)
        if dist.main:
            save_grid(family.preview(batch), run_dir / "samples" / f"step_{total:08d}.png")
    elif state is not None and cfg != config_of(state):
        # A finished run resumed only to change a setting the export reads (e.g. z_prior_bandwidth):
        # the export takes the run's settings from its checkpoint, so the checkpoint records them.
        checkpoint(start_step)
    return family
