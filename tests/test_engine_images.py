"""What a caller may hand the engine as an image: every odd but valid input is converted, every
bad one is a ValueError that says what is wrong. Label maps as colours (snapped) or class ids."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.contract import InputContract
from engine.images import MAX_PIXELS, draft_to_side, load_image
from engine.labels import image_to_class_ids, snap_to_palette

from conftest import PALETTE, png_header_only

LABELS = InputContract(kind="labels", size=64, channels=len(PALETTE), palette=PALETTE)


def encoded(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


# ----- bad inputs -----
@pytest.mark.parametrize(
    ("source", "message"),
    [
        (b"this is not an image at all", "not an image"),
        (np.zeros((3, 32, 32), dtype=np.uint8), "H x W x 3"),  # channels first
        (np.zeros((1, 32, 32, 3), dtype=np.uint8), "H x W x 3"),  # a batch
        (np.zeros((32, 32, 2), dtype=np.uint8), "H x W x 3"),
        (np.zeros(32, dtype=np.uint8), "empty|H x W"),
        (np.array(3.0), "H x W|shape"),
        (np.zeros((0, 0, 3), dtype=np.uint8), "empty"),
        (np.full((8, 8, 3), np.nan, dtype=np.float32), "NaN"),
        (np.array([[np.inf, 0.0]]), "NaN or infinite"),
        (np.full((8, 8), 300, dtype=np.int32), "0..255"),
        (np.zeros((16000, 16000), dtype=np.uint8), "MP limit"),  # calloc'd: never touched
        (png_header_only(20000, 15000), "MP limit"),
        (png_header_only(30000, 30000), "decompression bomb"),  # past PIL's own guard: its own message
        (None, "expected an image"),
        ([[0, 1], [1, 0]], "expected an image"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else "",
)
def test_bad_inputs_are_value_errors(source: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_image(source)


def test_missing_and_non_image_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        load_image(tmp_path / "nope.png")
    text = tmp_path / "notes.png"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not an image"):
        load_image(text)
    with pytest.raises(ValueError, match="does not exist or is not a file"):
        load_image(tmp_path)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_file(tmp_path: Path, fmt: str) -> None:
    rng = np.random.default_rng(0)
    data = encoded(Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)), fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated|corrupt|not an image"):
        load_image(path)


def test_animated_gif_is_refused(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (16, 16), c) for c in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with pytest.raises(ValueError, match="animated"):
        load_image(path)
    still = tmp_path / "still.gif"
    frames[0].save(still)
    assert load_image(still).size == (16, 16)


def test_just_under_the_pixel_cap_is_accepted() -> None:
    side = int(MAX_PIXELS**0.5)
    assert load_image(np.zeros((side, side), dtype=np.uint8), keep_gray=True, max_side=64).size == (64, 64)


def test_tiny_images_get_a_clear_message() -> None:
    with pytest.raises(ValueError, match=r"only 1x1 pixels; it needs at least 32 pixels on each side"):
        load_image(np.zeros((1, 1, 3), dtype=np.uint8), min_side=32)
    with pytest.raises(ValueError, match="only 500x20 pixels"):
        load_image(encoded(Image.new("RGB", (500, 20)), "PNG"), min_side=32)
    assert load_image(np.zeros((32, 40, 3), dtype=np.uint8), min_side=32).size == (40, 32)


def phone_photo(width: int, height: int) -> bytes:
    """A JPEG of a phone photo's size: left half red, right half blue, with EXIF "rotate 90°"."""
    a = np.zeros((height, width, 3), dtype=np.uint8)
    a[:, : width // 2] = (255, 0, 0)
    a[:, width // 2 :] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    return encoded(Image.fromarray(a), "JPEG", quality=80, exif=exif)


def test_a_phone_photo_is_scaled_down_as_it_is_decoded() -> None:
    data = phone_photo(6000, 4000)  # 24 MP
    image = Image.open(io.BytesIO(data))
    draft_to_side(image, 1024)
    assert image.size == (1500, 1000)  # the decoder itself reads it at 1/4: never 24 MP in memory
    out = load_image(data, max_side=1024)
    assert out.size == (683, 1024)  # upright (EXIF), long side 1024, aspect kept
    a = np.asarray(out).astype(int)
    assert a[100, 300, 0] > 200 and a[100, 300, 2] < 60  # the red half is on top after the turn
    assert a[900, 300, 2] > 200 and a[900, 300, 0] < 60
    assert load_image(data).size == (4000, 6000)  # without max_side: every pixel, as before


# ----- conversions -----
def test_rgba_is_composited_on_white() -> None:
    a = np.zeros((2, 2, 4), dtype=np.uint8)
    a[0, 0] = (255, 0, 0, 0)  # transparent red: paper
    a[0, 1] = (255, 0, 0, 255)  # opaque red
    a[1, 0] = (0, 0, 0, 128)  # half-transparent black: grey
    rgb = np.asarray(load_image(Image.fromarray(a, "RGBA")))
    assert tuple(rgb[0, 0]) == (255, 255, 255)
    assert tuple(rgb[0, 1]) == (255, 0, 0)
    assert all(120 <= v <= 135 for v in rgb[1, 0])
    assert tuple(np.asarray(load_image(a))[0, 0]) == (255, 255, 255)  # as an H x W x 4 array too
    la = Image.fromarray(np.array([[[0, 0]]], dtype=np.uint8), "LA")
    assert tuple(np.asarray(load_image(la))[0, 0]) == (255, 255, 255)


def test_palette_images_with_and_without_transparency() -> None:
    p = Image.new("P", (4, 4), 1)
    p.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    assert tuple(np.asarray(load_image(p))[0, 0]) == (10, 200, 30)
    data = encoded(p, "PNG", transparency=1)
    assert tuple(np.asarray(load_image(data))[0, 0]) == (255, 255, 255)


def test_grayscale_and_one_bit() -> None:
    gray = Image.new("L", (3, 2), 77)
    assert load_image(gray).mode == "RGB" and tuple(np.asarray(load_image(gray))[0, 0]) == (77, 77, 77)
    assert load_image(gray, keep_gray=True).mode == "L"
    bits = Image.new("1", (3, 2), 1)
    assert tuple(np.asarray(load_image(bits))[0, 0]) == (255, 255, 255)


def test_sixteen_bit_images_are_scaled_not_clipped(tmp_path: Path) -> None:
    a = np.array([[0, 32768, 65535]], dtype=np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(a).save(path)
    out = np.asarray(load_image(path, keep_gray=True))
    assert out.dtype == np.uint8 and list(out[0]) == [0, 128, 255]
    assert list(np.asarray(load_image(a, keep_gray=True))[0]) == [0, 128, 255]  # a uint16 array


def test_float_arrays_are_read_as_0_to_1() -> None:
    out = np.asarray(load_image(np.array([[0.0, 0.5, 1.0, 2.0]], dtype=np.float32), keep_gray=True))
    assert list(out[0]) == [0, 128, 255, 255]


def test_cmyk_is_converted(tmp_path: Path) -> None:
    paper = Image.new("CMYK", (8, 8), (0, 0, 0, 0))
    assert tuple(np.asarray(load_image(paper))[0, 0]) == (255, 255, 255)
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(path)  # red ink
    r, g, b = np.asarray(load_image(path))[4, 4]
    assert r > 200 and g < 60 and b < 60


def test_exif_orientation_is_honoured(tmp_path: Path) -> None:
    # Stored 40 wide, 20 high: left half red, right half blue; tag 6 says "rotate 90° clockwise".
    stored = np.zeros((20, 40, 3), dtype=np.uint8)
    stored[:, :20] = (255, 0, 0)
    stored[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "phone.jpg"
    Image.fromarray(stored).save(path, exif=exif, quality=95)
    upright = load_image(path)
    assert upright.size == (20, 40)
    a = np.asarray(upright).astype(int)
    assert a[5, 10, 0] > 200 and a[5, 10, 2] < 60  # the left (red) half is now on top
    assert a[35, 10, 2] > 200 and a[35, 10, 0] < 60


# ----- label maps -----
def painted_labels(rng: np.random.Generator, size: int = 48) -> tuple[np.ndarray, np.ndarray]:
    ids = np.repeat(np.repeat(rng.integers(0, len(PALETTE), (size // 8, size // 8)), 8, 0), 8, 1).astype(np.uint8)
    rgb = np.array([p.rgb for p in PALETTE], dtype=np.uint8)[ids]
    return ids, rgb


def test_label_colours_snap_to_the_palette() -> None:
    rng = np.random.default_rng(1)
    ids, rgb = painted_labels(rng)
    assert np.array_equal(image_to_class_ids(Image.fromarray(rgb), LABELS), ids)
    noisy = np.clip(rgb.astype(int) + rng.integers(-20, 21, rgb.shape), 0, 255).astype(np.uint8)
    assert np.array_equal(snap_to_palette(noisy, np.array([p.rgb for p in PALETTE])), ids)


def test_jpeg_compressed_label_maps_snap_back() -> None:
    ids, rgb = painted_labels(np.random.default_rng(2))
    jpeg = load_image(encoded(Image.fromarray(rgb), "JPEG", quality=75))
    snapped = image_to_class_ids(jpeg, LABELS)
    assert (snapped == ids).mean() > 0.97  # only a few pixels at block edges may flip


def test_label_maps_as_class_ids() -> None:
    ids, _ = painted_labels(np.random.default_rng(3))
    gray = load_image(ids, keep_gray=True)
    assert gray.mode == "L"
    assert np.array_equal(image_to_class_ids(gray, LABELS), ids)
    # A grey image whose values are not class ids is read as colours instead.
    bright = Image.fromarray(np.full((4, 4), 128, dtype=np.uint8))
    assert (image_to_class_ids(bright, LABELS) == 3).all()  # nearest to road (128, 128, 128)


def test_a_big_label_map_is_read_small_without_blended_colours() -> None:
    ids, rgb = painted_labels(np.random.default_rng(4), size=1600)  # 8 px blocks of random classes
    small = load_image(encoded(Image.fromarray(rgb), "PNG"), max_side=400, resample=Image.NEAREST)
    assert small.size == (400, 400)
    colours = {tuple(c) for c in np.asarray(small).reshape(-1, 3)}
    assert colours <= {tuple(p.rgb) for p in PALETTE}  # every pixel one class's colour, none between
    assert np.array_equal(image_to_class_ids(small, LABELS), ids[::4, ::4])
