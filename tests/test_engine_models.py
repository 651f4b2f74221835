"""Every engine family, as a tiny seeded model: outputs, seeds and z, storage round trips, any size.

Parametrized over engine.families.FAMILIES through the `engine_family` fixture (conftest.py):
a family added to the registry without a tiny config fails here.
"""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from conftest import PALETTE, TINY_SIZE, TINY_VARIANTS, _tiny_spec, tiny_networks
from PIL import Image, ImageDraw

import engine
from engine import SEED_KEY, Translator
from engine.families import FAMILIES
from engine.model_format import INDEX_FILE, read_config, read_tensors
from engine.speed import optimize_for_inference

# Worst output difference (network output in [-1, 1]) allowed for reduced-precision storage.
# Measured on the tiny models: fp16 ~1e-3, int8 ~1e-2 (see test_storage_error).
pytestmark = pytest.mark.usefixtures("one_thread")

FP16_TOL = 0.01
INT8_TOL = 0.08


def example_input(contract: engine.InputContract, size: tuple[int, int] = (TINY_SIZE, TINY_SIZE), seed: int = 0) -> Image.Image:
    """A plausible input for the model's kind: ink on paper, a painted label map, or a photo."""
    rng = np.random.default_rng(seed)
    w, h = size
    if contract.kind == "labels":
        image = Image.new("RGB", size, PALETTE[0].rgb)
        draw = ImageDraw.Draw(image)
        for i, entry in enumerate(PALETTE[1:], start=1):
            x0, y0 = int(rng.integers(0, max(1, w))), int(rng.integers(0, max(1, h)))
            draw.rectangle([x0, y0, x0 + w // 3 + i, y0 + h // 3 + i], fill=entry.rgb)
        return image
    if contract.kind == "sketch":
        image = Image.new("L", size, 255)
        draw = ImageDraw.Draw(image)
        for _ in range(6):
            draw.line([tuple(rng.integers(0, max(1, v)) for v in size) for _ in range(2)], fill=0, width=2)
        return image
    smooth = rng.random((max(2, h // 8), max(2, w // 8), 3)) * 255
    return Image.fromarray(smooth.astype(np.uint8)).resize(size, Image.BICUBIC)


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def net_output(t: Translator, image: Image.Image, *, seed: int = 3, direction: str | None = None) -> torch.Tensor:
    x, _ = t.prepare(image)
    z = t.random_z(seed) if t.nz else None
    return t.forward_tensor(x, z=z, direction=direction)


def translator_from_memory(folder, family: str, variant: str | None = None) -> Translator:
    """The engine's path (optimized networks) on the in-memory modules that were saved."""
    spec = tiny_networks(family, variant=variant)
    nets = {role: optimize_for_inference(copy.deepcopy(m), "cpu") for role, m in spec["networks"].items()}
    return Translator(config=read_config(folder), networks=nets, extras={}, device=torch.device("cpu"), folder=folder)


def test_every_registered_family_has_a_tiny_config() -> None:
    for family in FAMILIES:
        assert _tiny_spec(family, None)["networks"]


@pytest.mark.parametrize(("family", "variant"), TINY_VARIANTS)
def test_output_shape_and_range(make_model, family: str, variant: str | None) -> None:
    t = engine.load(make_model(family, variant=variant))
    image = example_input(t.contract)
    out = t(image, seed=1)
    assert out.mode == "RGB" and out.size == image.size
    y = net_output(t, image)
    assert y.shape == (1, 3, TINY_SIZE, TINY_SIZE) and y.dtype == torch.float32
    assert torch.isfinite(y).all() and y.abs().max() <= 1.0
    assert y.std() > 1e-2 and (y.abs() > 0.99).float().mean() < 0.5, "a flat or saturated output: the tiny model is degenerate"


def test_same_seed_same_output(make_model, engine_family: str) -> None:
    folder = make_model(engine_family)
    a, b = engine.load(folder), engine.load(folder)
    image = example_input(a.contract)
    first = a(image, seed=7)
    assert np.array_equal(as_array(first), as_array(a(image, seed=7)))
    assert np.array_equal(as_array(first), as_array(b(image, seed=7)))


def test_z_changes_the_output(make_model, engine_family: str) -> None:
    t = engine.load(make_model(engine_family))
    image = example_input(t.contract)
    if not t.nz:
        with pytest.raises(ValueError, match="takes neither z"):
            t(image, z=np.zeros(8))
        with pytest.raises(ValueError, match="takes no z"):
            t.sample(image, 2)
        return
    one, two = t(image, seed=1), t(image, seed=2)
    assert one.info[SEED_KEY] == 1 and two.info[SEED_KEY] == 2
    assert np.abs(as_array(one) - as_array(two)).mean() > 0.5
    unseeded = t(image)
    assert isinstance(unseeded.info[SEED_KEY], int)
    assert np.array_equal(as_array(unseeded), as_array(t(image, seed=unseeded.info[SEED_KEY])))
    with_z = t(image, z=t.random_z(1)[0].numpy())
    assert np.array_equal(as_array(with_z), as_array(one))
    with pytest.raises(ValueError, match=f"z must have {t.nz} values"):
        t(image, z=np.zeros(t.nz + 1))


def test_sample_gives_the_seeded_renderings(make_model, engine_family: str) -> None:
    t = engine.load(make_model(engine_family))
    if not t.nz:
        pytest.skip("no z")
    image = example_input(t.contract)
    samples = t.sample(image, 3, seed=5)
    assert [s.info[SEED_KEY] for s in samples] == [5, 6, 7]
    for i, s in enumerate(samples):  # batched or one by one: the same up to rounding
        assert np.abs(as_array(s) - as_array(t(image, seed=5 + i))).max() <= 1
    with pytest.raises(ValueError, match="at least 1"):
        t.sample(image, 0)


def test_fp32_round_trip_is_exact(make_model, engine_family: str) -> None:
    folder = make_model(engine_family)
    spec = tiny_networks(engine_family)
    stored = read_tensors(folder)
    for role, module in spec["networks"].items():
        for key, tensor in module.state_dict().items():
            assert torch.equal(stored[f"{role}.{key}"], tensor), f"{role}.{key} changed on disk"
    loaded, memory = engine.load(folder), translator_from_memory(folder, engine_family)
    image = example_input(loaded.contract)
    assert torch.equal(net_output(loaded, image), net_output(memory, image))


def test_sharded_round_trip(make_model) -> None:
    folder = make_model("pix2pix", shard_bytes=40_000)
    index = json.loads((folder / INDEX_FILE).read_text())
    assert len(set(index["weight_map"].values())) > 1
    whole = make_model("pix2pix")
    image = example_input(engine.load(whole).contract)
    assert torch.equal(net_output(engine.load(folder), image), net_output(engine.load(whole), image))


def storage_errors(make_model, family: str) -> dict[str, float]:
    reference = engine.load(make_model(family))
    image = example_input(reference.contract)
    y = net_output(reference, image)
    return {s: (net_output(engine.load(make_model(family, storage=s)), image) - y).abs().max().item() for s in ("fp16", "int8")}


def test_storage_error(make_model, engine_family: str) -> None:
    errors = storage_errors(make_model, engine_family)
    print(f"{engine_family}: max |output error| fp16 {errors['fp16']:.2e}, int8 {errors['int8']:.2e}")
    assert errors["fp16"] < FP16_TOL
    assert errors["int8"] < INT8_TOL


@pytest.mark.parametrize("size", [(37, 53), (300, 32), (32, 300), (64, 64), (130, 64)])
@pytest.mark.parametrize(("family", "variant"), TINY_VARIANTS)
def test_any_size_keeps_the_aspect(make_model, family: str, variant: str | None, size: tuple[int, int]) -> None:
    t = engine.load(make_model(family, variant=variant))
    image = example_input(t.contract, size=size)
    out = t(image, seed=0)
    scale = TINY_SIZE / max(size)
    # The input's aspect at the native size, up to rounding to whole pixels (at least one).
    assert all(abs(got - max(1.0, side * scale)) <= 0.5 for got, side in zip(out.size, size))
    assert t(image, seed=0, keep_size=True).size == size


@pytest.mark.parametrize("size", [(200, 13), (13, 200), (1, 1)])
def test_tiny_inputs_are_refused_in_words(make_model, size: tuple[int, int]) -> None:
    t = engine.load(make_model("pix2pix"))
    with pytest.raises(ValueError, match=rf"only {size[0]}x{size[1]} pixels; it needs at least 32 pixels on each side"):
        t(example_input(t.contract, size=size), seed=0)


def test_any_resolution_runs_at_the_input_size(make_model) -> None:
    folder = make_model("cyclegan")
    config = json.loads((folder / "config.json").read_text())
    config["contract"]["any_resolution"] = True
    (folder / "config.json").write_text(json.dumps(config))
    t = engine.load(folder)
    assert t(example_input(t.contract, size=(100, 60))).size == (100, 60)
    assert t(example_input(t.contract, size=(48, 32))).size == (64, 43)  # small inputs: up to the native size


def test_encoder_gives_the_look_of_a_photo(make_model, engine_family: str) -> None:
    t = engine.load(make_model(engine_family))
    image = example_input(t.contract)
    photo = example_input(engine.InputContract(kind="photo"), size=(50, 40), seed=9)
    if not t.spec.encoder:
        with pytest.raises(ValueError):
            t.encode(photo)
        return
    code = t.encode(photo)
    assert code.shape == (t.nz,) and torch.isfinite(code).all()
    by_photo, by_code = t(image, style=photo), t(image, style=code)
    assert np.array_equal(as_array(by_photo), as_array(by_code))
    assert np.array_equal(as_array(by_photo), as_array(t(image, z=code)))


def test_cyclegan_directions(make_model) -> None:
    t = engine.load(make_model("cyclegan"))
    image = example_input(t.contract)
    assert not torch.equal(net_output(t, image, direction="AtoB"), net_output(t, image, direction="BtoA"))
    assert np.array_equal(as_array(t(image)), as_array(t(image, direction="AtoB")))
    with pytest.raises(ValueError, match="AtoB"):
        t(image, direction="sideways")


def test_cyclegan_with_one_generator(tmp_path) -> None:
    spec = tiny_networks("cyclegan")
    folder = tmp_path / "horse2zebra"
    engine.save_model(folder, **{**spec, "networks": {"G_AtoB": spec["networks"]["G_AtoB"]}})
    t = engine.load(folder)
    image = example_input(t.contract)
    assert t(image).size == image.size
    with pytest.raises(ValueError, match="only the AtoB direction"):
        t(image, direction="BtoA")


def test_one_direction_families_refuse_BtoA(make_model) -> None:
    t = engine.load(make_model("pix2pix"))
    with pytest.raises(ValueError, match="one direction"):
        t(example_input(t.contract), direction="BtoA")


@pytest.mark.parametrize(("family", "variant"), [("spade", None), ("pix2pix", "labels")])
def test_label_maps_as_colours_or_class_ids(make_model, family: str, variant: str | None) -> None:
    t = engine.load(make_model(family, variant=variant))
    painted = example_input(t.contract)
    palette = np.array([p.rgb for p in PALETTE], dtype=np.int32)
    ids = np.abs(np.asarray(painted, dtype=np.int32)[:, :, None, :] - palette).sum(-1).argmin(-1).astype(np.uint8)
    by_colour = as_array(t(painted, seed=0))
    assert np.array_equal(by_colour, as_array(t(ids, seed=0)))  # H x W class ids
    assert np.array_equal(by_colour, as_array(t(Image.fromarray(ids), seed=0)))  # an L image of ids
