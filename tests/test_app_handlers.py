"""Unit tests of the studio's handlers: canvas -> model input, palette snapping, seeds, locks,
z morphs, style controls, procedural examples, and the event handlers on tiny stand-in models.
No browser, no server: everything is called directly."""
from __future__ import annotations

import base64
import io
import threading
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
import gradio as gr

import engine

from app import canvas as cv
from app import handlers as h
from app import seeds as sd
from app import street_handlers as sh
from app import styles
from app.drawings.cat_sketches import example_sketches
from app.cli import parse_args, server_address, ui_options
from app.errors import describe
from app.drawings.facade_layouts import FACADE_CLASSES, colorize, facade_layout, palette_for
from app.model_cards import models_markdown
from app.painters import FACADE_PAINTER, STREET_PAINTER
from app.models import FACADE, HUB, SKETCH, STREET, STUDIO_MODELS, VARIATIONS, ZEBRA, ModelHub, ModelUnavailable, server_renders
from app.drawings.palettes import DEFAULT_FACADE_PALETTE, DEFAULT_STREET_PALETTE, display_palette
from conftest import png_header_only
from standins import write_standins

SKIP = gr.skip()  # what a handler returns for an output it leaves as it is
from app.drawings.street_layouts import STREET_CLASSES, street_layout

PALETTE = [rgb for _, rgb in DEFAULT_FACADE_PALETTE]


# ----- canvas -> model input --------------------------------------------------------------------
def test_transparent_canvas_flattens_onto_the_given_colour():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[0, 0] = (0, 0, 0, 255)
    out = cv.flatten(rgba, (10, 20, 30))
    assert out[0, 0].tolist() == [0, 0, 0]
    assert out[3, 3].tolist() == [10, 20, 30]


def test_empty_canvas_is_blank_paper_and_strokes_become_binary_ink():
    blank = cv.sketch_from_canvas(None)
    assert blank.size == (256, 256) and cv.is_blank(blank)
    assert cv.is_blank(cv.sketch_from_canvas({"png": None}))
    stroke = np.zeros((256, 256, 4), np.uint8)
    stroke[100:103, 50:200] = (0, 0, 0, 255)
    stroke[103, 50:200] = (0, 0, 0, 90)  # antialiased edge: paper after thresholding
    sketch = np.asarray(cv.sketch_from_canvas({"png": cv.png_url(stroke)}))
    assert set(np.unique(sketch)) == {0, 255}
    assert (sketch == 0).sum() == 3 * 150


def test_snapping_never_invents_a_class_on_antialiased_boundaries():
    # Blue (window) next to yellow (blind); the blend between them is nearest to green (balcony).
    a, b = PALETTE[2], PALETTE[7]
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[:, :8], rgb[:, 8:] = a, b
    rgb[:, 7] = (np.array(a) * 0.5 + np.array(b) * 0.5).astype(np.uint8)
    ids = cv.snap_labels(rgb, PALETTE)
    assert set(np.unique(ids)) == {2, 7}


def test_snapping_handles_jpeg_noise_and_exact_colours():
    ids = facade_layout(3)
    rgb = colorize(ids, FACADE_CLASSES, DEFAULT_FACADE_PALETTE).astype(np.int16)
    noisy = np.clip(rgb + np.random.default_rng(0).integers(-12, 13, rgb.shape), 0, 255).astype(np.uint8)
    assert (cv.snap_labels(noisy, PALETTE) == ids).mean() > 0.999
    assert (cv.labels_from_canvas(colorize(ids, FACADE_CLASSES, DEFAULT_FACADE_PALETTE), PALETTE) == ids).all()


