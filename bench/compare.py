"""This checkout against an earlier commit, over HTTP in one run: `make bench-compare REF=<commit>`.

The shared machine's speed drifts by 20 % and more between runs, so a change is judged against the code before it in
the same run: both versions serve the same 100k synthetic rows side by side (production settings), and every text
query, upload and load interval alternates between them. Last, each version imports the same large originals
(`import_artworks --sync` on shared images scaled to 2400×1800), in turn, into an emptied gallery; the next bench run
loads the 100k rows again. With `--compare-rows` (1M, say) both serve that many rows and the import is left out, so
the rows stay for the next comparison or the text_1m phase. REF must work on this checkout's database schema (the
migrations since REF only add things). Results: bench/results/compare.{json,md}.
"""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from bench import http_bench, queries, server
from bench.stats import latency_summary, median, ratio
from bench.suites import PRODUCTION_SERVER

logger = logging.getLogger(__name__)

TEXTS, UPLOADS, LOAD_SECONDS, LOAD_ROUNDS = 200, 40, 30, 2
ROWS = 100_000  # the rows both versions serve; the large import runs only at this size
LARGE_SIZE, LARGE_COUNT, IMPORT_ROUNDS = (2400, 1800), 64, 2  # 4.3 MP: a museum's web-size scan
# Run with the checkout as working directory: `python -c` puts it first on sys.path, so its own code is imported.
_IMPORT_SCRIPT = """
import json, sys, time
import django
django.setup()
from pathlib import Path
from gallery.clip import get_encoder
from gallery.services import importer
assert importer.__file__.startswith(sys.argv[2]), importer.__file__
get_encoder()  # the model load is not import throughput
start = time.perf_counter()
report = importer.dataset_import(root=Path(sys.argv[1]), sync=True)
print(json.dumps({"imported": report.imported, "seconds": time.perf_counter() - start}))
"""


@contextlib.contextmanager
def _checkout(ref: str, var_dir: Path):
    """A detached git worktree of `ref` under var_dir, removed afterwards."""
    path = var_dir / "compare-ref"
    subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=server.BASE_DIR, capture_output=True)
    subprocess.run(["git", "worktree", "add", "--detach", str(path), ref], cwd=server.BASE_DIR, check=True,
                   capture_output=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=server.BASE_DIR, check=True)


def _in_turn(names, number: int) -> list:
    """`names` in order for odd samples and reversed for even ones, so neither version always goes first."""
    return list(names) if number % 2 else list(names)[::-1]


def _alternating(clients: dict, samples: int, request) -> dict[str, list[float]]:
    """Durations of `request(client, number)` for each version, the order swapped on every sample."""
    durations: dict[str, list[float]] = {name: [] for name in clients}
    for number in range(samples):
        for name in _in_turn(clients, number):
            start = time.perf_counter()
            request(clients[name], number)
            durations[name].append(time.perf_counter() - start)
    return durations


