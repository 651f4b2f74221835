"""A model's evaluation results (the manifest's "metrics") in words a painter can read.

Each known result becomes one line that says what was measured, the number, and which way is
better ("edges match the sketch: F1 0.76"); results of the same measurement (a score and its
reference rows) share a line. Unknown keys are still shown, with their name humanised, so a new
metric is never hidden. Bookkeeping (which segmenter or judge was used, its own training) is left
out, as before.
"""
from __future__ import annotations

import math
from pathlib import PurePosixPath

# Bookkeeping in the evaluation results (which segmenter or judge, its own scores): not a metric.
NOT_METRICS = ("segmenter", "segmenter_val_accuracy", "judge_dir", "evaluated_on")
IMAGENET_NAMES = {339: "sorrel horse", 340: "zebra"}  # the classes our two-way model is judged by
# Words of a training device line ("cpu, 1 thread, bf16 autocast") a non-specialist would not know.
DEVICE_WORDS = {"bf16 autocast": "bf16 autocast (16-bit arithmetic where it is safe, for speed)"}
ACRONYMS = {"l1": "L1", "psnr": "PSNR", "ssim": "SSIM", "fid": "FID", "kid": "KID", "fcn": "FCN", "iou": "IoU", "f1": "F1", "z": "z", "x1000": "×1000"}


def number(v: object) -> str:
    """3 significant digits, a real minus sign, thousands grouped; other values as text."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    if isinstance(v, int) or (math.isfinite(v) and v == int(v) and abs(v) >= 1000):
        return f"{int(v):,}".replace("-", "−")
    if not math.isfinite(v):
        return str(v)
    text = f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    if "e" in text:
        text = f"{v:.3f}"
    return text.replace("-", "−")


def fixed(v: float, digits: int) -> str:
    return f"{v:,.{digits}f}".replace("-", "−")


def percent(v: float, digits: int = 0) -> str:
    return f"{fixed(100 * v, digits)}%"


def kid(v: float) -> str:
    """KID ×1000 to one decimal (two below 1: real photos score about zero)."""
    return fixed(v, 1 if abs(v) >= 1 else 2)


def humanise(key: str) -> str:
    """`l1_random_z` -> "L1 random z", `kid_lite1_x1000` -> "KID lite1 ×1000"."""
    words = [ACRONYMS.get(w.lower(), w) for w in str(key).replace("-", "_").split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else str(key)


def _plain(key: str, value: object) -> str:
    """An unknown result: humanised name and value (dicts one level deep, lists as ranges)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{humanise(k).lower()} {_value(v)}" for k, v in value.items() if k not in NOT_METRICS)
        return f"{humanise(key)}: {inner}"
    return f"{humanise(key)}: {_value(value)}"


def _value(v: object) -> str:
    if isinstance(v, list) and v and all(isinstance(x, int | float) for x in v):
        return f"{number(min(v))}–{number(max(v))}" if len(v) > 1 else number(v[0])
    if isinstance(v, dict):
        return ", ".join(f"{humanise(k).lower()} {_value(x)}" for k, x in v.items())
    return number(v)


def dataset_words(evaluated_on: str) -> str:
    """"244 held-out images of ../shared/datasets/cats" -> "244 held-out images of the cats data"
    (the folder on the training machine means nothing here)."""
    head, sep, where = str(evaluated_on).partition(" of ")
    if not sep or "/" not in where:
        return str(evaluated_on)
    return f"{head} of the {PurePosixPath(where.rstrip('/')).name} data"


def realism_line(r: dict, *, label: str = "") -> str:
    """KID-Lite1 beside its reference rows: what real photos score, and blurred ones."""
    name = f"realism{f' ({label})' if label else ''} (KID-Lite1 ×1000)"
    line = f"{name}: {kid(r['kid_lite1_x1000'])}"
    refs = []
    if "real_vs_real" in r:
        refs.append(f"real photos score {kid(r['real_vs_real'])}")
    if "real_blurred" in r:
        refs.append(f"blurred real photos {kid(r['real_blurred'])}")
    return line + (" — " + ", ".join(refs) if refs else "") + "; lower is more photographic"


def _fcn_line(fcn: dict) -> list[str]:
    gen, real = fcn.get("generated", {}), fcn.get("real", {})
    lines = []
    if "pixel_accuracy_ratio" in fcn:
        lines.append(f"segments like real photos: {percent(fcn['pixel_accuracy_ratio'])} "
                     "(a segmenter trained on real photos finds the painted classes this well, compared with real photos)")
    parts = []
    for key, name, fmt in (("pixel_accuracy", "pixels", percent), ("class_accuracy", "per class", percent), ("mean_iou", "mean IoU", number)):
        if key in gen and key in real:
            parts.append(f"{name} {fmt(gen[key])} vs {fmt(real[key])}")
    if parts:
        lines.append("segmenter on generated vs real photos (FCN-score): " + ", ".join(parts))
    rest = {k: v for k, v in fcn.items() if k not in ("generated", "real", "pixel_accuracy_ratio") and k not in NOT_METRICS}
    lines += [_plain(f"FCN {k}", v) for k, v in rest.items()]
    return lines