def test_snapping_beats_plain_nearest_colour_on_chroma_subsampled_jpeg(tmp_path):
    from engine.labels import snap_to_palette

    ids = facade_layout(2)
    path = tmp_path / "map.jpg"
    Image.fromarray(colorize(ids, FACADE_CLASSES, DEFAULT_FACADE_PALETTE)).save(path, quality=80)  # 4:2:0 chroma
    jpeg = np.asarray(Image.open(path))
    ours, plain = (cv.snap_labels(jpeg, PALETTE) == ids).mean(), (snap_to_palette(jpeg, np.array(PALETTE)) == ids).mean()
    assert ours > plain and ours > 0.88


def test_empty_label_canvas_is_the_blank_class():
    ids = cv.labels_from_canvas(None, PALETTE, blank_class=3, size=(20, 10))
    assert ids.shape == (10, 20) and (ids == 3).all()
    transparent = np.zeros((10, 10, 4), np.uint8)  # a transparent picture shows the blank class
    assert (cv.labels_from_canvas(transparent, PALETTE, blank_class=5) == 5).all()


def test_sketch_detection_and_fitting():
    sketch = example_sketches()[0][1]
    assert cv.looks_like_sketch(np.repeat(sketch[:, :, None], 3, axis=2))
    street = colorize(street_layout(1), STREET_CLASSES, DEFAULT_STREET_PALETTE)
    assert not cv.looks_like_sketch(street)
    fitted = cv.fit_into(np.zeros((50, 100), np.uint8), (64, 64), fill=255)
    assert fitted.shape == (64, 64) and (fitted[:16] == 255).all() and (fitted[16:48] == 0).all()


def test_canvas_value_round_trips_exactly_and_bad_pictures_get_a_message():
    rgb = colorize(facade_layout(5), FACADE_CLASSES, DEFAULT_FACADE_PALETTE)
    value = cv.canvas_value(rgb)
    assert value["origin"] == "server" and value["render"] is True
    assert np.array_equal(cv.canvas_image(value, under=(0, 0, 0)), rgb)  # lossless: classes survive
    assert (cv.labels_from_canvas(value, PALETTE) == facade_layout(5)).all()
    assert cv.canvas_image({"png": None}, under=(0, 0, 0)) is None
    jpeg = io.BytesIO()
    Image.fromarray(rgb).save(jpeg, format="JPEG")
    for bad, words in [
        ("hello", "not a PNG"),
        ({"x": 1}, "not a PNG"),
        (cv.PNG_URL + "@@@", "could not be read"),
        (cv.PNG_URL + base64.b64encode(jpeg.getvalue()).decode(), "JPEG picture, not a PNG"),
        (cv.PNG_URL + "A" * (cv.MAX_URL_CHARS + 4), "too large"),
    ]:
        with pytest.raises(ValueError, match=words):
            cv.canvas_image({"png": bad}, under=(0, 0, 0))


# ----- seeds, locks, morphs -----------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [(None, None), ("", None), (" random ", None), ("42", 42), (7, 7), (3.0, 3)])
def test_parse_seed(value, expected):
    assert sd.parse_seed(value) == expected


@pytest.mark.parametrize("bad", ["-1", "abc", 2**31, 1.5, True])
def test_parse_seed_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        sd.parse_seed(bad)


def test_seeds_text_is_padded_truncated_and_rerolled_around_locks():
    assert sd.parse_seeds("1, 2 3", 3) == [1, 2, 3]
    assert sd.parse_seeds("1,2,3,4", 2) == [1, 2]
    padded = sd.parse_seeds("5", 4)
    assert padded[0] == 5 and len(padded) == 4
    rerolled = sd.reroll([1, 2, 3, 4], sd.parse_locks(["0", 2, 9, "x"], 4))
    assert rerolled[0] == 1 and rerolled[2] == 3 and (rerolled[1], rerolled[3]) != (2, 4)
    assert sd.lock_choices([10, 20]) == [("#1 · seed 10", 0), ("#2 · seed 20", 1)]
    assert sd.captions([10, 20], {1})[1].endswith("kept")
    assert sd.format_seeds([1, 2]) == "1, 2"
    with pytest.raises(ValueError):
        sd.slot(5, 4)


