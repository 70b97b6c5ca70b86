"""An int8 copy of CLIP's text tower in ONNX Runtime, for search queries (setting CLIP_QUERY_INT8).

A short query reads every weight of the text tower once, so its time is the time to read them: 76 MB in bf16,
38 MB in int8, run by ONNX Runtime's VNNI kernels (timings in bench/README.md). Built once per model from the fp32
weights (export and quantisation take seconds) and kept on disk for every later process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gallery.clip.base import unit_rows
from gallery.clip.text_tower import text_features

logger = logging.getLogger(__name__)

# Bumped when the export or the quantisation changes, so that files built the old way are not reused.
FORMAT_VERSION = 1
# Where the wrapper keeps the model: its attribute name becomes the prefix of the exported graph's name scopes.
TOWER = "tower"
# The first block stays fp32: quantising it cost most of the fidelity (min cosine to fp32 over 500 queries 0.99896
# with it, 0.99925 without it, on untrained weights) for a small part of the time (bench/README.md).
FP32_SCOPES = (f"{TOWER}.transformer.resblocks.0",)
NAME_SCOPES_KEY = "pkg.torch.onnx.name_scopes"


def cache_path(cache_dir: Path, model_id: str) -> Path:
    """The file for a model, keyed by everything that changes the exported graph or its weights."""
    import onnxruntime
    import open_clip
    import torch

    key = f"{model_id}|open_clip {open_clip.__version__}|torch {torch.__version__}|ort {onnxruntime.__version__}"
    digest = hashlib.sha256(f"{key}|format {FORMAT_VERSION}".encode()).hexdigest()[:16]
    return Path(cache_dir) / f"text-int8-{digest}.onnx"


def load_or_build(path: Path, fp32_model: Callable[[], Any], *, threads: int) -> Int8TextTower:
    """Open the int8 text tower at `path`, building it first from `fp32_model()` if no process has yet.

    Processes starting together (gunicorn workers) wait on a lock file instead of each exporting the model.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.with_suffix(".lock")):
        if not path.exists():
            build(fp32_model(), path)
    return Int8TextTower(path, threads=threads)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _short_text_module(model: Any):
    """The text tower as a module of cut token rows (B, L), L up to end-of-text: what the export traces."""
    import torch

    class ShortText(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            setattr(self, TOWER, model)

        def forward(self, tokens):
            return text_features(getattr(self, TOWER), tokens)

    return ShortText().eval()


def build(model: Any, path: Path) -> None:
    """Export the fp32 text tower of an open_clip CLIP with any batch and length, quantise it, write `path`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from torch.export import Dim

    logger.warning("Building the int8 text encoder for search queries at %s (once per model, about 15 s).", path)
    example = torch.tensor([[49406, 320, 49407]])  # start, "a", end: any short row traces the same graph
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        exported = Path(scratch) / "text-fp32.onnx"
        with torch.inference_mode(False), torch.no_grad():
            torch.onnx.export(_short_text_module(model.float()), (example,), str(exported), input_names=["tokens"],
                              output_names=["features"], dynamo=True, external_data=False, verbose=False,
                              dynamic_shapes={"tokens": {0: Dim("rows", max=1024), 1: Dim("length", min=2, max=77)}})
        partial = Path(scratch) / "text-int8.onnx"
        # Per-channel int8 weights; activations are quantised per call, over the whole input of each product.
        quantize_dynamic(str(exported), str(partial), weight_type=QuantType.QInt8, per_channel=True,
                         nodes_to_exclude=_nodes_in_scopes(exported, FP32_SCOPES))
        os.replace(partial, path)  # atomic: a reader never sees half a file


def _nodes_in_scopes(onnx_path: Path, scopes: Sequence[str]) -> list[str]:
    import onnx

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    names = [node.name for node in graph.node
             if any(prop.key == NAME_SCOPES_KEY and any(f"'{scope}'" in prop.value for scope in scopes)
                    for prop in node.metadata_props)]
    if not names:  # a torch release that names scopes differently: fail rather than quantise what should not be
        raise RuntimeError(f"no node of {onnx_path.name} is in {scopes}; the exporter's name scopes changed")
    return names


class Int8TextTower:
    """Unit-length float32 text vectors from token rows, one ONNX Runtime call per row."""

    def __init__(self, path: Path, *, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        # gunicorn threads and PostgreSQL want the core back as soon as a query is encoded, not after a spin.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = path
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode_rows(self, token_rows: Sequence[tuple[int, ...]]) -> np.ndarray:
        """Each row alone: activations are quantised over a call's whole input, so a query batched with others would
        get a slightly different vector, and the query cache would keep whichever came first."""
        return unit_rows([self._session.run(None, {"tokens": np.asarray([tokens], dtype=np.int64)})[0]
                          for tokens in token_rows])
