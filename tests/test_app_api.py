"""The studio through its HTTP API: `python app.py` in a subprocess on 127.0.0.1 (a free port),
tiny stand-in models written by the test, every named endpoint called with gradio_client.

Also checks that a tab whose weights are missing answers with a message (and works once the
weights appear, without a restart), and that a bad upload gets a message, not a crash.
"""
from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
import numpy as np
from PIL import Image

from app.canvas import png_url
from app.drawings.cat_sketches import example_sketches
from app.drawings.facade_layouts import FACADE_CLASSES, colorize, facade_layout
from app.models import ZEBRA
from app.drawings.palettes import DEFAULT_FACADE_PALETTE
from standins import serving, write_standins

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

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


def bad_files(folder: Path) -> list[Path]:
    """Files an upload must refuse with a message (or take, when they are odd but real images)."""
    out = {}
    out["text.png"] = b"hello, I am text"
    out["empty.png"] = b""
    out["html.jpg"] = b"<html><body>not a photo</body></html>"
    out["svg.png"] = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, format="PNG")
    out["cut.png"] = buffer.getvalue()[:70]
    out["zeros.png"] = bytes(4096)
    paths = []
    for name, data in out.items():
        paths.append(folder / name)
        paths[-1].write_bytes(data)
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "blue")]
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:])
    Image.new("L", (6000, 5000)).save(folder / "huge.png")
    Image.new("RGB", (1, 1), "white").save(folder / "dot.png")
    Image.fromarray((np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16)).save(folder / "deep.png")
    Image.new("CMYK", (48, 36), (0, 50, 100, 0)).save(folder / "cmyk.jpg")
    return paths + [folder / n for n in ("anim.gif", "huge.png", "dot.png", "deep.png", "cmyk.jpg")]


BAD_CANVASES = [
    None,
    {},
    {"png": 5},
    {"png": "hello"},
    {"png": "data:image/png;base64,"},
    {"png": "data:image/png;base64,!!!"},
    {"png": "data:image/jpeg;base64,/9j/4AAQ"},
    {"png": "data:image/png;base64," + "A" * 9_000_000},
    [1, 2, 3],
    "a string",
]


# Where an endpoint's status line is among its outputs (after it: latents for a page renderer).
STATUS_AT = {"/variations": 3, "/variations_reroll": 3, "/variations_seeds": 3, "/variations_morph": 1}


def status_of(name: str, outputs: tuple) -> str:
    return outputs[STATUS_AT.get(name, -1)]


def status_or_refusal(client: Client, name: str, *args) -> str:
    """The status line, or gradio's own refusal of a number outside a control's range."""
    try:
        return status_of(name, call(client, name, *args))
    except AppError as exc:
        assert "minimum" in str(exc) or "maximum" in str(exc), (name, str(args)[:120], exc)
        return f"⚠ {exc}"


def test_bad_inputs_everywhere_get_a_message_and_the_server_keeps_serving(client, files, tmp_path):
    """Every upload endpoint with every bad file, every canvas endpoint with every bad canvas
    value, the numeric inputs with bad numbers: an answer each (a ⚠ message, or ✓ for odd but
    real images), never an exception from the API."""
    answers = 0
    uploads = {
        "/sketch_upload": lambda f: call(client, "/sketch_upload", f, 2),
        "/sketch_line_width": lambda f: call(client, "/sketch_line_width", f, 5),
        "/facade_upload": lambda f: call(client, "/facade_upload", f),
        "/street_upload": lambda f: call(client, "/street_upload", f),
        "/street_style_photo": lambda f: call(client, "/street_style_photo", f),
        "/zebra_translate": lambda f: call(client, "/zebra_translate", f, "AtoB"),
    }
    files_sent = bad_files(tmp_path)
    for path in files_sent:
        for name, send in uploads.items():
            status = send(handle_file(str(path)))[-1]
            assert status.startswith(("⚠", "✓")), (name, path.name, status)
            answers += 1
    # The same files' bytes posted as if the canvas had painted them, and a server path.
    bad_canvases = [{"png": "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode()} for p in files_sent if p.stat().st_size < 6_000_000]
    bad_canvases += BAD_CANVASES + [str(files["sketch"]), {"path": str(files["sketch"])}]
    canvases = {
        "/sketch_render": lambda v: call(client, "/sketch_render", v),
        "/facade_render": lambda v: call(client, "/facade_render", v),
        "/street_render": lambda v: call(client, "/street_render", v, "random", 1, None, 0, 0, 0, 0),
        "/variations": lambda v: call(client, "/variations", v, 2, "", []),
        "/variations_morph": lambda v: call(client, "/variations_morph", v, "1, 2", 1, 2, 0.5),
    }
    for value in bad_canvases:
        for name, send in canvases.items():
            status = status_of(name, send(value))
            assert status.startswith(("⚠", "✓")), (name, str(value)[:40], status)  # None is an empty canvas
            answers += 1
    canvas = painted(files["sketch"])
    for n, seeds, a, b in [(0, "", 1, 2), (99, "", 1, 2), (3, "-5", 1, 2), (3, "x, y", 1, 2), (2, "1, 2", 0, 9), (2, "1, 2", -1, 1)]:
        for name, args in (("/variations", (canvas, n, seeds, [])), ("/variations_morph", (canvas, seeds, a, b, 0.5))):
            status = status_or_refusal(client, name, *args)
            assert status.startswith(("⚠", "✓")), (name, args[1:], status)
            answers += 1
    for seed in (-1, 2**40, 2**31):  # (text in a number field never reaches the app: gradio refuses it)
        for name in ("/facade_layout", "/street_layout"):
            assert status_or_refusal(client, name, seed).startswith("⚠")
            answers += 1
    assert answers >= 155


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
    gallery, seeds, locks, status, _ = call(client, "/variations", canvas, 3, "", [])
    first = gallery[0]["image"]
    assert len(gallery) == 3 and Path(first if isinstance(first, str) else first["path"]).name.startswith("ganvas-edges2cats-seed") and status.startswith("✓") and len(locks["choices"]) == 3
    gallery2, seeds2, _, _, _ = call(client, "/variations_reroll", canvas, 3, seeds, [1])
    assert seeds2.split(", ")[1] == seeds.split(", ")[1] and seeds2 != seeds
    gallery3, seeds3, _, _, _ = call(client, "/variations_seeds", canvas, 2, "7, 8", [])
    assert seeds3 == "7, 8" and len(gallery3) == 2
    morph, status, _ = call(client, "/variations_morph", canvas, "7, 8", 1, 2, 0.5)
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
    assert "not an image" in log
    # Tracebacks only from gradio refusing numbers outside a control's range (its own validation,
    # answered to the client as a clear message); none from the studio's handlers.
    blocks = log.split("Traceback (most recent call last):")[1:]
    ends = [next(line for line in block.splitlines()[1:] if line and not line.startswith(" ")) for block in blocks]
    assert all(end.startswith("gradio.exceptions.Error: 'Value ") for end in ends), ends
