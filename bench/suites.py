"""The benchmark phases with their sizes for `make bench` and `make bench-quick`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass
class Context:
    quick: bool
    var_dir: Path
    dataset: Path
    ef_search_1m: int | None = None  # what the configured index kind needed at 1M for recall@10 0.98 (compact_1m)

    @property
    def met_sample(self) -> Path:
        return self.dataset.parent / "met-sample"

    def shared_images(self) -> list[Path]:
        from gallery import kaggle

        return [image.path for image in kaggle.iter_images(kaggle.find_images_dir(self.dataset))]

    def clustered(self):
        """The clustered synthetic generator, centred on the product encoder's vectors of the shared images."""
        from bench.vectors import ClusteredVectors, base_embeddings

        return ClusteredVectors(base_embeddings(sorted(self.shared_images()), self.var_dir / "cache"))


def run_hnsw(context: Context) -> dict:
    from bench import hnsw
    from bench.vectors import UniformVectors

    if context.quick:
        return {"clustered_100k": hnsw.run(generator=context.clustered(), count=100_000, n_queries=100,
                                           configs=[(16, 64)], ef_values=[20, 40, 64, 100], exact_queries=5)}
    ef_values = [10, 20, 40, 64, 100, 160, 250, 400]
    runs = {
        "clustered_100k": dict(generator=context.clustered(), count=100_000, n_queries=300,
                               configs=[(16, 64), (16, 128), (24, 128)], ef_values=ef_values, exact_queries=30),
        "uniform_100k": dict(generator=UniformVectors(), count=100_000, n_queries=300, configs=[(16, 64)],
                             ef_values=ef_values, exact_queries=30),
    }
    return {name: hnsw.run(**options) for name, options in runs.items()}


COMPACT_KINDS = ["vector", "halfvec", "binary"]
COMPACT_EF = [20, 40, 64, 100, 200, 400]
COMPACT_RERANK = [100, 200, 400, 1000]


def run_compact(context: Context) -> dict:
    """Compact vector indexes side by side at 100k rows (bench/compact.py, issue 21)."""
    from bench import compact

    if context.quick:
        return {"100k": compact.run(generator=context.clustered(), count=100_000, n_queries=100, kinds=COMPACT_KINDS,
                                    ef_values=[40, 100], reranks=[200])}
    return {"100k": compact.run(generator=context.clustered(), count=100_000, n_queries=300, kinds=COMPACT_KINDS,
                                ef_values=COMPACT_EF, reranks=COMPACT_RERANK)}


def run_compact_1m(context: Context) -> dict:
    """The same at 1M rows (`--scale-1m`), after every other phase: its 2.7 GB table, indexes up to 2.6 GB and 5 GB
    of build memory push the gallery's rows and the CLIP weights out of the caches the timed phases rely on."""
    from django.conf import settings

    from bench import compact, scaling

    result = compact.run(generator=context.clustered(), count=1_000_000, n_queries=200, kinds=COMPACT_KINDS,
                         ef_values=[40, 64, 100, 200, 400], reranks=[200, 400, 1000])
    if point := scaling.best_point(result["kinds"][settings.GALLERY_VECTOR_INDEX]):
        context.ef_search_1m = point["ef_search"]
    return {"1m": result}


def run_compact_build_1m(context: Context) -> dict:
    """What a faster 1M build or a smaller index costs in recall (`--scale-1m`): halfvec with a smaller m or
    ef_construction. On 2 cores the build has one parallel worker beside the leader, so the graph's own work is what
    can shrink."""
    from bench import compact

    return {"1m": compact.run(generator=context.clustered(), count=1_000_000, n_queries=200,
                              kinds=["halfvec:16:40", "halfvec:12:64", "halfvec:12:40"], ef_values=[100, 200, 300, 400],
                              reranks=[])}


def warm_index(context: Context, ef_search: int, *, queries: int) -> int:
    """Bring the gallery's vector index into shared_buffers as a server's own traffic would (pg_prewarm is a contrib
    extension, absent here): the product's nearest query for `queries` synthetic vectors, none of them a timed one."""
    from django.db import transaction

    from gallery.clip import get_encoder
    from gallery.querysets import SearchFilters
    from gallery.services import index_scan, search

    model_id = get_encoder().model_id
    for vector in context.clustered().sample(queries, seed=77):
        with transaction.atomic(), index_scan.index_scan_settings(ef_search=ef_search, model_id=model_id):
            list(search.nearest_queryset(vector, filters=SearchFilters(), model_id=model_id, depth=TEXT_K)[:TEXT_K])
    return queries


