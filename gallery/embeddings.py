"""CLIP embeddings behind a small `Encoder` protocol; torch and open_clip are imported lazily."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from gallery.query_batching import QueryBatcher

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

EMBEDDING_DIM = 512
UNTRAINED = "untrained"
# The untrained weights are a pure function of this seed, so web and worker processes share one vector space.
UNTRAINED_SEED = 0
# Bounds peak activation memory of a forward pass; one chunk is still a single batched call.
BATCH_SIZE = 32
# "auto" is bf16 where the CPU multiplies bf16 natively (AVX-512 BF16, AMX), else fp32 (emulated bf16 is slower).
PRECISIONS = ("auto", "fp32", "bf16")
FAST_BF16_CPU_FLAGS = {"avx512_bf16", "amx_bf16"}
CPUINFO = Path("/proc/cpuinfo")
# Recent search texts per process; a 512-d float32 vector is 2 KB, so 1024 of them cost 2 MB.
QUERY_CACHE_SIZE = 1024
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


def fast_bf16_available() -> bool:
    """Whether this CPU has native bf16 matrix instructions (read from /proc/cpuinfo; False where that is missing)."""
    try:
        flags = CPUINFO.read_text().split()
    except OSError:
        return False
    return not FAST_BF16_CPU_FLAGS.isdisjoint(flags)


def resolve_precision(precision: str) -> str:
    """CLIP_PRECISION as the encoder runs it: "auto" becomes "bf16" or "fp32" for this CPU."""
    if precision not in PRECISIONS:
        raise ValueError(f"CLIP_PRECISION must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "auto":
        return "bf16" if fast_bf16_available() else "fp32"
    return precision


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
        query_int8: bool = False,
        cache_dir: str | Path | None = None,
    ) -> None:
        if query_int8 and cache_dir is None:
            raise ValueError("query_int8 needs a cache_dir for the int8 text tower (setting CLIP_CACHE_DIR)")
        if on_missing_weights not in ("error", "untrained"):
            raise ValueError(f"CLIP_ON_MISSING_WEIGHTS must be 'error' or 'untrained', not {on_missing_weights!r}")
        precision = resolve_precision(precision)
        import open_clip
        import torch

        if threads:
            # Process-wide; Celery workers and gunicorn set it to share the cores between processes.
            torch.set_num_threads(threads)
        self.model_name = model_name
        self.precision = precision
        self.fallback_reason: str | None = None
        self._weights = pretrained
        try:
            model, preprocess, self.model_id = self._load(model_name, pretrained)
            self.is_pretrained = pretrained != UNTRAINED
        except WeightsUnavailable as exc:
            if on_missing_weights == "error":
                raise
            self.fallback_reason = str(exc)
            model, preprocess, self.model_id = self._load(model_name, UNTRAINED)
            self._weights = UNTRAINED
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
        self.text_prepacked = precision == "bf16" and _prepack_text(self._model)
        self._preprocess = preprocess
        self._pil_steps, self._mean, self._std = _split_preprocess(preprocess)
        self._tokenizer = open_clip.get_tokenizer(model_name)
        self._short_text = _supports_short_text(model)
        # Search queries go through an int8 copy of the text tower when asked (gallery/query_int8.py), built on the
        # first query so that processes which never search (Celery workers) never load it. It exports the
        # short-token path, so a model without one keeps torch.
        use_int8 = query_int8 and self._short_text
        self._query_int8_path = _int8_path(cache_dir, self.model_id) if use_int8 else None
        self._int8_tower = None
        self.query_batcher = QueryBatcher(self._encode_query_rows)
        self._query_vector = functools.lru_cache(maxsize=QUERY_CACHE_SIZE)(self._encode_query_tokens)
        self._query_tokens = functools.lru_cache(maxsize=QUERY_CACHE_SIZE)(self._tokenize_query)
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
                pixels = self._pixels(images[start : start + BATCH_SIZE])
                rows.append(self._model.encode_image(pixels.to(self._dtype)).float().numpy())
        return unit_rows(rows)

    def shrink_for_encoding(self, image: Image.Image) -> Image.Image:
        """The preprocessing's resize and crop alone: a small image that encodes to the same vector, bit for bit.

        A bulk import keeps this instead of the larger working copy while its batch waits for the encoder.
        """
        for step in self._pil_steps or ():
            image = step(image)
        return image

    def _pixels(self, images: Sequence[Image.Image]):
        """The preprocess transform for a batch: PIL steps per image, then to-tensor and Normalize once per batch.

        Identical numbers to running the whole transform per image, without five small tensor ops per image, which
        cost more than the resize itself (and far more when another process keeps the cores busy).
        """
        import torch

        if self._pil_steps is None:
            return torch.stack([self._preprocess(image) for image in images])
        arrays = []
        for image in images:
            for step in self._pil_steps:
                image = step(image)
            arrays.append(np.asarray(image, dtype=np.uint8))
        if any(array.ndim != 3 or array.shape != arrays[0].shape or array.shape[2] != 3 for array in arrays):
            return torch.stack([self._preprocess(image) for image in images])  # an unusual mode: the plain path
        batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).to(torch.float32).div_(255)
        return batch.sub_(self._mean).div_(self._std)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts in batched forward passes; returns unit-length float32 rows in input order."""
        import torch

        rows = []
        with torch.inference_mode():
            for start in range(0, len(texts), BATCH_SIZE):
                tokens = self._tokenizer(list(texts[start : start + BATCH_SIZE]))
                rows.append(self._encode_tokens(tokens).float().numpy())
        return unit_rows(rows)

    def encode_query(self, text: str) -> np.ndarray:
        """One search text's unit vector (read-only), from an LRU cache keyed by its tokens ("Sea " = "sea").

        Misses go through the query batcher: texts searched at the same moment share one forward pass.
        """
        return self._query_vector(self._query_tokens(text))

    def _tokenize_query(self, text: str) -> tuple[int, ...]:
        """A text's tokens up to end-of-text. Cached by text too: tokenizing takes about 0.5 ms (ftfy's repairs)."""
        tokens = self._tokenizer([text])[0]
        return tuple(tokens[: int(tokens.argmax()) + 1].tolist())

    def _encode_query_tokens(self, tokens: tuple[int, ...]) -> np.ndarray:
        vector = self.query_batcher.encode(tokens)
        vector.setflags(write=False)  # shared by every later hit of the cache
        return vector

    @property
    def query_runtime(self) -> str:
        """What encodes search queries: the int8 text tower while it is on and has not failed, else torch."""
        return "onnxruntime-int8" if self._query_int8_path is not None else f"torch-{self.precision}"

    def _encode_query_rows(self, token_rows: Sequence[tuple[int, ...]]) -> np.ndarray:
        """The query batcher's forward pass: the int8 text tower when it is on and could be built, else torch."""
        if self._query_int8_path is not None and self._int8_tower is None:
            self._int8_tower = self._open_int8_tower()
        if self._int8_tower is not None:
            return self._int8_tower.encode_rows(token_rows)
        return self._encode_token_rows(token_rows)

    def _open_int8_tower(self):
        """Load (or build once) the int8 text tower; on failure, say so and keep the torch text tower."""
        import torch

        from gallery import query_int8

        try:
            return query_int8.load_or_build(self._query_int8_path, lambda: self._load(self.model_name, self._weights)[0],
                                            threads=torch.get_num_threads())
        except Exception:  # noqa: BLE001 - export, quantisation or ONNX Runtime: queries still work, only slower
            logger.exception("The int8 text encoder could not be built or loaded (%s); search queries use torch "
                             "at CLIP_PRECISION instead.", self._query_int8_path)
            self._query_int8_path = None
            return None

    def _encode_token_rows(self, token_rows: Sequence[tuple[int, ...]]) -> np.ndarray:
        """Unit vectors of texts given as tokens cut after end-of-text; zeros pad them, as the tokenizer does."""
        import torch

        batch = torch.zeros((len(token_rows), max(map(len, token_rows))), dtype=torch.long)
        for row, tokens in enumerate(token_rows):
            batch[row, : len(tokens)] = torch.tensor(tokens)
        with torch.inference_mode():
            return unit_rows([self._encode_tokens(batch).float().numpy()])

    def _encode_tokens(self, tokens):
        """encode_text on the tokens up to the batch's last end-of-text instead of the 77-token padded context.

        The text transformer is causal, so a position never attends to the padding after it: the pooled end-of-text
        features are the same (tests check cosine >= 0.9999) at a fraction of the cost, since queries are short.
        """
        if not self._short_text:
            return self._model.encode_text(tokens)
        length = int(tokens.argmax(dim=-1).max()) + 1  # end-of-text has the highest token id
        return text_features(self._model, tokens[:, :length])


