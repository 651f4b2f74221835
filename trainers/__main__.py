"""python -m trainers {reproduce,train,export,quantize,edges,evaluate,grid,segmenter,judge} ... (see --help); python -m trainers.bench."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .config import build_config, config_classes, describe_fields, describe_resume_settings, load_recipe, parse_set_args

COMMANDS = ("reproduce", "train", "export", "quantize", "edges", "evaluate", "grid", "segmenter", "judge")


def _train(argv: list[str]) -> None:
    families = ", ".join(config_classes())
    p = argparse.ArgumentParser(
        prog="python -m trainers train",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"Train a GANvas model. Families: {families}.",
        epilog="settings (--set key=value) and their defaults:\n" + "\n".join(f"[{f}]\n{describe_fields(f)}" for f in config_classes()),
    )
    p.add_argument("family", nargs="?", choices=list(config_classes()), help="model family (optional with --resume)")
    p.add_argument("--data", help="dataset folder")
    p.add_argument("--out", type=Path, help="run directory (checkpoints, samples, losses)")
    p.add_argument("--recipe", type=Path, help="TOML recipe, e.g. trainers/recipes/pix2pix.facades.toml")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument(
        "--resume", type=Path, metavar="RUN_DIR",
        help=f"continue a run from its latest checkpoint with its own settings; --set may change only {describe_resume_settings()}",
    )
    args = p.parse_args(argv)
    from .loop import train

    if args.resume:
        cfg_file = args.resume / "config.json"
        if not cfg_file.is_file():
            raise ValueError(f"{args.resume} is not a run directory (no config.json)")
        family = json.loads(cfg_file.read_text())["family"]
        train(build_config(family), run_dir=args.resume, resume=True, resume_overrides=parse_set_args(args.overrides))
        return
    if not args.family or not args.data or not args.out:
        p.error("family, --data and --out are required (or --resume RUN_DIR)")
    overrides = {"data": args.data, **parse_set_args(args.overrides)}
    cfg = build_config(args.family, recipe=args.recipe, overrides=overrides)
    from .export import write_card

    write_card(args.out, load_recipe(args.recipe).get("card", {}) if args.recipe else {}, recipe=str(args.recipe) if args.recipe else None)
    train(cfg, run_dir=args.out)


def _export(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m trainers export", description="Export a run as an engine model folder.")
    p.add_argument("run_dir", type=Path)
    p.add_argument("--name", required=True, help="FAMILY.TAG, e.g. pix2pix.facades")
    p.add_argument("--int8", action="store_true", help="int8 weights per output channel (4x smaller)")
    p.add_argument("--fp16", action="store_true")
    p.add_argument("--out", type=Path, help="model folder (default weights/NAME, registered in weights/manifest.json)")
    p.add_argument("--last", action="store_true", help="the last step's weights, not the moving average (runs with ema_decay)")
    p.add_argument("--no-onnx", action="store_true", help="skip deriving the ONNX graphs (`python -m engine export-onnx` makes them later)")
    args = p.parse_args(argv)
    from .export import export_run

    storage = "int8" if args.int8 else "fp16" if args.fp16 else "fp32"
    entry = export_run(args.run_dir, name=args.name, storage=storage, out=args.out, averaged=not args.last, onnx=not args.no_onnx)
    print(
        f"exported {args.name}: {entry['size_bytes'] / 2**20:.2f} MiB ({storage}, {entry['weights']} weights), "
        f"max |engine - trainer| = {entry['export_max_abs_diff']:.2e}"
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print(f"usage: python -m trainers {{{','.join(COMMANDS)}}} ... ; add --help after a command for its options")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    command, rest = argv[0], argv[1:]
    try:
        if command == "reproduce":
            from .reproduce import reproduce_main

            reproduce_main(rest)
        elif command == "train":
            _train(rest)
        elif command == "export":
            _export(rest)
        elif command == "quantize":
            from .calibration import quantize_main

            quantize_main(rest)
        elif command == "edges":
            from .data.edges_cli import main as edges_main

            edges_main(rest)
        elif command == "evaluate":
            from .evaluation.evaluate import evaluate_main

            evaluate_main(rest)
        elif command == "grid":
            from .evaluation.grid import grid_main

            grid_main(rest)
        else:
            from .evaluation import commands

            getattr(commands, f"{command}_main")(rest)
    except (ValueError, FileNotFoundError, ImportError) as exc:  # ImportError: a training-only package is missing
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