def large_originals(dataset: Path, root: Path) -> Path:
    """LARGE_COUNT shared images scaled up to LARGE_SIZE JPEGs (quality 90), in the Kaggle layout, under `root`."""
    if not (root / "artists.csv").exists():
        shared = sorted(dataset.rglob("*.jpg"))
        for source in shared[:: max(1, len(shared) // LARGE_COUNT)][:LARGE_COUNT]:
            target = root / "images" / source.parent.name / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            Image.open(source).convert("RGB").resize(LARGE_SIZE, Image.Resampling.BICUBIC).save(target, quality=90)
        (root / "artists.csv").write_bytes((dataset / "artists.csv").read_bytes())
    return root


def _import_rate(code_dir: Path, root: Path) -> float:
    """Images per second of one `--sync` import of `root` into an emptied gallery, run by the code in `code_dir`."""
    from bench.ingest import reset_gallery

    reset_gallery()
    completed = subprocess.run([sys.executable, "-c", _IMPORT_SCRIPT, str(root), str(code_dir)], cwd=code_dir,
                               capture_output=True, text=True)
    if completed.returncode:
        raise RuntimeError(f"the import with {code_dir} failed:\n{completed.stderr[-3000:]}")
    answer = json.loads(completed.stdout.strip().splitlines()[-1])
    return answer["imported"] / answer["seconds"]


def run(*, ref: str, var_dir: Path, dataset: Path, rows: int = ROWS) -> dict:
    from django.conf import settings as django_settings

    texts = queries.texts(4500, seed=1)
    measured, warmup = texts[2000 : 2000 + TEXTS], texts[4000:4030]
    uploads = http_bench.megapixel_jpegs(sorted(dataset.rglob("*.jpg"))[::37], 8)
    bodies = [server.multipart({"image": (f"u{number}.jpg", uploads[number % len(uploads)], "image/jpeg")})
              for number in range(UPLOADS)]
    settings = dict(PRODUCTION_SERVER)
    sha = subprocess.run(["git", "rev-parse", ref], cwd=server.BASE_DIR, check=True, capture_output=True,
                         text=True).stdout.strip()
    with _checkout(sha, var_dir) as ref_dir, \
            server.gunicorn(var_dir, code_dir=ref_dir, **settings) as (host, ref_port, _), \
            server.gunicorn(var_dir, **settings) as (_, port, _):
        ports = {"current": port, "ref": ref_port}
        clients = {name: server.Client(host, number) for name, number in ports.items()}
        for client in clients.values():
            for text in warmup:
                client.get(server.search_path(text, 24))

        def text_search(client, number):
            status, body = client.get(server.search_path(measured[number], 24))
            http_bench.check_text_answer(measured[number], status, body)

        def image_search(client, number):
            body, content_type = bodies[number]
            status, answer = client.request("POST", "/api/search?k=12", body=body,
                                            headers={"Content-Type": content_type})
            http_bench.check_image_answer(status, answer)

        text = _alternating(clients, TEXTS, text_search)
        image = _alternating(clients, UPLOADS, image_search)
        load: dict[str, list[dict]] = {name: [] for name in ports}
        for round_ in range(LOAD_ROUNDS):
            for name in _in_turn(ports, round_):
                run_ = http_bench.load(host, ports[name], texts, clients=20, seconds=LOAD_SECONDS, k=24, seed=round_)
                load[name].append({key: run_[key] for key in ("rps", "errors", "p50_ms", "p99_ms")})
        imports: dict[str, list[float]] = {"current": [], "ref": []}
        for round_ in range(IMPORT_ROUNDS if rows == ROWS else 0):
            large = large_originals(dataset, var_dir / "large-originals")
            for name in _in_turn(ports, round_):
                imports[name].append(_import_rate(server.BASE_DIR if name == "current" else ref_dir, large))
    result = {"ref": ref, "ref_sha": sha, "rows": rows, "ef_search": django_settings.GALLERY_HNSW_EF_SEARCH,
              "server": settings, "large_import_img_per_s": imports,
              "text": {name: latency_summary(values) for name, values in text.items()},
              "image": {name: latency_summary(values) for name, values in image.items()},
              "load": load}
    result["load_rps_median"] = {name: median([r["rps"] for r in runs]) for name, runs in load.items()}
    result["ratios"] = {
        "text_p50": ratio(result["text"]["ref"]["p50_ms"], result["text"]["current"]["p50_ms"]),
        "image_p50": ratio(result["image"]["ref"]["p50_ms"], result["image"]["current"]["p50_ms"]),
        "load_rps": ratio(result["load_rps_median"]["current"], result["load_rps_median"]["ref"]),
        "large_import": ratio(median(imports["current"]), median(imports["ref"])) if imports["ref"] else None,
    }
    return result


def write(result: dict, stem: Path, *, machine: str) -> None:
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    text, image, load = result["text"], result["image"], result["load_rps_median"]
    imports = result["large_import_img_per_s"]
    lines = [
        f"# This checkout against {result['ref']} ({result['ref_sha'][:10]}), same run", "",
        f"Measured {time.strftime('%Y-%m-%dT%H:%M:%S%z')} on {machine}. Both versions serve the same "
        f"{result.get('rows', ROWS):,} synthetic rows with the production settings (ef_search "
        f"{result.get('ef_search', '?')}); every sample alternates between them (`make bench-compare`).", "",
        "| measure | ref | current | ref ÷ current (current ÷ ref for throughput) |", "| --- | --- | --- | --- |",
        f"| text page p50 ms (k=24, {TEXTS} new queries) | {text['ref']['p50_ms']:.1f} | "
        f"{text['current']['p50_ms']:.1f} | {result['ratios']['text_p50']:.2f} |",
        f"| text page p95 ms | {text['ref']['p95_ms']:.1f} | {text['current']['p95_ms']:.1f} | |",
        f"| image search p50 ms (1 MP upload, {UPLOADS}) | {image['ref']['p50_ms']:.1f} | "
        f"{image['current']['p50_ms']:.1f} | {result['ratios']['image_p50']:.2f} |",
        f"| searches/s, 20 clients, {LOAD_ROUNDS}×{LOAD_SECONDS} s each (median) | {load['ref']:.1f} | "
        f"{load['current']:.1f} | {result['ratios']['load_rps']:.2f} |",
        f"| load errors | {sum(r['errors'] for r in result['load']['ref'])} | "
        f"{sum(r['errors'] for r in result['load']['current'])} | |",
    ]
    if imports["ref"]:
        lines.append(f"| import of {LARGE_COUNT} large originals ({LARGE_SIZE[0]}×{LARGE_SIZE[1]}), images/s, "
                     f"{IMPORT_ROUNDS} rounds (median) | {median(imports['ref']):.1f} | "
                     f"{median(imports['current']):.1f} | {result['ratios']['large_import']:.2f} |")
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
