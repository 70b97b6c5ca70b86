"""Turn the phases' results into bench/results/<stem>.json (with the issue's summary keys) and <stem>.md."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bench import scaling

GOALS = [
    # (summary key, label, comparison, target)
    ("ingest_ratio_vs_batch32", "ingest vs naive fp32 batch-32 (x)", ">=", 2.0),
    ("ingest_ratio_vs_loop", "ingest vs one-at-a-time loop (x)", ">=", 10.0),
    ("ingest_ratio_vs_bound", "ingest ÷ the bound these cores allow (issue 21)", ">=", 0.9),
    ("ingest_cosine_min", "ingest cosine to fp32 (min)", ">=", 0.999),
    ("text_p50_ms_100k", "text search p50 at 100k, HTTP (ms)", "<=", 20.0),
    ("text_p95_ms_100k", "text search p95 at 100k, HTTP (ms)", "<=", 40.0),
    ("image_p50_ms", "image search p50, 1 MP upload, HTTP (ms)", "<=", 120.0),
    ("hnsw_recall10_100k", "HNSW recall@10 at 100k, product defaults", ">=", 0.98),
    ("hnsw_p95_ms_100k", "HNSW p95 at 100k, product defaults (ms)", "<=", 10.0),
    ("load_rps", "sustained text searches/s, 20 clients", ">=", 60.0),
    ("load_errors", "errors during the load test", "<=", 0),
    ("neardup_p95_ms_100k", "near-duplicate lookup p95 at 100k (ms, issue 19)", "<=", 5.0),
    ("neardup_p95_ms_1m", "near-duplicate lookup p95 at 1M (ms, issue 19)", "<=", 5.0),
    ("detail_top1", "Met details (20–42 %) found first (issue 19)", ">=", 0.9),
    ("detail_whole_top1", "Met whole works found first (issue 19)", ">=", 1.0),
    ("ingest_regions_ratio_vs_today", "import rate with regions ÷ without (issue 19)", ">=", 0.5),
    ("image_p95_ms", "image search p95 at 100k, HTTP (ms, issue 19)", "<=", 250.0),
    ("hnsw_recall10_1m", "recall@10 at 1M, product index (issue 21)", ">=", 0.98),
    ("hnsw_p95_ms_1m", "index p95 at 1M at that recall (ms, issue 21)", "<=", 10.0),
    ("hnsw_index_ratio_1m", "index size at 1M ÷ the vector index's (issue 21)", "<=", 0.5),
    ("hnsw_build_s_1m", "index build at 1M (s, issue 21)", "<=", 200.0),
    ("text_p50_ms_1m", "text search page p50 at 1M, HTTP (ms, issue 21)", "<=", 25.0),
]


def _get(data: dict, *keys, default=None):
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def product_hnsw_point(hnsw: dict, dataset: str = "clustered_100k") -> tuple[dict | None, dict | None]:
    """The sweep point measured at the product's m, ef_construction and GALLERY_HNSW_EF_SEARCH."""
    from django.conf import settings

    from gallery.models import HNSW_EF_CONSTRUCTION, HNSW_M

    for config in _get(hnsw, dataset, "configs", default=[]):
        if (config["m"], config["ef_construction"]) == (HNSW_M, HNSW_EF_CONSTRUCTION):
            for point in config["sweep"]:
                if point["ef_search"] == settings.GALLERY_HNSW_EF_SEARCH:
                    return config, point
    return None, None


