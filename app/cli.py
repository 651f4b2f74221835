"""Command line and launch: `python app.py [--host H] [--port P] [--share] [--no-browser] [--device D]`.

On a Hugging Face Space (SPACE_ID is set) the app binds 0.0.0.0:7860 as Spaces expect and opens
no browser. Without flags, GRADIO_SERVER_NAME / GRADIO_SERVER_PORT are honoured, else
127.0.0.1:7860. Building the page loads no model, so the server is up in seconds.
"""
from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Mapping, Sequence

import gradio as gr
import torch

from .models import HUB
from .uploads import MAX_UPLOAD_BYTES
from . import web_runtime
from .ui import build_demo
from .web_serving import app_kwargs, page_head
from .widgets import CSS, UiOptions

logger = logging.getLogger("app")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
QUEUE_SIZE = 64  # requests waiting at most; more get "queue full" instead of waiting forever
MAX_FILE_SIZE = f"{MAX_UPLOAD_BYTES // 2**20}mb"  # gradio refuses bigger files before our message can


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python app.py", description="GANvas studio: sketch, paint and translate images with GANs.")
    parser.add_argument("--host", default=None, help=f"address to bind (default {DEFAULT_HOST}; 0.0.0.0 on a Space)")
    parser.add_argument("--port", type=int, default=None, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--share", action="store_true", help="also serve on a temporary public gradio.live link")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None, help="where models run (default: cuda if available, else cpu)")
    args = parser.parse_args(list(argv) if argv is not None else [])
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda was asked for but no CUDA GPU is available; use --device cpu")
    return args


def server_address(args: argparse.Namespace, env: Mapping[str, str] = os.environ) -> tuple[str, int]:
    if env.get("SPACE_ID"):
        return "0.0.0.0", int(env.get("GRADIO_SERVER_PORT") or DEFAULT_PORT)
    host = args.host or env.get("GRADIO_SERVER_NAME") or DEFAULT_HOST
    port = args.port or int(env.get("GRADIO_SERVER_PORT") or DEFAULT_PORT)
    return host, port


def ui_options(device: str | None, env: Mapping[str, str] = os.environ) -> UiOptions:
    """On a GPU, concurrent requests to one model are batched; on a CPU they take turns.

    GANVAS_APP_BATCH=1 (or 0) forces batching on (off), e.g. to test the batched path on a CPU.
    """
    on_gpu = device == "cuda" or (device is None and torch.cuda.is_available())
    forced = env.get("GANVAS_APP_BATCH")
    return UiOptions(batch=on_gpu if forced in (None, "") else forced == "1", concurrency=1)


def setup_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def create(argv: Sequence[str] | None = None) -> tuple[gr.Blocks, argparse.Namespace]:
    """Parse the flags and build the page (no model is loaded)."""
    setup_logging()
    args = parse_args(argv)
    HUB.configure(device=args.device)
    started = time.perf_counter()
    demo = build_demo(ui_options(args.device))
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    logger.info("page built in %.2f s", time.perf_counter() - started)
    return demo, args


def launch(demo: gr.Blocks, args: argparse.Namespace) -> None:
    host, port = server_address(args)
    on_space = bool(os.environ.get("SPACE_ID"))
    if on_space and not web_runtime.installed():
        # Same-origin runtime files on a Space (its workers may not start from the CDN's origin).
        web_runtime.main([])
    demo.launch(
        server_name=host,
        server_port=port,
        share=args.share and not on_space,
        inbrowser=not (args.no_browser or on_space),
        max_file_size=MAX_FILE_SIZE,
        css=CSS,
        footer_links=["api", "gradio"],
        # The page renders in the visitor's browser where it can: its scripts, the runtime, the
        # graphs and the isolation headers (web_serving). No SSR: the page comes from this server.
        head=page_head(),
        app_kwargs=app_kwargs(),
        ssr_mode=False,
    )


def main(argv: Sequence[str] | None = None) -> None:
    demo, args = create(argv)
    launch(demo, args)
