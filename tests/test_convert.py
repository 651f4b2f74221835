"""Converting the original authors' checkpoints (engine.convert).

Each official generator and encoder in ../shared/interop is rebuilt from its recorded layout and
init rule, saved with torch.save as the authors' code does, converted, loaded back from the GANvas
folder and run on the reference input: the output must match the recorded one within
atol = rtol = 1e-4. The layout quirks (legacy InstanceNorm keys, the dropout key shift, one-channel
BicycleGAN inputs, DataParallel prefixes), the CLI and bad sources run on tiny copies of the same
layouts (widths / 16), which take milliseconds.
"""
from __future__ import annotations

import pickle
import shutil

import numpy as np
import pytest
import torch

import engine
import interop_reference as ref
from engine.convert import ConvertError, convert_checkpoint, main
from engine.model_format import read_config, read_tensors
from engine.nets import UnetGenerator
from engine.original_mode import set_original_test_mode, use_original_test_mode

pytestmark = pytest.mark.skipif(
    not ref.INTEROP_DIR.is_dir(), reason=f"official-network fixtures not found at {ref.INTEROP_DIR} (../shared/interop beside the repo)"
)


def fixture(name: str) -> dict:
    if not ref.fixture_path(name).is_file():
        pytest.skip(f"fixture {name}.json is not in {ref.INTEROP_DIR}")
    return ref.load_fixture(name)


def save_official(name: str, path, *, edit=None) -> dict:
    """Rebuild fixture `name`'s state dict (checked against init_check) and torch.save it to path."""
    fx = fixture(name)
    sd = ref.build_state_dict(fx)
    ref.check_init(fx, sd)
    if edit is not None:
        sd = edit(sd)
    torch.save(sd, path)
    return fx


def save_tiny(name: str, path, *, edit=None, transform=None) -> None:
    fx = fixture(name)
    if transform is not None:
        fx = transform(fx)
    sd = ref.build_state_dict(ref.tiny_fixture(fx))
    torch.save(edit(sd) if edit else sd, path)


@pytest.fixture
def scratch(tmp_path):
    """tmp_path, emptied afterwards: the full-size checkpoints take hundreds of MB."""
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


def run(net, *inputs):
    with torch.inference_mode():
        return net(*inputs)


def check_image(record_property, output, expected: dict, label: str = "max_abs_diff") -> None:
    record_property(label, ref.compare(output, expected))


def check_pair(record_property, mu_logvar, expected: dict) -> None:
    mu, logvar = mu_logvar
    record_property("max_abs_diff_mu", ref.compare(mu, expected["mu"], sample="vector"))
    record_property("max_abs_diff_logvar", ref.compare(logvar, expected["logvar"], sample="vector"))