def run_compact_2m(context: Context) -> dict:
    """2M rows (`--scale-2m`): the compact kinds only (a 2M `vector` index would not fit the bench's build memory)."""
    from bench import compact

    return {"2m": compact.run(generator=context.clustered(), count=2_000_000, n_queries=200,
                              kinds=["halfvec", "binary"], ef_values=[64, 100, 200, 400], reranks=[400, 1000])}


def run_text_1m(context: Context) -> dict:
    """The HTML text-search page over HTTP with 1M synthetic works in the gallery (`--scale-1m`), indexed as the
    product is configured (GALLERY_VECTOR_INDEX), served with the ef_search the 1M sweep found it needs for recall@10
    0.98 (GALLERY_HNSW_EF_SEARCH, as README "Sizing" tells an operator to set it): first right after the index was
    built (cold), then once the index is in shared_buffers, as on a server that has been answering for a while; then
    what bounds it on these cores (breakdown.page_floor), beside the page itself."""
    import os
    from dataclasses import asdict, replace
    from unittest import mock

    from django.conf import settings

    from bench import breakdown, http_bench, queries, server
    from gallery.clip import ClipConfig, ClipEncoder

    texts = queries.texts(4500, seed=3)
    result: dict = {"rows": ensure_scale(context, 1_000_000), "k": TEXT_K, "server": PRODUCTION_SERVER,
                    "ef_search": context.ef_search_1m or settings.GALLERY_HNSW_EF_SEARCH}
    with mock.patch.dict(os.environ, {"GALLERY_HNSW_EF_SEARCH": str(result["ef_search"])}):  # the served process's
        with server.gunicorn(context.var_dir, **PRODUCTION_SERVER) as (host, port, _):
            # Right after the build, most of the index is not in shared_buffers yet: each search reads its own.
            result["http_cold"] = http_bench.text_latency(host, port, texts[200:400], k=TEXT_K,
                                                          warmup=texts[4000:4030])
            result["warmed_by"] = warm_index(context, result["ef_search"], queries=3000)
            result["http"] = http_bench.text_latency(host, port, texts[:200], k=TEXT_K, warmup=[])
            # What bounds the page on these cores: its unavoidable parts, each alone, beside the page, for new texts.
            client = server.Client(host, port)
            with breakdown.torch_threads(PRODUCTION_SERVER["torch_threads"]):
                worker_config = replace(ClipConfig.from_settings(), threads=PRODUCTION_SERVER["torch_threads"])
                encoder = ClipEncoder(**asdict(worker_config))
                result["parts"] = breakdown.page_floor(
                    texts[400:600], k=TEXT_K, ef_search=result["ef_search"], encoder=encoder,
                    page=lambda text: http_bench.timed_get(client, server.search_path(text, TEXT_K),
                                                           marker=http_bench.RESULT_MARKER),
                    around=lambda: http_bench.timed_get(client, "/search/"))
            client.close()
    logger.info("text search at 1M rows: %s (floor %s)", result["http"], result["parts"]["floor"])
    return result


def run_neardup(context: Context) -> dict:
    """The near-duplicate lookup at 100k rows (last of the regular phases: it replaces the gallery's rows)."""
    from bench import neardup

    if context.quick:
        return {"100k": neardup.run(count=100_000, n_queries=100, full_scan_queries=10,
                                    marker=context.var_dir / "neardup.json")}
    return {"100k": neardup.run(count=100_000, n_queries=400, full_scan_queries=40, pairs=True,
                                marker=context.var_dir / "neardup.json")}


def run_neardup_1m(context: Context) -> dict:
    """The near-duplicate lookup at 1M rows (`--neardup-1m`, or with `--hnsw-1m`): a 1M-row gallery of hashes only."""
    from bench import neardup

    return {"1m": neardup.run(count=1_000_000, n_queries=400, full_scan_queries=20,
                              marker=context.var_dir / "neardup.json")}


