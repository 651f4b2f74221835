"""The Models tab: one Markdown card per model, from the manifest (nothing is loaded for it)."""
from __future__ import annotations

import engine
from engine.loading import how_to_get
from engine.manifest import ModelCard

from .models import HUB, STUDIO_MODELS, ModelHub

TAB_OF = {
    "pix2pix.edges2cats": "Sketch → Cat",
    "bicyclegan.edges2cats": "Sketch → Cat (variations)",
    "pix2pix.facades": "Facade painter",
    "spade.camvid": "Street painter",
    "cyclegan.horse2zebra": "Horse ↔ Zebra",
}


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n else "unknown size"


def _value(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_value(x)}" for k, x in v.items())
    return str(v)


# Bookkeeping in the evaluation results (which segmenter or judge, its own scores): not a metric.
_NOT_METRICS = ("segmenter", "segmenter_val_accuracy", "judge", "evaluated_on")


def _realism_markdown(r: dict) -> str:
    """KID-Lite1 beside its reference rows: what real photos score, and blurred ones."""
    if "kid_lite1_x1000" not in r:  # CycleGAN: one per direction
        return "; ".join(f"{d} {_realism_markdown(v)}" for d, v in r.items() if isinstance(v, dict))
    return (f"KID-Lite1 ×1000 {_value(r['kid_lite1_x1000'])} (real photos {_value(r['real_vs_real'])}, "
            f"real photos blurred {_value(r['real_blurred'])}; lower is more photographic)")


def metrics_markdown(metrics: dict) -> str:
    """The headline numbers, one level deep: `fcn: generated pixel accuracy 0.559 / real 0.619`."""
    parts = []
    for key, value in metrics.items():
        if key in _NOT_METRICS:
            continue
        if key == "fcn" and isinstance(value, dict):
            gen, real = value.get("generated", {}), value.get("real", {})
            parts.append(
                "FCN-score (generated / real photos): "
                + ", ".join(f"{k.replace('_', ' ')} {_value(gen[k])} / {_value(real[k])}" for k in gen if k in real)
                + (f" (pixel accuracy ratio {_value(value['pixel_accuracy_ratio'])})" if "pixel_accuracy_ratio" in value else "")
            )
        elif key == "realism" and isinstance(value, dict):
            parts.append(_realism_markdown(value))
        elif isinstance(value, dict):
            parts.append(f"{key.replace('_', ' ')}: " + ", ".join(f"{k.replace('_', ' ')} {_value(v)}" for k, v in value.items() if k not in _NOT_METRICS))
        else:
            parts.append(f"{key.replace('_', ' ')} {_value(value)}")
    text = " · ".join(parts)
    return text + (f" ({metrics['evaluated_on']})" if metrics.get("evaluated_on") else "")


def card_markdown(card: ModelCard, hub: ModelHub = HUB) -> str:
    e = card.entry
    c = card.contract
    dataset = e.get("dataset") or {}
    lines = [f"### {card.name}", f"*{card.task or card.family}* · {card.family} · {_size(card.size_bytes)}"]
    if card.name in TAB_OF:
        lines[-1] += f" · used by **{TAB_OF[card.name]}**"
    inputs = f"{c.kind}, {c.size} px"
    if c.palette:
        inputs += f", {len(c.palette)} classes"
    if c.nz:
        inputs += f", z of {c.nz}"
    if c.directions:
        inputs += ", " + " / ".join(c.directions.values())
    lines.append(f"- **input**: {inputs}")
    if dataset:
        lines.append(f"- **dataset**: {dataset.get('name', '?')}" + (f" — terms: {dataset['terms']}" if dataset.get("terms") else ""))
    if e.get("recipe"):
        lines.append(f"- **recipe**: `{e['recipe']}`")
    trained = [f"{k.replace('_', ' ')}: {_value(e[k])}" for k in ("steps", "wall_time_s", "device") if e.get(k) is not None]
    if trained:
        lines.append("- **training**: " + ", ".join(trained))
    lines.append("- **metrics**: " + (metrics_markdown(e["metrics"]) if e.get("metrics") else f"not measured yet (`python -m trainers evaluate {card.name} --data DIR --write` adds them)"))
    if hub.is_loaded(card.name):
        lines.append("- **status**: loaded in memory")
    elif card.available:
        lines.append("- **status**: weights present, loads on first use")
    else:
        missing = ", ".join(f"`{m}`" for m in card.missing_files)
        lines.append(f"- **status**: weights missing: {missing} in `{card.folder}`; {how_to_get(card.name)}")
    return "\n".join(lines)


def models_markdown(hub: ModelHub = HUB) -> str:
    try:
        cards = {c.name: c for c in engine.list_models()}
    except Exception as exc:  # a broken manifest must not break the tab
        return f"⚠ the model registry cannot be read: {exc}"
    parts = [card_markdown(c, hub) for c in cards.values()]
    for name in STUDIO_MODELS:
        if name not in cards:
            parts.append(f"### {name}\n*not registered yet* · used by **{TAB_OF.get(name, '?')}**\n- **status**: weights missing; {how_to_get(name)}")
    loaded = ", ".join(hub.loaded()) or "none yet"
    return f"Models loaded in this server: {loaded}.\n\n" + "\n\n".join(parts)
