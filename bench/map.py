"""The collection map at 100k synthetic works (issue 20): what a layout costs (UMAP on every work, or fitted on a
sample with the rest placed among their nearest sampled works) and how well each keeps a work's neighbours, the
product's whole layout (atlases included), the data the page fetches, and the page over HTTP and in Chromium.

How well a layout keeps neighbourhoods: see neighbourhoods_kept.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
from pathlib import Path

import numpy as np

from bench.server import Client
from bench.stats import latency_summary

logger = logging.getLogger(__name__)

PROBES = 1000  # works whose neighbourhoods are compared
NEIGHBOURS = 10
CHROMIUM = Path("/usr/bin/chromium")


def neighbourhoods_kept(vectors: np.ndarray, positions: np.ndarray, *, seed: int = 0) -> dict:
    """How well a layout keeps neighbourhoods, over PROBES random works: `neighbours_kept`, the share of each one's
    NEIGHBOURS nearest works by vector that are among its NEIGHBOURS nearest on the map; `similarity_kept`, how similar
    its nearest on the map are to it, from 0 (no more than random works) to 1 (as similar as its true nearest). The
    synthetic works' clusters have 32 latent dimensions each, which no 2-D map can keep in full: the second figure
    says whether a map still puts like with like."""
    from gallery import map_layout

    rng = np.random.default_rng(seed)
    probes = rng.choice(len(vectors), size=min(PROBES, len(vectors)), replace=False)
    by_vector = map_layout.nearest(vectors[probes], vectors, NEIGHBOURS + 1)[:, 1:]  # without the work itself
    kept, on_map_similarity, true_similarity, random_similarity = [], [], [], []
    for row, probe in enumerate(probes):
        distances = np.linalg.norm(positions - positions[probe], axis=1)
        distances[probe] = np.inf
        on_map = np.argpartition(distances, NEIGHBOURS)[:NEIGHBOURS]
        kept.append(len(set(by_vector[row].tolist()) & set(on_map.tolist())) / NEIGHBOURS)
        on_map_similarity.append(float((vectors[on_map] @ vectors[probe]).mean()))
        true_similarity.append(float((vectors[by_vector[row]] @ vectors[probe]).mean()))
        random_similarity.append(float((vectors[rng.integers(len(vectors), size=NEIGHBOURS)] @ vectors[probe]).mean()))
    baseline = np.mean(random_similarity)
    return {"neighbours_kept": float(np.mean(kept)),
            "similarity_kept": float((np.mean(on_map_similarity) - baseline) / (np.mean(true_similarity) - baseline))}


def layouts(vectors: np.ndarray, samples: list[int]) -> list[dict]:
    """Each layout (0: UMAP on every work) timed, with the neighbours it keeps."""
    from gallery import map_layout

    map_layout.umap_layout(vectors[:3000])  # numba compiles UMAP on its first call: not part of any layout's time
    measured = []
    for sample in samples:
        start = time.perf_counter()
        positions = map_layout.sampled_layout(vectors, sample=sample)
        seconds = time.perf_counter() - start
        entry = {"sample": sample or len(vectors), "seconds": seconds, **neighbourhoods_kept(vectors, positions)}
        logger.info("map layout: %s", entry)
        measured.append(entry)
    return measured


def place_new(model_id: str, count: int) -> dict:
    """Take `count` random works off the map and place them again by their neighbours, as a page does."""
    from gallery.models import ArtworkMapPosition
    from gallery.services import collection_map

    ids = list(ArtworkMapPosition.objects.order_by("?").values_list("artwork_id", flat=True)[:count])
    ArtworkMapPosition.objects.filter(artwork_id__in=ids).delete()
    start = time.perf_counter()
    placed = collection_map.artworks_place_new(model_id=model_id, limit=None)
    seconds = time.perf_counter() - start
    return {"works": placed, "seconds": seconds, "ms_per_work": seconds * 1000 / max(placed, 1)}


def data_size(model_id: str) -> dict:
    """The map data as the page fetches it, and the atlases, in bytes; the data's build time in this process."""
    from django.core.files.storage import default_storage

    from gallery.models import CollectionMap
    from gallery.services import collection_map

    start = time.perf_counter()
    data = collection_map.collection_map_data(model_id=model_id)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    collection_map.collection_map_data(model_id=model_id)
    cached_s = time.perf_counter() - start
    layout = CollectionMap.objects.get(embedding_model=model_id)
    sizes = [default_storage.size(name) for name in layout.atlases]
    return {"works": json.loads(data.body)["count"], "build_s": build_s, "cached_s": cached_s,
            "json_bytes": len(data.body), "json_gzip_bytes": len(data.gzipped), "atlases": len(sizes),
            "atlas_bytes": sum(sizes), "atlas_bytes_mean": sum(sizes) / max(len(sizes), 1)}