def test_interpolate_z_ends_at_both_samples_and_keeps_the_norm():
    za, zb = torch.randn(8, generator=torch.Generator().manual_seed(1)), torch.randn(8, generator=torch.Generator().manual_seed(2))
    assert torch.allclose(sd.interpolate_z(za, zb, 0.0), za, atol=1e-5)
    assert torch.allclose(sd.interpolate_z(za, zb, 1.0), zb, atol=1e-5)
    mid = sd.interpolate_z(za, zb, 0.5)
    assert mid.norm() > sd.interpolate_z(za, zb, 0.5, mode="linear").norm()
    with pytest.raises(ValueError):
        sd.interpolate_z(za, zb, 1.5)


# ----- style controls -----------------------------------------------------------------------------
def test_style_space_and_steering():
    comps = torch.eye(4)[:2]
    space = styles.style_space(z_dim=4, extras={"style_components": comps, "style_spread": torch.tensor([2.0, 0.5]), "style_presets": torch.ones(1, 4)}, config={})
    assert space.n_directions == 2 and space.preset_names == ("preset 1",)
    z = styles.steer(space, np.zeros(4), [1.0, -2.0, 5.0])  # the third slider has no direction: ignored
    assert z.tolist() == [2.0, -1.0, 0.0, 0.0]
    assert styles.preset_vector(space, None).tolist() == [1, 1, 1, 1]
    bare = styles.style_space(z_dim=4, extras={}, config=None)
    assert bare.n_directions == 0 and bare.n_presets == 0
    with pytest.raises(ValueError):
        styles.preset_vector(bare, "x")


# ----- procedural examples ------------------------------------------------------------------------
def test_layouts_are_deterministic_and_plausible():
    assert (facade_layout(4) == facade_layout(4)).all() and not (facade_layout(4) == facade_layout(5)).all()
    for seed in range(6):
        classes = set(np.unique(facade_layout(seed)).tolist())
        assert {0, 1, 2, 4} <= classes and (3 in classes)  # background, facade, windows, cornice, a door
        street = set(np.unique(street_layout(seed)).tolist())
        assert {0, 3, 4} <= street  # sky, road, pavement


def test_colorize_matches_classes_by_name():
    shuffled = list(reversed(DEFAULT_FACADE_PALETTE))
    assert palette_for(FACADE_CLASSES, [n.upper() for n, _ in shuffled])[0] == len(FACADE_CLASSES) - 1
    rgb = colorize(np.array([[0, 2]]), FACADE_CLASSES, shuffled)
    assert tuple(rgb[0, 0]) == DEFAULT_FACADE_PALETTE[0][1] and tuple(rgb[0, 1]) == DEFAULT_FACADE_PALETTE[2][1]


def test_cat_sketches_are_varied_binary_pen_drawings():
    sketches = example_sketches()
    assert len(sketches) >= 8
    arrays = [s for _, s in sketches]
    for a in arrays:
        assert a.shape == (256, 256) and a.dtype == np.uint8 and set(np.unique(a)) <= {0, 255}
        assert 0.01 < (a == 0).mean() < 0.2
    assert len({a.tobytes() for a in arrays}) == len(arrays)


# ----- handlers on stand-in models ----------------------------------------------------------------
@pytest.fixture(scope="module")
def standin_dir(tmp_path_factory):
    return write_standins(tmp_path_factory.mktemp("weights"), scale="tiny")


@pytest.fixture
def standins(standin_dir, monkeypatch):
    monkeypatch.setenv("GANVAS_WEIGHTS_DIR", str(standin_dir))
    HUB.clear()
    yield standin_dir
    HUB.clear()


def sketch_canvas() -> dict:
    return h.sketch_canvas_value(example_sketches()[0][1])