def run_detail(context: Context) -> dict:
    """Detail search on the Met sample: baseline and product in one run, import rates, sizes (bench/detail.py)."""
    from bench import detail

    if context.quick:
        return detail.run(met_dir=context.met_sample, n_details=60, n_whole=20, rate_works=96,
                          sweep=[(32, 0), (16, 16)])
    # (by visual words, by vector): the product before the words index, words alone, and around the defaults.
    return detail.run(met_dir=context.met_sample, n_details=200, n_whole=50, rate_works=256,
                      sweep=[(0, 32), (16, 0), (32, 8), (64, 0), (32, 32)])


def run_iiif(context: Context) -> dict:
    """Deep-zoom tile generation cost per picture: Met paintings and one 6000 × 4000 picture (bench/iiif.py)."""
    from bench import iiif

    return iiif.run(met_dir=context.met_sample, count=5 if context.quick else 20)


def run_ingest(context: Context) -> dict:
    from bench import ingest

    if context.quick:
        return ingest.run(root=context.dataset, limit=128, batch32_limit=128, loop_limit=32, rounds=1)
    return ingest.run(root=context.dataset, limit=600, batch32_limit=300, loop_limit=100, rounds=3)


# Production web settings on this 2-core machine (see README "Benchmarks"): two gthread workers so one can encode
# while the other renders, four threads each so that database waits overlap and the query batcher
# (gallery/query_batching.py) has searches to batch under load, one torch thread per process so the two workers
# don't fight over the cores.
PRODUCTION_SERVER = {"workers": 2, "threads": 4, "torch_threads": 1}
TEXT_K = 24


def ensure_scale(context: Context, count: int) -> dict:
    """The gallery holding exactly `count` synthetic rows (reloaded unless the last load left them)."""
    import json

    from bench import scale
    from gallery.clip import get_encoder
    from gallery.models import Artwork

    marker = context.var_dir / "scale.json"
    model_id = get_encoder().model_id
    wanted = {"rows": count, "model_id": model_id, "generator": "clustered-v1", "catalogue": "met-sample-v1"}
    if marker.exists() and json.loads(marker.read_text()).get("wanted") == wanted:
        if Artwork.objects.filter(status="ready", embedding_model=model_id).count() == count:
            return {**json.loads(marker.read_text())["load"], "reused": True}
    marker.unlink(missing_ok=True)
    load = scale.load(generator=context.clustered(), count=count, model_id=model_id,
                      catalogue=scale.met_catalogue(context.met_sample / "objects.jsonl"))
    marker.write_text(json.dumps({"wanted": wanted, "load": load}))
    return load


