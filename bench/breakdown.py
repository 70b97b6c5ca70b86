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
    """One query at a time: open_clip's padded 77-token encode_text against the short-token path (fp32, bf16) and
    the int8 text tower that search queries use (CLIP_QUERY_INT8); cosines are to the padded fp32 vectors."""
    import torch
    from django.conf import settings

    from gallery.clip import ClipEncoder

    result: dict = {}
    fp32_padded: dict[str, np.ndarray] = {}
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
                    reference /= np.linalg.norm(reference)
                    fp32_padded.setdefault(text, reference)  # the fp32 pass comes first
                    cosines.append(float(np.dot(vector, fp32_padded[text])))
        result[precision] = {"padded": latency_summary(padded), "short": latency_summary(short),
                             "cosine_min": min(cosines)}
    encoder = ClipEncoder(pretrained="untrained", precision="bf16", query_int8=True, cache_dir=settings.CLIP_CACHE_DIR)
    encoder.encode_query("a warm-up query")  # builds or loads the int8 tower
    int8, cosines = [], []
    for _ in range(rounds):
        for text in texts:
            tokens = encoder._tokenize_query(text)
            start = time.perf_counter()
            vector = encoder._encode_query_rows([tokens])[0]  # uncached
            int8.append(time.perf_counter() - start)
            cosines.append(float(np.dot(vector, fp32_padded[text])))
    result["int8"] = {"runtime": encoder.query_runtime, "short": latency_summary(int8), "cosine_min": min(cosines),
                      "cosine_mean": float(np.mean(cosines))}
    reference = result["fp32"]["padded"]["p50_ms"]
    result["speedup_p50"] = {name: reference / result[name]["short"]["p50_ms"] for name in ("fp32", "bf16", "int8")}
    return result


def search_steps(texts: list[str], *, k: int) -> dict:
    """The search service's steps for each text: encode the query, its keyword matches (None, and no ranking, when too
    many works have its words), nearest rows, their artists' other works."""
    from gallery.clip import get_encoder
    from gallery.models import Artwork
    from gallery.services import keywords, query_parsing, results, search

    encoder = get_encoder()
    searchable = Artwork.objects.searchable(encoder.model_id)
    steps: dict[str, list[float]] = {"encode": [], "keywords": [], "artwork_search": [], "more_by_artist": []}
    for text in texts:
        start = time.perf_counter()
        vector = query_parsing.query_vector(text=text, encoder=encoder)
        steps["encode"].append(time.perf_counter() - start)
        start = time.perf_counter()
        keywords.keyword_matches(text, queryset=searchable)
        steps["keywords"].append(time.perf_counter() - start)
        start = time.perf_counter()
        hits = search.artwork_search(vector=vector, k=k + 1, model_id=encoder.model_id)
        steps["artwork_search"].append(time.perf_counter() - start)
        start = time.perf_counter()
        results.attach_more_by_artist(hits)
        steps["more_by_artist"].append(time.perf_counter() - start)
        if len(hits) != k + 1:
            raise RuntimeError(f"search for {text!r} found {len(hits)} rows, not {k + 1}")
    return {name: latency_summary(values) for name, values in steps.items()}


def image_steps(uploads: list[bytes], *, k: int) -> dict:
    """An image search's steps: check and decode the upload, encode it, look for a stored reproduction, search."""
    import io

    from gallery import images
    from gallery.clip import get_encoder
    from gallery.services import query_parsing, recognition, search

    encoder = get_encoder()
    steps: dict[str, list[float]] = {"check_image": [], "encode": [], "artwork_in_collection": [],
                                     "artwork_search": []}
    for upload in uploads:
        start = time.perf_counter()
        checked = images.check_image(io.BytesIO(upload))
        steps["check_image"].append(time.perf_counter() - start)
        start = time.perf_counter()
        vector = query_parsing.query_vector(image=checked.image, encoder=encoder)
        steps["encode"].append(time.perf_counter() - start)
        start = time.perf_counter()
        recognition.artwork_in_collection(checked.image, model_id=encoder.model_id)
        steps["artwork_in_collection"].append(time.perf_counter() - start)
        start = time.perf_counter()
        search.artwork_search(vector=vector, k=k + 1, model_id=encoder.model_id)
        steps["artwork_search"].append(time.perf_counter() - start)
    return {name: latency_summary(values) for name, values in steps.items()}
