"""Where CLIP weights come from: an open_clip tag (downloaded once from the Hugging Face hub, failing fast offline), a
local checkpoint file, or the untrained placeholder."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Literal

from gallery.clip.base import WeightsUnavailable

logger = logging.getLogger(__name__)

UNTRAINED = "untrained"
# The untrained weights are a pure function of this seed, so web and worker processes share one vector space.
UNTRAINED_SEED = 0
# A single metadata request with this timeout decides whether the hub is reachable at all, instead of letting
# huggingface_hub retry with backoff (about 45 s here for one missing file).
HUB_PROBE_TIMEOUT_S = 3.0
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors", ".ckpt", ".npz")

FIX_HINT = (
    "Fix: set CLIP_PRETRAINED to an open_clip tag on a machine with network access, or to the path of a local "
    "checkpoint file, or run `manage.py fetch_clip_weights` where the Hugging Face hub is reachable."
)

WeightsSource = Literal["untrained", "tag", "file"]


def unavailable(model_name: str, pretrained: str, reason: str) -> WeightsUnavailable:
    return WeightsUnavailable(
        f"CLIP weights CLIP_PRETRAINED={pretrained!r} for {model_name} unavailable: {reason}. {FIX_HINT}"
    )


def weights_source(model_name: str, pretrained: str) -> WeightsSource:
    """Classify a CLIP_PRETRAINED value as the untrained placeholder, an open_clip tag or a local file path."""
    import open_clip

    if pretrained == UNTRAINED:
        return "untrained"
    if open_clip.get_pretrained_cfg(model_name, pretrained):
        return "tag"
    looks_like_path = os.sep in pretrained or "/" in pretrained or pretrained.startswith("~")
    if looks_like_path or pretrained.endswith(CHECKPOINT_SUFFIXES) or os.path.exists(pretrained):
        return "file"
    # Unknown names are treated as (misspelt) tags so the error lists the valid ones.
    return "tag"


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _go_offline() -> None:
    # Process-wide on purpose: once the hub is known to be unreachable, later hub lookups in this process (a second
    # encoder, fetch_weights) must read the cache instead of retrying. huggingface_hub reads the variable at import
    # time, so its constant is flipped as well.
    import huggingface_hub.constants

    os.environ["HF_HUB_OFFLINE"] = "1"
    huggingface_hub.constants.HF_HUB_OFFLINE = True
    logger.info("Hugging Face hub unreachable; HF_HUB_OFFLINE=1 for the rest of this process.")


def _hub_reachable(hf_hub: str) -> bool:
    """Return whether one HEAD request for an hf_hub 'org/repo/filename' entry gets a usable answer."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import HfHubHTTPError
    from open_clip.constants import HF_WEIGHTS_NAME

    repo_id, filename = os.path.split(hf_hub)
    try:
        get_hf_file_metadata(hf_hub_url(repo_id, filename or HF_WEIGHTS_NAME), timeout=HUB_PROBE_TIMEOUT_S)
    except HfHubHTTPError as exc:
        # A 404/401 still proves the hub answers; 429 and 5xx are what huggingface_hub would retry with backoff.
        status = exc.response.status_code if exc.response is not None else 500
        return status != 429 and status < 500
    except Exception as exc:  # noqa: BLE001 - DNS, connect, TLS and timeout errors all mean "unreachable"
        logger.info("Hugging Face hub probe failed: %s", exc)
        return False
    return True


def download_tag(model_name: str, tag: str) -> str:
    """Return the local path of a tag's checkpoint, downloading it once; fails fast when offline and not cached."""
    import huggingface_hub.constants
    import open_clip

    cfg = open_clip.get_pretrained_cfg(model_name, tag)
    if not cfg:
        known = ", ".join(open_clip.list_pretrained_tags_by_model(model_name)) or "none"
        raise unavailable(model_name, tag, f"not a known open_clip tag (known tags: {known}) nor an existing file")
    uses_hub = bool(cfg.get("hf_hub")) and open_clip.pretrained.has_hf_hub()
    if uses_hub and not huggingface_hub.constants.is_offline_mode() and not _hub_reachable(cfg["hf_hub"]):
        _go_offline()
    try:
        path = open_clip.pretrained.download_pretrained(cfg)
    except Exception as exc:  # noqa: BLE001 - open_clip wraps hub errors in FileNotFoundError/RuntimeError
        offline = huggingface_hub.constants.is_offline_mode()
        where = "the hub is unreachable (offline mode) and it is not in the local cache" if offline else str(exc)
        raise unavailable(model_name, tag, where) from exc
    if not path:
        raise unavailable(model_name, tag, "open_clip has no download location for this tag")
    return path


def fetch_weights(model_name: str, pretrained: str) -> str:
    """Download an open_clip tag's weights into the local cache (idempotent) and return the checkpoint path."""
    return download_tag(model_name, pretrained)