def summarise(results: dict) -> dict:
    """The flat keys issue 7 asks for; None (with a note) where a phase did not produce them."""
    phases, notes = results["phases"], results["notes"]
    ingest, text, image, load = (phases.get(name, {}) for name in ("ingest", "text", "image", "load"))
    _, hnsw_point = product_hnsw_point(phases.get("hnsw", {}))
    production_load = (load.get("runs") or [{}])[0]
    summary = {
        "ingest_img_per_s": _get(ingest, "img_per_s", "product"),
        "ingest_ratio_vs_batch32": ingest.get("ratio_vs_batch32"),
        "ingest_ratio_vs_loop": ingest.get("ratio_vs_loop"),
        "ingest_ratio_vs_bound": ingest.get("ratio_vs_bound"),
        "ingest_cosine_min": _get(ingest, "cosine_vs_fp32", "min"),
        "text_p50_ms_100k": _get(text, "100k", "http", "p50_ms"),
        "text_p95_ms_100k": _get(text, "100k", "http", "p95_ms"),
        "image_p50_ms": _get(image, "http", "p50_ms"),
        "hnsw_recall10_100k": _get(hnsw_point or {}, "recall10"),
        "hnsw_p95_ms_100k": _get(hnsw_point or {}, "p95_ms"),
        "load_rps": production_load.get("rps"),
        "load_errors": production_load.get("errors"),
        # Beyond the keys: the most any import could reach here, and what the web server takes in memory.
        "ingest_bound_ratio_vs_loop": ingest.get("overlap_bound_ratio_vs_loop"),
        "load_memory_pss_mb": _get(load, "memory", "total_pss_mb"),
        "neardup_p50_ms_100k": _get(phases, "neardup", "100k", "product", "p50_ms"),
        "neardup_p95_ms_100k": _get(phases, "neardup", "100k", "product", "p95_ms"),
        "neardup_p50_ms_1m": _get(phases, "neardup_1m", "1m", "product", "p50_ms"),
        "neardup_p95_ms_1m": _get(phases, "neardup_1m", "1m", "product", "p95_ms"),
        # Issue 19: details of Met works found first (top 10), before (baseline) and after, in one run.
        "detail_top1": _get(phases, "detail", "details", "product", "top1"),
        "detail_top1_baseline": _get(phases, "detail", "details", "baseline", "top1"),
        "detail_top10": _get(phases, "detail", "details", "product", "top10"),
        "detail_top10_baseline": _get(phases, "detail", "details", "baseline", "top10"),
        "detail_whole_top1": _get(phases, "detail", "whole", "product", "top1"),
        "ingest_img_per_s_regions": _get(phases, "detail", "import_rates", "product"),
        "ingest_img_per_s_today": _get(phases, "detail", "import_rates", "today"),
        "ingest_regions_ratio_vs_today": _ratio(_get(phases, "detail", "import_rates", "product"),
                                                _get(phases, "detail", "import_rates", "today")),
        "image_p95_ms": _get(image, "http", "p95_ms"),
        "detail_p95_ms_100k": _get(image, "detail_queries", "p95_ms"),
        "detail_top1_100k": _get(image, "detail_queries", "top1"),
        # Issue 20: the collection map at 100k works.
        "map_layout_s_100k": _get(phases, "map", "product", "total"),
        "map_data_gzip_kb_100k": _kb(_get(phases, "map", "data", "json_gzip_bytes")),
        "map_atlas_mb_100k": _kb(_get(phases, "map", "data", "atlas_bytes"), 1024 * 1024),
        "map_page_load_ms_100k": _get(phases, "map", "browser", "load", "p50_ms"),
        "map_draw_ms_100k": _get(phases, "map", "browser", "draw", "p95_ms"),
        # Issue 21: the configured index kind (GALLERY_VECTOR_INDEX) at 1M, beside the full `vector` index.
        **_scale_keys(phases),
    }
    for key, value in summary.items():
        if value is None:
            phase = key.split("_")[0]
            phase = {"text": "text", "image": "image", "hnsw": "hnsw", "load": "load", "map": "map"}.get(phase, "ingest")
            if key.endswith("_1m") and key.startswith(("hnsw", "text")):
                phase = "compact_1m" if key.startswith("hnsw") else "text_1m"
            if key.startswith("neardup"):
                phase = "neardup_1m" if key.endswith("_1m") else "neardup"
            if key.startswith("detail") or key.startswith(("ingest_img_per_s_", "ingest_regions")):
                phase = "image" if key.endswith("_100k") else "detail"
            notes.setdefault(key, notes.get(phase) or f"the {phase} phase was not run in this invocation")
    return summary


