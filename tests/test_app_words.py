"""What the studio says to painters: banners of missing models, metrics in words, sample renders
on the Models tab, and style controls named after what they change. Tiny stand-in models and
fake renderers only: no shipped weights, no server."""
from __future__ import annotations

import dataclasses

import re

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from app import model_samples, style_words, styles
from app import street_handlers as sh
from app.metric_words import dataset_words, humanise, metric_lines, metrics_markdown, training_words
from app.model_cards import models_markdown
from app.card_words import plain_lines, realism_judgement
from app.model_words import FOLD_SUMMARY, TAB_OF, scrub_paths
from app.painters import STREET_PAINTER
from app.models import FACADE, HUB, SKETCH, STREET, STUDIO_MODELS, VARIATIONS, ZEBRA
from standins import write_standins
from app.widgets import availability_markdown

ABSOLUTE = re.compile(r"(?<![\w.])/[\w.-]+/")  # a path from the root, as a server would print it


@pytest.fixture(scope="module")
def standin_dir(tmp_path_factory):
    return write_standins(tmp_path_factory.mktemp("weights"), scale="tiny")


@pytest.fixture
def standins(standin_dir, monkeypatch, one_thread):
    monkeypatch.setenv("GANVAS_WEIGHTS_DIR", str(standin_dir))
    HUB.clear()
    model_samples.clear()
    yield standin_dir
    HUB.clear()
    model_samples.clear()


@pytest.fixture
def zebra_missing(tmp_path, monkeypatch):
    """Every studio model but the zebra one; its entry is registered, its files are not there."""
    weights = tmp_path / "weights"
    write_standins(weights, names=[n for n in STUDIO_MODELS if n != ZEBRA], register_only=[ZEBRA])
    monkeypatch.setenv("GANVAS_WEIGHTS_DIR", str(weights))
    HUB.clear()
    yield weights
    HUB.clear()


def visible(markdown: str) -> str:
    """What a painter sees without opening a fold."""
    return re.sub(r"<details>.*?</details>", "", markdown, flags=re.S)


# ----- missing weights ----------------------------------------------------------------------------
def test_missing_model_banner_is_plain_words_with_developer_notes_folded(zebra_missing):
    banner = availability_markdown(ZEBRA)
    seen = visible(banner)
    assert "Horse ↔ Zebra is not available yet" in seen and "zebras" in seen
    assert "/" not in seen and "python -m" not in seen and "`" not in seen
    assert f"<summary>{FOLD_SUMMARY}</summary>" in banner
    notes = banner[banner.index("<details>"):]
    assert "model.safetensors" in notes and "python -m trainers train cyclegan" in notes  # developers still get it all
    assert str(zebra_missing) not in banner and not ABSOLUTE.search(banner), banner
    assert availability_markdown(SKETCH, FACADE) == ""  # ready models: no banner


def test_unregistered_model_and_unreadable_registry_say_so_without_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVAS_WEIGHTS_DIR", str(tmp_path))
    HUB.clear()
    banner = availability_markdown(STREET)  # not even registered
    assert "Street painter is not available yet" in visible(banner) and "not registered" in banner
    assert str(tmp_path) not in banner and not ABSOLUTE.search(banner)
    (tmp_path / "manifest.json").write_text("{ not json")
    banner = availability_markdown(STREET)
    assert "cannot be read" in banner and str(tmp_path) not in banner and not ABSOLUTE.search(banner), banner
    cards = models_markdown()
    assert str(tmp_path) not in cards and "cannot be read" in cards


