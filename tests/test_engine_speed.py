"""engine.speed.optimize_for_inference changes speed, never results: every network the engine
builds gives the same output (within 1e-4) before and after, at several sizes and batches."""
from __future__ import annotations

import copy

import pytest
import torch
from conftest import calibrate_norm_stats, tiny_networks
from torch import nn

import engine
from engine import speed
from engine.nets import build_network
from engine.speed import PackedConv2d, optimize_for_inference

pytestmark = pytest.mark.usefixtures("one_thread")

TOL = 1e-4

NETWORKS = {
    "unet-batch-dropout": ("unet", dict(in_channels=3, ngf=8, num_downs=6, norm="batch", dropout=True)),
    "unet-instance": ("unet", dict(in_channels=1, ngf=8, num_downs=5, norm="instance")),
    "unet-none": ("unet", dict(in_channels=3, ngf=8, num_downs=5, norm="none")),
    "unet-resize-batch": ("unet", dict(in_channels=1, ngf=8, num_downs=6, norm="batch", upsample="resize")),
    "unet-z-all": ("unet", dict(in_channels=3, ngf=8, num_downs=5, norm="instance", nz=4, inject_z="all")),
    "unet-z-input-batch": ("unet", dict(in_channels=3, ngf=8, num_downs=5, norm="batch", nz=4, inject_z="input")),
    "lite-unet-sketch": ("lite_unet", dict(in_channels=1, ngf=8)),
    "resnet": ("resnet", dict(ngf=8, n_blocks=2)),
    "resnet-batch-dropout": ("resnet", dict(ngf=8, n_blocks=2, norm="batch", dropout=True)),
    "spade-vae": ("spade", dict(label_channels=5, ngf=4, z_dim=8, base_height=2, base_width=2, hidden=8)),
    "spade-instance-nosn": ("spade", dict(label_channels=5, ngf=4, use_vae=False, spectral_norm=False, param_free_norm="instance", hidden=8)),
    "spade-more": ("spade", dict(label_channels=3, ngf=4, z_dim=8, base_height=1, base_width=1, hidden=8, num_upsampling_layers="more")),
    "resnet-encoder": ("resnet_encoder", dict(ndf=8, n_blocks=2, nz=4)),
    "conv-style-encoder": ("conv_style_encoder", dict(ndf=8, z_dim=8, input_size=32)),
}


def inputs(arch: str, kwargs: dict, *, batch: int, height: int, width: int, seed: int = 0) -> tuple:
    gen = torch.Generator().manual_seed(seed)
    if arch == "spade":
        k = kwargs["label_channels"]
        ids = torch.randint(0, k, (batch, height, width), generator=gen)
        seg = nn.functional.one_hot(ids, k).permute(0, 3, 1, 2).float()
        return (seg, torch.randn(batch, kwargs["z_dim"], generator=gen)) if kwargs.get("use_vae", True) else (seg,)
    x = torch.randn(batch, kwargs.get("in_channels", 3), height, width, generator=gen)
    return (x, torch.randn(batch, kwargs["nz"], generator=gen)) if arch == "unet" and kwargs.get("nz") else (x,)


def outputs(net: nn.Module, args: tuple) -> list[torch.Tensor]:
    with torch.inference_mode():
        y = net(*[a.clone() for a in args])  # clones: in-place layers must not touch our inputs
    return list(y) if isinstance(y, tuple) else [y]


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_optimized_networks_give_the_same_outputs(name: str) -> None:
    arch, kwargs = NETWORKS[name]
    torch.manual_seed(0)
    plain = calibrate_norm_stats(build_network(arch, **kwargs), seed=1)
    fast = optimize_for_inference(copy.deepcopy(plain), "cpu")
    assert any(isinstance(m, PackedConv2d) for m in fast.modules()), "nothing was packed"
    assert not any(isinstance(m, nn.BatchNorm2d) and m.affine for m in fast.modules()), "a BatchNorm was not folded"
    assert not any(isinstance(m, nn.Dropout) for m in fast.modules())
    exact = copy.deepcopy(plain).double()
    multiple = getattr(plain, "size_multiple", 8)
    for batch, height, width in [(1, 2 * multiple, 2 * multiple), (2, multiple, 3 * multiple)]:
        args = inputs(arch, kwargs, batch=batch, height=max(height, 32), width=max(width, 32))
        truth = outputs(exact, tuple(a.double() for a in args))
        for want, got, true in zip(outputs(plain, args), outputs(fast, args), truth, strict=True):
            assert got.shape == want.shape
            # Within TOL of the float64 answer beyond plain fp32's own rounding (deep SPADE stacks
            # of normalisations amplify rounding to ~1e-4 in both paths).
            plain_error = (want.double() - true).abs().max().item()
            assert (got.double() - true).abs().max().item() < TOL + plain_error


def test_unet_skip_fusion_keeps_in_place_semantics() -> None:
    """pix2pix's in-place LeakyReLU changes the stored skip; the fused U-Net must do the same."""
    kwargs = dict(in_channels=3, ngf=8, num_downs=5, norm="batch")
    plain = calibrate_norm_stats(build_network("unet", **kwargs), seed=2)
    fast = optimize_for_inference(copy.deepcopy(plain), "cpu")
    assert fast.down[0][0].attr == "leaky_relu" and isinstance(fast.down[1][0], nn.Identity)
    assert fast.down[-1][-1].attr == "relu" and isinstance(fast.up[-1][0], nn.Identity)
    z_all = dict(kwargs, nz=4, inject_z="all")
    plain_z = build_network("unet", **z_all).eval()
    fast_z = optimize_for_inference(copy.deepcopy(plain_z), "cpu")
    assert isinstance(fast_z.down[1][0], nn.LeakyReLU), "z at every level: the skip is not activated in place"


def test_optimizing_twice_changes_nothing() -> None:
    spec = tiny_networks("pix2pix")
    net = spec["networks"]["G"]
    once = optimize_for_inference(copy.deepcopy(net), "cpu")
    twice = optimize_for_inference(once, "cpu")  # packed weights cannot be deep-copied: in place
    x = torch.randn(1, 1, 64, 64)
    assert (outputs(twice, (x,))[0] - outputs(net, (x,))[0]).abs().max() < TOL


def test_weights_are_repacked_per_input_shape() -> None:
    spec = tiny_networks("pix2pix")
    net = spec["networks"]["G"]
    fast = optimize_for_inference(copy.deepcopy(net), "cpu")
    conv = fast.down[1][1]
    assert isinstance(conv, PackedConv2d)
    for side in (64, 128, 192, 256, 64):  # more shapes than are kept: the oldest layouts go
        x = torch.randn(1, 1, side, side)
        assert (outputs(fast, (x,))[0] - outputs(net, (x,))[0]).abs().max() < TOL
    assert 1 <= len(conv._packed) <= speed.PACKED_SHAPES_KEPT


def test_loaded_models_run_the_optimized_path(make_model, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_model("pix2pix")
    assert any(isinstance(m, PackedConv2d) for m in engine.load(folder).networks["G"].modules())
    monkeypatch.setenv("GANVAS_OPTIMIZE", "0")  # the escape hatch: plain eval networks
    assert not any(isinstance(m, PackedConv2d) for m in engine.load(folder).networks["G"].modules())