def _styles_line(s: dict) -> str:
    parts = []
    if "presets" in s:
        parts.append(f"{number(s['presets'])} presets")
    per = s.get("fcn_pixel_accuracy_per_preset")
    if per:
        parts.append(f"the painted classes stay recognisable under every preset: segmenter accuracy {percent(min(per), 1)}–{percent(max(per), 1)}")
    low = s.get("fcn_pixel_accuracy_min")
    if low is not None and not (per and abs(low - min(per)) < 5e-4):  # else: the range's low end already
        parts.append(f"lowest segmenter accuracy {percent(low, 1)}")
    if "mean_colour_spread" in s:
        parts.append(f"presets differ in colour by {number(s['mean_colour_spread'])} of 255 grey levels on average")
    known = ("presets", "n", "fcn_pixel_accuracy_per_preset", "fcn_pixel_accuracy_min", "mean_colour_spread")
    parts += [_plain(k, v) for k, v in s.items() if k not in known]
    return "style presets: " + "; ".join(parts) + (f" (on {number(s['n'])} layouts)" if "n" in s else "")


def subject_colour_line(s: dict) -> str:
    """How far the subject's colour moves between samples (trainers/evaluation/subject_colour.py)."""
    return (f"the subject's colour between variations: {fixed(s['delta_e'], 1)} apart (CIELAB ΔE; 2.3 is just noticeable), "
            f"hues {fixed(s['hue_spread_deg'], 0)}° apart; between different real photos {fixed(s['real_delta_e'], 1)} "
            f"and {fixed(s['real_hue_spread_deg'], 0)}°")


def style_follow_line(s: dict) -> str:
    """How closely renders take their style photo's light and colour (trainers/evaluation/style_follow.py)."""
    text = (f"follows a style photo's light: brightness r = {fixed(s['luma_r'], 2)}, colour r = {fixed(s['rgb_r'], 2)} "
            f"(1 = always, 0 = not at all), off by {fixed(s['luma_gap'], 3)} in mean brightness (0–1 scale)")
    if isinstance(s.get("random_z"), dict):
        text += f"; with a random look instead of the photo's, r = {fixed(s['random_z']['luma_r'], 2)}"
    if "renders" in s:
        looks = f" in {len(s['looks'])} lights" if s.get("looks") else ""
        text += f" ({number(s['renders'])} renders: held-out photos{looks}, each on other streets' maps)"
    if isinstance(s.get("ceiling"), dict):
        c = s["ceiling"]
        text += (f"; those streets' own photos in the same lights, a perfect render, score r = {fixed(c['luma_r'], 2)}, "
                 f"off by {fixed(c['luma_gap'], 3)}")
    return text


def _judge_line(j: dict, directions: dict[str, str]) -> str:
    """How often a classifier of the two kinds of photo takes each direction's results for their
    target kind, beside how often it is right on real photos."""
    parts = []
    for key, d, default in (("AtoB_in_B", "AtoB", "A → B"), ("BtoA_in_A", "BtoA", "B → A")):
        if key in j:
            label = directions.get(d, default)
            target = label.split("→")[-1].strip() if "→" in label else d[-1]
            parts.append(f"{percent(j[key])} of {label} results look like {target} to it")
    if "real_accuracy" in j:
        parts.append(f"it is right on {percent(j['real_accuracy'])} of real photos")
    parts += [_plain(k, v) for k, v in j.items() if k not in ("AtoB_in_B", "BtoA_in_A", "real_accuracy", "judge")]
    return "a classifier of the two kinds of photo: " + "; ".join(parts)


def _imagenet_line(t: dict, directions: dict[str, str]) -> str:
    """How often an ImageNet classifier that training never saw puts a class (340: zebra) first,
    on each direction's results and on real photos of both kinds."""
    a_to_b = directions.get("AtoB", "A → B")
    kinds = [k.strip() for k in a_to_b.split("→")] if "→" in a_to_b else ["A", "B"]
    parts = [f"on {percent(t[d])} of {directions.get(d, d)} results" for d in ("AtoB", "BtoA") if d in t]
    parts += [f"{percent(t[f'real_{side}'])} of real {kind} photos" for side, kind in zip("AB", kinds) if f"real_{side}" in t]
    target = f"{t.get('class', '?')}" + (f" ({IMAGENET_NAMES[t['class']]})" if t.get("class") in IMAGENET_NAMES else "")
    return f"an ImageNet classifier training never saw (EfficientNet-Lite1) names class {target} first: " + ", ".join(parts)


