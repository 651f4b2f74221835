"""The plain-words half of a model card: what it does, what it learnt from, how good and how fast
it is, and what it is bad at, in sentences a person who never heard of KID can read.

The words a person wrote about a model (its manifest entry's "plain": does, trained_on, terms,
weak) come from the recipe's [card] section with the weights; the judgements are made here from
the measured figures, always beside their yardstick (real photos, blurred photos).
"""
from __future__ import annotations

from engine import ModelCard

from .metric_words import fixed, percent

# Where a realism score sits between real photos (0) and slightly blurred real photos (1).
REALISM_WORDS = (
    (0.05, "as photographic as real photos, by this measure"),
    (0.2, "much closer to real photos than a slightly blurred photo is"),
    (0.6, "closer to real photos than a slightly blurred photo is, though still far from them"),
    (1.0, "only a little closer to real photos than a slightly blurred photo is"),
)
LESS_THAN_BLURRED = "less photographic than a slightly blurred photo"


def realism_judgement(kid: float, real: float, blurred: float) -> str:
    """"closer to real photos than a slightly blurred photo is (score 62; real photos 0, blurred 144)"."""
    if kid < real:
        # Below real held-out photos (whose reference set is another day or place, so they do not
        # score 0): the measure has run out, which is not the same as "photographic".
        return (f"beyond what this measure can tell: its pictures score {fixed(kid, 0)}, real photos {fixed(real, 0)} and "
                f"slightly blurred ones {fixed(blurred, 0)} (lower is better), so judge them by eye")
    position = (kid - real) / max(blurred - real, 1e-9)
    words = next((w for limit, w in REALISM_WORDS if position <= limit), LESS_THAN_BLURRED)
    return f"{words} (score {fixed(kid, 0)}, where real photos score {fixed(max(real, 0.0), 0)} and slightly blurred ones {fixed(blurred, 0)}; lower is better)"


def _renders_int8(card: ModelCard) -> bool:
    return "int8" in (card.entry.get("onnx_precision") or {}).values()


def _rendered_kid(card: ModelCard) -> tuple[float, float, float] | None:
    """(score, real, blurred) of the pictures the studio shows: the int8 graphs' where it renders
    them, else the trained weights'."""
    check = card.entry.get("int8_check") or {}
    realism = (card.entry.get("metrics") or {}).get("realism") or {}
    if "kid_lite1_x1000" in check and check.get("kid_reference") and _renders_int8(card):
        ref = check["kid_reference"]
        return check["kid_lite1_x1000"]["int8"], ref["real_vs_real"], ref["real_blurred"]
    if "kid_lite1_x1000" in realism and "real_blurred" in realism:
        return realism["kid_lite1_x1000"], realism.get("real_vs_real", 0.0), realism["real_blurred"]
    return None


def _outline_kid(card: ModelCard) -> tuple[float, float, float] | None:
    """(score, real, blurred) of renders from outline-only sketches, on the realism score's
    yardstick; the int8 graphs' score where the studio renders with them."""
    check = card.entry.get("int8_check") or {}
    metrics = card.entry.get("metrics") or {}
    realism, outline = metrics.get("realism") or {}, metrics.get("outline") or {}
    if "kid_lite1_x1000" not in outline or "real_blurred" not in realism:
        return None
    int8 = "outline_kid_lite1_x1000" in check and _renders_int8(card)
    score = check["outline_kid_lite1_x1000"]["int8"] if int8 else outline["kid_lite1_x1000"]
    return score, realism.get("real_vs_real", 0.0), realism["real_blurred"]


def quality_sentences(card: ModelCard) -> list[str]:
    """How good it is, each sentence with the yardstick it is measured against."""
    m = card.entry.get("metrics") or {}
    directions = card.contract.directions or {}
    out = []
    kid = _rendered_kid(card)
    if kid:
        out.append("Realism: " + realism_judgement(*kid) + ".")
    else:  # two-way models: one score per direction
        for d, r in (m.get("realism") or {}).items():
            if isinstance(r, dict) and "kid_lite1_x1000" in r and "real_blurred" in r:
                out.append(f"Realism of {directions.get(d, d)}: " + realism_judgement(r["kid_lite1_x1000"], r.get("real_vs_real", 0.0), r["real_blurred"]) + ".")
    outline = _outline_kid(card)
    if outline:
        out.append("From an outline alone (no fur or background drawn, as most people sketch): " + realism_judgement(*outline) + ".")
    if "edge_f1" in m:
        out.append(f"Follows your lines: its edges match the sketch's at {percent(m['edge_f1'])} (100% would be every line in place).")
    ratio = (m.get("fcn") or {}).get("pixel_accuracy_ratio")
    if ratio is not None:
        out.append(f"What you paint is what you get: a program that recognises the painted parts in real photos finds them as well in its pictures ({percent(ratio)} of its score on real photos).")
    if "diversity_ratio" in m:
        out.append(f"Variety: two pictures of one input differ {percent(m['diversity_ratio'])} as much as two real photos do.")
    top = m.get("imagenet_top1") or {}
    if "AtoB" in top:
        target = directions.get("AtoB", "A → B").split("→")[-1].strip()
        out.append(f"An independent image classifier names the animal a {target} in {percent(top['AtoB'])} of its {directions.get('AtoB', 'A → B')} pictures.")
    return out


def speed_sentence(render_ms: float | None) -> str:
    if render_ms is None:
        return "timed on this server when its sample picture above is made."
    return f"about {fixed(render_ms, 0)} ms a picture on this server's processor (timed with its sample above); in your browser it depends on your device."


def plain_lines(card: ModelCard, *, purpose: str, render_ms: float | None) -> list[str]:
    """Markdown lines: does / learnt from / how good / how fast / bad at."""
    plain = card.entry.get("plain") or {}
    dataset = card.entry.get("dataset") or {}
    lines = [f"**What it does**: {plain.get('does') or purpose[:1].upper() + purpose[1:] + '.'}"]
    trained = plain.get("trained_on") or dataset.get("name")
    if trained:
        terms = plain.get("terms") or dataset.get("terms")
        lines.append(f"**Learnt from**: {trained}" + (f" *Terms*: {terms}" if terms else ""))
    good = quality_sentences(card)
    if good:
        lines.append("**How good**: " + " ".join(good))
    lines.append(f"**How fast**: {speed_sentence(render_ms)}")
    weak = plain.get("weak") or []
    if weak:
        lines.append("**Bad at**:\n" + "\n".join(f"- {w}" for w in weak))
    return lines
