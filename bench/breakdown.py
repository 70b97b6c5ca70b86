"""Where a search's time goes, measured in this process against the same database (no HTTP, no template)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import numpy as np

from bench.stats import latency_summary


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with `count` torch threads, as a web worker configured with CLIP_THREADS does."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def text_encoding(texts: list[str], *, rounds: int = 3) -> dict:
    """One query at a time: open_clip's padded 77-token encode_text against the short-token path, fp32 and bf16."""
    import torch

    from gallery.embeddings import ClipEncoder

    result: dict = {}
    for precision in ("fp32", "bf16"):
        encoder = ClipEncoder(pretrained="untrained", precision=precision)
        padded, short, cosines = [], [], []
        with torch.inference_mode():
            for _ in range(rounds):
                for text in texts:  # alternating, so noise hits both paths alike
                    tokens = encoder._tokenizer([text])
                    start = time.perf_counter()
                    reference = encoder._model.encode_text(tokens).float().numpy()[0]
                    padded.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    vector = encoder.encode_texts([text])[0]
                    short.append(time.perf_counter() - start)
                    cosines.append(float(np.dot(vector, reference / np.linalg.norm(reference))))
        result[precision] = {"padded": latency_summary(padded), "short": latency_summary(short),
                             "cosine_min": min(cosines)}
    reference = result["fp32"]["padded"]["p50_ms"]
    result["speedup_p50"] = {name: reference / result[name]["short"]["p50_ms"] for name in ("fp32", "bf16")}
    return result


def search_steps(texts: list[str], *, k: int) -> dict:
    """The search service's steps for each text: encode the query, nearest rows, their artists' other works."""
    from gallery.embeddings import get_encoder
    from gallery.services import search

    encoder = get_encoder()
    steps: dict[str, list[float]] = {"encode": [], "artwork_search": [], "more_by_artist": []}
    for text in texts:
        start = time.perf_counter()
        vector = search.query_vector(text=text, encoder=encoder)
        steps["encode"].append(time.perf_counter() - start)
        start = time.perf_counter()
        hits = search.artwork_search(vector=vector, k=k + 1, model_id=encoder.model_id)
        steps["artwork_search"].append(time.perf_counter() - start)
        start = time.perf_counter()
        search.attach_more_by_artist(hits)
        steps["more_by_artist"].append(time.perf_counter() - start)
        if len(hits) != k + 1:
            raise RuntimeError(f"search for {text!r} found {len(hits)} rows, not {k + 1}")
    return {name: latency_summary(values) for name, values in steps.items()}


def image_steps(uploads: list[bytes], *, k: int) -> dict:
    """An image search's steps: check and decode the upload, encode it, look for a stored reproduction, search."""
    import io

    from gallery import images
    from gallery.embeddings import get_encoder
    from gallery.services import search

    encoder = get_encoder()
    steps: dict[str, list[float]] = {"check_image": [], "encode": [], "artwork_in_collection": [],
                                     "artwork_search": []}
    for upload in uploads:
        start = time.perf_counter()
        checked = images.check_image(io.BytesIO(upload))
        steps["check_image"].append(time.perf_counter() - start)
        start = time.perf_counter()
        vector = search.query_vector(image=checked.image, encoder=encoder)
        steps["encode"].append(time.perf_counter() - start)
        start = time.perf_counter()
        search.artwork_in_collection(checked.image, model_id=encoder.model_id)
        steps["artwork_in_collection"].append(time.perf_counter() - start)
        start = time.perf_counter()
        search.artwork_search(vector=vector, k=k + 1, model_id=encoder.model_id)
        steps["artwork_search"].append(time.perf_counter() - start)
    return {name: latency_summary(values) for name, values in steps.items()}
