"""Models for the studio: looked up in the manifest at once, loaded on first use, then cached.

Nothing is loaded at startup: a tab asks for its model when it is first used. Loading is
thread-safe (one lock per model, so two models can load at the same time and a model is never
loaded twice). A model whose weights are missing is not an error to crash on: `availability`
and `ModelUnavailable` say which files are missing and the command that makes them.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass

import engine
from engine import InputContract, ModelCard, how_to_get, weights_dir

logger = logging.getLogger(__name__)

SKETCH = "pix2pix.edges2cats"
VARIATIONS = "bicyclegan.edges2cats"
FACADE = "pix2pix.facades"
STREET = "spade.camvid"
ZEBRA = "cyclegan.horse2zebra"
STUDIO_MODELS = (SKETCH, VARIATIONS, FACADE, STREET, ZEBRA)


def studio_order(name: str) -> tuple[int, str]:
    """Sort key: the studio's models in the order of their tabs, any others after, by name."""
    return (STUDIO_MODELS.index(name) if name in STUDIO_MODELS else len(STUDIO_MODELS), name)


class ModelUnavailable(RuntimeError):
    """A model cannot be used now; the message (Markdown) says why and what to do."""


class WeightsMissing(ModelUnavailable):
    """Its weights are not there (yet): the tab's banner already says which files and how."""


@dataclass(frozen=True)
class Availability:
    name: str
    ready: bool  # files present (it may still fail to load, e.g. a bad checksum)
    message: str  # Markdown: empty when ready


class ModelHub:
    def __init__(self, device: str | None = None) -> None:
        self.device = device
        self._models: dict[str, engine.Translator] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.load_seconds: dict[str, float] = {}
        self._priors: dict[str, engine.LatentPrior] = {}

    def configure(self, *, device: str | None) -> None:
        """Choose the device for models loaded from now on (already loaded ones are dropped)."""
        with self._guard:
            if device != self.device:
                self._models.clear()
            self.device = device

    # ----- the manifest, without loading anything -----
    def card(self, name: str) -> ModelCard | None:
        try:
            cards = engine.list_models()
        except engine.ModelError as exc:
            raise ModelUnavailable(f"the model registry cannot be read: {exc}") from exc
        return next((c for c in cards if c.name == name), None)

    def contract(self, name: str) -> InputContract | None:
        try:
            card = self.card(name)
        except ModelUnavailable:
            return None
        return card.contract if card else None

    def latent_prior(self, name: str) -> engine.LatentPrior:
        """Where the model's seeds take z from, read without loading its networks (the page
        renders with latents the server draws)."""
        if name in self._models:
            return self._models[name].latent_prior
        if name not in self._priors:
            card = self.card(name)
            if card is None or card.missing_files:
                raise WeightsMissing(self.availability(name).message)
            try:
                self._priors[name] = engine.read_latent_prior(card.folder, nz=card.contract.nz)
            except (OSError, ValueError) as exc:
                raise ModelUnavailable(f"`{name}`'s latent prior could not be read: {exc}") from exc
        return self._priors[name]

    def availability(self, name: str) -> Availability:
        if name in self._models:
            return Availability(name, True, "")
        try:
            card = self.card(name)
        except ModelUnavailable as exc:
            return Availability(name, False, str(exc))
        if card is None:
            return Availability(
                name,
                False,
                f"`{name}` is not in `{weights_dir() / 'manifest.json'}` yet. To make it: {how_to_get(name)}.",
            )
        if card.missing_files:
            files = ", ".join(f"`{card.folder / f}`" for f in card.missing_files)
            return Availability(name, False, f"`{name}` is registered but its files are missing: {files}. To make them: {how_to_get(name)}.")
        return Availability(name, True, "")

    # ----- loading -----
    def _lock_for(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def get(self, name: str) -> engine.Translator:
        model = self._models.get(name)
        if model is not None:
            return model
        with self._lock_for(name):
            model = self._models.get(name)  # loaded by another request while we waited
            if model is not None:
                return model
            status = self.availability(name)
            if not status.ready:
                raise WeightsMissing(status.message)
            start = time.perf_counter()
            try:
                model = engine.load(name, device=self.device)
            except (engine.ModelError, ValueError, OSError) as exc:
                raise ModelUnavailable(f"`{name}` could not be loaded: {exc}") from exc
            self.load_seconds[name] = time.perf_counter() - start
            logger.info("loaded %s on %s in %.1f s", name, model.device, self.load_seconds[name])
            self._models[name] = model
            return model

    def clear(self) -> None:
        """Forget every loaded model (they load again on next use)."""
        with self._guard:
            self._models.clear()
            self._priors.clear()
            self.load_seconds.clear()

    def is_loaded(self, name: str) -> bool:
        return name in self._models

    def loaded(self) -> list[str]:
        return sorted(self._models)


HUB = ModelHub()

_renders: Counter = Counter()  # pictures rendered on this server, per model (read by /ganvas/stats)


def count_render(name: str) -> None:
    _renders[name] += 1


def server_renders() -> dict[str, int]:
    return dict(_renders)