def _scale_keys(phases: dict) -> dict:
    from django.conf import settings

    kind = settings.GALLERY_VECTOR_INDEX
    entry, point = scaling.product_point(phases, kind)
    vector, _ = scaling.product_point(phases, "vector")
    return {"hnsw_index_kind": kind, "hnsw_recall10_1m": _get(point or {}, "recall10"),
            "hnsw_p95_ms_1m": _get(point or {}, "p95_ms"), "hnsw_ef_search_1m": _get(point or {}, "ef_search"),
            "hnsw_index_mb_1m": _get(entry or {}, "index_mb"), "hnsw_build_s_1m": _get(entry or {}, "build_s"),
            "hnsw_index_ratio_1m": _ratio(_get(entry or {}, "index_mb"), _get(vector or {}, "index_mb")),
            "text_p50_ms_1m": _get(phases, "text_1m", "http", "p50_ms"),
            "text_floor_p50_ms_1m": _get(phases, "text_1m", "parts", "floor", "p50_ms"),
            "text_floor_share_1m": _get(phases, "text_1m", "parts", "floor_share")}


def _ratio(numerator, denominator):
    return numerator / denominator if numerator and denominator else None


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _met(value, comparison: str, target: float) -> str:
    if value is None:
        return "not run"
    return "yes" if (value >= target if comparison == ">=" else value <= target) else "**no**"


def markdown(document: dict) -> str:
    machine, phases = document["machine"], document["phases"]
    lines = [f"# artsearch benchmarks ({'quick' if document['quick'] else 'full'} run)", "",
             f"Measured {document['date']} on {machine['cpu_model']}, {machine['cores']} cores "
             f"({', '.join(machine['cpu_features'])}), {machine['memory_gb']} GB RAM; torch {machine['torch']}, "
             f"PostgreSQL {document['postgres'].get('server_version', '?')} with shared_buffers "
             f"{document['postgres'].get('shared_buffers', '?')}. CLIP runs with deterministic **untrained** "
             "ViT-B-32 weights (same cost as trained ones; the vectors are not semantic). Load average per phase "
             "(start → end) shows how busy the shared machine was: " + ", ".join(
                 f"{name} {cond['load_before']:.1f}→{cond['load_after']:.1f}"
                 for name, cond in document["conditions"].items()) + ".", "",
             "## Goals (issue 7)", "", "| goal | measured | target | met |", "| --- | --- | --- | --- |"]
    for key, label, comparison, target in GOALS:
        value = document[key]
        digits = 4 if "cosine" in key or "recall" in key else 1
        met = _met(value, comparison, target)
        lines.append(f"| {label} | {_fmt(value, digits)} | {comparison} {target:g} | {met} |")
    lines += _ingest_md(phases.get("ingest")) + _text_md(phases.get("text")) + _image_md(phases.get("image"))
    lines += _hnsw_md({**phases.get("hnsw", {}), **phases.get("hnsw_1m", {})}) + _load_md(phases.get("load"))
    lines += _neardup_md({**phases.get("neardup", {}), **phases.get("neardup_1m", {})})
    lines += _detail_md(phases.get("detail"), phases.get("image"))
    lines += _map_md(phases.get("map"))
    lines += _iiif_md(phases.get("iiif"))
    lines += scaling.markdown(phases, document["sizing_10m"], machine["cores"])
    if document["notes"]:
        lines += ["", "## Notes", ""] + [f"- `{key}`: {note}" for key, note in document["notes"].items()]
    return "\n".join(lines) + "\n"


def _inputs_ms(ingest: dict) -> float:
    """The calling thread's time an image preparing the encoder's inputs (runs before 2026-12-06: cropping only)."""
    return ingest["inputs_ms"] if "inputs_ms" in ingest else ingest["shrink_ms"]