def http(host: str, port: int, *, rounds: int) -> dict:
    """The page, its data (gzip, as browsers ask) and its atlases over one keep-alive connection each."""
    client = Client(host, port, timeout=120)
    gzip_headers = {"Accept-Encoding": "gzip"}
    start = time.perf_counter()
    status, body = client.request("GET", "/map/data.json", headers=gzip_headers)
    first_s = time.perf_counter() - start  # this worker builds the data (another worker's first fetch costs the same)
    if status != 200:
        raise RuntimeError(f"/map/data.json answered {status}")
    data = json.loads(gzip.decompress(body))
    timings: dict[str, list[float]] = {"page": [], "data": [], "revalidate": [], "static": []}
    etag = None
    for _ in range(rounds):
        for name, path, headers in (("page", "/map/", {}), ("data", "/map/data.json", gzip_headers),
                                    ("static", "/static/js/collection-map.js", gzip_headers)):
            start = time.perf_counter()
            client.conn.request("GET", path, headers=headers)
            response = client.conn.getresponse()
            response.read()
            timings[name].append(time.perf_counter() - start)
            if name == "data":
                etag = response.getheader("ETag")
        start = time.perf_counter()
        status, _ = client.request("GET", "/map/data.json", headers={**gzip_headers, "If-None-Match": etag or ""})
        timings["revalidate"].append(time.perf_counter() - start)
        if status != 304:
            raise RuntimeError(f"revalidating the map data answered {status}")
    atlas_times = []
    for url in data["atlas"]["urls"][:20]:
        start = time.perf_counter()
        status, _ = client.get(url)
        atlas_times.append(time.perf_counter() - start)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
    client.close()
    return {"data_first_ms": first_s * 1000, **{name: latency_summary(values) for name, values in timings.items()},
            "atlas": latency_summary(atlas_times)}


def browser(base_url: str, works: int) -> dict | None:
    """The page in headless Chromium: time until the map is drawn from its data, a frame's draw time while zooming
    and panning with the keyboard, and time until the atlases in view are drawn once zoomed in."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        return None
    if not CHROMIUM.exists():
        return None
    # Waits go through expect(): wait_for_function evaluates its predicate with eval(), which the page's CSP refuses.
    canvas_state = "() => Object.assign({}, document.getElementById('collection-map').dataset)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        canvas = page.locator("#collection-map")
        loads = []
        for _ in range(3):
            page.goto(f"{base_url}/map/")
            expect(canvas).to_have_attribute("data-count", str(works), timeout=120_000)
            expect(canvas).to_have_attribute("data-loaded-ms", re.compile(r"\d+"))
            loads.append(float(page.evaluate(canvas_state)["loadedMs"]) / 1000)  # since navigation started
        canvas.focus()
        frames = []
        for key in ["+", "+", "ArrowRight", "ArrowDown", "-", "ArrowLeft", "+", "ArrowUp", "0", "+"]:
            page.keyboard.press(key)
            page.wait_for_timeout(60)  # a frame or two
            frames.append(float(page.evaluate(canvas_state)["drawMs"]) / 1000)
        start = time.perf_counter()
        for _ in range(8):
            page.keyboard.press("+")
        expect(canvas).to_have_attribute("data-mode", "thumbnails")
        expect(canvas).to_have_attribute("data-atlases", re.compile(r"[1-9]\d*"), timeout=60_000)
        thumbnails_s = time.perf_counter() - start
        page.wait_for_timeout(1000)  # the other atlases in view
        page.keyboard.press("ArrowLeft")
        page.wait_for_timeout(100)
        zoomed = page.evaluate(canvas_state)
        chromium.close()
    return {"load": latency_summary(loads), "draw": latency_summary(frames), "thumbnails_ready_ms": thumbnails_s * 1000,
            "zoomed_view": {"works_drawn": int(zoomed["drawn"]), "atlases_loaded": int(zoomed["atlases"]),
                            "draw_ms": float(zoomed["drawMs"])}}


def run(*, model_id: str, samples: list[int]) -> dict:
    """The in-process measurements on the gallery as it is; `http` and `browser` need the server up."""
    from django.conf import settings

    from gallery.models import ArtworkMapPosition
    from gallery.services import collection_map

    start = time.perf_counter()
    _, vectors = collection_map.searchable_vectors(model_id)
    read_s = time.perf_counter() - start
    result: dict = {"works": len(vectors), "read_s": read_s, "layouts": layouts(vectors, samples)}
    del vectors
    layout = collection_map.collection_map_compute(model_id=model_id)
    ids, vectors = collection_map.searchable_vectors(model_id)
    where = {pk: (x, y) for pk, x, y in ArtworkMapPosition.objects.values_list("artwork_id", "x", "y").iterator()}
    positions = np.array([where[pk] for pk in ids.tolist()])
    result["product"] = {"sample": settings.GALLERY_MAP_FIT_SAMPLE, "method": layout.method, **layout.timings,
                         "atlas_ms_per_work": layout.timings["atlases"] * 1000 / max(layout.works, 1),
                         **neighbourhoods_kept(vectors, positions)}
    del vectors
    logger.info("map product layout: %s", result["product"])
    result["place_new"] = place_new(model_id, 500)
    result["data"] = data_size(model_id)
    logger.info("map data: %s", result["data"])
    return result
