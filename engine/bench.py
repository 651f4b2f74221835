"""Inference benchmarks.

    python -m engine.bench [--models NAME ...] [--threads 2] [--iters 20]
    python -m engine.bench --families pix2pix cyclegan [--threads 2] [--iters 20] [--compile]

Without --families: every shipped model end to end at its studio size in plain torch, the
engine's torch path, ONNX Runtime fp32 and int8, with max |diff| (engine/bench_models.py).

With --families: each family's paper-size generator at 256 x 256, plain against GANvas's path.

"plain" is the network as a user would run it: eval, torch.no_grad, eager fp32, default memory
format. "ganvas" is what `engine.load` gives: `engine.speed.optimize_for_inference` under
inference_mode (on CUDA also bf16 autocast and channels_last, as Translator.forward_tensor runs
it). "compiled" (with --compile) is torch.compile on top, as an option: it wins a little more
but costs tens of seconds per input shape, so the engine does not use it by default.

The networks are each family's paper-size generator for its usual input (the "paper" scale of
engine/families.py) with random weights, since speed does not depend on the values: pix2pix
U-Net ngf 64 / 8 levels (batch norm, dropout); CycleGAN ResNet ngf 64 / 9 blocks; SPADE ngf 32,
12 classes, z 256, base 8 x 8; BicycleGAN U-Net ngf 64 / 8 levels, nz 8 at every level. Latency is per image (batch 1); on CUDA also images/s at --batch.
This is a benchmark, not a test: timings on a shared machine vary; the load average is printed.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .device import inference_dtype, resolve_device
from .families import FAMILIES, family_spec
from .nets import Network, build_network
from .speed import optimize_for_inference

SIZE = 256
@dataclass
class Timing:
    p50_ms: float  # wall clock, per call
    p95_ms: float
    cpu_ms: float  # process CPU time per call (median): steadier than wall time on a busy machine

    @classmethod
    def of(cls, seconds: list[float], cpu_seconds: list[float]) -> Timing:
        ms = sorted(s * 1000 for s in seconds)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        return cls(p50_ms=statistics.median(ms), p95_ms=p95, cpu_ms=statistics.median(cpu_seconds) * 1000)


def example_args(net: Network, *, batch: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    args = net.example_inputs(batch=batch, size=SIZE, generator=torch.Generator().manual_seed(0))
    return tuple(a.to(device) for a in args)


def paper_generator(family: str) -> Network:
    spec = family_spec(family)
    networks = spec.networks(spec.example_contract("paper"), "paper")
    arch, kwargs = networks[spec.generators[0]]
    return build_network(arch, **kwargs)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_calls(runners: dict[str, Callable[[], torch.Tensor]], *, iters: int, warmup: int, device: torch.device) -> dict[str, Timing]:
    """Time the runners in turn, call by call, so that a busy machine slows them alike."""
    for run in runners.values():
        for _ in range(warmup):
            run()
    _sync(device)
    wall: dict[str, list[float]] = {name: [] for name in runners}
    cpu: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(iters):
        for name, run in runners.items():
            start, cpu_start = time.perf_counter(), time.process_time()
            run()
            _sync(device)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - cpu_start)
    return {name: Timing.of(wall[name], cpu[name]) for name in runners}


def realistic(net: nn.Module, args: tuple[torch.Tensor, ...]) -> nn.Module:
    """One training-mode pass: BatchNorm statistics and spectral-norm vectors of real activations
    (a fresh spectral norm's estimate is arbitrary, which makes outputs meaningless)."""
    with torch.no_grad():
        net.train()(*[torch.cat([a, a.flip(0) * 0.5]) for a in args])
    return net.eval()


def plain_runner(net: nn.Module, args: tuple[torch.Tensor, ...]) -> Callable[[], torch.Tensor]:
    def run() -> torch.Tensor:
        with torch.no_grad():
            return net(*args)

    return run


def _channels_last(args: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    return tuple(a.contiguous(memory_format=torch.channels_last) if a.dim() == 4 else a for a in args)


def ganvas_runner(net: nn.Module, args: tuple[torch.Tensor, ...], device: torch.device) -> Callable[[], torch.Tensor]:
    """The engine's path, as Translator.forward_tensor runs a loaded (optimized) network."""
    autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext
    if device.type == "cuda":
        args = _channels_last(args)
        autocast = lambda: torch.autocast("cuda", dtype=inference_dtype(device))  # noqa: E731

    def run() -> torch.Tensor:
        with torch.inference_mode(), autocast():
            return net(*args).float()

    return run


def compiled_runner(net: nn.Module, args: tuple[torch.Tensor, ...], device: torch.device) -> tuple[Callable[[], torch.Tensor], float]:
    """torch.compile of the plain network (inductor, frozen weights, channels_last; CUDA graphs on
    the GPU, under the engine's autocast). Returns the runner and the seconds its first call took."""
    import torch._inductor.config as inductor_config

    inductor_config.freezing = True
    compiled = torch.compile(net.to(memory_format=torch.channels_last), mode="reduce-overhead" if device.type == "cuda" else None)
    run = ganvas_runner(compiled, args, device) if device.type == "cuda" else plain_runner(compiled, _channels_last(args))
    start = time.perf_counter()
    run()
    _sync(device)
    return run, time.perf_counter() - start


def bench_family(family: str, *, device: torch.device, iters: int, warmup: int, batch: int, compile_too: bool) -> dict:
    torch.manual_seed(0)
    net = paper_generator(family)
    args = example_args(net, batch=1, device=device)
    plain = realistic(net.to(device), args)
    fast = optimize_for_inference(copy.deepcopy(plain), device)
    row: dict = {"family": family, "params_m": sum(p.numel() for p in plain.parameters()) / 1e6}
    run_plain, run_fast = plain_runner(plain, args), ganvas_runner(fast, args, device)
    row["max_abs_diff"] = (run_plain().float() - run_fast()).abs().max().item()
    runners = {"plain": run_plain, "ganvas": run_fast}
    if compile_too:
        runners["compiled"], row["compile_s"] = compiled_runner(copy.deepcopy(plain), args, device)
    row.update(time_calls(runners, iters=iters, warmup=warmup, device=device))
    if device.type == "cuda":
        batched = example_args(plain, batch=batch, device=device)
        timings = time_calls(
            {"plain": plain_runner(plain, batched), "ganvas": ganvas_runner(fast, batched, device)},
            iters=max(3, iters // 2), warmup=warmup, device=device,
        )
        row["plain_ips"], row["ganvas_ips"] = (batch * 1000 / timings[k].p50_ms for k in ("plain", "ganvas"))
    return row


def format_table(rows: list[dict], *, device: torch.device) -> str:
    head = ["family", "params", "plain p50", "p95", "cpu", "ganvas p50", "p95", "cpu", "speed-up", "cpu speed-up", "max|diff|"]
    has_compiled = any("compiled" in r for r in rows)
    if has_compiled:
        head += ["compiled p50", "cpu", "compile s"]
    if device.type == "cuda":
        head += ["plain img/s", "ganvas img/s"]
    lines = [head]
    for r in rows:
        cells = [
            r["family"], f"{r['params_m']:.1f}M",
            f"{r['plain'].p50_ms:.1f}", f"{r['plain'].p95_ms:.1f}", f"{r['plain'].cpu_ms:.1f}",
            f"{r['ganvas'].p50_ms:.1f}", f"{r['ganvas'].p95_ms:.1f}", f"{r['ganvas'].cpu_ms:.1f}",
            f"{r['plain'].p50_ms / r['ganvas'].p50_ms:.2f}x", f"{r['plain'].cpu_ms / r['ganvas'].cpu_ms:.2f}x",
            f"{r['max_abs_diff']:.1e}",
        ]
        if has_compiled:
            cells += [f"{r['compiled'].p50_ms:.1f}", f"{r['compiled'].cpu_ms:.1f}", f"{r['compile_s']:.0f}"] if "compiled" in r else ["-"] * 3
        if device.type == "cuda":
            cells += [f"{r['plain_ips']:.0f}", f"{r['ganvas_ips']:.0f}"]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths))) for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", nargs="+", choices=FAMILIES, default=None, help="paper-size random generators instead of the shipped models")
    parser.add_argument("--models", nargs="+", default=None, help="shipped models to time (default: all that are on disk)")
    parser.add_argument("--threads", type=int, default=2, help="CPU intra-op threads (torch.set_num_threads)")
    parser.add_argument("--iters", type=int, default=20, help="timed calls per path")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: the best available)")
    parser.add_argument("--batch", type=int, default=16, help="batch for images/s on CUDA")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (slow to compile)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    if args.families is None:
        from .bench_models import run

        print(
            f"torch {torch.__version__}, {args.threads} threads (torch and ONNX Runtime), CPU {torch.backends.cpu.get_cpu_capability()}, "
            f"load average {load:.1f} on {os.cpu_count()} CPUs; one render through Translator, p50 of {args.iters} after {args.warmup} warm-up"
        )
        print(run(threads=args.threads, iters=args.iters, warmup=args.warmup, names=args.models))
        return 0
    print(
        f"torch {torch.__version__}, device {device}, {torch.get_num_threads()} threads, "
        f"CPU {torch.backends.cpu.get_cpu_capability()}, load average {load:.1f} on {os.cpu_count()} CPUs; "
        f"batch 1 at {SIZE}x{SIZE}, {args.iters} calls after {args.warmup} warm-up"
    )
    rows = []
    for family in args.families:
        rows.append(bench_family(family, device=device, iters=args.iters, warmup=args.warmup, batch=args.batch, compile_too=args.compile))
        print(f"  {family}: plain {rows[-1]['plain'].p50_ms:.1f} ms, ganvas {rows[-1]['ganvas'].p50_ms:.1f} ms", flush=True)
    print(format_table(rows, device=device))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