def test_sketch_renders_and_blank_canvas_renders_paper(standins):
    image, status = h.render_sketch(sketch_canvas())
    assert isinstance(image, Image.Image) and status.startswith("✓")
    image, status = h.render_sketch(None)
    assert image is not None and "empty canvas" in status
    images, statuses = h.render_sketch_batch([sketch_canvas(), None, sketch_canvas()])
    assert len(images) == 3 and all(im is not None for im in images)
    assert np.array_equal(np.asarray(images[0]), np.asarray(images[2]))


def test_missing_weights_answer_with_files_and_command(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVAS_WEIGHTS_DIR", str(tmp_path))
    HUB.clear()
    write_standins(tmp_path, names=[], register_only=[SKETCH])
    image, status = h.render_sketch(sketch_canvas())
    assert image is None and "model.safetensors" in status and "python -m trainers" in status
    assert status.startswith("⚠ Weights missing") and "<details>" in status  # the banner says it in full
    image, status = h.render_facade(None)  # not even registered
    assert image is None and "not in" in status and FACADE in status
    assert "Weights missing" in __import__("app.widgets", fromlist=["x"]).availability_markdown(ZEBRA)
    assert all(name in models_markdown() for name in STUDIO_MODELS)
    assert "*Not measured yet.*" in models_markdown()


def test_bad_uploads_give_a_message(standins, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    value, status = h.sketch_upload({"path": str(text)})
    assert status.startswith("⚠") and "not an image" in status
    truncated = tmp_path / "cut.png"
    Image.new("RGB", (64, 64), "red").save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:60])
    _, status = h.translate_photo({"path": str(truncated)}, "AtoB")
    assert status.startswith("⚠")
    animated = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "blue")]
    frames[0].save(animated, save_all=True, append_images=frames[1:])
    _, status = FACADE_PAINTER.upload({"path": str(animated)})
    assert status.startswith("⚠") and "animated" in status
    big = tmp_path / "phone.jpg"  # a 20 MP phone photo: welcome, read scaled down
    Image.new("RGB", (5000, 4000), (90, 120, 60)).save(big, quality=80)
    out, status = h.translate_photo({"path": str(big)}, "AtoB")
    assert out is not None and status.startswith("✓") and "5000x4000 (read at 1024x819) in" in status
    bomb = tmp_path / "bomb.png"  # its header claims 900 MP
    bomb.write_bytes(png_header_only(30000, 30000))
    _, status = h.translate_photo({"path": str(bomb)}, "AtoB")
    assert status.startswith("⚠") and "decompression bomb" in status
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (1, 1), "brown").save(tiny)
    for upload in (h.translate_photo, lambda p, *_: h.sketch_upload(p), lambda p, *_: FACADE_PAINTER.upload(p)):
        out, status = upload({"path": str(tiny)}, "AtoB")
        assert status.startswith("⚠") and "only 1x1 pixels; it needs at least 32" in status
    deep = tmp_path / "deep.png"
    Image.fromarray((np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16)).save(deep)
    out, status = h.translate_photo({"path": str(deep)}, "AtoB")
    assert out is not None and status.startswith("✓")
    cmyk = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (48, 36), (0, 50, 100, 0)).save(cmyk)
    out, status = h.translate_photo({"path": str(cmyk)}, "BtoA")
    assert out is not None and status.startswith("✓")


def test_photo_upload_becomes_an_editable_sketch(standins, tmp_path):
    photo = tmp_path / "photo.png"
    Image.fromarray(colorize(street_layout(2), STREET_CLASSES, DEFAULT_STREET_PALETTE)).save(photo)
    value, status = h.sketch_upload({"path": str(photo)}, 2)
    assert status.startswith("✓") and cv.decode_png_url(value["png"]).shape == (256, 256, 3)
    drawing = tmp_path / "drawing.png"
    Image.fromarray(example_sketches()[1][1]).save(drawing)
    value, status = h.sketch_upload({"path": str(drawing)})
    assert "drawing" in status