def text_features(model: Any, tokens):
    """open_clip's encode_text for token rows already cut after their end-of-text (all rows one length, zero-padded).

    Also what gallery/query_int8.py exports, so both text encoders compute the same function.
    """
    import torch
    from open_clip.transformer import text_global_pool

    length = tokens.shape[1]
    cast_dtype = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast_dtype) + model.positional_embedding[:length].to(cast_dtype)
    x = model.transformer(x, attn_mask=model.attn_mask[:length, :length])
    x = text_global_pool(model.ln_final(x), tokens, model.text_pool_type)
    projection = model.text_projection
    if projection is None:
        return x
    return projection(x) if isinstance(projection, torch.nn.Linear) else x @ projection


def _int8_path(cache_dir: str | Path, model_id: str) -> Path | None:
    from gallery import query_int8

    try:
        return query_int8.cache_path(Path(cache_dir), model_id)
    except ImportError as exc:  # onnxruntime missing from this environment
        logger.error("CLIP_QUERY_INT8 is on but ONNX Runtime is unavailable (%s); search queries use torch.", exc)
        return None


def _split_preprocess(preprocess: Any) -> tuple[list | None, Any, Any]:
    """(PIL steps, mean, std) of a Compose ending in to-tensor + Normalize, or (None, None, None) for anything else."""
    import torch
    from torchvision import transforms

    *pil_steps, to_tensor, normalize = getattr(preprocess, "transforms", None) or [None, None]
    if type(to_tensor).__name__ not in ("ToTensor", "MaybeToTensor") or not isinstance(normalize, transforms.Normalize):
        return None, None, None
    mean = torch.tensor(normalize.mean, dtype=torch.float32)[:, None, None]
    std = torch.tensor(normalize.std, dtype=torch.float32)[:, None, None]
    return pil_steps, mean, std


