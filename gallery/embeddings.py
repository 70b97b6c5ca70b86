"""CLIP embeddings behind a small `Encoder` protocol; torch and open_clip are imported lazily."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

EMBEDDING_DIM = 512
UNTRAINED = "untrained"
# The untrained weights are a pure function of this seed, so web and worker processes share one vector space.
UNTRAINED_SEED = 0
# Bounds peak activation memory of a forward pass; one chunk is still a single batched call.
BATCH_SIZE = 32
# A single metadata request with this timeout decides whether the hub is reachable at all, instead of letting
# huggingface_hub retry with backoff (about 45 s here for one missing file).
HUB_PROBE_TIMEOUT_S = 3.0
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors", ".ckpt", ".npz")

FIX_HINT = (
    "Fix: set CLIP_PRETRAINED to an open_clip tag on a machine with network access, or to the path of a local "
    "checkpoint file, or run `manage.py fetch_clip_weights` where the Hugging Face hub is reachable."
)

WeightsSource = Literal["untrained", "tag", "file"]


class Encoder(Protocol):
    """Turns images and texts into unit-length float32 rows of EMBEDDING_DIM in one shared vector space."""

    model_id: str
    is_pretrained: bool

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray: ...

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray: ...


class WeightsUnavailable(RuntimeError):
    """The configured CLIP weights (setting CLIP_PRETRAINED) cannot be loaded in this process."""


def _unavailable(model_name: str, pretrained: str, reason: str) -> WeightsUnavailable:
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


def _file_sha256(path: Path) -> str:
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


def _download_tag(model_name: str, tag: str) -> str:
    """Return the local path of a tag's checkpoint, downloading it once; fails fast when offline and not cached."""
    import huggingface_hub.constants
    import open_clip

    cfg = open_clip.get_pretrained_cfg(model_name, tag)
    if not cfg:
        known = ", ".join(open_clip.list_pretrained_tags_by_model(model_name)) or "none"
        raise _unavailable(model_name, tag, f"not a known open_clip tag (known tags: {known}) nor an existing file")
    uses_hub = bool(cfg.get("hf_hub")) and open_clip.pretrained.has_hf_hub()
    if uses_hub and not huggingface_hub.constants.is_offline_mode() and not _hub_reachable(cfg["hf_hub"]):
        _go_offline()
    try:
        path = open_clip.pretrained.download_pretrained(cfg)
    except Exception as exc:  # noqa: BLE001 - open_clip wraps hub errors in FileNotFoundError/RuntimeError
        offline = huggingface_hub.constants.is_offline_mode()
        where = "the hub is unreachable (offline mode) and it is not in the local cache" if offline else str(exc)
        raise _unavailable(model_name, tag, where) from exc
    if not path:
        raise _unavailable(model_name, tag, "open_clip has no download location for this tag")
    return path


def fetch_weights(model_name: str, pretrained: str) -> str:
    """Download an open_clip tag's weights into the local cache (idempotent) and return the checkpoint path."""
    return _download_tag(model_name, pretrained)


