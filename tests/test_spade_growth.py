"""SPADE grown coarse to fine: a generator with fine levels starts, from a smaller trained one, as
that generator's picture upsampled, and a training run warm-starts it (and an encoder grown by its
colour path) with the style terms on."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from engine.model_format import read_tensors, split_by_role
from engine.nets import SPADEGenerator
from test_trainers_families import make_data, read_losses, tiny
from trainers.export import export_run
from trainers.families import TRAINERS
from trainers.loop import train
from trainers.warm_start import load_growing

KW = dict(label_channels=4, ngf=4, z_dim=8, hidden=8, param_free_norm="instance", spectral_norm=False, base_height=1, base_width=2)


def _coarse_labels(height: int, width: int) -> torch.Tensor:
    """One-hot labels in 16 x 16 cells, so every nearest resampling of them agrees."""
    ids = torch.randint(0, 4, (1, height // 16, width // 16), generator=torch.Generator().manual_seed(0))
    ids = ids.repeat_interleave(16, 1).repeat_interleave(16, 2)
    return F.one_hot(ids, 4).permute(0, 3, 1, 2).float()


def _features_before_conv_img(net: SPADEGenerator, seg: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    seen = []
    handle = net.conv_img.register_forward_hook(lambda module, args, out: seen.append(args[0]))
    with torch.no_grad():
        net(seg, z)
    handle.remove()
    return seen[0]


def test_a_grown_generator_starts_as_the_smaller_ones_picture_upsampled():
    torch.manual_seed(0)
    small, grown = SPADEGenerator(**KW).eval(), SPADEGenerator(**KW, fine_levels=1).eval()
    assert grown.size_multiple == 2 * small.size_multiple and grown.grown_prefixes == ("up_fine_0.",)
    load_growing(grown, small.state_dict())
    assert grown.up_fine_0.gate.item() == 0.0
    z = torch.randn(1, 8)
    seg = _coarse_labels(32, 64)
    before = _features_before_conv_img(small, seg, z)
    after = _features_before_conv_img(grown, F.interpolate(seg, scale_factor=2.0, mode="nearest"), z)
    torch.testing.assert_close(after, F.interpolate(before, scale_factor=2.0, mode="nearest"), rtol=1e-4, atol=1e-5)
    with torch.no_grad():
        grown.up_fine_0.gate.fill_(0.5)
    moved = _features_before_conv_img(grown, F.interpolate(seg, scale_factor=2.0, mode="nearest"), z)
    assert (moved - after).abs().max() > 1e-3, "an open gate must let the fine block change the picture"


def test_the_tone_from_z_starts_as_the_plain_generators_picture_and_then_moves_its_light():
    torch.manual_seed(0)
    plain, toned = SPADEGenerator(**KW).eval(), SPADEGenerator(**KW, tone_from_z=True).eval()
    assert toned.grown_prefixes == ("z_to_tone",)
    load_growing(toned, plain.state_dict())
    seg, z = _coarse_labels(32, 64), torch.randn(1, 8)
    with torch.no_grad():
        torch.testing.assert_close(toned(seg, z), plain(seg, z))
        toned.z_to_tone[3:].fill_(0.02)  # offsets: a code with a positive sum brightens every channel
        brighter = toned(seg, z.abs())
    assert (brighter - plain(seg, z.abs())).mean() > 0.05


def test_growing_takes_only_the_fine_blocks_from_elsewhere():
    small, grown = SPADEGenerator(**KW), SPADEGenerator(**KW, fine_levels=1)
    partial = {k: v for k, v in small.state_dict().items() if not k.startswith("up_3.")}
    with pytest.raises(RuntimeError, match="up_3"):
        load_growing(grown, partial)
    with pytest.raises(RuntimeError, match="Unexpected"):
        load_growing(grown, {**small.state_dict(), "up_9.weight": torch.zeros(1)})
    with pytest.raises(RuntimeError, match="up_fine_0"):
        load_growing(small, grown.state_dict())  # a smaller network takes no fine blocks
    with pytest.raises(ValueError, match="multiples of 64"):
        grown(_coarse_labels(32, 64))


def test_a_run_grows_a_trained_model_and_trains_it_with_the_style_terms(tmp_path, monkeypatch):
    data = make_data("spade", tmp_path / "data")
    train(tiny("spade", data, max_steps=1), run_dir=tmp_path / "small")
    folder = tmp_path / "model"
    export_run(tmp_path / "small", name="spade.tiny", out=folder, manifest=False, averaged=False)
    stored = split_by_role(read_tensors(folder))[0]["G"]
    first: dict[str, torch.Tensor] = {}
    original = TRAINERS["spade"].train_step

    def step(self, batch):
        if not first:
            exported = self.export_networks()
            first.update(exported["G"].state_dict())
            first["E.colour_to_code"] = exported["E"].colour_to_code.detach().clone()
        return original(self, batch)

    monkeypatch.setattr(TRAINERS["spade"], "train_step", step)
    cfg = tiny("spade", data, max_steps=2, batch_size=2, load_size=64, crop_size=64, fine_levels=1, encoder_size=32,
               lambda_swap=1.0, lambda_colour=10.0, style_jitter=0.5, encoder_colour_grid=2, tone_from_z=True, init_from=str(folder))
    train(cfg, run_dir=tmp_path / "grown")
    assert float(first["up_fine_0.gate"]) == 0.0
    assert first["E.colour_to_code"].abs().sum() == 0 and first["z_to_tone"].abs().sum() == 0, "E's colour path and G's tone start at zero"
    export_run(tmp_path / "grown", name="spade.tiny", out=tmp_path / "grown-model", manifest=False, averaged=False)
    trained = split_by_role(read_tensors(tmp_path / "grown-model"))[0]["E"]["colour_to_code"]
    assert trained.abs().sum() > 0, "the colour term must train E's colour path"
    assert split_by_role(read_tensors(tmp_path / "grown-model"))[0]["G"]["z_to_tone"].abs().sum() > 0
    torch.testing.assert_close(first["conv_img.weight"], stored["conv_img.weight"], rtol=1e-3, atol=1e-5)
    losses = read_losses(tmp_path / "grown")
    assert {"G_colour", "G_colour_swap"} <= set(losses[-1]) and all(v == v for v in losses[-1].values())