def run_text(context: Context) -> dict:
    from django.conf import settings

    from bench import breakdown, http_bench, queries, server

    texts = queries.texts(4500, seed=1)
    per_size = 40 if context.quick else 200
    sizes = [10_000, 100_000]
    with breakdown.torch_threads(PRODUCTION_SERVER["torch_threads"]):
        encoding = breakdown.text_encoding(texts[:10] if context.quick else texts[:40])
    result: dict = {"k": TEXT_K, "server": PRODUCTION_SERVER, "queries_per_size": per_size, "encoding": encoding}
    for number, size in enumerate(sizes):
        measured = texts[number * 1000 : number * 1000 + per_size]  # distinct per size: no cache hit is possible
        warmup = texts[3000 + number * 100 : 3000 + number * 100 + 30]
        entry: dict = {"rows": ensure_scale(context, size)}
        # A running server's index is in shared_buffers, read there by its own traffic; one just built, or one of
        # rows reused by a database just started, is not (bench/README.md, "Where the time goes"): warm it alike.
        entry["index_warmed_by"] = warm_index(context, settings.GALLERY_HNSW_EF_SEARCH,
                                              queries=50 if context.quick else size // 100)
        with breakdown.torch_threads(PRODUCTION_SERVER["torch_threads"]):
            entry["steps"] = breakdown.search_steps(measured[:20] if context.quick else measured[:50], k=TEXT_K)
        with server.gunicorn(context.var_dir, **PRODUCTION_SERVER) as (host, port, _):
            entry["http"] = http_bench.text_latency(host, port, measured, k=TEXT_K, warmup=warmup)
            # Warmed on the same keep-alive connection, so the same worker (and its query cache) answers.
            entry["http_repeat"] = http_bench.text_latency(host, port, measured[:50], k=TEXT_K, warmup=measured[:50])
            # The same searches through the JSON API: the search stack without the HTML page around it.
            api_texts = texts[2000 + number * 1000 : 2000 + number * 1000 + per_size]
            entry["api"] = http_bench.text_latency(host, port, api_texts, k=TEXT_K, warmup=[], api=True)
        logger.info("text search at %d rows: %s", size, entry["http"])
        result[f"{size // 1000}k"] = entry
    return result


def run_image(context: Context) -> dict:
    """Image search at 100k synthetic works, each with a region vector and a real Met work's keypoints, so the
    product's whole picture path (regions, the keypoint check of the shortlist) is measured; and details of Met
    works as queries, in-process."""
    from bench import breakdown, detail, http_bench, server

    uploads = http_bench.megapixel_jpegs(sorted(context.shared_images())[::37], 8)
    result: dict = {"rows": ensure_scale(context, 100_000), "server": PRODUCTION_SERVER}
    result["details_added"] = detail.add_synthetic_details(
        blobs=detail.met_keypoint_blobs(context.met_sample, context.var_dir / "cache"))
    with breakdown.torch_threads(PRODUCTION_SERVER["torch_threads"]):
        result["steps"] = breakdown.image_steps(uploads, k=12)
        result["detail_queries"] = detail.at_scale(context.met_sample, 20 if context.quick else 60, seed=23)
    with server.gunicorn(context.var_dir, **PRODUCTION_SERVER) as (host, port, _):
        result["http"] = http_bench.image_latency(host, port, uploads, rounds=1 if context.quick else 5, k=12)
    logger.info("image search: %s", result["http"])
    return result


def run_load(context: Context) -> dict:
    from bench import http_bench, queries, server

    texts = queries.texts(4500, seed=2)
    seconds = 15 if context.quick else 60
    result: dict = {"rows": ensure_scale(context, 100_000), "k": TEXT_K, "runs": []}
    configs = [PRODUCTION_SERVER] if context.quick else [
        PRODUCTION_SERVER, {"workers": 2, "threads": 2, "torch_threads": 1}, {"workers": 3, "threads": 2,
                                                                              "torch_threads": 1}]
    for config in configs:
        with server.gunicorn(context.var_dir, **config) as (host, port, pid):
            http_bench.load(host, port, texts, clients=20, seconds=5, k=TEXT_K, seed=99)  # warm-up, not reported
            run = {"server": config, **http_bench.load(host, port, texts, clients=20, seconds=seconds, k=TEXT_K)}
            logger.info("load %s: %s", config, run)
            result["runs"].append(run)
            if config is PRODUCTION_SERVER:  # the JSON API under the same load: the stack without the page
                api = {"server": config, **http_bench.load(host, port, texts, clients=20, seconds=seconds, k=TEXT_K,
                                                           seed=7, api=True)}
                logger.info("load on the JSON API %s: %s", config, api)
                result["api"] = api
                result["memory"] = server.memory_mb(pid)  # after both loads: every worker has served searches
    return result


def run_map(context: Context) -> dict:
    """The collection map at 100k synthetic works (bench/map.py): layouts fitted on samples or on every work with the
    neighbours each keeps, the product's layout with its atlases, the data's size, the page over HTTP and in Chromium."""
    from bench import map as collection_map_bench
    from bench import server
    from gallery.clip import get_encoder

    rows = ensure_scale(context, 100_000)
    samples = [20_000] if context.quick else [10_000, 20_000, 40_000]  # the product's layout: UMAP on every work
    result = {"rows": rows, **collection_map_bench.run(model_id=get_encoder().model_id, samples=samples)}
    with server.gunicorn(context.var_dir, **PRODUCTION_SERVER) as (host, port, _):
        result["http"] = collection_map_bench.http(host, port, rounds=5 if context.quick else 20)
        result["browser"] = collection_map_bench.browser(f"http://{host}:{port}", result["data"]["works"])
    logger.info("map over HTTP: %s; in Chromium: %s", result["http"], result["browser"])
    return result