def test_variations_lock_reroll_and_morph(standins):
    gallery, seeds_text, _, status, page = h.variations(sketch_canvas(), 4, "", [])
    assert len(gallery) == 4 and status.startswith("✓") and page == SKIP
    seeds = sd.parse_seeds(seeds_text, 4)
    _, rerolled_text, _, _, _ = h.variations_reroll(sketch_canvas(), 4, seeds_text, [0, 3])
    rerolled = sd.parse_seeds(rerolled_text, 4)
    assert rerolled[0] == seeds[0] and rerolled[3] == seeds[3] and rerolled[1:3] != seeds[1:3]
    again, _, _, _, _ = h.variations(sketch_canvas(), 4, seeds_text, [])
    assert np.array_equal(np.asarray(gallery[2][0]), np.asarray(again[2][0]))  # typed seeds reproduce
    start, _, _ = h.variations_morph(sketch_canvas(), seeds_text, 1, 2, 0.0)
    assert np.abs(np.asarray(start, np.int16) - np.asarray(gallery[0][0], np.int16)).max() <= 1
    _, status, _ = h.variations_morph(sketch_canvas(), "", 1, 2, 0.5)
    assert status.startswith("⚠")


def test_variations_rendered_in_the_page_get_latents_not_pictures(standins):
    """Where the page renders (its canvas value says so), the server sends each seed's z, the
    very z the server would render with, and renders nothing."""
    in_page = {**sketch_canvas(), "where": "device"}
    before = server_renders().get(VARIATIONS, 0)
    HUB.clear()
    gallery, seeds_text, _, status, page = h.variations(in_page, 3, "7, 8, 9", [1])
    morph, _, halfway = h.variations_morph(in_page, "7, 8", 1, 2, 0.5)
    assert not HUB.is_loaded(VARIATIONS), "the page's latents loaded the model on the server"
    assert gallery == SKIP and seeds_text == "7, 8, 9" and status == ""
    model = HUB.get(VARIATIONS)
    assert model.latent_prior.fitted  # the stand-in, as the shipped model, draws z near its training codes
    assert np.allclose(page["zs"], torch.cat([model.random_z(s) for s in (7, 8, 9)]).numpy())
    assert not np.allclose(page["zs"][0], engine.random_latent(model.nz, 7)[0].numpy(), atol=0.1)
    assert page["output"] == "variation-gallery" and page["captions"][1].endswith("kept")
    # Codes are not centred: the morph goes straight between two of them, not round the origin.
    assert morph == SKIP and np.allclose(halfway["zs"][0], ((model.random_z(7) + model.random_z(8)) / 2)[0].numpy(), atol=1e-6)
    assert server_renders().get(VARIATIONS, 0) == before


def test_facade_layout_upload_and_render(standins, tmp_path):
    value, seed, status = FACADE_PAINTER.random_layout(11)
    assert seed == 11 and "11" in status
    image, status = h.render_facade(value)
    assert image is not None and status.startswith("✓")
    jpeg = tmp_path / "labels.jpg"
    Image.fromarray(colorize(facade_layout(2), FACADE_CLASSES, DEFAULT_FACADE_PALETTE)).save(jpeg, quality=85, subsampling=0)
    value, status = FACADE_PAINTER.upload({"path": str(jpeg)})
    assert "window" in status
    shown = [rgb for _, rgb in display_palette(DEFAULT_FACADE_PALETTE)]  # the canvas shows these
    ids = cv.labels_from_canvas(value, shown)
    assert (ids == facade_layout(2)).mean() > 0.99
    example = h.layout_canvas_value(FACADE, DEFAULT_FACADE_PALETTE, "facade", facade_layout(2), h.FACADE_CANVAS)
    assert (cv.labels_from_canvas(example, shown) == facade_layout(2)).all()
    # The canvas's display colours and an API client's map in the model's colours: one render.
    painted, _ = h.render_facade(example)
    model_colours, _ = h.render_facade(colorize(facade_layout(2), FACADE_CLASSES, DEFAULT_FACADE_PALETTE))
    assert np.array_equal(np.asarray(painted), np.asarray(model_colours))


