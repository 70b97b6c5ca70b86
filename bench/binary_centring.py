"""Would binary quantisation recall more if the signs were taken around the collection's mean? (issue 21)

pgvector's `binary_quantize` keeps each coordinate's sign. Embeddings share a large common component (the synthetic
rows' mean vector has a length of about 0.7), so many signs are the same for every row; subtracting the mean first
spreads them. This measures, exactly and in numpy (no index: the best any Hamming index could do), recall@10 of the
`rerank` rows nearest by Hamming distance re-ranked by the full vectors' cosine, with and without centring, on the
bench's clustered synthetic rows (bench/vectors.py). Not a phase of `make bench`: run it on its own,

    .venv/bin/python -m bench.binary_centring [--rows 100000]

which writes bench/results/binary-centring.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench.vectors import ClusteredVectors, exact_top_k

BASE_DIR = Path(__file__).resolve().parent.parent
RERANKS = (100, 200, 400, 1000)
K = 10


def hamming_recall(rows: np.ndarray, queries: np.ndarray, truth: np.ndarray, centre: np.ndarray | float,
                   rerank: int) -> float:
    """recall@K of the `rerank` rows nearest by Hamming distance between sign codes around `centre`, re-ranked."""
    packed_rows = np.packbits((rows - centre) > 0, axis=1)
    packed_queries = np.packbits((queries - centre) > 0, axis=1)
    found = 0
    for query, code, expected in zip(queries, packed_queries, truth, strict=True):
        distances = np.unpackbits(packed_rows ^ code, axis=1).sum(axis=1)
        candidates = np.argpartition(distances, rerank)[:rerank]
        best = candidates[np.argsort(-(rows[candidates] @ query))[:K]]
        found += len(set(best.tolist()) & set(expected.tolist()))
    return found / (K * len(queries))


def run(generator: ClusteredVectors, *, count: int, n_queries: int = 300, seed: int = 11) -> dict:
    rows = np.concatenate(list(generator.chunks(count, seed=seed)))
    queries = generator.sample(n_queries, seed=seed + 1)
    truth = exact_top_k(iter([rows]), queries, K)
    mean = rows.mean(axis=0)
    return {"rows": count, "queries": n_queries, "mean_length": float(np.linalg.norm(mean)),
            "recall10": [{"rerank": rerank, "signs": hamming_recall(rows, queries, truth, 0.0, rerank),
                          "centred_signs": hamming_recall(rows, queries, truth, mean, rerank)}
                         for rerank in RERANKS]}


def markdown(result: dict) -> str:
    machine = result["machine"]
    lines = [f"# Binary quantisation: signs around zero or around the mean ({result['rows']:,} clustered rows)", "",
             f"Measured {result['measured_at']} on {machine['cpu_model']}, {machine['cores']} cores. Exact Hamming "
             f"search in numpy, {result['queries']} queries, recall@{K} after re-ranking by cosine; the rows' mean "
             f"vector has length {result['mean_length']:.2f}. Recall does not depend on the machine.", "",
             "| re-ranked | signs (pgvector's binary_quantize) | signs around the mean |", "| --- | --- | --- |"]
    lines += [f"| {row['rerank']:,} | {row['signs']:.3f} | {row['centred_signs']:.3f} |" for row in result["recall10"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    from bench import machine
    from bench.__main__ import _setup_django
    from bench.suites import Context

    os.environ.setdefault("DATABASE_URL", "postgres://unused@localhost/unused")  # settings need one; none is used
    _setup_django()
    context = Context(quick=False, var_dir=BASE_DIR / "var" / "bench",
                      dataset=BASE_DIR.parent / "shared" / "datasets" / "best-artworks")
    result = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine.describe(),
              **run(context.clustered(), count=args.rows)}
    stem = BASE_DIR / "bench" / "results" / "binary-centring"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    stem.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