def test_paths_in_messages_are_scrubbed(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVAS_WEIGHTS_DIR", str(tmp_path / "w"))
    text = scrub_paths(f"{tmp_path / 'w' / 'manifest.json'} is bad; see /srv/app/log.txt and runs/x (C:\\data\\y.png)")
    assert text.startswith("the weights folder/manifest.json is bad") and "/srv" not in text and "C:\\" not in text
    assert "runs/x" in text  # a path relative to the project is not the server's


def test_zebra_upload_is_off_while_the_weights_are_missing_and_back_once_they_appear(zebra_missing):
    from app import tab_zebra
    from app.widgets import UiOptions

    with gr.Blocks():
        parts = tab_zebra.build(UiOptions())
    fn, outputs = parts["on_load"]
    photo, direction = outputs
    assert isinstance(photo, gr.Image) and isinstance(direction, gr.Radio)
    assert photo.interactive is False and direction.interactive is False
    photo_update, direction_update = fn()
    assert photo_update.interactive is False
    write_standins(zebra_missing, names=[ZEBRA])  # the training finished: its files are there
    photo_update, direction_update = fn()
    assert photo_update.interactive is True and direction_update.interactive is True
    assert availability_markdown(ZEBRA) == ""


# ----- metrics in words ---------------------------------------------------------------------------
METRICS = {
    "l1": 0.46161, "psnr": 11.367, "ssim": 0.30293, "edge_f1": 0.7886,
    "fcn": {"generated": {"pixel_accuracy": 0.8217, "class_accuracy": 0.5374, "mean_iou": 0.4248},
            "real": {"pixel_accuracy": 0.8631, "class_accuracy": 0.5293, "mean_iou": 0.4461},
            "segmenter": "runs/seg-camvid", "segmenter_val_accuracy": {"val_pixel_accuracy": 0.9}, "pixel_accuracy_ratio": 0.9321},
    "realism": {"kid_lite1_x1000": 231.8717, "real_vs_real": -0.04864, "real_blurred": 144.0518, "n_generated": 244, "n_reference": 244, "blur_radius_px": 4.0},
    "diversity": 0.1875, "real_diversity": 0.1219, "diversity_ratio": 1.5379,
    "mystery_score_x": 3.14159,
    "evaluated_on": "244 held-out images of ../shared/datasets/cats",
}


def test_metrics_in_words_keep_the_numbers():
    lines = metric_lines(METRICS)
    assert any(line.startswith("segments like real photos: 93%") for line in lines)
    assert any(line.startswith("edges match the sketch: F1 0.79") for line in lines)
    assert "realism (KID-Lite1 ×1000): 231.9 — real photos score −0.05, blurred real photos 144.1; lower is more photographic" in lines
    assert any("pixels 82% vs 86%" in line and "mean IoU 0.425 vs 0.446" in line for line in lines)
    assert any("L1 0.462" in line and "PSNR 11.4 dB" in line and "SSIM 0.303" in line for line in lines)
    assert any("154%" in line for line in lines)
    assert lines[-1] == "Mystery score x: 3.14"  # unknown keys: still shown, name humanised
    text = metrics_markdown(METRICS)
    assert "runs/seg-camvid" not in text and "../shared" not in text
    assert text.endswith("- measured on 244 held-out images of the cats data")


def test_style_follow_in_words():
    follow = {"luma_r": 0.934, "rgb_r": 0.91, "luma_gap": 0.0312, "renders": 120, "looks": ["as taken", "darker", "brighter", "warm", "cool"],
              "random_z": {"luma_r": -0.04, "rgb_r": 0.01, "luma_gap": 0.11}, "as_taken": {"luma_r": 0.2}}
    (line,) = metric_lines({"style_follow": follow})
    assert line == ("follows a style photo's light: brightness r = 0.93, colour r = 0.91 (1 = always, 0 = not at all), off by 0.031 "
                    "in mean brightness (0–1 scale); with a random look instead of the photo's, r = −0.04 (120 renders: held-out "
                    "photos in 5 lights, each on other streets' maps)")
    (line,) = metric_lines({"style_follow": {**follow, "ceiling": {"luma_r": 0.8995, "rgb_r": 0.91, "luma_gap": 0.0393}}})
    assert line.endswith("other streets' maps); those streets' own photos in the same lights, a perfect render, score r = 0.90, off by 0.039")


def test_subject_colour_in_words():
    (line,) = metric_lines({"subject_colour": {"samples": 8, "delta_e": 6.04, "hue_spread_deg": 21.6, "real_delta_e": 24.9, "real_hue_spread_deg": 48.2}})
    assert line == ("the subject's colour between variations: 6.0 apart (CIELAB ΔE; 2.3 is just noticeable), hues 22° apart; "
                    "between different real photos 24.9 and 48°")


def test_two_way_models_and_training_time_in_words():
    row = {"kid_lite1_x1000": 12.5, "real_vs_real": 2.0, "real_blurred": 40.0}
    lines = metric_lines({"realism": {"AtoB": row, "BtoA": dict(row, kid_lite1_x1000=30.0)},
                          "judge": {"AtoB_in_B": 0.8, "BtoA_in_A": 0.7, "real_accuracy": 0.95, "judge": "runs/judge"},
                          "imagenet_top1": {"class": 340, "AtoB": 0.62, "BtoA": 0.03, "real_A": 0.0, "real_B": 0.97}},
                         directions={"AtoB": "horse → zebra", "BtoA": "zebra → horse"})
    assert lines[0].startswith("realism (horse → zebra) (KID-Lite1 ×1000): 12.5") and lines[1].startswith("realism (zebra → horse) (KID-Lite1 ×1000): 30.0")
    assert "80% of horse → zebra results look like zebra" in lines[2] and "runs/judge" not in lines[2]
    assert lines[3] == ("an ImageNet classifier training never saw (EfficientNet-Lite1) names class 340 (zebra) first: on 62% of horse → zebra "
                        "results, on 3% of zebra → horse results, 0% of real horse photos, 97% of real zebra photos")
    assert training_words({"steps": 47000, "wall_time_s": 14409.6, "device": "cpu, 2 threads"}) == "47,000 steps in 4.0 hours on cpu, 2 threads"
    assert humanise("l1_random_z") == "L1 random z" and dataset_words("100 held-out images") == "100 held-out images"


def test_model_cards_say_not_available_yet_for_missing_weights(zebra_missing):
    cards = models_markdown()
    assert all(name in cards for name in STUDIO_MODELS)
    zebra = cards[cards.index(f"### {TAB_OF[ZEBRA]} · `{ZEBRA}`"):]
    assert "**Status**: not available yet" in zebra and f"<summary>{FOLD_SUMMARY}</summary>" in zebra
    assert "*Not measured yet.*" in cards
    assert str(zebra_missing) not in cards and not ABSOLUTE.search(cards)


# ----- sample renders -----------------------------------------------------------------------------
def test_samples_render_once_per_model_from_the_project_examples(standins, monkeypatch):
    shown = model_samples.samples()
    captions = [c for _, c in shown]
    assert [c.split(":")[0] for c in captions] == [TAB_OF[n] for n in STUDIO_MODELS]  # the tabs' order and names
    assert captions[0].startswith("Sketch → Cat: sketch “") and "Street painter: layout “street 1”" in captions[3]
    assert captions[-1].startswith("Horse ↔ Zebra: painted “horse bay”")  # the zebra model gets a painted horse
    assert all(len(c) <= 60 for c in captions)  # one line under a gallery picture
    assert all(model_samples.render_ms(n) > 0 for n in STUDIO_MODELS)  # timed on this server, for the cards
    for image, _ in shown:
        assert isinstance(image, Image.Image) and image.width > image.height  # input and output side by side
    calls = []
    monkeypatch.setattr(model_samples, "render_sample", lambda *a, **k: calls.append(a))
    assert [c for _, c in model_samples.samples()] == captions and not calls  # kept, not rendered again
    assert HUB.is_loaded(SKETCH) and HUB.is_loaded(VARIATIONS)


# ----- style controls -----------------------------------------------------------------------------
SIZE = (8, 10)
SKY = np.zeros(SIZE, bool)
SKY[:1] = True  # an eighth of the picture: its changes barely move the whole picture's


def fake_render(codes: np.ndarray) -> np.ndarray:
    """A stand-in street renderer: z[0] brightens the whole picture, z[1] does nothing, z[2]
    makes the sky (top row) bluer, z[3] brightens too but less than z[0]."""
    out = []
    for z in codes:
        grey = 0.5 + 0.05 * z[0] + 0.02 * z[3]
        picture = np.full(SIZE + (3,), grey, np.float32)
        picture[SKY, 2] += 0.01 * z[2]
        picture[SKY, 0] -= 0.01 * z[2]
        out.append(np.clip(picture, 0, 1))
    return np.stack(out)


def fake_space(names=("style 1 (like 0016E5_01080)", "sunny")) -> styles.StyleSpace:
    return styles.StyleSpace(
        z_dim=4,
        mean=np.zeros(4, np.float32),
        components=np.eye(4, dtype=np.float32),
        spread=np.ones(4, np.float32),
        presets=np.array([[-4, 0, 0, 0], [0, 0, 0, 0]], np.float32),
        preset_names=names,
    )


def test_sliders_are_named_after_what_they_change_and_useless_ones_hidden():
    space = style_words.describe(fake_space(), fake_render, {"sky": SKY})
    labels = styles.slider_labels(space)
    assert len(labels) == styles.MAX_SLIDERS
    assert labels[0] == "darker ↔ brighter"  # the only change: brightness
    assert labels[1] == ""  # changes nothing: hidden
    assert labels[2].startswith("sky: ") and "warmer ↔ cooler" in labels[2]  # the sky turns blue
    assert labels[3] == ""  # brightness again, weaker than slider 1: hidden


def test_slider_words_follow_the_sign_and_a_second_change_joins():
    change = {"": {"brightness": -0.1, "saturation": 0.06, "warmth": 0.0, "contrast": 0.01}}
    label, key = style_words.direction_label(change)
    assert label == "brighter, paler ↔ darker, more colourful" and key == ("", "brightness")
    assert style_words.direction_label({"": dict.fromkeys(style_words.WORDS, 0.01)}) == ("", None)


def test_presets_named_after_their_render_and_old_names_still_work():
    space = style_words.describe(fake_space(), fake_render, {"sky": SKY})
    assert space.preset_names[1] == "sunny"  # chosen by a person: kept
    assert "like" not in space.preset_names[0] and "dark" in space.preset_names[0]  # z[0] = -4: a dark render
    assert styles.preset_labels(space) == list(space.preset_names)
    old = "style 1 (like 0016E5_01080)"
    assert styles.preset_vector(space, old).tolist() == styles.preset_vector(space, space.preset_names[0]).tolist()
    with pytest.raises(ValueError):
        styles.preset_vector(space, "nope")
    twin = style_words.describe(fake_space(("preset 1", "preset 2")), lambda c: fake_render(np.zeros_like(c)), {"sky": SKY})
    assert len(set(twin.preset_names)) == 2  # look-alikes are numbered, never the same name


def test_preset_words():
    grey_sky = {"brightness": 0.98, "saturation": 0.01, "warmth": 0.0, "contrast": 0.05}
    assert style_words.preset_name({"brightness": 0.57, "saturation": 0.06, "warmth": -0.01, "contrast": 0.32}, grey_sky) == "overcast, bright"
    blue_sky = {"brightness": 0.95, "saturation": 0.05, "warmth": -0.04, "contrast": 0.06}
    assert style_words.preset_name({"brightness": 0.46, "saturation": 0.11, "warmth": -0.03, "contrast": 0.35}, blue_sky) == "blue sky, dim, cool"
    assert style_words.preset_name({"brightness": 0.6, "saturation": 0.2, "warmth": 0.0, "contrast": 0.45}, blue_sky).startswith("sunny")
    dusk_sky = {"brightness": 0.3, "saturation": 0.3, "warmth": 0.1, "contrast": 0.05}
    assert style_words.preset_name({"brightness": 0.3, "saturation": 0.2, "warmth": 0.05, "contrast": 0.3}, dusk_sky) == "dusk, warm"
    assert style_words.preset_name({"brightness": 0.5, "saturation": 0.1, "warmth": 0.0, "contrast": 0.3}, None) == "neutral"


def test_style_space_reads_a_torch_mean():
    space = styles.style_space(z_dim=3, extras={"style_mean": torch.ones(3)}, config={})
    assert space.mean is not None and space.mean.tolist() == [1, 1, 1]
    assert styles.slider_labels(space) == [""] * styles.MAX_SLIDERS


def test_a_loaded_street_model_is_described_once(standins):
    model = HUB.get(STREET)
    space = style_words.described_space(model)
    assert style_words.described_space(model) is space
    assert len(space.direction_labels) == space.n_directions == 3
    assert space.preset_names == ("sunny", "overcast")  # the stand-in's names were chosen: kept
    labels = styles.slider_labels(space)
    assert all(label == "" or "↔" in label for label in labels) and labels[3] == ""


def test_a_first_render_does_not_wait_for_the_style_words(standins, monkeypatch):
    """Measuring the words takes seconds on a CPU: renders skip it unless a preset is asked for
    by a measured name (the tab's controls measure them when it opens)."""
    measured = []

    def describe(space, *_):
        measured.append(1)
        return dataclasses.replace(space, preset_names=tuple(f"look {i}" for i in range(space.n_presets)), preset_aliases=space.preset_names)

    monkeypatch.setattr(style_words, "describe", describe)
    style_words._described.clear()
    value, _, _ = STREET_PAINTER.random_layout(3)
    image, status = sh.render_street(value, "random", 5, None, None, 1.0, 0, 0, 0)
    assert image is not None and measured == []
    model = HUB.get(STREET)
    shipped_name = styles.style_space(z_dim=model.nz, extras=model.extras, config=model.config).preset_names[0]
    image, _ = sh.render_street(value, "preset", 0, shipped_name, None, 0, 0, 0, 0)
    assert image is not None and measured == []
    image, status = sh.render_street(value, "preset", 0, "look 0", None, 0, 0, 0, 0)
    assert image is not None and measured == [1], status


def test_model_card_says_what_renders_with_the_int8_check_and_its_reference_rows() -> None:
    from app.model_cards import runtime_words
    from engine import InputContract, ModelCard

    entry = {
        "onnx_precision": {"G": "int8"},
        "int8_check": {
            "kid_lite1_x1000": {"fp32": 75.39, "int8": 61.8}, "edge_f1": {"fp32": 0.7163, "int8": 0.7153},
            "kid_reference": {"real_vs_real": -0.05, "real_blurred": 144.1},
        },
    }
    card = ModelCard(name="pix2pix.x", family="pix2pix", task="", contract=InputContract(kind="sketch", channels=1), files={}, entry=entry)
    words = runtime_words(card)
    assert words.startswith("ONNX Runtime on the CPU: int8 (G)")
    assert "KID-Lite1 75.4 → 61.8 (real vs real -0.05, blurred real 144.1)" in words and "edge F1 0.716 → 0.715" in words
    torch_card = ModelCard(name="c.x", family="cyclegan", task="", contract=InputContract(kind="photo"), files={}, entry={"onnx_note": "why"})
    assert runtime_words(torch_card) == "PyTorch, fp32 on the CPU (bf16 on a GPU) (why)"


# ----- model cards in plain words ----------------------------------------------------------------
def test_realism_is_judged_against_real_and_blurred_photos() -> None:
    assert realism_judgement(0.0, -0.05, 144.0).startswith("as photographic as real photos")
    # Below the real photos' own score (a reference set of another place): no claim of "photographic".
    beyond = realism_judgement(57.7, 65.0, 363.5)
    assert beyond.startswith("beyond what this measure can tell") and "photographic" not in beyond and "65" in beyond
    assert realism_judgement(20.0, 0.0, 144.0).startswith("much closer to real photos than a slightly blurred photo is")
    assert realism_judgement(61.8, -0.05, 144.1).startswith("closer to real photos than a slightly blurred photo is, though still far")
    assert realism_judgement(130.0, 0.0, 144.0).startswith("only a little closer")
    assert realism_judgement(400.0, 65.0, 363.5).startswith("less photographic than a slightly blurred photo")
    assert "(score 62, where real photos score 0 and slightly blurred ones 144; lower is better)" in realism_judgement(61.8, -0.05, 144.1)


def test_a_card_judges_renders_from_outlines_on_the_same_yardstick() -> None:
    from app.card_words import quality_sentences
    from engine import InputContract, ModelCard

    realism = {"kid_lite1_x1000": 19.6, "real_vs_real": -0.05, "real_blurred": 144.1}
    entry = {"metrics": {"realism": realism, "outline": {"kid_lite1_x1000": 42.2}}}
    card = lambda e: ModelCard(name="p.x", family="pix2pix", task="", contract=InputContract(kind="sketch", channels=1), files={}, entry=e)  # noqa: E731
    sentences = quality_sentences(card(entry))
    outline = [s for s in sentences if s.startswith("From an outline alone")]
    assert len(outline) == 1 and "score 42, where real photos score 0 and slightly blurred ones 144" in outline[0]
    # Rendered by the int8 graphs: their score, as for the realism sentence.
    int8 = {**entry, "onnx_precision": {"G": "int8"}, "int8_check": {"outline_kid_lite1_x1000": {"fp32": 42.2, "int8": 30.4}}}
    assert any("score 30," in s for s in quality_sentences(card(int8)) if s.startswith("From an outline"))
    assert not any(s.startswith("From an outline") for s in quality_sentences(card({"metrics": {"realism": realism}})))
    from app.metric_words import metric_lines

    lines = metric_lines({"realism": realism, "outline": {"kid_lite1_x1000": 42.23, "kid_lite1_x1000_spread": 2.4, "edge_f1": 0.774, "detail": 0.25}})
    assert "from outline-only sketches of the same photos (outline, eyes and nose; no fur or background): realism (KID-Lite1 ×1000) 42.2, edges match the outline: F1 0.77" in lines


def test_a_card_speaks_plainly_first_and_folds_the_figures() -> None:
    from app.model_cards import card_markdown
    from engine import InputContract, ModelCard

    entry = {
        "plain": {"does": "Turns a sketch into a cat.", "trained_on": "2,439 cat photos.", "terms": "research only.", "weak": ["Mouths are pink smears."]},
        "onnx_precision": {"G": "int8"},
        "int8_check": {"kid_lite1_x1000": {"fp32": 75.4, "int8": 61.8}, "kid_reference": {"real_vs_real": -0.05, "real_blurred": 144.1}},
        "metrics": {"edge_f1": 0.716, "realism": {"kid_lite1_x1000": 75.4, "real_vs_real": -0.05, "real_blurred": 144.1}, "diversity_centre": 0.36, "diversity_border": 0.41},
        "device": "cpu, 1 thread, bf16 autocast", "steps": 700, "wall_time_s": 1680,
    }
    card = ModelCard(name=SKETCH, family="pix2pix", task="pen sketch -> cat photo", contract=InputContract(kind="sketch", channels=1), files={}, entry=entry)
    text = card_markdown(card)
    plain, _, experts = text.partition("<details><summary>Figures and how it was made (for experts)</summary>")
    assert plain.startswith(f"### Sketch → Cat · `{SKETCH}`")
    for words in ("**What it does**: Turns a sketch into a cat.", "**Learnt from**: 2,439 cat photos. *Terms*: research only.",
                  "Realism: closer to real photos than a slightly blurred photo is", "score 62,",  # the int8 pictures the studio shows
                  "its edges match the sketch's at 72%", "**How fast**:", "**Bad at**:\n- Mouths are pink smears."):
        assert words in plain, words
    for jargon in ("KID", "FCN", "IoU", "PSNR", "SSIM", "bf16", "F1", "Diversity"):
        assert jargon not in plain, jargon
    assert "KID-Lite1" in experts and "bf16 autocast (16-bit arithmetic" in experts
    assert "0.36 in the middle of the picture (the subject), 0.41 at its border (the background)" in experts
    assert "Diversity centre" not in experts  # every figure with its meaning, none as a bare key
    timed = plain_lines(card, purpose="x", render_ms=41.6)
    assert any("about 42 ms a picture on this server" in line for line in timed)


def test_shipped_cards_carry_their_recipes_plain_words() -> None:
    import json
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for entry in json.loads((root / "weights" / "manifest.json").read_text())["models"]:
        recipe = tomllib.loads((root / entry["recipe"]).read_text())
        assert entry.get("plain") == recipe["card"]["plain"], entry["name"]  # one source: export copies it
        assert entry["plain"]["does"] and entry["plain"]["weak"], entry["name"]  # honest: what it is bad at