def test_street_styles(standins, tmp_path):
    value, _, _ = STREET_PAINTER.random_layout(3)
    a, status = sh.render_street(value, "random", 5, None, None, 0, 0, 0, 0)
    b, _ = sh.render_street(value, "random", 5, None, None, 0, 0, 0, 0)
    assert status.startswith("✓") and "seed 5" in status and np.array_equal(np.asarray(a), np.asarray(b))
    c, _ = sh.render_street(value, "random", 5, None, None, 2.5, 0, 0, 0)
    assert not np.array_equal(np.asarray(a), np.asarray(c))
    preset, status = sh.render_street(value, "preset", 0, "overcast", None, 0, 0, 0, 0)
    assert preset is not None
    photo = tmp_path / "ref.png"
    Image.fromarray(colorize(street_layout(9), STREET_CLASSES, DEFAULT_STREET_PALETTE)).save(photo)
    z, source, status = sh.street_style_photo({"path": str(photo)})
    assert source == "photo" and len(z) == HUB.get(STREET).nz
    image, status = sh.render_street(value, "photo", 0, None, z, 0, 0, 0, 0)
    assert image is not None
    _, status = sh.render_street(value, "photo", 0, None, None, 0, 0, 0, 0)
    assert "reference photo" in status
    images, statuses = sh.render_street_batch([value, value, value], ["random", "preset", "photo"], [5, 0, 0], [None, "sunny", None], [None, None, None], *[[0, 0, 0]] * 4)
    assert np.array_equal(np.asarray(images[0]), np.asarray(a)) and images[1] is not None
    assert images[2] is None and "reference photo" in statuses[2]
    controls = sh.street_controls()
    assert controls[0] == "" and len(controls) == 4 + styles.MAX_SLIDERS


def test_zebra_any_size_and_both_directions(standins):
    for size, direction in (((300, 120), "AtoB"), ((90, 200), "BtoA")):
        out, status = h.translate_photo(Image.new("RGB", size, "gray"), direction)
        assert out is not None and abs(out.width / out.height - size[0] / size[1]) < 0.05, status


def test_picking_an_example_loads_it_with_its_direction_and_it_translates(standins):
    from app import tab_zebra
    from app.examples import photo_examples

    directions = {e.direction for e in photo_examples()}
    assert directions == {"AtoB", "BtoA"}
    for i, example in enumerate(photo_examples()):
        path, direction = tab_zebra.pick_example(types.SimpleNamespace(index=i))
        assert direction == ("BtoA" if "zebra" in example.name else "AtoB")
        out, status = h.translate_photo(path, direction)
        assert out is not None and out.size == Image.open(path).size, status