def _prepack_text(model: Any) -> bool:
    """Lay the text tower's weights out once for oneDNN (gallery/prepacked.py): bf16 queries only, fp32 keeps MKL."""
    from gallery.prepacked import prepack_text_tower

    return prepack_text_tower(model)


def _supports_short_text(model: Any) -> bool:
    """Whether encode_text can stop at end-of-text: open_clip's CLIP with a causal mask and end-of-text pooling."""
    needed = ("token_embedding", "positional_embedding", "transformer", "ln_final", "text_projection")
    return (all(hasattr(model, name) for name in needed) and getattr(model, "attn_mask", None) is not None
            and getattr(model, "text_pool_type", None) == "argmax")


def unit_rows(chunks: list[np.ndarray]) -> np.ndarray:
    """Chunks of embedding rows as one float32 array of unit-length rows (also the int8 text tower's output)."""
    # Normalised here, after the cast to float32, so bf16 rows are unit length at full precision too.
    if not chunks:
        return np.empty((0, EMBEDDING_DIM), dtype=np.float32)
    rows = np.concatenate(chunks).astype(np.float32, copy=False)
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return rows


_encoder_lock = threading.Lock()


def get_encoder() -> Encoder:
    """The encoder named by settings.GALLERY_ENCODER, built from the CLIP_* settings once per process.

    Threads that ask while it is being built wait for it rather than building a second model (2 s and 600 MB).
    """
    with _encoder_lock:
        return _build_encoder()


@functools.cache
def _build_encoder() -> Encoder:
    from django.conf import settings
    from django.utils.module_loading import import_string

    encoder_class = import_string(getattr(settings, "GALLERY_ENCODER", "gallery.embeddings.ClipEncoder"))
    return encoder_class(
        model_name=getattr(settings, "CLIP_MODEL", "ViT-B-32"),
        pretrained=getattr(settings, "CLIP_PRETRAINED", "laion2b_s34b_b79k"),
        on_missing_weights=getattr(settings, "CLIP_ON_MISSING_WEIGHTS", "error"),
        precision=getattr(settings, "CLIP_PRECISION", "auto"),
        threads=getattr(settings, "CLIP_THREADS", None),
        query_int8=getattr(settings, "CLIP_QUERY_INT8", False),
        cache_dir=getattr(settings, "CLIP_CACHE_DIR", None),
    )


get_encoder.cache_clear = _build_encoder.cache_clear  # settings changed (tests): build anew on the next call


def encode_query_text(text: str, *, encoder: Encoder | None = None) -> np.ndarray:
    """The unit vector of one search text (this process's encoder by default), cached when the encoder caches queries."""
    encoder = encoder or get_encoder()
    encode_query = getattr(encoder, "encode_query", None)
    return encode_query(text) if encode_query is not None else encoder.encode_texts([text])[0]


def active_model_id() -> str:
    """Return the model_id of this process's encoder (builds the encoder on first use)."""
    return get_encoder().model_id
