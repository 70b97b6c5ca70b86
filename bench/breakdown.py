"""Where a search's time goes, measured in this process against the same database (no HTTP; templates only in
the page's floor)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

import numpy as np

from bench.stats import latency_summary, median


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


def page_floor(texts: list[str], *, k: int, ef_search: int, encoder, page: Callable[[str], float],
               around: Callable[[], float]) -> dict:
    """What bounds a text-search page of this stack, for each text in turn beside the page itself (`page(text)`: its
    seconds over HTTP), so that the machine's drift hits both alike: the page around the results (`around()`: the
    page without a query over HTTP), and in this process the query encoded as a web worker encodes it (`encoder`,
    uncached), the index scan for the page's rows (their ids only, with the search's index settings) and the page's
    results rendered (its `k` cards and the artists panel). "floor" sums those four for each text. More-by-artist and
    the keyword reads are left out: the page could do without the first, and it overlaps the second with the
    encoding."""
    from urllib.parse import urlencode

    from django.db import connection, transaction
    from django.template.loader import render_to_string
    from django.test import override_settings

    from gallery.querysets import SearchFilters
    from gallery.services import index_scan, results, search

    parts: dict[str, list[float]] = {"page": [], "around": [], "encode": [], "scan": [], "render": []}
    with override_settings(GALLERY_HNSW_EF_SEARCH=ef_search):
        for text in texts:
            parts["page"].append(page(text))
            parts["around"].append(around())
            start = time.perf_counter()
            vector = encoder._encode_query_rows([encoder._tokenize_query(text)])[0]
            parts["encode"].append(time.perf_counter() - start)
            nearest = search.nearest_queryset(vector, filters=SearchFilters(), model_id=encoder.model_id, depth=k + 1)
            sql, params = nearest.values_list("pk", flat=True)[:k + 1].query.sql_with_params()
            with transaction.atomic(), index_scan.index_scan_settings(ef_search=ef_search, model_id=encoder.model_id):
                with connection.cursor() as cursor:
                    start = time.perf_counter()
                    cursor.execute(sql, params)
                    found = cursor.fetchall()
                    parts["scan"].append(time.perf_counter() - start)
            shown = search.search_page(query=search.SearchQuery(text=text), k=k)
            if len(found) != k + 1 or len(shown.hits) != k:
                raise RuntimeError(f"search for {text!r} found {len(found)} ids and {len(shown.hits)} results")
            results.attach_more_by_artist(shown.hits)
            query = urlencode({"q": text, "k": k})
            start = time.perf_counter()
            render_to_string("includes/_results.html", {"result": shown, "page_query": query, "reveal_query": query,
                                                          "filters": SearchFilters()})
            parts["render"].append(time.perf_counter() - start)
    floor = [sum(values) for values in zip(*(parts[name] for name in ("around", "encode", "scan", "render")))]
    return {"texts": len(texts), "k": k, **{name: latency_summary(values) for name, values in parts.items()},
            "floor": latency_summary(floor), "floor_share": median([f / p for f, p in zip(floor, parts["page"])])}