# ----- plumbing -----------------------------------------------------------------------------------
def test_models_load_once_under_concurrency(standins, monkeypatch):
    import engine

    calls = []
    real_load = engine.load

    def counting_load(name, device=None):
        calls.append(name)
        return real_load(name, device=device)

    monkeypatch.setattr(engine, "load", counting_load)
    hub = ModelHub()
    threads = [threading.Thread(target=hub.get, args=(VARIATIONS,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [VARIATIONS] and hub.loaded() == [VARIATIONS]
    with pytest.raises(ModelUnavailable):
        hub.get("pix2pix.nope")


def test_unexpected_errors_are_short_and_hide_details():
    assert "KeyError" in describe(KeyError("secret internals")) and "secret" not in describe(KeyError("secret internals"))
    assert describe(ValueError("x" * 1000)).endswith("…")


def test_command_line_and_space_binding():
    args = parse_args(["--port", "9000", "--no-browser", "--device", "cpu"])
    assert server_address(args, env={}) == ("127.0.0.1", 9000)
    assert server_address(parse_args([]), env={"SPACE_ID": "me/ganvas"}) == ("0.0.0.0", 7860)
    assert server_address(parse_args(["--host", "0.0.0.0"]), env={}) == ("0.0.0.0", 7860)
    assert not ui_options("cpu", env={}).batch and ui_options("cpu", env={"GANVAS_APP_BATCH": "1"}).batch
    with pytest.raises(SystemExit):
        parse_args(["--device", "tpu"])


@pytest.mark.parametrize("recipe_name, default", [("pix2pix.facades", "DEFAULT_FACADE_PALETTE"), ("spade.camvid", "DEFAULT_STREET_PALETTE")])
def test_default_palette_is_the_recipes(recipe_name, default):
    """Example layouts are coloured with the default palette: it must be the model's own colours,
    or snapping would move every class onto its neighbour."""
    import tomllib

    from app.drawings import palettes

    recipe = tomllib.loads((Path(__file__).resolve().parent.parent / f"trainers/recipes/{recipe_name}.toml").read_text())
    assert [(name, tuple(rgb)) for name, *rgb in recipe["palette"]] == [(n, tuple(c)) for n, c in getattr(palettes, default)]


def test_model_card_metrics_show_the_headline_numbers():
    from app.model_cards import metrics_markdown

    text = metrics_markdown({
        "l1": 0.25, "fcn": {"generated": {"pixel_accuracy": 0.5}, "real": {"pixel_accuracy": 0.625}, "pixel_accuracy_ratio": 0.8,
                            "segmenter": "runs/seg", "segmenter_val_accuracy": {"val_pixel_accuracy": 0.6}},
        "evaluated_on": "100 held-out images",
    })
    assert text.splitlines() == [
        "- segments like real photos: 80% (a segmenter trained on real photos finds the painted classes this well, compared with real photos)",
        "- segmenter on generated vs real photos (FCN-score): pixels 50% vs 62%",
        "- closeness to the real photo: pixel difference L1 0.25 (on a −1..1 scale, lower is closer)",
        "- measured on 100 held-out images",
    ]


def test_model_card_shows_the_realism_score_beside_its_reference_rows():
    from app.model_cards import metrics_markdown

    row = {"kid_lite1_x1000": 12.5, "real_vs_real": 2.0, "real_blurred": 40.0, "n_generated": 244, "n_reference": 244, "blur_radius_px": 4.0}
    assert metrics_markdown({"realism": row}) == (
        "- realism (KID-Lite1 ×1000): 12.5 — real photos score 2.0, blurred real photos 40.0; lower is more photographic"
    )
    both = metrics_markdown({"realism": {"AtoB": row, "BtoA": dict(row, kid_lite1_x1000=30.0)}})
    assert both.startswith("- realism (AtoB) (KID-Lite1 ×1000): 12.5 —") and "\n- realism (BtoA) (KID-Lite1 ×1000): 30.0 —" in both


def test_downloads_are_named_after_model_and_seed_and_keep_their_text(tmp_path, monkeypatch):
    from app import downloads

    monkeypatch.setattr(downloads, "OUT_DIR", tmp_path)
    monkeypatch.setattr(downloads, "KEEP_FILES", 3)
    image = Image.new("RGB", (8, 8))
    image.info.update({"Software": "GANvas bicyclegan.edges2cats", "seed": "123", "ganvas_render": "x"})
    path = Path(downloads.save_named(image))
    assert path.name == "ganvas-edges2cats-seed123.png" and Image.open(path).info["seed"] == "123"
    plain = Image.new("RGB", (8, 8))
    plain.info["Software"] = "GANvas pix2pix.facades"
    assert downloads.file_name(plain) == "ganvas-facades.png"
    named = downloads.named_outputs(lambda: ([image, None], "status"))()
    assert Path(named[0][0]).name == path.name and named[0][1] is None and named[1] == "status"
    for _ in range(2 * downloads.PRUNE_EVERY):
        downloads.save_named(image)
    assert len(list(tmp_path.glob("*/*.png"))) <= 3 + downloads.PRUNE_EVERY  # old renders go