def _ingest_md(ingest: dict | None) -> list[str]:
    if not ingest:
        return []
    lines = ["", "## 1. Bulk import, end to end", "",
             f"{ingest['images']} images of `../shared/datasets/best-artworks` (256×256 JPEGs; the batch-32 "
             f"baseline imports the first {ingest['batch32_images']}, the one-at-a-time loop the first "
             f"{ingest['loop_images']}), read → decode → hash → thumbnail → embed → rows READY, "
             f"into an emptied gallery, {ingest['rounds']} round(s) with the variants alternating. Product: "
             f"`import_artworks --sync` ({ingest['precision']}, {ingest['torch_threads']} torch threads, encoding "
             "overlapped with storing). Cosine of the product's vectors to the fp32 baseline's: "
             f"min {ingest['cosine_vs_fp32']['min']:.5f}, median {ingest['cosine_vs_fp32']['median']:.5f} "
             f"over {ingest['cosine_vs_fp32']['n']} images.", "",
             "| variant | images/s (median) | per round | product ÷ variant (median of per-round ratios) |",
             "| --- | --- | --- | --- |"]
    ratios = {"product": 1.0, "batch32": ingest["ratio_vs_batch32"], "loop": ingest["ratio_vs_loop"]}
    names = {"product": "product (pipelined, bf16 auto)", "batch32": "naive open_clip fp32, batch 32",
             "loop": "tutorial loop, one image at a time, fp32",
             "encoder_only": "the encoding half alone: the import's encoding of its pictures' inputs, batch by "
                             "batch, both cores, nothing stored",
             "storing_only": "the storing half alone: the same import with embedding queued (no --sync), then "
                             "the encoded batches stored on its rows (vectors, keypoints, visual words), one thread"}
    for name, rate in ingest["img_per_s"].items():
        per_round = ", ".join(f"{value:.1f}" for value in ingest["rates"][name])
        ratio = _fmt(ratios[name], 2) if name in ratios else "—"
        lines.append(f"| {names[name]} | {rate:.1f} | {per_round} | {ratio} |")
    if "overlap_bound_img_per_s" in ingest:
        lines += ["", f"The encoding half alone runs at {ingest['encoder_only_ratio_vs_loop']:.1f}× the "
                      "one-at-a-time loop. A `--sync` import runs both halves at once: even if they overlapped "
                      "perfectly, with the encoder's two threads busy all the time and the storing thread "
                      f"(plus {_inputs_ms(ingest):.2f} ms an image preparing the encoder's inputs: crops, "
                      "keypoints) filling what is "
                      f"left of the two cores, it could not exceed **{ingest['overlap_bound_img_per_s']:.1f} "
                      f"images/s, {ingest['overlap_bound_ratio_vs_loop']:.1f}× the loop** (median of per-round "
                      "bounds, `bench.ingest.overlap_bound`)."]
    return lines


