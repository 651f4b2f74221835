"""Turning exceptions into one short line for the page (never a stack trace) and one log line.

Expected problems (missing weights, a file that is not an image, a bad seed) are logged as
warnings without a traceback; anything else is logged with its traceback and shown to the user
as a short "unexpected error" message. The app keeps serving either way.
"""
from __future__ import annotations

import logging
import warnings

import gradio as gr

import engine

from .models import ModelUnavailable, WeightsMissing

logger = logging.getLogger("app")

EXPECTED = (ModelUnavailable, engine.ModelError, ValueError)
MAX_MESSAGE = 400


def describe(exc: BaseException) -> str:
    """One short, readable sentence (Markdown) for the page."""
    if isinstance(exc, EXPECTED):
        text = str(exc) or type(exc).__name__
    elif isinstance(exc, MemoryError):
        text = "out of memory: try a smaller image"
    else:
        text = f"unexpected error ({type(exc).__name__}); the details are in the server log"
    text = " ".join(text.split())
    if isinstance(exc, ModelUnavailable):  # says which files and which commands: keep it whole
        return text
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def folded(message: str) -> str:
    """Missing weights: one short line, the files and commands folded under it (the tab's banner
    shows them already; API callers still get them in full)."""
    return (
        "⚠ Weights missing: the note above says which files and how to make them.\n\n"
        f"<details><summary>details</summary>\n\n{message}\n\n</details>"
    )


def report(exc: BaseException, *, where: str, toast: bool = True) -> str:
    """Log the problem, show it as a warning toast, and return the status line for the page."""
    message = describe(exc)
    if isinstance(exc, EXPECTED):
        logger.warning("%s: %s", where, " ".join(str(exc).split()))
    else:
        logger.error("%s failed", where, exc_info=exc)
    if isinstance(exc, WeightsMissing):  # no toast: it would repeat the banner, in raw Markdown
        return folded(message)
    if toast:
        with warnings.catch_warnings():  # outside a request gradio would warn: the log line is enough
            warnings.simplefilter("ignore")
            gr.Warning(message.replace("`", ""))  # toasts show Markdown raw
    return f"⚠ {message}"
