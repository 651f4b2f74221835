"""The style encoder's colour path: SPADE's encoder normalises every conv output per image, so a
photo's exposure barely reaches its code; the colour path hands the photo's mean colours and spread
to the code directly. It starts at zero (a warm start keeps the codes it had) and exports to ONNX,
as does the generator's tone from z, its partner on the render's side."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from conftest import tiny_networks

import engine
from engine import save_model
from engine.nets import SPADEGenerator
from engine.nets.encoders import ConvStyleEncoder
from trainers.warm_start import load_growing

KW = dict(z_dim=8, ndf=4, input_size=32, spectral_norm=False)


def _photos(seed: int) -> torch.Tensor:
    return torch.rand(2, 3, 40, 48, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_the_colour_path_starts_at_zero_and_a_grown_encoder_keeps_its_codes():
    torch.manual_seed(0)
    plain, grown = ConvStyleEncoder(**KW).eval(), ConvStyleEncoder(**KW, colour_grid=2).eval()
    assert grown.grown_prefixes == ("colour_to_code",) and plain.grown_prefixes == ()
    load_growing(grown, plain.state_dict())
    assert grown.colour_to_code.abs().sum() == 0
    x = _photos(0)
    torch.testing.assert_close(grown(x)[0], plain(x)[0])
    with pytest.raises(RuntimeError, match="colour_to_code"):
        load_growing(plain, grown.state_dict())  # a plain encoder takes no colour path


def test_the_colour_path_sees_an_exposure_that_instance_norm_hides():
    torch.manual_seed(0)
    plain, grown = ConvStyleEncoder(**KW).eval(), ConvStyleEncoder(**KW, colour_grid=2).eval()
    load_growing(grown, plain.state_dict())
    with torch.no_grad():
        grown.colour_to_code.normal_()
    x = _photos(1)
    dim = 0.4 * x  # the same photo with its contrast cut around mid-grey: every conv output scales alike
    assert (plain(x)[0] - plain(dim)[0]).abs().max() < 1e-2, "instance norm was expected to hide a uniform gain"
    assert (grown(x)[0] - grown(dim)[0]).abs().max() > 0.1
    stats = grown.colour_statistics(x)
    assert stats.shape == (2, 3 * (2 * 2 + 1))
    torch.testing.assert_close(stats[:, :3 * 4].view(2, 3, 4).mean(2), x.mean((2, 3)), rtol=1e-4, atol=1e-5)


def test_the_light_paths_export_to_onnx_and_give_the_same_code_and_render(tmp_path, one_thread):
    """E's colour path and G's tone from z (engine.nets.spade.ToneFromZ), whose graph nodes are
    named /tone/... so that an int8 export can leave them fp32."""
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    import onnx

    from engine.onnx_export import PARITY_LIMIT, export_folder

    spec = tiny_networks("spade")
    plain, plain_g = spec["networks"]["E"], spec["networks"]["G"]
    grown = ConvStyleEncoder(**{**plain.init_kwargs, "colour_grid": 2})
    load_growing(grown, copy.deepcopy(plain.state_dict()))
    toned = SPADEGenerator(**{**plain_g.init_kwargs, "tone_from_z": True})
    load_growing(toned, copy.deepcopy(plain_g.state_dict()))
    with torch.no_grad():
        grown.colour_to_code.normal_(0, 0.5, generator=torch.Generator().manual_seed(3))
        toned.z_to_tone.normal_(0, 0.01, generator=torch.Generator().manual_seed(4))
    folder = tmp_path / "spade.colour"
    save_model(folder, **{**spec, "networks": {"G": toned.eval(), "E": grown.eval()}})
    record = export_folder(folder)
    assert max(g["max_abs_diff_vs_torch"] for g in record["graphs"].values()) <= PARITY_LIMIT
    assert any(node.name.startswith("/tone/") for node in onnx.load(str(folder / "G.onnx")).graph.node)
    photo = (np.random.default_rng(0).random((50, 70, 3)) * 255).astype(np.uint8)
    torch_model, onnx_model = engine.load_folder(folder, backend="torch"), engine.load_folder(folder, backend="onnx")
    assert onnx_model.backend == "onnx"
    darker = (photo * 0.5).astype(np.uint8)
    torch.testing.assert_close(onnx_model.encode(photo), torch_model.encode(photo), rtol=0, atol=PARITY_LIMIT)
    assert (torch_model.encode(photo) - torch_model.encode(darker)).abs().max() > 0.1
    labels = np.zeros((64, 64), np.uint8)
    labels[32:] = 1
    z = torch_model.encode(photo)
    assert np.abs(np.asarray(onnx_model(labels, z=z), np.int16) - np.asarray(torch_model(labels, z=z), np.int16)).max() <= 1
