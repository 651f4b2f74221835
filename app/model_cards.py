"""The Models tab's text: one Markdown card per model, from the manifest (nothing is loaded for it).

A card says what the model does and takes, where its data came from and under which terms, how
it was trained, how well it did (app.metric_words: in words, with the numbers) and whether it is
ready. A model without weights says "not available yet", with the developer notes folded away.
"""
from __future__ import annotations

import engine
from engine import ModelCard

from .metric_words import metrics_markdown, training_words
from .model_words import FOLD_SUMMARY, TAB_OF, developer_notes, fold, scrub_paths
from .models import HUB, STUDIO_MODELS, ModelHub

NOT_MEASURED = "not measured yet"
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


def card_markdown(card: ModelCard, hub: ModelHub = HUB) -> str:
    e = card.entry
    dataset = e.get("dataset") or {}
    lines = [f"### {card.name}", f"*{card.task or card.family}* · {card.family} · {_size(card.size_bytes)}"]
    if card.name in TAB_OF:
        lines[-1] += f" · used by **{TAB_OF[card.name]}**"
    lines.append(f"- **takes**: {input_words(card)}")
    if dataset:
        lines.append(f"- **dataset**: {dataset.get('name', '?')}" + (f" — terms: {dataset['terms']}" if dataset.get("terms") else ""))
    if e.get("recipe"):
        lines.append(f"- **recipe**: `{e['recipe']}`")
    lines.append(f"- **renders with**: {runtime_words(card)}")
    trained = training_words(e)
    if trained:
        lines.append(f"- **training**: {trained}")
    if e.get("metrics"):
        lines.append("- **metrics**:\n" + metrics_markdown(e["metrics"], directions=card.contract.directions, indent="  "))
    else:
        lines.append(f"- **metrics**: {NOT_MEASURED}\n\n" + fold(
            "how to measure them (for developers)", f"`python -m trainers evaluate {card.name} --data DIR --write` adds them to the manifest."))
    if hub.is_loaded(card.name):
        lines.append("- **status**: ready, loaded in memory")
    elif card.available:
        lines.append("- **status**: ready; loads on first use")
    else:
        lines.append("- **status**: not available yet\n\n" + fold(FOLD_SUMMARY, developer_notes(card.name, hub)))
    return "\n".join(lines)


def models_markdown(hub: ModelHub = HUB) -> str:
    try:
        cards = {c.name: c for c in engine.list_models()}
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
    return f"Models loaded in this server: {loaded}.\n\n" + "\n\n".join(parts)
