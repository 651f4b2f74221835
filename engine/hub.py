"""Fetching a registered model's files from a Hugging Face Hub repo when they are not on disk.

The repo comes from the manifest entry (`hub.repo_id`) or GANVAS_HUB_REPO; files live under
`<model name>/` in that repo. Offline (HF_HUB_OFFLINE=1 or no network) this fails fast with a
message that says what to do, never hangs.
"""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from .errors import ModelError

logger = logging.getLogger(__name__)


def hub_repo_for(entry: dict) -> str | None:
    return (entry.get("hub") or {}).get("repo_id") or os.environ.get("GANVAS_HUB_REPO")


def fetch_from_hub(*, name: str, files: list[str], folder: Path, repo_id: str, revision: str | None = None) -> None:
    # The client reads its timeouts when first imported, so set them before; import it here
    # because it is only needed on this path and is slow to import.
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "20")
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    folder.mkdir(parents=True, exist_ok=True)
    for file in files:
        logger.info("downloading %s/%s from the hub repo %s", name, file, repo_id)
        try:
            cached = hf_hub_download(repo_id=repo_id, filename=f"{name}/{file}", revision=revision)
        except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as exc:
            raise ModelError(
                f"{folder / file} is missing and could not be downloaded from the hub repo {repo_id!r} "
                f"({type(exc).__name__}: {exc}). Train or convert it locally (see README), or connect and retry."
            ) from exc
        shutil.copyfile(cached, folder / file)
