"""The compact-vector comparison in the report, and the 10M sizing table extrapolated from the measured sizes.

Extrapolation, stated as such: index size grows linearly with the rows; build time and query p95 follow a power law
fitted through the two largest measured sizes (HNSW's cost grows a little faster than log n once the graph outgrows
the caches, so a power law through the largest sizes is the cautious reading). Nothing here is measured at 10M.
"""

from __future__ import annotations

import math

KINDS_SIZED = ["vector", "halfvec", "binary"]
SIZES = {"100k": 100_000, "1m": 1_000_000, "2m": 2_000_000}
TARGET_ROWS = 10_000_000
MIN_RECALL = 0.98
QUERY_RATES = [10, 50, 200]  # searches per second a deployment must answer
HEADROOM = 0.6  # a replica kept below 60 % busy keeps its p95


def runs(phases: dict) -> dict[int, dict]:
    """Every compact run measured, by row count."""
    found = {}
    for phase in ("compact", "compact_1m", "compact_build_1m", "compact_2m"):
        for name, run in (phases.get(phase) or {}).items():
            rows = SIZES.get(name, run.get("rows"))
            if rows in found:  # another phase at the same size: its variants beside the first's
                found[rows] = {**found[rows], "kinds": {**found[rows]["kinds"], **run["kinds"]}}
            else:
                found[rows] = run
    return dict(sorted(found.items()))


def best_point(entry: dict, min_recall: float = MIN_RECALL) -> dict | None:
    points = [point for point in entry["sweep"] if point["recall10"] >= min_recall]
    return min(points, key=lambda point: point["p95_ms"]) if points else None


def _power_law(points: list[tuple[int, float]], rows: int) -> float | None:
    """Extrapolate y(rows) through the two largest (rows, y) points on a log-log line."""
    points = [(n, y) for n, y in points if y]
    if len(points) < 2:
        return points[0][1] * rows / points[0][0] if points else None
    (n1, y1), (n2, y2) = points[-2:]
    exponent = math.log(y2 / y1) / math.log(n2 / n1)
    return y2 * (rows / n2) ** exponent


def sizing(phases: dict, kind: str, text_p50_ms_1m: float | None, cores: int) -> list[dict]:
    """The 10M rows of `kind` from its measured runs: one index, and ten 1M-row partitions (empty without runs)."""
    every_run = runs(phases)
    measured = {rows: run["kinds"][kind] for rows, run in every_run.items() if kind in run["kinds"]}
    if not measured:
        return []
    largest = max(measured)
    best = {rows: best_point(entry) for rows, entry in measured.items()}
    index_mb = measured[largest]["index_mb"] * TARGET_ROWS / largest
    table_mb = every_run[largest]["table_mb"] * TARGET_ROWS / largest
    # shared_buffers must hold the index (a query reads scattered pages of it); binary re-ranks read rows too.
    ram_gb = index_mb / 1024 * 1.2 + (table_mb / 1024 * 0.2 if kind == "binary" else 0) + 4
    common = {"kind": kind, "rows": TARGET_ROWS, "measured_rows": sorted(measured), "index_gb": index_mb / 1024,
              "table_gb": table_mb / 1024, "ram_gb": ram_gb,
              "largest_recall": max(point["recall10"] for point in measured[largest]["sweep"])}
    one = {**common, "layout": "one index",
           "build_s": _power_law([(rows, entry["build_s"]) for rows, entry in measured.items()], TARGET_ROWS),
           "p50_ms": _power_law([(rows, point["p50_ms"]) for rows, point in best.items() if point], TARGET_ROWS),
           "p95_ms": _power_law([(rows, point["p95_ms"]) for rows, point in best.items() if point], TARGET_ROWS),
           "ef_search": best[largest]["ef_search"] if best[largest] else None,
           "rerank": best[largest].get("rerank") if best[largest] else None}
    rows = [one]
    at_1m = best.get(1_000_000)
    if at_1m:  # every partition searched in turn (a search filtered to one collection searches one)
        parts = TARGET_ROWS // 1_000_000
        rows.append({**common, "layout": f"{parts} partitions of 1M", "build_s": parts * measured[1_000_000]["build_s"],
                     "p50_ms": parts * at_1m["p50_ms"], "p95_ms": parts * at_1m["p50_ms"] + at_1m["p95_ms"]
                     - at_1m["p50_ms"], "ef_search": at_1m["ef_search"], "rerank": at_1m.get("rerank")})
    for row in rows:
        if text_p50_ms_1m and row["p50_ms"] and at_1m:
            row["page_p50_ms"] = text_p50_ms_1m + row["p50_ms"] - at_1m["p50_ms"]  # the 1M page, this index's cost
            per_replica = cores * 1000 / row["page_p50_ms"] * HEADROOM
            row.update(searches_per_s_per_replica=per_replica,
                       replicas={rate: math.ceil(rate / per_replica) for rate in QUERY_RATES})
    return rows


