"""What the page needs to render in the visitor's browser, served beside gradio's own routes.

    /ganvas/static/<file>              the page's scripts (ganvas_tensor.js, ganvas_web.js)
    /ganvas/ort/<version>/<file>       ONNX Runtime Web, where `python -m app.web_runtime` installed it
    /ganvas/models/<name>/web.json     a model's web spec (engine.web_spec + the canvas's own rules)
    /ganvas/models/<name>/<graph>      its ONNX graph (cached by the browser: the URL carries its hash)
    /ganvas/stats                      pictures rendered by this server so far, and its CPU seconds

Every response carries the cross-origin isolation headers (COOP/COEP) that let the page's
WebAssembly run on several threads; a Space sets the same ones in its README's `custom_headers`.
"""
from __future__ import annotations

import json
import logging
import mimetypes
import time
from pathlib import Path

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import engine

from . import web_runtime
from .canvas import INK_THRESHOLD
from .drawings.palettes import display_palette, palette_of
from .models import HUB, SKETCH, VARIATIONS, FACADE, STREET, server_renders

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
ISOLATION_HEADERS = {
    "cross-origin-opener-policy": "same-origin",
    # credentialless: cross-origin files (the CDN's runtime) load without CORP headers of their own.
    "cross-origin-embedder-policy": "credentialless",
    "cross-origin-resource-policy": "cross-origin",
}
IMMUTABLE = "public, max-age=31536000, immutable"  # versioned URLs: the runtime's version, a graph's hash
WEB_MODELS = (SKETCH, VARIATIONS, FACADE, STREET)  # the canvases' models; horse <-> zebra stays on the server
PAGE_SCRIPTS = ("ganvas_tensor.js", "ganvas_runtime.js", "ganvas_picture.js", "ganvas_web.js")  # in load order

mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".mjs")


class IsolationHeaders:
    """ASGI middleware: the isolation headers on every response, long caching on versioned files."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        versioned = path.startswith("/ganvas/ort/") or (path.startswith("/ganvas/models/") and b"v=" in scope.get("query_string", b""))

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.decode("latin-1").lower() not in ISOLATION_HEADERS]
                headers += [(k.encode(), v.encode()) for k, v in ISOLATION_HEADERS.items()]
                if versioned and message.get("status") == 200:
                    headers.append((b"cache-control", IMMUTABLE.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


_specs: dict[str, tuple[tuple, dict | None]] = {}


def _files_stamp(name: str) -> tuple:
    """What a spec depends on, cheaply: the manifest's and the model folder's files (name, mtime,
    size). A spec is made again only when one of them changes (a training exports while we run)."""
    manifest = engine.weights_dir() / engine.MANIFEST_FILE
    folder = engine.weights_dir() / name
    paths = [manifest, *(sorted(folder.iterdir()) if folder.is_dir() else [])]
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in paths if p.is_file())


def page_spec(name: str) -> dict | None:
    """engine.web_spec plus how this app's canvas paints the model's input; None: server only."""
    stamp = _files_stamp(name)
    cached = _specs.get(name)
    if cached and cached[0] == stamp:
        return cached[1]
    spec = None
    if name in WEB_MODELS and HUB.availability(name).ready:
        try:
            spec = engine.web_spec(name)
        except (engine.ModelError, OSError, ValueError, KeyError) as exc:
            logger.warning("no web spec for %s: %s", name, exc)
    if spec is not None:
        spec = dict(spec)
        spec["graph"] = {**spec["graph"], "url": f"/ganvas/models/{name}/{spec['graph']['file']}?v={spec['graph']['sha256'][:16]}"}
        spec["ink_threshold"] = INK_THRESHOLD
        if spec["kind"] == "labels":
            named = palette_of(HUB.contract(name), [])
            spec["canvas_palette"] = [list(rgb) for _, rgb in display_palette(named)]
    _specs[name] = (stamp, spec)
    return spec


def runtime_base() -> str:
    """Where the page loads ONNX Runtime Web from: this app when installed, else the CDN."""
    return f"/ganvas/ort/{web_runtime.VERSION}/" if web_runtime.installed() else web_runtime.CDN


async def model_file(request: Request) -> Response:
    name, file = request.path_params["name"], request.path_params["file"]
    spec = page_spec(name)
    if file == "web.json":
        if spec is None:
            return JSONResponse({"error": f"{name} renders on the server only"}, status_code=404)
        return JSONResponse(spec, headers={"cache-control": "no-cache"})
    if spec is None or file != spec["graph"]["file"]:
        return JSONResponse({"error": "no such file"}, status_code=404)
    return FileResponse(HUB.card(name).folder / file, media_type="application/octet-stream")


async def runtime_file(request: Request) -> Response:
    """A file of the installed runtime; its WebAssembly gzipped where the browser takes gzip."""
    version, file = request.path_params["version"], request.path_params["file"]
    path = web_runtime.RUNTIME_DIR / file
    if version != web_runtime.VERSION or file not in web_runtime.FILES or not path.is_file():
        return JSONResponse({"error": "no such file"}, status_code=404)
    packed = path.with_name(f"{file}.gz")
    media_type = mimetypes.guess_type(file)[0] or "application/octet-stream"
    if "gzip" in request.headers.get("accept-encoding", "") and packed.is_file():
        return FileResponse(packed, media_type=media_type, headers={"content-encoding": "gzip", "vary": "Accept-Encoding"})
    return FileResponse(path, media_type=media_type, headers={"vary": "Accept-Encoding"})


async def stats(request: Request) -> Response:
    return JSONResponse({"renders": server_renders(), "cpu_seconds": time.process_time()}, headers={"cache-control": "no-store"})


def app_kwargs() -> dict:
    """gradio's launch(app_kwargs=...): our routes (before gradio's) and the headers middleware."""
    return {
        "routes": [
            Mount("/ganvas/static", StaticFiles(directory=STATIC), name="ganvas-static"),
            Route("/ganvas/ort/{version}/{file}", runtime_file),
            Route("/ganvas/models/{name}/{file}", model_file),
            Route("/ganvas/stats", stats),
        ],
        "middleware": [Middleware(IsolationHeaders)],
    }


def page_head() -> str:
    """Scripts for the page's head: the config (the runtime's address), then PAGE_SCRIPTS."""
    config = json.dumps({"runtime": runtime_base(), "version": web_runtime.VERSION, "canvas_models": [SKETCH, FACADE, STREET]})
    # Classic scripts, in order, before gradio mounts the canvases (their js_on_load code is not a
    # module and finds the renderer at once); each adds to the one namespace window.Ganvas.
    scripts = "".join(f'<script src="/ganvas/static/{name}"></script>' for name in PAGE_SCRIPTS)
    return f"<script>window.Ganvas = {{config: {config}}};</script>" + scripts