# ----- numeric references -----
@pytest.fixture(scope="module")
def pix2pix(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pix2pix")
    src = folder / "latest_net_G.pth"
    fx = save_official("pix2pix_unet256_G", src)
    # The fixture was built with use_dropout=False; the official default (True) only adds Dropout
    # modules after the norms, with no keys, so the weights cannot tell: say it.
    summary = convert_checkpoint(family="pix2pix", sources={"G": src}, out=folder / "pix2pix.ref", dropout=False)
    src.unlink()
    yield fx, summary, engine.load_folder(folder / "pix2pix.ref"), ref.build_inputs(fx)
    shutil.rmtree(folder, ignore_errors=True)


def test_pix2pix_reference_in_eval_mode(pix2pix, record_property):
    fx, summary, translator, (x,) = pix2pix
    assert summary["networks"]["G"] == {
        "arch": "unet",
        "kwargs": {
            "in_channels": 3, "out_channels": 3, "ngf": 64, "num_downs": 8, "norm": "batch", "dropout": False, "nz": 0, "inject_z": "input",
        },
    }
    assert summary["contract"]["kind"] == "photo" and summary["contract"]["size"] == 256
    check_image(record_property, run(translator.networks["G"], x), fx["outputs"]["output"])


def test_pix2pix_original_test_mode_uses_batch_statistics(pix2pix, record_property):
    fx, _, translator, (x,) = pix2pix
    use_original_test_mode(translator)
    try:
        check_image(record_property, run(translator.networks["G"], x), fx["outputs"]["output_bn_batch_stats"]["output"])
    finally:
        use_original_test_mode(translator, enabled=False)
    # The stored running statistics were not touched: eval gives the eval reference again.
    ref.compare(run(translator.networks["G"], x), fx["outputs"]["output"])


def test_original_test_mode_activates_dropout():
    torch.manual_seed(0)
    net = UnetGenerator(ngf=2, num_downs=6, dropout=True).eval()
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    assert torch.equal(run(net, x), run(net, x))
    set_original_test_mode(net)
    assert not torch.equal(run(net, x), run(net, x)), "dropout should be active in the original test mode"
    set_original_test_mode(net, dropout=False)
    assert torch.equal(run(net, x), run(net, x)), "batch statistics alone are deterministic"
    set_original_test_mode(net, enabled=False)
    assert not any(m.training for m in net.modules())


def test_cyclegan_pair_reference_and_legacy_instance_norm_keys(scratch, record_property):
    fx = fixture("cyclegan_resnet9_G")
    extra = fx["legacy_checkpoint_keys"]["extra_keys"]

    def with_legacy_stats(sd):
        # As released files carry them; values far from (0, 1) so that using them would show.
        for key, shape, dtype in extra:
            value = 7 if dtype == "int64" else 0.5 if key.endswith("mean") else 3.0
            sd[key] = torch.full(shape, value, dtype=getattr(torch, dtype))
        return sd

    save_official("cyclegan_resnet9_G", scratch / "latest_net_G_A.pth")
    save_official("cyclegan_resnet9_G", scratch / "latest_net_G_B.pth", edit=with_legacy_stats)
    sources = {"G_A": scratch / "latest_net_G_A.pth", "G_B": scratch / "latest_net_G_B.pth"}
    summary = convert_checkpoint(family="cyclegan", sources=sources, out=scratch / "cyclegan.ref", a_to_b="horse → zebra")
    assert sorted(summary["source"]["dropped_keys"]["G_BtoA"]) == sorted(k for k, _, _ in extra)
    expected = {"in_channels": 3, "out_channels": 3, "ngf": 64, "n_blocks": 9, "norm": "instance", "dropout": False}
    assert summary["networks"]["G_AtoB"]["kwargs"] == summary["networks"]["G_BtoA"]["kwargs"] == expected
    assert summary["contract"]["directions"] == {"AtoB": "horse → zebra", "BtoA": "B → A"}
    translator = engine.load_folder(scratch / "cyclegan.ref")
    check_image(record_property, run(translator.networks["G_AtoB"], *ref.build_inputs(fx)), fx["outputs"]["output"])
    # B->A came from the same tensors plus the legacy keys: identical weights, so the same output.
    a, b = translator.networks["G_AtoB"].state_dict(), translator.networks["G_BtoA"].state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_spade_reference(scratch, record_property):
    fx = save_official("spade_ade20k_G", scratch / "latest_net_G.pth")
    summary = convert_checkpoint(family="spade", sources={"G": scratch / "latest_net_G.pth"}, out=scratch / "spade.ref")
    (scratch / "latest_net_G.pth").unlink()
    kwargs = summary["networks"]["G"]["kwargs"]
    assert kwargs["label_channels"] == 151 and kwargs["ngf"] == 64 and not kwargs["use_vae"] and kwargs["param_free_norm"] == "batch"
    assert summary["contract"]["channels"] == 151 and len(summary["contract"]["palette"]) == 151 and summary["contract"]["nz"] == 0
    translator = engine.load_folder(scratch / "spade.ref")
    with pytest.raises(ValueError, match="eval mode"):
        use_original_test_mode(translator)
    check_image(record_property, run(translator.networks["G"], *ref.build_inputs(fx)), fx["outputs"]["output"])


def test_spade_vae_generator_and_encoder_reference(scratch, record_property):
    fx_g = save_official("spade_ade20k_vae_G", scratch / "latest_net_G.pth")
    fx_e = save_official("spade_ade20k_vae_E", scratch / "latest_net_E.pth")
    sources = {"G": scratch / "latest_net_G.pth", "E": scratch / "latest_net_E.pth"}
    summary = convert_checkpoint(family="spade", sources=sources, out=scratch / "spade.vae")
    for name in ("latest_net_G.pth", "latest_net_E.pth"):
        (scratch / name).unlink()
    g = summary["networks"]["G"]["kwargs"]
    assert (g["use_vae"], g["z_dim"], g["base_height"], g["base_width"]) == (True, 256, 8, 8)
    e = {"in_channels": 3, "z_dim": 256, "ndf": 64, "input_size": 256, "spectral_norm": True, "norm": "instance"}
    assert summary["networks"]["E"]["kwargs"] == e
    assert summary["contract"]["nz"] == 256 and summary["contract"]["style"] and summary["contract"]["size"] == 256
    translator = engine.load_folder(scratch / "spade.vae")
    check_pair(record_property, run(translator.networks["E"], *ref.build_inputs(fx_e)), fx_e["outputs"]["output"])
    check_image(record_property, run(translator.networks["G"], *ref.build_inputs(fx_g)), fx_g["outputs"]["output"], "max_abs_diff_G")


def test_bicyclegan_generator_and_encoder_reference(scratch, record_property):
    fx_g = save_official("bicyclegan_unet256_G", scratch / "latest_net_G.pth")
    fx_e = save_official("bicyclegan_resnet256_E", scratch / "latest_net_E.pth")
    sources = {"G": scratch / "latest_net_G.pth", "E": scratch / "latest_net_E.pth"}
    summary = convert_checkpoint(family="bicyclegan", sources=sources, out=scratch / "bicyclegan.ref")
    assert summary["networks"]["G"]["kwargs"] == {
        "in_channels": 3, "out_channels": 3, "ngf": 64, "num_downs": 8, "norm": "instance", "dropout": False, "nz": 8, "inject_z": "all",
    }
    assert summary["networks"]["E"]["kwargs"] == {"in_channels": 3, "nz": 8, "ndf": 64, "n_blocks": 4, "norm": "instance"}
    assert summary["contract"]["nz"] == 8 and summary["contract"]["encoder"]
    translator = engine.load_folder(scratch / "bicyclegan.ref")
    check_image(record_property, run(translator.networks["G"], *ref.build_inputs(fx_g)), fx_g["outputs"]["output"], "max_abs_diff_G")
    check_pair(record_property, run(translator.networks["E"], *ref.build_inputs(fx_e)), fx_e["outputs"]["output"])


# ----- layout quirks on tiny copies -----
def test_cyclegan_dropout_key_shift_single_direction(tmp_path):
    shift = {".conv_block.5.": ".conv_block.6."}

    def shifted(sd):
        return {next((k.replace(a, b) for a, b in shift.items() if a in k), k): v for k, v in sd.items()}

    save_tiny("cyclegan_resnet9_G", tmp_path / "plain.pth")
    save_tiny("cyclegan_resnet9_G", tmp_path / "latest_net_G.pth", edit=shifted)
    plain = convert_checkpoint(family="cyclegan", sources={"G": tmp_path / "plain.pth"}, out=tmp_path / "plain")
    dropout = convert_checkpoint(family="cyclegan", sources={"G": tmp_path / "latest_net_G.pth"}, out=tmp_path / "dropout")
    assert plain["networks"]["G_AtoB"]["kwargs"]["dropout"] is False
    assert dropout["networks"]["G_AtoB"]["kwargs"]["dropout"] is True
    assert list(dropout["networks"]) == ["G_AtoB"] and dropout["contract"]["directions"] == {"AtoB": "A → B"}
    a, b = engine.load_folder(tmp_path / "plain"), engine.load_folder(tmp_path / "dropout")
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    assert torch.equal(run(a.networks["G_AtoB"], x), run(b.networks["G_AtoB"], x))  # dropout is inactive in eval
    out = b(np.zeros((40, 60, 3), np.uint8))  # a one-direction model runs through the Translator
    assert out.size[0] / out.size[1] == pytest.approx(1.5, abs=0.05)


def test_bicyclegan_one_channel_input_and_encoder_nz(tmp_path):
    def one_channel(fx):  # edges2shoes / edges2handbags were trained with --input_nc 1
        keys = [[k, [s[0], s[1] - 2, *s[2:]] if k == "model.down.0.weight" else s, d] for k, s, d in fx["keys"]]
        return {**fx, "keys": keys}

    save_tiny("bicyclegan_unet256_G", tmp_path / "latest_net_G.pth", transform=one_channel)
    save_tiny("bicyclegan_resnet256_E", tmp_path / "latest_net_E.pth")
    sources = {"G": tmp_path / "latest_net_G.pth", "E": tmp_path / "latest_net_E.pth"}
    summary = convert_checkpoint(family="bicyclegan", sources=sources, out=tmp_path / "b")
    g = summary["networks"]["G"]["kwargs"]
    assert (g["in_channels"], g["nz"], g["ngf"], g["num_downs"]) == (1, 8, 4, 8)
    assert summary["contract"]["kind"] == "sketch" and summary["contract"]["channels"] == 1
    translator = engine.load_folder(tmp_path / "b")
    assert run(translator.networks["G"], torch.zeros(2, 1, 256, 256), torch.randn(2, 8)).shape == (2, 3, 256, 256)
    assert len(translator.sample(np.full((32, 32), 255, np.uint8), 2, seed=3)) == 2


def test_old_file_format_dataparallel_prefix_and_pix2pix_defaults(tmp_path):
    sd = ref.build_state_dict(ref.tiny_fixture(fixture("pix2pix_unet256_G")))
    # A file as PyTorch < 1.6 wrote it (released 2017-2019 checkpoints), from a DataParallel model.
    torch.save({f"module.{k}": v for k, v in sd.items()}, tmp_path / "latest_net_G.pth", _use_new_zipfile_serialization=False)
    summary = convert_checkpoint(family="pix2pix", sources={"G": tmp_path / "latest_net_G.pth"}, out=tmp_path / "p", storage="fp16")
    assert summary["networks"]["G"]["kwargs"]["dropout"] is True  # the official pix2pix default
    assert summary["networks"]["G"]["kwargs"]["ngf"] == 4
    config = read_config(tmp_path / "p")
    assert config["storage"] == "fp16" and config["source"]["files"]["G"]["layout"] == "unet_nested"
    assert all(not k.startswith("G.module.") for k in read_tensors(tmp_path / "p"))


# ----- the command line -----
def test_cli_converts_with_roles_from_file_names(tmp_path, capsys):
    save_tiny("bicyclegan_unet256_G", tmp_path / "latest_net_G.pth")
    save_tiny("bicyclegan_resnet256_E", tmp_path / "latest_net_E.pth")
    files = [str(tmp_path / "latest_net_E.pth"), str(tmp_path / "latest_net_G.pth")]  # roles from the names, not the order
    rc = main(["--family", "bicyclegan", *files, "--out", str(tmp_path / "bicyclegan.tiny"), "--kind", "sketch"])
    assert rc == 0, capsys.readouterr().err
    assert "bicyclegan.tiny" in capsys.readouterr().out
    translator = engine.load(tmp_path / "bicyclegan.tiny")
    assert translator.contract.kind == "sketch" and translator.contract.encoder


def test_cli_role_syntax_and_error_exit(tmp_path, capsys):
    save_tiny("cyclegan_resnet9_G", tmp_path / "b2a.pth")
    assert main(["--family", "cyclegan", f"G_B={tmp_path / 'b2a.pth'}", "--out", str(tmp_path / "c"), "--b-to-a", "zebra → horse"]) == 0
    assert read_config(tmp_path / "c")["contract"]["directions"] == {"BtoA": "zebra → horse"}
    (tmp_path / "junk.pth").write_text("not a checkpoint")
    assert main(["--family", "pix2pix", str(tmp_path / "junk.pth"), "--out", str(tmp_path / "x")]) == 2
    assert "convert: error:" in capsys.readouterr().err and not (tmp_path / "x").exists()


# ----- bad sources -----
def _bad_source(tmp_path, what: str):
    path = tmp_path / "latest_net_G.pth"
    if what == "text":
        path.write_text("hello")
    elif what == "pickled module":
        torch.save(torch.nn.Linear(2, 2), path)  # a whole pickled module: weights_only refuses it
    elif what == "list":
        torch.save([torch.zeros(1)], path)
    elif what == "plain pickle":
        path.write_bytes(pickle.dumps({"a": 1}))
    elif what == "unknown keys":
        torch.save({"encoder.weight": torch.zeros(2, 2)}, path)
    return path


@pytest.mark.parametrize(
    "what, message",
    [
        ("text", "is not a PyTorch checkpoint"),
        ("pickled module", "holds pickled Python objects besides tensors"),
        ("list", "holds a list, not a state dict"),
        ("plain pickle", "holds pickled Python objects"),
        ("unknown keys", "fit no official layout GANvas knows .first keys: encoder.weight"),
    ],
)
@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_bad_file(tmp_path, what, message):
    with pytest.raises(ConvertError, match=message):
        convert_checkpoint(family="pix2pix", sources={"G": _bad_source(tmp_path, what)}, out=tmp_path / "out")


def test_missing_file_and_unknown_option(tmp_path):
    with pytest.raises(ConvertError, match="does not exist"):
        convert_checkpoint(family="pix2pix", sources={"G": tmp_path / "nope.pth"}, out=tmp_path / "out")
    with pytest.raises(ConvertError, match="unknown options \\['colour'\\]; valid: kind"):
        convert_checkpoint(family="pix2pix", sources={"G": tmp_path / "nope.pth"}, out=tmp_path / "out", colour="red")
    with pytest.raises(ConvertError, match="unknown family 'stylegan'"):
        convert_checkpoint(family="stylegan", sources={"G": tmp_path / "nope.pth"}, out=tmp_path / "out")
    with pytest.raises(ConvertError, match="no role 'E'; valid: G"):
        convert_checkpoint(family="pix2pix", sources={"E": tmp_path / "nope.pth"}, out=tmp_path / "out")


def test_wrong_family_and_wrong_role(tmp_path):
    save_tiny("spade_ade20k_G", tmp_path / "spade_G.pth")
    with pytest.raises(ConvertError, match="SPADE generator.*--family spade"):
        convert_checkpoint(family="pix2pix", sources={"G": tmp_path / "spade_G.pth"}, out=tmp_path / "out")
    save_tiny("bicyclegan_resnet256_E", tmp_path / "E.pth")
    with pytest.raises(ConvertError, match="bicyclegan E, not its G: pass it as E=PATH"):
        convert_checkpoint(family="bicyclegan", sources={"G": tmp_path / "E.pth"}, out=tmp_path / "out")
    torch.save({"model.0.weight": torch.zeros(8, 6, 4, 4), "model.0.bias": torch.zeros(8)}, tmp_path / "D.pth")
    with pytest.raises(ConvertError, match="discriminator"):
        convert_checkpoint(family="pix2pix", sources={"G": tmp_path / "D.pth"}, out=tmp_path / "out")


def test_missing_and_unexpected_keys_are_named(tmp_path):
    norm_weight = "model.model.1.model.3.model.6.weight"  # level-2 decoder BatchNorm
    save_tiny("pix2pix_unet256_G", tmp_path / "missing.pth", edit=lambda sd: {k: v for k, v in sd.items() if k != norm_weight})
    with pytest.raises(ConvertError, match=r"missing: up\.2\.2\.weight"):
        convert_checkpoint(family="pix2pix", sources={"G": tmp_path / "missing.pth"}, out=tmp_path / "out")
    save_tiny("pix2pix_unet256_G", tmp_path / "extra.pth", edit=lambda sd: {**sd, "model.model.1.model.9.weight": torch.zeros(1)})
    with pytest.raises(ConvertError, match=r"unexpected keys model\.model\.1\.model\.9\.weight"):
        convert_checkpoint(family="pix2pix", sources={"G": tmp_path / "extra.pth"}, out=tmp_path / "out")


def test_mismatched_pair_and_labels_need_a_palette(tmp_path):
    save_tiny("spade_ade20k_G", tmp_path / "G.pth")
    save_tiny("spade_ade20k_vae_E", tmp_path / "E.pth")
    with pytest.raises(ConvertError, match="takes no style"):
        convert_checkpoint(family="spade", sources={"G": tmp_path / "G.pth", "E": tmp_path / "E.pth"}, out=tmp_path / "out")
    save_tiny("pix2pix_unet256_G", tmp_path / "p.pth")
    with pytest.raises(ConvertError, match="needs the dataset's palette"):
        convert_checkpoint(family="pix2pix", sources={"G": tmp_path / "p.pth"}, out=tmp_path / "out", kind="labels")
    palette = [{"name": n, "rgb": c} for n, c in (("wall", [0, 0, 255]), ("window", [255, 0, 0]))]
    summary = convert_checkpoint(family="pix2pix", sources={"G": tmp_path / "p.pth"}, out=tmp_path / "l", kind="labels", palette=palette)
    assert summary["contract"]["label_encoding"] == "rgb" and summary["task"] == "label map → photo"