def metric_lines(metrics: dict, *, directions: dict[str, str] | None = None) -> list[str]:
    """One line per measurement, in words; `directions` names a two-way model's AtoB / BtoA."""
    directions = directions or {}
    m = dict(metrics)
    lines: list[str] = []
    if "edge_f1" in m:
        lines.append(f"edges match the sketch: F1 {fixed(m.pop('edge_f1'), 2)} (1 = every line in place)")
    if isinstance(m.get("fcn"), dict):
        lines += _fcn_line(m.pop("fcn"))
    if isinstance(m.get("realism"), dict):
        r = m.pop("realism")
        if "kid_lite1_x1000" in r:
            lines.append(realism_line(r))
        else:  # two-way models: one row per direction
            lines += [realism_line(v, label=directions.get(d, d)) for d, v in r.items() if isinstance(v, dict) and "kid_lite1_x1000" in v]
    if isinstance(m.get("outline"), dict):
        o = m.pop("outline")
        parts = [f"realism (KID-Lite1 ×1000) {kid(o['kid_lite1_x1000'])}"] if "kid_lite1_x1000" in o else []
        parts += [f"edges match the outline: F1 {fixed(o['edge_f1'], 2)}"] if "edge_f1" in o else []
        lines.append("from outline-only sketches of the same photos (outline, eyes and nose; no fur or background): " + ", ".join(parts))
    close = [f"pixel difference L1 {number(m.pop('l1'))} (on a −1..1 scale, lower is closer)"] if "l1" in m else []
    if "psnr" in m:
        close.append(f"PSNR {fixed(m.pop('psnr'), 1)} dB (higher is closer)")
    if "ssim" in m:
        close.append(f"structure SSIM {number(m.pop('ssim'))} (1 = identical)")
    if close:
        lines.append("closeness to the real photo: " + ", ".join(close))
    if "diversity" in m:
        d = m.pop("diversity")
        real, ratio = m.pop("real_diversity", None), m.pop("diversity_ratio", None)
        text = f"variety between samples of one input: L1 {number(d)}"
        if real is not None:
            text += f" (real photos differ from each other by {number(real)}"
            text += f": {percent(ratio)} of that)" if ratio is not None else ")"
        lines.append(text)
    if "diversity_centre" in m and "diversity_border" in m:
        centre, border = m.pop("diversity_centre"), m.pop("diversity_border")
        lines.append(f"where the variety goes: L1 {number(centre)} in the middle of the picture (the subject), {number(border)} "
                     "at its border (the background); a look should change the subject more than the background")
    if isinstance(m.get("subject_colour"), dict):
        lines.append(subject_colour_line(m.pop("subject_colour")))
    if "l1_encoded_z" in m:
        e, r = m.pop("l1_encoded_z"), m.pop("l1_random_z", None)
        lines.append(f"copying a photo's look (style encoder): L1 {number(e)} from that photo" + (f", {number(r)} with a random look" if r is not None else ""))
    for side in ("A", "B"):
        if f"cycle_l1_{side}" in m:
            lines.append(f"round trip back to the original ({side} photos): L1 {number(m.pop(f'cycle_l1_{side}'))}; lower keeps more")
    for d in ("AtoB", "BtoA"):
        if f"colour_shift_{d}" in m:
            lines.append(f"colours kept ({directions.get(d, d)}): blurred L1 {number(m.pop(f'colour_shift_{d}'))}; lower keeps more")
    if isinstance(m.get("judge"), dict):
        lines.append(_judge_line(m.pop("judge"), directions))
    if isinstance(m.get("imagenet_top1"), dict):
        lines.append(_imagenet_line(m.pop("imagenet_top1"), directions))
    if isinstance(m.get("styles"), dict):
        lines.append(_styles_line(m.pop("styles")))
    if isinstance(m.get("style_follow"), dict) and "luma_r" in m["style_follow"]:
        lines.append(style_follow_line(m.pop("style_follow")))
    if "fid" in m:
        lines.append(f"FID {number(m.pop('fid'))} (lower is more photographic)")
    if "kid" in m:
        lines.append(f"KID {number(m.pop('kid'))} (lower is more photographic)")
    lines += [_plain(k, v) for k, v in m.items() if k not in NOT_METRICS]
    return lines


def metrics_markdown(metrics: dict, *, directions: dict[str, str] | None = None, indent: str = "") -> str:
    """Markdown bullets, one per measurement, then what they were measured on."""
    lines = [f"{indent}- {line}" for line in metric_lines(metrics, directions=directions)]
    if metrics.get("evaluated_on"):
        lines.append(f"{indent}- measured on {dataset_words(metrics['evaluated_on'])}")
    return "\n".join(lines)


def training_words(entry: dict) -> str:
    """"47,000 steps in 4.0 hours on cpu, 2 threads, bf16 autocast"."""
    parts = []
    if entry.get("steps") is not None:
        parts.append(f"{number(int(entry['steps']))} steps")
    if entry.get("wall_time_s") is not None:
        hours = float(entry["wall_time_s"]) / 3600
        parts.append(f"in {hours:.1f} hours" if hours >= 1 else f"in {float(entry['wall_time_s']) / 60:.0f} minutes")
    if entry.get("device"):
        device = str(entry["device"])
        for short, long in DEVICE_WORDS.items():
            device = device.replace(short, long)
        parts.append(f"on {device}")
    return " ".join(parts)
