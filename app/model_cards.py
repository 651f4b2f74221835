"""The Models tab's text: one Markdown card per model, from the manifest (nothing is loaded for it).

A card says first, in plain words (app.card_words), what the model does, what it learnt from and
under which terms, how good and how fast it is and what it is bad at, and whether it is ready.
What it takes, how it renders and was trained and every figure with its meaning
(app.metric_words) follow in a fold for experts. A model without weights says "not available
yet", with the developer notes folded away.
"""
from __future__ import annotations

import engine
from engine import ModelCard

from .card_words import plain_lines
from .metric_words import metrics_markdown, training_words
from .model_samples import render_ms
from .model_words import FOLD_SUMMARY, TAB_OF, developer_notes, fold, purpose, scrub_paths
from .models import HUB, STUDIO_MODELS, ModelHub, studio_order

EXPERT_FOLD = "Figures and how it was made (for experts)"
CARDS_LEAD = ("One card per model: what it does, what it learnt from, how good and how fast it is, and what it is bad at. "
              "The measurements behind each sentence are folded under it.")
CHECK_WORDS = {"kid_lite1_x1000": "KID-Lite1", "edge_f1": "edge F1", "fcn_pixel_accuracy_ratio": "FCN ratio", "diversity_ratio": "diversity ratio"}
KIND_WORDS = {"sketch": "a pen sketch", "labels": "a painted label map", "photo": "a photo"}


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n else "unknown size"


def input_words(card: ModelCard) -> str:
    """"a painted label map of 12 classes, scaled to 160 px; 64 numbers (z) choose its look"."""
    c = card.contract
    text = f"{KIND_WORDS.get(c.kind, c.kind)}"
    if c.palette:
        text += f" of {len(c.palette)} classes"
    text += ", any size" if c.any_resolution else f", scaled to {c.size} px"
    if c.nz:
        text += f"; {c.nz} numbers (z) choose its look" + (", or a reference photo's style" if c.encoder or c.style else "")
    if c.directions:
        text += "; " + " / ".join(c.directions.values())
    return text


def runtime_words(card: ModelCard) -> str:
    """How the studio renders it: "ONNX Runtime on the CPU, int8 (G), fp32 (E)", or PyTorch."""
    precision = card.entry.get("onnx_precision") or {}
    if not precision:
        note = card.entry.get("onnx_note")
        return "PyTorch, fp32 on the CPU (bf16 on a GPU)" + (f" ({note})" if note else "")
    words = "ONNX Runtime on the CPU: " + ", ".join(f"{p} ({role})" for role, p in precision.items()) + "; PyTorch on a GPU"
    check = card.entry.get("int8_check") or {}
    digits = {"kid_lite1_x1000": 1}
    figures = [
        f"{CHECK_WORDS[k]} {v['fp32']:.{digits.get(k, 3)}f} → {v['int8']:.{digits.get(k, 3)}f}" for k, v in check.items() if k in CHECK_WORDS
    ]
    reference = check.get("kid_reference")
    if figures and reference:  # KID means little without its reference rows
        figures[0] += f" (real vs real {reference['real_vs_real']:g}, blurred real {reference['real_blurred']:g})"
    if figures:
        words += " (int8 against fp32 on held-out inputs: " + ", ".join(figures) + ")"
    return words


def expert_lines(card: ModelCard) -> list[str]:
    """The figures and the making of it, each with what it means: the fold under the plain words."""
    e = card.entry
    dataset = e.get("dataset") or {}
    lines = [f"- **kind of network**: {card.family} ({card.task or card.family}), {_size(card.size_bytes)} of weights"]
    lines.append(f"- **takes**: {input_words(card)}")
    if dataset:
        lines.append(f"- **dataset**: {dataset.get('name', '?')}" + (f" — terms: {dataset['terms']}" if dataset.get("terms") else ""))
    if e.get("recipe"):  # the notebook of what was tried sits beside the recipe, as NAME.md
        history = str(e["recipe"]).removesuffix(".toml") + ".md"
        lines.append(f"- **how it was made**: `python -m trainers reproduce {card.name}` redoes it from its recipe, "
                     f"`{e['recipe']}`; what was tried and measured: `{history}`")
    lines.append(f"- **renders with**: {runtime_words(card)}")
    trained = training_words(e)
    if trained:
        lines.append(f"- **training**: {trained}")
    if e.get("metrics"):
        lines.append("- **measured**:\n" + metrics_markdown(e["metrics"], directions=card.contract.directions, indent="  "))
    return lines


def card_markdown(card: ModelCard, hub: ModelHub = HUB) -> str:
    """A model in plain words first; its figures, each with its meaning, folded for experts."""
    tab = TAB_OF.get(card.name)
    lines = [f"### {tab or card.name}" + (f" · `{card.name}`" if tab else "")]
    lines += plain_lines(card, purpose=purpose(card.name, card.task), render_ms=render_ms(card.name))
    if hub.is_loaded(card.name):
        lines.append("**Status**: ready, loaded in memory.")
    elif card.available:
        lines.append("**Status**: ready; it loads the first time its tab is used.")
    else:
        lines.append("**Status**: not available yet.\n\n" + fold(FOLD_SUMMARY, developer_notes(card.name, hub)))
    if not card.entry.get("metrics"):
        lines.append("*Not measured yet.*\n\n" + fold(
            "how to measure it (for developers)", f"`python -m trainers evaluate {card.name} --data DIR --write` adds the figures to the manifest."))
    lines.append(fold(EXPERT_FOLD, "\n".join(expert_lines(card))))
    return "\n\n".join(lines)


def models_markdown(hub: ModelHub = HUB) -> str:
    try:
        cards = {c.name: c for c in sorted(engine.list_models(), key=lambda c: studio_order(c.name))}
    except Exception as exc:  # a broken manifest must not break the tab
        return f"⚠ The list of models cannot be read right now.\n\n{fold('details (for developers)', scrub_paths(str(exc)))}"
    parts = [card_markdown(c, hub) for c in cards.values()]
    for name in STUDIO_MODELS:
        if name not in cards:
            parts.append(
                f"### {name}\n*not registered yet* · used by **{TAB_OF.get(name, '?')}**\n"
                "- **status**: not available yet\n\n" + fold(FOLD_SUMMARY, developer_notes(name, hub))
            )
    loaded = ", ".join(hub.loaded()) or "none yet"
    return (f"{CARDS_LEAD}\n\n" + "\n\n".join(parts) + f"\n\n*Models loaded in this server's memory: {loaded}.*")
