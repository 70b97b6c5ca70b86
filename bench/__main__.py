"""Run the benchmarks and write bench/results/: `python -m artsearch.launcher bench [--quick] [--only a,b]`.

Each phase measures the optimised product path and its baselines in the same run. A phase that cannot run leaves
its figures null, with the reason in `notes`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import traceback
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
VAR_DIR = BASE_DIR / "var" / "bench"
DATASET = BASE_DIR.parent / "shared" / "datasets" / "best-artworks"
PHASES = ["ingest", "hnsw", "compact", "text", "image", "load", "map", "detail", "neardup", "iiif"]
# Only when asked, after every other phase: --scale-1m, --scale-2m, --neardup-1m.
SCALE_1M = ["compact_1m", "compact_build_1m", "text_1m"]
SCALE_2M = ["compact_2m"]
NEARDUP_1M = "neardup_1m"

logger = logging.getLogger("bench")


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "artsearch.settings")
    # Real weights cannot be downloaded here; the untrained ones cost the same to run (and are not semantic).
    os.environ.setdefault("CLIP_PRETRAINED", "untrained")
    os.environ.setdefault("CLIP_ON_MISSING_WEIGHTS", "untrained")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m artsearch.launcher bench")
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs (a few minutes)")
    parser.add_argument("--only", default=",".join(PHASES), help=f"comma-separated phases from {PHASES}")
    parser.add_argument("--scale-1m", "--hnsw-1m", action="store_true",
                        help="also the compact vector indexes and the text-search page at 1M rows (about 40 min)")
    parser.add_argument("--scale-2m", action="store_true", help="also the compact vector indexes at 2M rows")
    parser.add_argument("--neardup-1m", action="store_true", help="also measure the near-duplicate lookup at 1M rows")
    parser.add_argument("--out", type=Path, default=None, help="results file stem (default: latest, quick or partial)")
    parser.add_argument("--merge", metavar="A.json,B.json", help="instead of the phases: one report of the phases of "
                        "earlier runs of this machine (later files win), e.g. --scale-1m's phases run in two parts")
    parser.add_argument("--compare", metavar="REF", help="instead of the phases: this checkout against commit REF "
                        "over HTTP, side by side (bench/compare.py)")
    parser.add_argument("--compare-rows", type=int, metavar="N",
                        help="the synthetic rows both versions serve in --compare (default 100,000); at any other size "
                        "the large-original import, which empties the gallery, is left out")
    args = parser.parse_args(argv)
    phases = [phase.strip() for phase in args.only.split(",") if phase.strip()]
    for asked, extra in ((args.scale_1m, SCALE_1M), (args.scale_2m, SCALE_2M), (args.neardup_1m, [NEARDUP_1M])):
        phases += [phase for phase in extra if asked and phase not in phases]
    if unknown := set(phases) - set(PHASES) - {*SCALE_1M, *SCALE_2M, NEARDUP_1M}:
        parser.error(f"unknown phases {sorted(unknown)}; choose from {PHASES}")
    # WARNING at the root: open_clip logs every model construction there at INFO.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s", stream=sys.stdout)
    logging.getLogger("bench").setLevel(logging.INFO)
    from bench import db, pgtune

    db.require_bench_database()
    restarted = pgtune.ensure_shared_buffers()
    try:
        return _run(args, phases)
    finally:
        pgtune.stop_restarted(restarted)


def _run(args: argparse.Namespace, phases: list[str]) -> int:
    _setup_django()
    from django.conf import settings
    from django.db import connections

    from bench import compare, machine, pgtune, report, suites

    context = suites.Context(quick=args.quick, var_dir=VAR_DIR, dataset=DATASET)
    if args.merge:
        try:
            report.merge([Path(name) for name in args.merge.split(",")], stem=Path(args.out or RESULTS_DIR / "merged"))
        except ValueError as exc:
            logger.error("%s", exc)
            return 2
        return 0
    if args.compare:
        rows = args.compare_rows or compare.ROWS
        suites.ensure_scale(context, rows)
        if rows > compare.ROWS:  # as text_1m does: most of a large index is not in shared_buffers yet
            suites.warm_index(context, settings.GALLERY_HNSW_EF_SEARCH, queries=3000)
        result = compare.run(ref=args.compare, var_dir=VAR_DIR, dataset=DATASET, rows=rows)
        description, stem = machine.describe(), args.out or RESULTS_DIR / "compare"
        compare.write(result, stem, machine=f"{description['cpu_model']}, {description['cores']} cores")
        connections.close_all()
        logger.info("wrote %s", stem)
        return 0
    results: dict = {"phases": {}, "notes": {}}
    conditions: dict = {}
    started = time.monotonic()
    for phase in phases:
        logger.info("=== %s", phase)
        phase_start, load_before = time.monotonic(), os.getloadavg()[0]
        try:
            results["phases"][phase] = getattr(suites, f"run_{phase}")(context)
        except Exception as exc:  # noqa: BLE001 - one broken phase must not lose the others' numbers
            traceback.print_exc()
            results["notes"][phase] = f"the {phase} phase failed: {exc!r}"
        conditions[phase] = {"load_before": load_before, "load_after": os.getloadavg()[0],
                             "seconds": time.monotonic() - phase_start}
        logger.info("=== %s took %.0f s", phase, conditions[phase]["seconds"])
    results["wall_s"] = time.monotonic() - started
    # Only a complete run may replace latest/quick: a partial one would drop the other phases' figures.
    name = ("quick" if args.quick else "latest") if set(PHASES) <= set(phases) else "partial"
    stem = args.out or RESULTS_DIR / name
    report.write(results, stem=Path(stem), quick=args.quick, machine=machine.describe(),
                 postgres=pgtune.settings_in_effect(), conditions=conditions)
    connections.close_all()
    logger.info("wrote %s.json and %s.md", stem, stem)
    return 1 if results["notes"] and any(phase in results["notes"] for phase in phases) else 0


if __name__ == "__main__":
    sys.exit(main())
