"""What the page's renderer is served: the runtime installer, the models' web specs and graphs,
the isolation headers and long caching, the server's render counter."""
from __future__ import annotations

import base64
import hashlib
import io
import tarfile

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app import web_runtime, web_serving
from app.drawings.palettes import DEFAULT_FACADE_PALETTE, display_palette
from app.models import FACADE, SKETCH, STREET, VARIATIONS, ZEBRA
from standins import write_standins


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    # Contracts at 64 px: the specs say so, and the page would leave the 256 px sketch canvas to the server.
    return write_standins(tmp_path_factory.mktemp("web") / "weights", names=(SKETCH, FACADE, STREET, ZEBRA), onnx=True)


@pytest.fixture
def client(weights, monkeypatch):
    monkeypatch.setenv("GANVAS_WEIGHTS_DIR", str(weights))
    monkeypatch.setattr(web_serving, "_specs", {})
    return TestClient(Starlette(**web_serving.app_kwargs()))


def test_a_models_web_spec_names_its_graph_by_hash_and_its_canvas_colours(client, weights):
    spec = client.get(f"/ganvas/models/{FACADE}/web.json").json()
    digest = hashlib.sha256((weights / FACADE / "G.onnx").read_bytes()).hexdigest()
    assert spec["graph"]["url"] == f"/ganvas/models/{FACADE}/G.onnx?v={digest[:16]}"
    assert spec["canvas_palette"] == [list(rgb) for _, rgb in display_palette(DEFAULT_FACADE_PALETTE)]
    assert (spec["kind"], spec["size"], spec["label_encoding"], spec["blank_class"]) == ("labels", 64, "onehot", 0)
    street = client.get(f"/ganvas/models/{STREET}/web.json").json()
    assert street["nz"] == 16 and street["graph"]["inputs"] == ["x", "z"] and street["blank_class"] == 11
    sketch = client.get(f"/ganvas/models/{SKETCH}/web.json").json()
    assert sketch["kind"] == "sketch" and sketch["ink_threshold"] == 128 and sketch["sketch_paper"] == 1.0


def test_graphs_are_served_with_isolation_headers_and_cached_for_good(client, weights):
    spec = client.get(f"/ganvas/models/{SKETCH}/web.json").json()
    graph = client.get(spec["graph"]["url"])
    assert graph.status_code == 200 and graph.content == (weights / SKETCH / "G.onnx").read_bytes()
    assert "immutable" in graph.headers["cache-control"]
    for response in (graph, client.get("/ganvas/stats"), client.get("/ganvas/static/ganvas_tensor.js")):
        assert response.headers["cross-origin-opener-policy"] == "same-origin"
        assert response.headers["cross-origin-embedder-policy"] == "credentialless"
    assert client.get(f"/ganvas/models/{SKETCH}/web.json").headers["cache-control"] == "no-cache"


def test_what_the_page_cannot_render_is_refused_clearly(client, weights):
    assert "server only" in client.get(f"/ganvas/models/{ZEBRA}/web.json").json()["error"]  # two directions
    assert client.get(f"/ganvas/models/{VARIATIONS}/web.json").status_code == 404  # not in this registry
    assert client.get(f"/ganvas/models/{SKETCH}/model.safetensors").status_code == 404  # only the graph
    assert client.get(f"/ganvas/models/{SKETCH}/..%2Fmanifest.json").status_code == 404


def test_stale_graphs_are_not_offered(client, weights, tmp_path, monkeypatch):
    folder = weights / SKETCH
    original = (folder / "model.safetensors").read_bytes()
    try:
        (folder / "model.safetensors").write_bytes(original + b" ")  # other weights than the graph's
        assert client.get(f"/ganvas/models/{SKETCH}/web.json").status_code == 404
    finally:
        (folder / "model.safetensors").write_bytes(original)


def test_the_server_counts_its_renders(client):
    stats = client.get("/ganvas/stats").json()
    assert isinstance(stats["renders"], dict) and stats["cpu_seconds"] > 0


def fake_tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/dist/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_the_runtime_installs_once_checked_and_notices_a_changed_file(tmp_path, monkeypatch):
    files = {name: np.random.default_rng(i).bytes(100 + i) for i, name in enumerate(web_runtime.FILES)}
    tarball = fake_tarball(files)
    fetched = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return tarball

    with pytest.raises(RuntimeError, match="does not match"):  # the pinned sha512 is the real release's
        web_runtime.install(tmp_path, fetch=fetch)
    assert not web_runtime.installed(tmp_path)
    monkeypatch.setattr(web_runtime, "INTEGRITY", "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode())
    assert web_runtime.install(tmp_path, fetch=fetch) is True
    assert web_runtime.installed(tmp_path) and (tmp_path / "ort.wasm.min.js").read_bytes() == files["ort.wasm.min.js"]
    assert web_runtime.install(tmp_path, fetch=fetch) is False and len(fetched) == 2  # idempotent
    (tmp_path / "ort-wasm-simd-threaded.wasm").write_bytes(b"changed")
    assert not web_runtime.installed(tmp_path)
    assert web_runtime.install(tmp_path, fetch=fetch) is True and web_runtime.installed(tmp_path)


def test_the_runtime_is_served_from_its_pinned_folder_its_webassembly_gzipped(client, tmp_path, monkeypatch):
    files = {name: (name * 400).encode() for name in web_runtime.FILES}
    tarball = fake_tarball(files)
    monkeypatch.setattr(web_runtime, "INTEGRITY", "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode())
    web_runtime.install(tmp_path, fetch=lambda url: tarball)
    monkeypatch.setattr(web_runtime, "RUNTIME_DIR", tmp_path)
    wasm = f"/ganvas/ort/{web_runtime.VERSION}/ort-wasm-simd-threaded.wasm"
    packed = client.get(wasm, headers={"accept-encoding": "gzip"})  # (the test client unpacks it)
    assert packed.headers["content-encoding"] == "gzip" and packed.headers["content-type"] == "application/wasm"
    assert packed.content == files["ort-wasm-simd-threaded.wasm"] and "immutable" in packed.headers["cache-control"]
    assert int(packed.headers["content-length"]) < len(files["ort-wasm-simd-threaded.wasm"])
    plain = client.get(wasm, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == files["ort-wasm-simd-threaded.wasm"]
    assert client.get(f"/ganvas/ort/{web_runtime.VERSION}/ort.wasm.min.js").content == files["ort.wasm.min.js"]
    assert client.get("/ganvas/ort/0.0.1/ort.wasm.min.js").status_code == 404  # only the pinned version
    assert client.get(f"/ganvas/ort/{web_runtime.VERSION}/INSTALLED").status_code == 404
