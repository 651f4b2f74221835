"""`python -m engine`: list, translate, and errors as one line on stderr with exit status 2."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from engine import SEED_KEY
from engine.__main__ import main

from conftest import ROOT

pytestmark = pytest.mark.usefixtures("one_thread")


def sketch(path: Path, size: tuple[int, int] = (48, 36)) -> Path:
    image = Image.new("L", size, 255)
    image.paste(0, (5, 5, 20, 8))
    image.save(path)
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_list_and_translate_in_a_subprocess(weights_registry, tmp_path: Path) -> None:
    weights_registry("pix2pix")
    weights_registry("cyclegan", write_files=False)
    listed = run_cli("list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["name", "family", "task", "weights", "renders", "on", "the", "CPU", "with"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert rows["pix2pix.tiny"].split()[1] == "pix2pix" and rows["pix2pix.tiny"].endswith("available  torch fp32")
    assert rows["cyclegan.tiny"].endswith("missing    torch fp32")

    out = tmp_path / "out" / "photo.png"
    done = run_cli("translate", "--model", "pix2pix.tiny", str(sketch(tmp_path / "in.png")), "-o", str(out), "--device", "cpu")
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == (64, 48)
    assert str(out) in done.stdout


def test_translate_a_model_folder_with_samples(make_model, tmp_path: Path, capsys) -> None:
    folder = make_model("bicyclegan")
    source = sketch(tmp_path / "in.png")
    assert main(["translate", "--model", str(folder), str(source), "-o", str(tmp_path / "shoe.png"), "--samples", "3", "--seed", "10"]) == 0
    written = [tmp_path / f"shoe_{i}.png" for i in range(3)]
    assert all(p.is_file() for p in written)
    assert "(seed 12)" in capsys.readouterr().out
    # One rendering with the same seed as the first sample gives the same picture.
    assert main(["translate", "--model", str(folder), str(source), "-o", str(tmp_path / "one.png"), "--seed", "10"]) == 0
    assert Image.open(tmp_path / "one.png").tobytes() == Image.open(written[0]).tobytes()


def test_translate_with_style_and_direction(make_model, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (50, 40), (200, 120, 30)).save(photo)
    spade = make_model("spade")
    labels = tmp_path / "labels.png"
    Image.new("RGB", (64, 64), (0, 128, 0)).save(labels)
    assert main(["translate", "--model", str(spade), str(labels), "-o", str(tmp_path / "a.png"), "--style", str(photo)]) == 0
    cyclegan = make_model("cyclegan")
    assert main(["translate", "--model", str(cyclegan), str(photo), "-o", str(tmp_path / "b.png"), "--direction", "BtoA"]) == 0
    assert Image.open(tmp_path / "b.png").size == (64, 51)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["translate", "--model", "pix2pix.nope", "IN", "-o", "OUT"], "no model named 'pix2pix.nope'"),
        (["translate", "--model", "MODEL", "missing.png", "-o", "OUT"], "missing.png does not exist"),
        (["translate", "--model", "MODEL", "IN", "-o", "OUT", "--samples", "2"], "takes no z"),
        (["translate", "--model", "MODEL", "IN", "-o", "OUT", "--samples", "0"], "at least 1"),
        (["translate", "--model", "MODEL", "IN", "-o", "OUT", "--direction", "BtoA"], "one direction"),
        (["translate", "--model", "MODEL", "IN", "-o", "OUT.unknownext"], "unknown file extension"),
    ],
)
def test_errors_are_one_line_and_exit_2(weights_registry, make_model, tmp_path: Path, capsys, argv: list[str], message: str) -> None:
    weights_registry("pix2pix")
    folder = make_model("pix2pix")
    source = sketch(tmp_path / "in.png")
    subst = {"MODEL": str(folder), "IN": str(source), "OUT": str(tmp_path / "out.png"), "OUT.unknownext": str(tmp_path / "out.xyz")}
    argv = [str(tmp_path / a) if a == "missing.png" else subst.get(a, a) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert message in err


def test_bad_model_file_is_a_clear_error_in_a_subprocess(make_model, tmp_path: Path) -> None:
    folder = make_model("pix2pix")
    (folder / "model.safetensors").write_bytes(b"\x00" * 100)
    done = run_cli("translate", "--model", str(folder), str(sketch(tmp_path / "in.png")), "-o", str(tmp_path / "o.png"))
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr and "model.safetensors" in done.stderr


def test_list_with_no_models(weights_registry, capsys) -> None:
    assert main(["list"]) == 0
    assert "no models registered" in capsys.readouterr().out


def test_convert_is_dispatched(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import types

    seen = {}
    fake = types.ModuleType("engine.convert")
    fake.main = lambda argv: seen.setdefault("argv", argv) and 0
    monkeypatch.setitem(sys.modules, "engine.convert", fake)
    assert main(["convert", "--family", "pix2pix", "SRC", "--out", "DST"]) == 0
    assert seen["argv"] == ["--family", "pix2pix", "SRC", "--out", "DST"]
    monkeypatch.setitem(sys.modules, "engine.convert", None)  # as if the module were absent
    assert main(["convert", "--help"]) == 2
    assert "converter (engine.convert) is not available" in capsys.readouterr().err