class ClipEncoder:
    """open_clip model on CPU; batch-first, with a deterministic untrained fallback when weights are missing."""

    def __init__(
        self,
        *,
        model_name: str = "ViT-B-32",
        pretrained: str = "laion2b_s34b_b79k",
        on_missing_weights: str = "error",
        precision: str = "fp32",
        threads: int | None = None,
    ) -> None:
        if on_missing_weights not in ("error", "untrained"):
            raise ValueError(f"CLIP_ON_MISSING_WEIGHTS must be 'error' or 'untrained', not {on_missing_weights!r}")
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"CLIP_PRECISION must be 'fp32' or 'bf16', not {precision!r}")
        import open_clip
        import torch

        if threads:
            # Process-wide; Celery workers and gunicorn set it to share the cores between processes.
            torch.set_num_threads(threads)
        self.model_name = model_name
        self.precision = precision
        self.fallback_reason: str | None = None
        try:
            model, preprocess, self.model_id = self._load(model_name, pretrained)
            self.is_pretrained = pretrained != UNTRAINED
        except WeightsUnavailable as exc:
            if on_missing_weights == "error":
                raise
            self.fallback_reason = str(exc)
            model, preprocess, self.model_id = self._load(model_name, UNTRAINED)
            self.is_pretrained = False
            logger.warning(
                "Falling back to UNTRAINED CLIP weights (%s): search results are NOT semantic. %s",
                self.model_id,
                exc,
            )
        # The model_id deliberately ignores precision: bf16 rows have cosine >= 0.9999 to fp32 rows, so both
        # precisions share one vector space and switching CLIP_PRECISION must not re-queue every artwork.
        self._dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        self._model = model.to(self._dtype).eval()
        self._preprocess = preprocess
        self._tokenizer = open_clip.get_tokenizer(model_name)
        if (dim := getattr(model.visual, "output_dim", EMBEDDING_DIM)) != EMBEDDING_DIM:
            raise ValueError(f"{model_name} embeds to {dim} dimensions; the vector columns hold {EMBEDDING_DIM}")

    @staticmethod
    def _load(model_name: str, pretrained: str) -> tuple[Any, Any, str]:
        """Build (model, eval transform, model_id) in fp32; raise WeightsUnavailable when weights can't be loaded."""
        import open_clip
        import torch

        options: dict[str, Any] = {}
        source = weights_source(model_name, pretrained)
        if source == "untrained":
            # fork_rng keeps the caller's global RNG state untouched while pinning the initialisation.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(UNTRAINED_SEED)
                model, _, preprocess = open_clip.create_model_and_transforms(model_name, pretrained=None)
            return model, preprocess, f"{model_name}/untrained-seed{UNTRAINED_SEED}"
        if source == "file":
            path = Path(pretrained).expanduser()
            if not path.is_file():
                raise _unavailable(model_name, pretrained, f"checkpoint file {path} does not exist")
            checkpoint = str(path)
            # Content-addressed, so replacing the file changes the identity and stale vectors get re-embedded.
            model_id = f"{model_name}/file-{_file_sha256(path)[:12]}"
        else:
            checkpoint = _download_tag(model_name, pretrained)
            model_id = f"{model_name}/{pretrained}"
            cfg = open_clip.get_pretrained_cfg(model_name, pretrained)
            # Passing the resolved file (not the tag) avoids a second hub round trip, so the tag's preprocessing
            # and activation, which open_clip applies only for tags, are passed explicitly.
            options = {
                "image_mean": cfg.get("mean"),
                "image_std": cfg.get("std"),
                "image_interpolation": cfg.get("interpolation"),
                "image_resize_mode": cfg.get("resize_mode"),
                "force_quick_gelu": bool(cfg.get("quick_gelu")),
            }
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(model_name, pretrained=checkpoint, **options)
        except Exception as exc:  # noqa: BLE001 - corrupt file or a checkpoint for another architecture
            raise _unavailable(model_name, pretrained, f"loading {checkpoint} failed: {exc}") from exc
        return model, preprocess, model_id

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Embed images in batched forward passes; returns unit-length float32 rows in input order."""
        import torch

        rows = []
        with torch.inference_mode():
            for start in range(0, len(images), BATCH_SIZE):
                pixels = torch.stack([self._preprocess(image) for image in images[start : start + BATCH_SIZE]])
                rows.append(self._model.encode_image(pixels.to(self._dtype)).float().numpy())
        return _unit_rows(rows)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts in batched forward passes; returns unit-length float32 rows in input order."""
        import torch

        rows = []
        with torch.inference_mode():
            for start in range(0, len(texts), BATCH_SIZE):
                tokens = self._tokenizer(list(texts[start : start + BATCH_SIZE]))
                rows.append(self._model.encode_text(tokens).float().numpy())
        return _unit_rows(rows)


def _unit_rows(chunks: list[np.ndarray]) -> np.ndarray:
    # Normalised here, after the cast to float32, so bf16 rows are unit length at full precision too.
    if not chunks:
        return np.empty((0, EMBEDDING_DIM), dtype=np.float32)
    rows = np.concatenate(chunks).astype(np.float32, copy=False)
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return rows


@functools.cache
def get_encoder() -> Encoder:
    """Build the encoder named by settings.GALLERY_ENCODER from the CLIP_* settings, once per process."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    encoder_class = import_string(getattr(settings, "GALLERY_ENCODER", "gallery.embeddings.ClipEncoder"))
    return encoder_class(
        model_name=getattr(settings, "CLIP_MODEL", "ViT-B-32"),
        pretrained=getattr(settings, "CLIP_PRETRAINED", "laion2b_s34b_b79k"),
        on_missing_weights=getattr(settings, "CLIP_ON_MISSING_WEIGHTS", "error"),
        precision=getattr(settings, "CLIP_PRECISION", "fp32"),
        threads=getattr(settings, "CLIP_THREADS", None),
    )


def active_model_id() -> str:
    """Return the model_id of this process's encoder (builds the encoder on first use)."""
    return get_encoder().model_id
