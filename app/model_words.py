"""What the studio says about a model that cannot be used yet, for painters and for developers.

A painter reads, in plain words, what the tab will do and that it is not available yet. A
developer opens a fold (an HTML <details> in the Markdown) for which files are missing and the
commands that make them. No text here holds a path of the server's filesystem: files are named
relative to the weights folder, and any path in an error message is replaced by what it is.
"""
from __future__ import annotations

import re

from engine import MANIFEST_FILE, how_to_get, weights_dir

from .models import FACADE, HUB, SKETCH, STREET, VARIATIONS, ZEBRA, ModelHub, ModelUnavailable

TAB_OF = {
    SKETCH: "Sketch → Cat",
    VARIATIONS: "Sketch → Cat (variations)",
    FACADE: "Facade painter",
    STREET: "Street painter",
    ZEBRA: "Horse ↔ Zebra",
}
PURPOSE = {  # what the model does for a painter, completing "this tab will ..."
    SKETCH: "turn your pen sketch into a photo of a cat",
    VARIATIONS: "draw many different cats from one sketch, each with its own fur, light and background",
    FACADE: "turn a painted layout of windows, doors and balconies into a photo of a building",
    STREET: "turn a painted street layout into a street photo, in a style you choose",
    ZEBRA: "turn the horses in a photo into zebras, and zebras into horses",
}
FOLD_SUMMARY = "Weights missing: how to make them (for developers)"
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])(?:/[\w.@+-]+)+/?|\b[A-Za-z]:\\[^\s`'\"]+")


def fold(summary: str, body: str) -> str:
    """A closed HTML fold in Markdown; the blank line after it ends the HTML block before the next line."""
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>\n"


def scrub_paths(text: str) -> str:
    """Replace the server's paths in a message: the weights folder by its name, others by "…"."""
    text = str(text).replace(str(weights_dir()), "the weights folder")
    return _ABSOLUTE_PATH.sub("…", text)


def purpose(name: str, task: str = "") -> str:
    if name in PURPOSE:
        return PURPOSE[name]
    return f"run the model {name}" + (f" ({task})" if task else "")


def developer_notes(name: str, hub: ModelHub = HUB) -> str:
    """Markdown for developers: why the model cannot be used and how to make its files."""
    where = f"`{MANIFEST_FILE}` in the weights folder (`GANVAS_WEIGHTS_DIR`, else `weights` beside the code)"
    try:
        card = hub.card(name)
    except ModelUnavailable as exc:
        return f"The model registry, {where}, cannot be read: {scrub_paths(str(exc))}"
    if card is None:
        reason = f"`{name}` is not registered in {where} yet."
    elif card.missing_files:
        files = ", ".join(f"`{f}`" for f in card.missing_files)
        reason = f"`{name}` is registered, but its folder `{name}` in the weights folder lacks {files}."
    else:
        return ""
    steps = [f"To make them: {how_to_get(name)}."]
    if card is not None:  # the engine fetches a registered model's missing files from a hub repo
        steps.append(
            "Or, where the weights are published on a Hugging Face Hub repo: set `GANVAS_HUB_REPO` to it and run "
            f"`python -m engine translate --model {name} INPUT -o OUTPUT` once; the engine downloads the missing files."
        )
    steps.append("Then reload this page: the tab checks again on every load.")
    return f"{reason}\n\n" + "\n".join(f"- {s}" for s in steps)


def unavailable_markdown(name: str, hub: ModelHub = HUB) -> str:
    """The banner of a model that cannot be used: empty when it is ready."""
    if hub.availability(name).ready:
        return ""
    try:
        card = hub.card(name)
    except ModelUnavailable:
        card = None
    tab = TAB_OF.get(name, name)
    notes = developer_notes(name, hub)
    text = (
        f"**{tab} is not available yet.** Once its model is installed on this server, this tab will "
        f"{purpose(name, card.task if card else '')}. Until then it cannot be used; the other tabs work as usual."
    )
    return text + (f"\n\n{fold(FOLD_SUMMARY, notes)}".rstrip("\n") if notes else "")

