"""The levers of the cat retrain (issue #41): SAGAN self-attention in the ImageNet-encoder U-Net and
pix2pixHD feature matching on the PatchGANs' inner features."""
from __future__ import annotations

import math

import pytest
import torch
from conftest import TINY_SIZE
from test_trainers_families import _step_without_updates, make_data, tiny

import engine
from engine import InputContract, save_model
from engine.nets import build_network
from engine.nets.attention import SelfAttention
from engine.onnx_export import PARITY_LIMIT, export_folder
from trainers.families import TRAINERS
from trainers.losses import central_half, feature_matching_loss, mode_seeking_loss
from trainers.warm_start import load_growing


def _lite_unet(**kwargs: object) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_network("lite_unet", in_channels=1, ngf=8, **kwargs).eval()


def _open_gates(net: torch.nn.Module) -> None:
    with torch.no_grad():
        for block in net.modules():
            if isinstance(block, SelfAttention):
                block.gate.fill_(0.05)


def test_shut_attention_is_the_identity():
    block = SelfAttention(16)
    x = torch.randn(2, 16, 8, 8)
    assert torch.equal(block(x), x)
    _open_gates(block)
    assert not torch.allclose(block(x), x)


def test_attention_mixes_distant_positions():
    """A change in one corner of the map reaches the opposite corner in one block (a 3x3 conv reaches 1 px)."""
    torch.manual_seed(0)
    block = SelfAttention(16)
    _open_gates(block)
    with torch.no_grad():
        for conv in (block.query, block.key, block.value, block.out):
            conv.weight.normal_(0, 0.2)  # gentle: a near one-hot softmax could look past the corner
        x = torch.randn(1, 16, 8, 8)
        moved = x.clone()
        moved[..., 0, 0] += 3.0
        assert (block(moved) - block(x))[..., 7, 7].abs().max() > 1e-4  # a 3x3 conv: exactly 0


def test_warm_start_adds_shut_attention_and_renders_as_before():
    plain = _lite_unet()
    grown = _lite_unet(attention_strides=[16, 8])
    load_growing(grown, plain.state_dict())
    x = torch.rand(1, 1, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.equal(plain(x), grown(x))
        _open_gates(grown)
        assert not torch.allclose(plain(x), grown(x))


def test_attention_strides_must_be_decoder_levels():
    with pytest.raises(ValueError, match="attention_strides"):
        _lite_unet(attention_strides=[32])


def test_attention_generator_saves_loads_and_exports_to_onnx(tmp_path, one_thread):
    net = _lite_unet(attention_strides=[16, 8])
    _open_gates(net)
    contract = InputContract(kind="sketch", size=TINY_SIZE, channels=1)
    folder = tmp_path / "cats.attention"
    save_model(folder, name="cats.attention", family="pix2pix", task="sketch -> cat", contract=contract, networks={"G": net})
    record = export_folder(folder)
    assert all(graph["max_abs_diff_vs_torch"] <= PARITY_LIMIT for graph in record["graphs"].values())
    loaded, graph = engine.load_folder(folder, backend="torch"), engine.load_folder(folder, backend="onnx")
    x = torch.rand(1, 1, 64, 96) * 2 - 1  # not square: attention flattens whatever map it gets
    with torch.no_grad():
        want = net(x)
        assert torch.allclose(loaded.forward_tensor(x), want, atol=1e-5)
        assert (graph.forward_tensor(x) - want).abs().max().item() <= PARITY_LIMIT


@pytest.mark.parametrize("family", ["pix2pix", "bicyclegan"])
def test_feature_matching_reaches_g(tmp_path, family):
    losses_on, _, g_on = _step_without_updates(tmp_path / "on", family, lambda_feat=10.0)
    losses_off, _, g_off = _step_without_updates(tmp_path / "off", family, lambda_feat=0.0)
    assert "G_feat" not in losses_off and math.isfinite(losses_on["G_feat"]) and losses_on["G_feat"] > 0
    assert losses_on["G_l1"] == losses_off["G_l1"], "the step's batch or noise differed"
    assert any(not torch.equal(a, b) for a, b in zip(g_on, g_off)), "feature matching did not reach G"


def test_feature_matching_is_zero_when_the_fake_is_the_photo(tmp_path):
    """Matching D's features of (x, G(x)) to (x, y) leaves nothing when G(x) = y."""
    cfg = tiny("pix2pix", make_data("pix2pix", tmp_path / "data"), lambda_feat=10.0)
    t = TRAINERS["pix2pix"](cfg, device=torch.device("cpu"))
    x, y = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    seen = t.D(torch.cat([x, y], 1))
    assert feature_matching_loss([seen], [t.D(torch.cat([x, y], 1))]).item() == 0.0
    assert feature_matching_loss([t.D(torch.cat([x, 1 - y], 1))], [seen]).item() > 0.0


def test_centre_mode_seeking_counts_only_changes_of_the_subject():
    """Two renders that differ only in the background satisfy whole-picture mode seeking, not the centre's."""
    first = torch.zeros(1, 3, 16, 16)
    background_changed = first.clone()
    background_changed[..., :4, :] = 1.0
    subject_changed = first.clone()
    subject_changed[..., 4:12, 4:12] = 1.0
    z1, z2 = torch.zeros(1, 4), torch.ones(1, 4)
    whole = mode_seeking_loss(first, background_changed, z_first=z1, z_second=z2)
    centre = mode_seeking_loss(central_half(first), central_half(background_changed), z_first=z1, z_second=z2)
    assert whole < 10 and centre > 1e4
    assert mode_seeking_loss(central_half(first), central_half(subject_changed), z_first=z1, z_second=z2) == pytest.approx(1.0, rel=1e-3)


def test_mode_seeking_region_is_checked(tmp_path):
    cfg = tiny("bicyclegan", tmp_path, mode_seeking_region="middle")
    with pytest.raises(ValueError, match="mode_seeking_region"):
        TRAINERS["bicyclegan"](cfg, device=torch.device("cpu"))


def test_centre_mode_seeking_reaches_g(tmp_path):
    losses_whole, _, g_whole = _step_without_updates(tmp_path / "whole", "bicyclegan", lambda_ms=1.0)
    losses_centre, _, g_centre = _step_without_updates(tmp_path / "centre", "bicyclegan", lambda_ms=1.0, mode_seeking_region="centre")
    assert losses_whole["G_l1"] == losses_centre["G_l1"] and losses_whole["G_ms"] != losses_centre["G_ms"]
    assert any(not torch.equal(a, b) for a, b in zip(g_whole, g_centre))
