"""ClipEncoder: an open_clip model on the CPU, batch-first; torch and open_clip are imported when one is built."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gallery.clip import weights
from gallery.clip.base import EMBEDDING_DIM, BaseEncoder, WeightsUnavailable, unit_rows
from gallery.clip.config import DEFAULTS
from gallery.clip.cpu import resolve_precision
from gallery.clip.device import BATCH_SIZES, resolve_device
from gallery.clip.query_batching import QueryBatcher
from gallery.clip.text_tower import supports_short_text, text_features

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

# Recent search texts per process; a 512-d float32 vector is 2 KB, so 1024 of them cost 2 MB.
QUERY_CACHE_SIZE = 1024


class ClipEncoder(BaseEncoder):
    """open_clip model on CPU; batch-first, with a deterministic untrained fallback when weights are missing."""

    def __init__(
        self,
        *,
        model_name: str = DEFAULTS.model_name,
        pretrained: str = DEFAULTS.pretrained,
        on_missing_weights: str = DEFAULTS.on_missing_weights,
        precision: str = DEFAULTS.precision,
        threads: int | None = DEFAULTS.threads,
        query_int8: bool = DEFAULTS.query_int8,
        cache_dir: str | Path | None = DEFAULTS.cache_dir,
        device: str = DEFAULTS.device,
    ) -> None:
        if on_missing_weights not in ("error", "untrained"):
            raise ValueError(f"CLIP_ON_MISSING_WEIGHTS must be 'error' or 'untrained', not {on_missing_weights!r}")
        self.device = resolve_device(device)
        self.batch_size = BATCH_SIZES[self.device]
        # On a GPU "auto" is bf16 where it computes in bf16 natively; the CPU flags say nothing about a GPU.
        precision = resolve_precision(precision) if self.device == "cpu" or precision != "auto" else (
            "bf16" if _gpu_bf16() else "fp32")
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
            self.is_pretrained = pretrained != weights.UNTRAINED
        except WeightsUnavailable as exc:
            if on_missing_weights == "error":
                raise
            self.fallback_reason = str(exc)
            model, preprocess, self.model_id = self._load(model_name, weights.UNTRAINED)
            self._weights = weights.UNTRAINED
            self.is_pretrained = False
            logger.warning(
                "Falling back to UNTRAINED CLIP weights (%s): search results are NOT semantic. %s",
                self.model_id,
                exc,
            )
        # The model_id deliberately ignores precision: bf16 rows have cosine >= 0.9999 to fp32 rows, so both
        # precisions share one vector space and switching CLIP_PRECISION must not re-queue every artwork.
        self._dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        self._model = model.to(device=self.device, dtype=self._dtype).eval()
        # oneDNN's prepacked layers are a CPU path (gallery/clip/prepacked.py).
        self.text_prepacked = self.device == "cpu" and precision == "bf16" and _prepack_text(self._model)
        self._preprocess = preprocess
        self._pil_steps, self._mean, self._std = _split_preprocess(preprocess)
        self._tokenizer = open_clip.get_tokenizer(model_name)
        self._short_text = supports_short_text(model)
        # Search queries go through an int8 copy of the text tower when asked and given a cache_dir
        # (gallery/clip/query_int8.py), built on the first query so that processes which never search (Celery
        # workers) never load it. It exports the short-token path, so a model without one keeps torch.
        use_int8 = query_int8 and cache_dir is not None and self._short_text
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
        source = weights.weights_source(model_name, pretrained)
        if source == "untrained":
            # fork_rng keeps the caller's global RNG state untouched while pinning the initialisation.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(weights.UNTRAINED_SEED)
                model, _, preprocess = open_clip.create_model_and_transforms(model_name, pretrained=None)
            return model, preprocess, f"{model_name}/untrained-seed{weights.UNTRAINED_SEED}"
        if source == "file":
            path = Path(pretrained).expanduser()
            if not path.is_file():
                raise weights.unavailable(model_name, pretrained, f"checkpoint file {path} does not exist")
            checkpoint = str(path)
            # Content-addressed, so replacing the file changes the identity and stale vectors get re-embedded.
            model_id = f"{model_name}/file-{weights.file_sha256(path)[:12]}"
        else:
            checkpoint = weights.download_tag(model_name, pretrained)
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
            raise weights.unavailable(model_name, pretrained, f"loading {checkpoint} failed: {exc}") from exc
        return model, preprocess, model_id

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Embed images in batched forward passes; returns unit-length float32 rows in input order."""
        import torch

        rows = []
        with torch.inference_mode():
            for start in range(0, len(images), self.batch_size):
                pixels = self._pixels(images[start : start + self.batch_size])
                features = self._model.encode_image(pixels.to(device=self.device, dtype=self._dtype))
                rows.append(features.float().cpu().numpy())
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
            for start in range(0, len(texts), self.batch_size):
                tokens = self._tokenizer(list(texts[start : start + self.batch_size]))
                rows.append(self._encode_tokens(tokens).float().cpu().numpy())
        return unit_rows(rows)

    def encode_query(self, text: str) -> np.ndarray:
        """One search text's unit vector (read-only), from an LRU cache keyed by its tokens ("Sea " = "sea").

        Misses go through the query batcher: texts searched at the same moment share one forward pass.
        """
        return self._query_vector(self._query_tokens(text))

    def _tokenize_query(self, text: str) -> tuple[int, ...]:
        """A text's tokens up to end-of-text. Cached by text too: tokenizing (ftfy's repairs) is most of what a
        cached query costs."""
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

        from gallery.clip import query_int8

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
            return unit_rows([self._encode_tokens(batch).float().cpu().numpy()])

    def _encode_tokens(self, tokens):
        """encode_text on the tokens up to the batch's last end-of-text instead of the 77-token padded context.

        The text transformer is causal, so a position never attends to the padding after it: the pooled end-of-text
        features are the same (tests check cosine >= 0.9999) at a fraction of the cost, since queries are short.
        """
        tokens = tokens.to(self.device)
        if not self._short_text:
            return self._model.encode_text(tokens)
        length = int(tokens.argmax(dim=-1).max()) + 1  # end-of-text has the highest token id
        return text_features(self._model, tokens[:, :length])


def _int8_path(cache_dir: str | Path, model_id: str) -> Path | None:
    from gallery.clip import query_int8

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
    """Lay the text tower's weights out once for oneDNN (gallery/clip/prepacked.py): bf16 queries only, fp32 keeps MKL."""
    from gallery.clip.prepacked import prepack_text_tower

    return prepack_text_tower(model)


def _gpu_bf16() -> bool:
    import torch

    return torch.cuda.is_bf16_supported()