def _text_md(text: dict | None) -> list[str]:
    if not text:
        return []
    server = text["server"]
    lines = ["", "## 2. Text search latency over HTTP", "",
             f"`GET /search/?q=…&k={text['k']}` (rendered HTML), one client on a keep-alive connection, "
             f"{text['queries_per_size']} distinct queries per size, none repeated (no cache can help); gunicorn "
             f"{server['workers']} workers × {server['threads']} threads, {server['torch_threads']} torch thread "
             "each, DEBUG off. Rows are **synthetic** (clustered vectors, placeholder image, 50 works per synthetic "
             "artist). “steps” are the search service's parts measured in-process (bench process, with the server's "
             "torch threads).",
             "", "| rows | page p50 | page p95 | page p99 | page, repeated queries p50 | JSON API p50 | JSON API p95 "
             "| encode p50 | keywords p50 | artwork_search p50 | more_by_artist p50 |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for size in ("10k", "100k"):
        entry = text.get(size)
        if entry:
            http, steps, api = entry["http"], entry["steps"], entry.get("api", {})
            lines.append(f"| {size} | {_fmt(http['p50_ms'])} | {_fmt(http['p95_ms'])} | {_fmt(http['p99_ms'])} | "
                         f"{_fmt(entry['http_repeat']['p50_ms'])} | {_fmt(api.get('p50_ms'))} | "
                         f"{_fmt(api.get('p95_ms'))} | {_fmt(steps['encode']['p50_ms'])} | "
                         f"{_fmt(steps.get('keywords', {}).get('p50_ms'))} | "  # measured since 2026-12-06
                         f"{_fmt(steps['artwork_search']['p50_ms'])} | {_fmt(steps['more_by_artist']['p50_ms'])} |")
    encoding = text["encoding"]
    lines += ["", "Query encoding alone (the server's torch threads), one text at a time: open_clip's padded "
                  "77-token `encode_text` against the short-token path, and the int8 text tower that search queries "
                  "use (`CLIP_QUERY_INT8`, ONNX Runtime; same run):", "",
              "| precision | padded p50 ms | short p50 ms | short p95 ms | cosine to padded fp32 (min) |",
              "| --- | --- | --- | --- | --- |"]
    for precision in ("fp32", "bf16", "int8"):
        entry = encoding.get(precision)
        if entry:
            padded = _fmt(entry["padded"]["p50_ms"]) if "padded" in entry else "—"
            lines.append(f"| {precision} | {padded} | {_fmt(entry['short']['p50_ms'])} | "
                         f"{_fmt(entry['short']['p95_ms'])} | {entry['cosine_min']:.6f} |")
    speedups = encoding["speedup_p50"]
    lines.append(f"\nSpeed-up over padded fp32: int8 queries {speedups.get('int8', float('nan')):.1f}×, "
                 f"bf16 short {speedups['bf16']:.1f}×, fp32 short {speedups['fp32']:.1f}×.")
    return lines


def _image_md(image: dict | None) -> list[str]:
    if not image:
        return []
    http = image["http"]
    return ["", "## 3. Image search latency over HTTP", "",
            f"`POST /api/search?k=12` with a multipart 1000×1000 JPEG (1.0 MP, about {http['upload_kb']:.0f} KB), "
            f"{http['n']} uploads cycling through 8 different pictures, against the 100k synthetic rows.", "",
            "| p50 ms | p95 ms | p99 ms |", "| --- | --- | --- |",
            f"| {_fmt(http['p50_ms'])} | {_fmt(http['p95_ms'])} | {_fmt(http['p99_ms'])} |",
            *_steps_md(image.get("steps"))]


def _steps_md(steps: dict | None) -> list[str]:
    if not steps:
        return []
    return ["", "The search service's steps for the same uploads, in-process (p50 ms): " + ", ".join(
        f"{name} {_fmt(step['p50_ms'])}" for name, step in steps.items()) + "."]


def _hnsw_md(hnsw: dict | None) -> list[str]:
    if not hnsw:
        return []
    lines = ["", "## 4. Vector index: HNSW against exact search", "",
             "Raw `ORDER BY embedding <=> q LIMIT 10` on a table of its own, one client, prepared statements; "
             "recall@10 against an exact numpy scan. Rows and queries are **synthetic**: “clustered” is a Gaussian "
             "mixture around the 600 shared images' (untrained) embeddings with a 32-d spread per cluster; "
             "“uniform” is random unit vectors, the structure-free worst case. Queries are never stored rows."]
    for name, run in hnsw.items():
        exact = run["exact"]
        lines += ["", f"### {name} ({run['rows']:,} rows, {run['queries']} queries, table {run['table_mb']:.0f} MB)",
                  "", f"Exact scan (index off): p50 {_fmt(exact['p50_ms'])} ms, p95 {_fmt(exact['p95_ms'])} ms, "
                      f"recall {exact['recall10']:.3f} ({exact['n']} queries).", "",
                  "| m | ef_construction | build s | index MB | ef_search | recall@10 | p50 ms | p95 ms |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for config in run["configs"]:
            for point in config["sweep"]:
                lines.append(f"| {config['m']} | {config['ef_construction']} | {config['build_s']:.0f} | "
                             f"{config['index_mb']:.0f} | {point['ef_search']} | {point['recall10']:.3f} | "
                             f"{_fmt(point['p50_ms'], 2)} | {_fmt(point['p95_ms'], 2)} |")
    return lines


def _load_md(load: dict | None) -> list[str]:
    if not load:
        return []
    lines = ["", "## 5. Sustained load", "",
             "20 closed-loop clients (threads in the bench process, keep-alive connections) send `GET /search/` "
             f"with k={load['k']} and texts drawn at random from 4,500 distinct descriptions, against 100k "
             "synthetic rows. The load generator shares the 2 cores with the server and PostgreSQL. The first "
             "server configuration is the recommended production one.", "",
             "| endpoint: gunicorn workers × threads | torch threads | searches/s | errors | p50 ms | p99 ms "
             "| distinct queries sent |", "| --- | --- | --- | --- | --- | --- | --- |"]
    runs = [("page", run) for run in load["runs"]] + ([("JSON API", load["api"])] if load.get("api") else [])
    for endpoint, run in runs:
        server = run["server"]
        lines.append(f"| {endpoint}: {server['workers']} × {server['threads']} | {server['torch_threads']} | "
                     f"{run['rps']:.1f} | {run['errors']} | {_fmt(run['p50_ms'])} | {_fmt(run['p99_ms'])} | "
                     f"{run['distinct_queries']} |")
    if memory := load.get("memory"):
        server = load["runs"][0]["server"]
        lines += ["", f"Memory of the recommended server ({server['workers']} × {server['threads']}) after these "
                      "loads: each worker "
                      + ", ".join(f"{rss:.0f}" for rss in memory["worker_rss_mb"])
                      + f" MB resident (RSS, shared libraries counted in each), master and workers together "
                      f"{memory['total_pss_mb']:.0f} MB (PSS, shared pages counted once)."]
    return lines


def _neardup_md(neardup: dict | None) -> list[str]:
    if not neardup:
        return []
    lines = ["", "## 6. Near-duplicate lookup (perceptual hashes)", "",
             "`recognition.near_duplicates` as the product calls it (every hash compared in the process's memory, "
             "then PostgreSQL checks the candidates and the rows changed since, with the 30-bit threshold) on a "
             "gallery of **synthetic** hash-only rows: random 128-bit hashes, 2 % of them an earlier row's with 1–30 "
             "bits flipped; half the queries a stored hash with 0–30 bits flipped, half random. “exact” is the share "
             "of answers identical to a brute-force numpy scan (every work within 30 bits, nearest first, ties by id, "
             "up to 10). “PostgreSQL scan” is every row's `<~>` distance, sorted, as an index-less lookup does.", "",
             "| rows | first read of every hash s (MB) | queries (with a match) | p50 ms | p95 ms | exact "
             "| PostgreSQL scan p50 / p95 ms | review pairs s (pairs) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run in neardup.values():
        product, full, pairs = run["product"], run["full_scan"], run.get("review_pairs")
        lines.append(f"| {run['rows']:,} | {run['snapshot_load_s']:.2f} ({run['snapshot_mb']:.0f}) | {product['n']} "
                     f"({product['queries_with_a_match']}) | {_fmt(product['p50_ms'], 2)} | "
                     f"{_fmt(product['p95_ms'], 2)} | {product['exact_answers']:.3f} | "
                     f"{_fmt(full['p50_ms'])} / {_fmt(full['p95_ms'])} | "
                     + (f"{pairs['seconds']:.1f} ({pairs['pairs']})" if pairs else "–") + " |")
    return lines


def _iiif_md(result: dict | None) -> list[str]:
    from bench import iiif  # imports Pillow and the gallery's tile code: only for a report that has the phase

    return iiif.markdown(result)


def _detail_md(detail: dict | None, image: dict | None) -> list[str]:
    if not detail:
        return []
    details, whole, rates, sizes = detail["details"], detail["whole"], detail["import_rates"], detail["sizes"]
    config = detail["settings"]
    lines = ["", "## 7. Detail search (issue 19)", "",
             f"The Met sample ({detail['works']} works) imported by the product with region scales "
             f"{config['region_scales']}, {config['keypoints']} ORB keypoints a work, and a shortlist of "
             f"{config.get('words_shortlist', 0)} works by visual words and {config['shortlist']} by vector checked "
             f"with keypoints. {details['queries']} details (crops of 20–42 % of a random work at a random "
             f"place, JPEG quality 80) and {whole['queries']} whole works (90 %, JPEG 80) as queries, each answered "
             "three ways against the same rows: **baseline** (the whole-work vector, as before issue 19), "
             "**regions** (plus the works' region vectors) and **product** (regions and the keypoint check).", "",
             "| queries | baseline top 1 | baseline top 10 | regions top 1 | regions top 10 | product top 1 "
             "| product top 10 | product p50 / p95 ms |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, run in (("details", details), ("whole works", whole)):
        latency = run["product_latency"]
        lines.append(f"| {name} | {run['baseline']['top1']:.3f} | {run['baseline']['top10']:.3f} | "
                     f"{run['regions']['top1']:.3f} | {run['regions']['top10']:.3f} | {run['product']['top1']:.3f} | "
                     f"{run['product']['top10']:.3f} | {_fmt(latency['p50_ms'])} / {_fmt(latency['p95_ms'])} |")
    if details.get("box_error_max_p50") is not None:
        lines += ["", f"Where the detail lies: for details found first, the median of the largest error of the "
                      f"returned box's four numbers is {details['box_error_max_p50']:.3f} of the work."]
    if details.get("shortlist_sweep"):
        lines += ["", "Other shortlists on the first details (by words `GALLERY_DETAIL_WORDS_SHORTLIST` + by vector "
                      "`GALLERY_DETAIL_SHORTLIST`), product top 1 and p50 / p95 ms: " + ", ".join(
                          f"{point.get('words', 0)} + {point.get('vector', point.get('shortlist'))}: "
                          f"{point['top1']:.3f}, {_fmt(point['p50_ms'])} / {_fmt(point['p95_ms'])}"
                          for point in details["shortlist_sweep"]) + "."]
    lines += ["", "Import (store + embed, the worker's batches of 32) of the same Met files, images/s: " + ", ".join(
        f"{name} {rate:.1f}" for name, rate in rates.items()) + f"; the product keeps "
        f"{rates['product'] / rates['today']:.0%} of today's rate.",
        "", f"Storage: {sizes['regions_per_work']:.2f} regions a work; regions {sizes['region_table_and_index_mb']:.1f} "
        f"MB with their HNSW index ({sizes['region_index_mb']:.1f} MB), keypoints {sizes['keypoints_mb']:.1f} MB: "
        f"{sizes['bytes_per_work'] / 1024:.1f} KB a work."]
    if image and image.get("detail_queries"):
        added, queries = image.get("details_added", {}), image["detail_queries"]
        found = f", found first {queries['top1']:.3f}" if queries.get("top1") is not None else ""
        lines += ["", f"At 100k synthetic works (a region vector and a real Met work's keypoints each, with visual "
                      f"words: those of the first 300 Met works for 300 of them, like Met works' but random for the "
                      f"rest{'' if added.get('reused') else '; added in ' + format(added.get('copy_s', 0), '.0f') + ' s'}"
                      f"), {queries['n']} details of those 300 Met works as uploads, in-process `search_page`: p50 "
                      f"{_fmt(queries['p50_ms'])} ms, p95 {_fmt(queries['p95_ms'])} ms{found} (by words and keypoints "
                      "alone: the synthetic works' vectors are not the Met works'; section 3 has the same gallery over "
                      "HTTP)."]
    return lines


def _kb(value, unit: int = 1024):
    return value / unit if value is not None else None


def _map_md(result: dict | None) -> list[str]:
    if not result:
        return []
    product, data, placed = result["product"], result["data"], result["place_new"]
    lines = ["", "## 8. Map of the collection (issue 20)", "",
             f"{result['works']:,} synthetic works (bench/map.py). Reading their vectors took {result['read_s']:.1f} s. "
             "Layouts of the same vectors; neighbours kept: the share of a work's 10 nearest by vector among its 10 "
             "nearest on the map; similarity kept: how similar its 10 nearest on the map are, from 0 (as random works) "
             "to 1 (as its true nearest); 1,000 works probed:", "",
             "| UMAP fitted on | seconds | neighbours kept | similarity kept |", "| --- | --- | --- | --- |"]
    lines += [f"| {entry['sample']:,} works{' (all)' if entry['sample'] >= result['works'] else ' + nearest'} | "
              f"{entry['seconds']:.1f} | {entry['neighbours_kept']:.3f} | {entry['similarity_kept']:.3f} |"
              for entry in result["layouts"]]
    lines.append(f"| the product ({product['method']}) | {product['layout']:.1f} | {product['neighbours_kept']:.3f} | "
                 f"{product['similarity_kept']:.3f} |")
    lines += ["", f"The product's layout ({product['method']}, `GALLERY_MAP_FIT_SAMPLE`={product['sample']:,}), "
                  f"end to end in {product['total']:.0f} s: reading {product['read']:.1f} s, layout "
                  f"{product['layout']:.1f} s, atlases {product['atlases']:.1f} s "
                  f"({product['atlas_ms_per_work']:.2f} ms a work), writing the positions {product['write']:.1f} s. "
                  f"Placing {placed['works']} works embedded since the layout among their neighbours: "
                  f"{placed['ms_per_work']:.2f} ms a work.",
              "", f"What the page fetches: the data {data['json_bytes'] / 1024:,.0f} KB of JSON, "
                  f"{data['json_gzip_bytes'] / 1024:,.0f} KB gzipped (built in {data['build_s'] * 1000:,.0f} ms once "
                  f"per version and process, then {data['cached_s'] * 1000:.1f} ms); {data['atlases']} atlases of "
                  f"1,024 thumbnails, {data['atlas_bytes'] / 1024 / 1024:.1f} MB in all "
                  f"({data['atlas_bytes_mean'] / 1024:.0f} KB each), fetched only for the works in view once "
                  "zoomed in."]
    http = result.get("http")
    if http:
        lines += ["", f"Over HTTP (gunicorn, production settings): the page p50 {_fmt(http['page']['p50_ms'])} ms, "
                      f"the data p50 {_fmt(http['data']['p50_ms'])} ms (first fetch of a worker "
                      f"{_fmt(http['data_first_ms'])} ms), revalidated by its ETag {_fmt(http['revalidate']['p50_ms'])}"
                      f" ms, one atlas p50 {_fmt(http['atlas']['p50_ms'])} ms."]
    browser = result.get("browser")
    if browser:
        zoomed = browser["zoomed_view"]
        lines += ["", f"In headless Chromium (1280 × 900): the map drawn {_fmt(browser['load']['p50_ms'])} ms after "
                      f"navigation (p50 of {browser['load']['n']}); a frame while panning and zooming with the keyboard "
                      f"p50 {_fmt(browser['draw']['p50_ms'])} ms, p95 {_fmt(browser['draw']['p95_ms'])} ms; zoomed in "
                      f"to thumbnails, {zoomed['works_drawn']:,} works drawn from {zoomed['atlases_loaded']} atlases "
                      f"in {_fmt(browser['thumbnails_ready_ms'])} ms, a frame {_fmt(zoomed['draw_ms'])} ms."]
    return lines


def write(results: dict, *, stem: Path, quick: bool, machine: dict, postgres: dict, conditions: dict,
          date: str | None = None) -> dict:
    """Write <stem>.json and <stem>.md; returns the JSON document."""
    summary = summarise(results)
    from django.conf import settings

    sizing = [row for kind in scaling.KINDS_SIZED for row in scaling.sizing(
        results["phases"], kind, summary.get("text_p50_ms_1m"), machine["cores"])]
    document = {**summary, "sizing_10m": sizing, "configured_index": settings.GALLERY_VECTOR_INDEX,
                "machine": machine, "date": date or datetime.now(UTC).isoformat(timespec="seconds"), "quick": quick, "postgres": postgres, "conditions": conditions, "wall_s": results.get("wall_s"),
                "notes": results["notes"], "phases": results["phases"]}
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(document, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(document))
    return document


def _machine_identity(machine: dict) -> str:
    return f"{machine['cpu_model']}, {machine['cores']} cores, {machine['memory_gb']} GB"


def merge(paths: list[Path], *, stem: Path) -> dict:
    """One report of the phases of earlier result files (the same machine's; a later file's phase wins)."""
    documents = [json.loads(path.read_text()) for path in paths]
    # Figures of two machines side by side would read as one machine's: refuse rather than mislead.
    machines = {path.name: _machine_identity(document["machine"]) for path, document in zip(paths, documents)}
    if len(set(machines.values())) > 1:
        raise ValueError("these results were measured on different machines and cannot be merged into one report: "
                         + "; ".join(f"{name}: {identity}" for name, identity in machines.items()))
    results = {"phases": {}, "notes": {}}
    conditions: dict = {}
    for document in documents:
        results["phases"].update(document["phases"])
        conditions.update(document["conditions"])
    results["wall_s"] = sum(document.get("wall_s") or 0 for document in documents)
    last = documents[-1]
    return write(results, stem=stem, quick=last["quick"], machine=last["machine"], postgres=last["postgres"],
                 conditions=conditions, date=" and ".join(dict.fromkeys(date for document in documents
                                                                  for date in document["date"].split(" and "))))
