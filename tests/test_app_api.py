"""The studio through its HTTP API: `python app.py` in a subprocess on 127.0.0.1 (a free port),
tiny stand-in models written by the test, every named endpoint called with gradio_client.

Also checks that a tab whose weights are missing answers with a message (and works once the
weights appear, without a restart), and that a bad upload gets a message, not a crash.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import numpy as np
from PIL import Image

from app.canvas import png_url
from app.cat_sketches import example_sketches
from app.facade_layouts import FACADE_CLASSES, colorize, facade_layout
from app.models import ZEBRA
from app.palettes import DEFAULT_FACADE_PALETTE
from app.standins import serving, write_standins

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402

CALLED: set[str] = set()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    sketch = d / "sketch.png"
    Image.fromarray(example_sketches()[0][1]).save(sketch)
    labels = d / "facade.png"
    Image.fromarray(colorize(facade_layout(4), FACADE_CLASSES, DEFAULT_FACADE_PALETTE)).save(labels)
    photo = d / "photo.jpg"
    Image.effect_mandelbrot((160, 96), (-2, -1.2, 1, 1.2), 60).convert("RGB").save(photo)
    text = d / "not_an_image.png"
    text.write_text("hello, I am text")
    return {"sketch": sketch, "labels": labels, "photo": photo, "text": text}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    weights = write_standins(tmp_path_factory.mktemp("weights"), scale="tiny")
    with serving(weights, args=["--device", "cpu"]) as served:
        yield served


@pytest.fixture(scope="module")
def client(server):
    return Client(server.url, verbose=False)


def call(client: Client, api_name: str, *args):
    CALLED.add(api_name)
    return client.predict(*args, api_name=api_name)


def painted(path: Path) -> dict:
    """A canvas value as the page posts it: the picture as a PNG data URL."""
    return {"png": png_url(np.asarray(Image.open(path).convert("RGB"))), "final": True, "origin": "browser"}


def test_missing_weights_answer_with_a_message_then_work_once_present(client, server, files):
    weights = server.weights / ZEBRA / "model.safetensors"
    hidden = weights.with_suffix(".away")
    weights.rename(hidden)
    try:
        out, status = call(client, "/zebra_translate", handle_file(str(files["photo"])), "AtoB")
        assert out is None and "model.safetensors" in status and "python -m trainers" in status
        banners = call(client, "/availability")
        assert any("Weights missing" in b for b in banners)
    finally:
        hidden.rename(weights)
    out, status = call(client, "/zebra_translate", handle_file(str(files["photo"])), "BtoA")
    assert out and Path(out).is_file() and status.startswith("✓")
    assert Image.open(out).size[0] > Image.open(out).size[1]  # the photo's aspect is kept


def test_bad_upload_gives_a_message(client, files):
    _, status = call(client, "/sketch_upload", handle_file(str(files["text"])), 2)
    assert status.startswith("⚠") and "not an image" in status
    out, status = call(client, "/zebra_translate", handle_file(str(files["text"])), "AtoB")
    assert out is None and status.startswith("⚠")
    _, status = call(client, "/facade_upload", handle_file(str(files["text"])))
    assert status.startswith("⚠")


def test_sketch_endpoints(client, files):
    out, status = call(client, "/sketch_render", painted(files["sketch"]))
    assert Path(out).is_file() and status.startswith("✓"), status
    assert Image.open(out).format == "PNG" and Path(out).name == "ganvas-edges2cats.png"  # a named download
    out, status = call(client, "/sketch_render", {"png": None})
    assert Path(out).is_file() and "empty canvas" in status
    _, status = call(client, "/sketch_render", {"png": "data:image/png;base64,not-base64!"})
    assert status.startswith("⚠") and "reload the page" in status
    value, status = call(client, "/sketch_upload", handle_file(str(files["photo"])), 2)
    assert status.startswith("✓") and value["png"].startswith("data:image/png")
    thick, _ = call(client, "/sketch_line_width", handle_file(str(files["photo"])), 4)  # re-sketch, thicker
    assert thick["png"] != value["png"]
    out, _ = call(client, "/sketch_render", value)
    assert Path(out).is_file()


def test_variation_endpoints(client, files):
    canvas = painted(files["sketch"])
    gallery, seeds, locks, status = call(client, "/variations", canvas, 3, "", [])
    first = gallery[0]["image"]
    assert len(gallery) == 3 and Path(first if isinstance(first, str) else first["path"]).name.startswith("ganvas-edges2cats-seed") and status.startswith("✓") and len(locks["choices"]) == 3
    gallery2, seeds2, _, _ = call(client, "/variations_reroll", canvas, 3, seeds, [1])
    assert seeds2.split(", ")[1] == seeds.split(", ")[1] and seeds2 != seeds
    gallery3, seeds3, _, _ = call(client, "/variations_seeds", canvas, 2, "7, 8", [])
    assert seeds3 == "7, 8" and len(gallery3) == 2
    morph, status = call(client, "/variations_morph", canvas, "7, 8", 1, 2, 0.5)
    assert Path(morph).is_file() and "seed 7" in status


def test_facade_endpoints(client, files):
    value, seed, status = call(client, "/facade_random")
    assert isinstance(seed, (int, float)) and "seed" in status
    out, status = call(client, "/facade_render", value)
    assert Path(out).is_file() and status.startswith("✓")
    value, seed, _ = call(client, "/facade_layout", 21)
    assert seed == 21
    value, status = call(client, "/facade_upload", handle_file(str(files["labels"])))
    assert "window" in status
    out, status = call(client, "/facade_render", {"png": None})  # an empty canvas: all background
    assert Path(out).is_file() and status.startswith("✓")


def test_street_endpoints(client, files):
    opened = call(client, "/street_open")
    assert opened[0] == "" and opened[1]["choices"] and opened[1]["visible"]  # presets shown
    value, seed, _ = call(client, "/street_random")
    canvas = value
    out, status = call(client, "/street_render", canvas, "random", 3, None, 0, 0, 0, 0)
    assert Path(out).is_file() and "seed 3" in status
    out, status = call(client, "/street_render", canvas, "preset", 3, "sunny", 1.5, 0, 0, 0)
    assert Path(out).is_file(), status
    seed, source = call(client, "/street_new_style")
    assert source == "random" and seed >= 0
    source, status = call(client, "/street_style_photo", handle_file(str(files["photo"])))
    assert source == "photo" and status.startswith("✓")
    out, status = call(client, "/street_render", canvas, "photo", 3, None, 0, 0, 0, 0)  # the session keeps the code
    assert Path(out).is_file(), status
    value, seed, _ = call(client, "/street_layout", 5)
    assert seed == 5
    value, status = call(client, "/street_upload", handle_file(str(files["labels"])))
    assert status.startswith("✓")
    out, _ = call(client, "/street_render", value, "random", 1, None, 0, 0, 0, 0)
    assert Path(out).is_file()


def test_model_cards(client):
    cards = call(client, "/models")
    assert "pix2pix.edges2cats" in cards and "loaded in memory" in cards
    opened = call(client, "/models_open")
    assert "spade.camvid" in (opened if isinstance(opened, str) else opened[0])


def test_every_endpoint_was_called(client):
    if len(CALLED) < 10:
        pytest.skip("meaningful only after the other API tests of this file")
    named = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert named - CALLED == set(), f"endpoints without a test: {sorted(named - CALLED)}"


def test_server_kept_serving_and_logged_the_problems(client, server):
    call(client, "/availability")
    log = server.log.read_text()
    assert "not an image" in log and "Traceback" not in log
