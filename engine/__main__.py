"""The engine's command line: list models, translate images, convert released checkpoints.

    python -m engine list
    python -m engine translate --model pix2pix.facades labels.png -o photo.png [--seed 3] [--samples 4]
    python -m engine convert --family pix2pix latest_net_G.pth --out weights/pix2pix.facades
    python -m engine export-onnx pix2pix.edges2cats      (or a model folder; see engine/onnx_export.py)

A bad input or model prints one line on stderr and exits with status 2.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .errors import ModelError

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="GANvas inference engine")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{list,translate,export-onnx,convert}")
    commands.add_parser("list", help="the registered models and whether their weights are on disk")

    tr = commands.add_parser("translate", help="run a model on one image")
    tr.add_argument("--model", required=True, help="a registered name (see `list`) or a model folder")
    tr.add_argument("input", type=Path, help="input image (sketch, label map or photo)")
    tr.add_argument("-o", "--output", type=Path, required=True, help="output image; with --samples N, OUT_0 .. OUT_N-1")
    tr.add_argument("--seed", type=int, default=None, help="seed of the latent z (models with z); random if omitted")
    tr.add_argument("--samples", type=int, default=None, help="write N renderings with seeds seed, seed+1, ...")
    tr.add_argument("--style", type=Path, default=None, help="a photo whose look to copy (models with an encoder)")
    tr.add_argument("--direction", choices=("AtoB", "BtoA"), default=None, help="CycleGAN direction")
    tr.add_argument("--device", choices=("cpu", "cuda", "mps"), default=None, help="default: the best available")
    tr.add_argument("--keep-size", action="store_true", help="give the output the input's pixel size")
    tr.add_argument("--backend", choices=("torch", "onnx"), default=None, help="default: ONNX Runtime on the CPU where the model has graphs")

    ex = commands.add_parser("export-onnx", help="derive a model folder's ONNX graphs from its safetensors (fp32, checked against torch)")
    ex.add_argument("model", help="a registered name (its manifest entry gets the graphs' checksums) or a model folder")
    ex.add_argument("--generators-only", action="store_true", help="no graph for the encoder (the engine runs it in torch)")

    commands.add_parser("convert", help="turn an official checkpoint into a model folder (see `convert --help`)", add_help=False)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    return parser


def _list() -> int:
    from .loading import list_models
    from .manifest import MANIFEST_FILE, weights_dir

    cards = list_models()
    if not cards:
        print(f"no models registered in {weights_dir() / MANIFEST_FILE}")
        return 0
    rows = [("name", "family", "task", "weights", "renders on the CPU with")]
    rows += [(c.name, c.family, c.task, "available" if c.available else "missing", _runtime(c.entry)) for c in cards]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def _runtime(entry: dict) -> str:
    precision = entry.get("onnx_precision") or {}
    if not precision:
        return "torch fp32"
    return "onnx " + ", ".join(f"{role} {p}" for role, p in precision.items())


def _numbered(path: Path, i: int) -> Path:
    return path.with_name(f"{path.stem}_{i}{path.suffix}")


def _translate(args: argparse.Namespace) -> int:
    from .loading import load
    from .translator import SEED_KEY

    if args.samples is not None and args.samples < 1:
        raise ValueError(f"--samples must be at least 1, got {args.samples}")
    if args.samples is not None and args.style is not None:
        raise ValueError("--samples draws random looks; it cannot be combined with --style")
    translator = load(args.model, device=args.device, backend=args.backend)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.samples is not None:
        seed = 0 if args.seed is None else args.seed
        images = translator.sample(args.input, args.samples, seed=seed, keep_size=args.keep_size)
        outputs = [(_numbered(args.output, i), im) for i, im in enumerate(images)]
    else:
        image = translator(args.input, seed=args.seed, style=args.style, direction=args.direction, keep_size=args.keep_size)
        outputs = [(args.output, image)]
    for path, image in outputs:
        image.save(path)
        seed = image.info.get(SEED_KEY)
        print(f"{path}" + (f"  (seed {seed})" if seed is not None else ""))
    return 0


def _export_onnx(model: str, *, generators_only: bool) -> int:
    from .onnx_publish import export_and_register

    try:
        import onnx  # noqa: F401  (torch's exporter writes through it)
    except ImportError:
        raise ValueError("ONNX export needs the onnx package: pip install -r requirements-train.txt") from None
    for line in export_and_register(model, generators_only=generators_only):
        print(line)
    return 0


def _convert(argv: list[str]) -> int:
    try:
        from .convert import main as convert_main
    except ImportError as exc:
        print(f"error: the checkpoint converter (engine.convert) is not available: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return int(convert_main(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["convert"]:
            return _convert(argv[1:])
        args = _parser().parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
        if args.command == "list":
            return _list()
        if args.command == "export-onnx":
            return _export_onnx(args.model, generators_only=args.generators_only)
        return _translate(args)
    except (ValueError, ModelError, OSError) as exc:
        print("error: " + str(exc).replace("\n", " "), file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