def markdown(phases: dict, sizing_rows: list[dict], cores: int) -> list[str]:
    measured = runs(phases)
    text = phases.get("text_1m")
    if not measured and not text:
        return []
    lines = ["", "## 9. Compact vectors: vector, halfvec and binary + re-rank HNSW (issue 21)"]
    if measured:
        lines += _compact_lines(measured)
    if text:
        lines += _text_1m_lines(text)
    if sizing_rows:
        lines += ["", "### Sizing for 10M works (extrapolated, not measured)", "",
                  "Index size linear in the rows; build time and p50/p95 on a power law through the two largest "
                  "measured sizes; RAM = the index in shared_buffers with 20 % slack (binary: plus a fifth of the "
                  "table for re-ranking) + 4 GB for the web and worker processes; searches per second a replica "
                  f"with {cores} cores answers at {HEADROOM:.0%} busy, from the HTML text page measured at "
                  "1M plus the index's extra cost at 10M.", "",
                  "| kind | layout | from sizes (best recall@10 at the largest) | index GB | table GB | RAM GB | build s | "
                  "ef_search / rerank | p50 ms | p95 ms | page p50 ms | searches/s a replica | replicas for "
                  + " / ".join(f"{rate}" for rate in QUERY_RATES) + " searches/s |", "| --- " * 13 + "|"]
        for row in sizing_rows:
            replicas = " / ".join(str(row["replicas"][rate]) for rate in QUERY_RATES) if "replicas" in row else "–"
            lines.append(
                f"| {row['kind']} | {row['layout']} | {', '.join(f'{n:,}' for n in row['measured_rows'])} "
                f"({row['largest_recall']:.3f}) | {row['index_gb']:.1f} | "
                f"{row['table_gb']:.1f} | {row['ram_gb']:.0f} | {_num(row['build_s'], 0)} | "
                f"{row['ef_search'] or '–'} / {row['rerank'] or '–'} | {_num(row['p50_ms'])} | {_num(row['p95_ms'])} | "
                f"{_num(row.get('page_p50_ms'))} | {_num(row.get('searches_per_s_per_replica'), 0)} | {replicas} |")
    return lines


def _compact_lines(measured: dict[int, dict]) -> list[str]:
    lines = ["", "The product's index DDL and ORDER BY expressions (gallery/vector_index.py) on a table of its own, one "
             "client; recall@10 against an exact numpy scan. Rows and queries are **synthetic** (clustered). Build: "
             "`maintenance_work_mem` 5 GB, one parallel worker beside the leader, m=16, ef_construction=64. Binary "
             "re-ranks its `rerank` nearest rows by Hamming distance with the full vectors' cosine.", "",
             "| rows | kind | build s | index MB | ef_search | rerank | recall@10 | p50 ms | p95 ms |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for rows, run in measured.items():
        for kind, entry in run["kinds"].items():
            for point in entry["sweep"]:
                lines.append(f"| {rows:,} | {kind} | {entry['build_s']:.0f} | {entry['index_mb']:.0f} | "
                             f"{point['ef_search']} | {point.get('rerank', '–')} | {point['recall10']:.3f} | "
                             f"{point['p50_ms']:.2f} | {point['p95_ms']:.2f} |")
    lines += ["", "Best point reaching recall@10 ≥ 0.98 (lowest p95) per size and kind:", "",
              "| rows | kind | ef_search | rerank | recall@10 | p95 ms | index MB | build s |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for rows, run in measured.items():
        for kind, entry in run["kinds"].items():
            point = best_point(entry)
            lines.append(f"| {rows:,} | {kind} | " + (
                f"{point['ef_search']} | {point.get('rerank', '–')} | {point['recall10']:.3f} | {point['p95_ms']:.2f}"
                if point else "– | – | not reached | –") + f" | {entry['index_mb']:.0f} | {entry['build_s']:.0f} |")
    return lines


def _text_1m_lines(text: dict) -> list[str]:
    cold, warm = text.get("http_cold") or {}, text.get("http") or {}
    lines = ["", f"HTML text-search page over HTTP with {text['rows']['rows']:,} synthetic works in the gallery "
             f"(ef_search {text['ef_search']}, k {text['k']}, gunicorn {text['server']['workers']}×"
             f"{text['server']['threads']}): right after the index build p50 {_num(cold.get('p50_ms'))} / p95 "
             f"{_num(cold.get('p95_ms'))} ms; once {text.get('warmed_by', 0):,} searches have brought the index "
             f"into shared_buffers p50 {_num(warm.get('p50_ms'))} / p95 {_num(warm.get('p95_ms'))} ms."]
    if parts := text.get("parts"):
        lines += ["", _floor_sentence(parts)]
    return lines


def product_point(phases: dict, kind: str, size: str = "1m") -> tuple[dict | None, dict | None]:
    """`kind`'s entry at `size` and its best point reaching MIN_RECALL (else its most accurate one)."""
    entry = ((phases.get(f"compact_{size}") or phases.get("compact") or {}).get(size) or {}).get("kinds", {}).get(kind)
    if not entry:
        return None, None
    return entry, best_point(entry) or max(entry["sweep"], key=lambda point: point["recall10"])


def _floor_sentence(parts: dict) -> str:
    """What bounds the 1M text page: its unavoidable parts, each alone, beside the page (breakdown.page_floor)."""
    p50 = {name: _num(parts[name]["p50_ms"]) for name in ("page", "around", "encode", "scan", "render", "floor")}
    return (f"What bounds it on these cores, for {parts['texts']} more texts, each part alone right after the page "
            f"(p50 ms): the page without a query over HTTP (request, middleware, header and form) {p50['around']}, the "
            f"query encoded as a worker encodes it {p50['encode']}, the index scan for the page's ids {p50['scan']}, "
            f"its {parts['k']} results rendered {p50['render']}: together {p50['floor']} ms a text, against "
            f"{p50['page']} for the page; the floor is {parts['floor_share']:.0%} of the page (median of the texts' "
            "ratios). More-by-artist and the keyword reads are not in it (the page could do without the first, and "
            "reads the second while the query is encoded).")


def _num(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"
