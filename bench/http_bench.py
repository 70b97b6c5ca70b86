"""Search over HTTP against gunicorn: single-client latency (text and image) and a closed-loop load generator."""

from __future__ import annotations

import io
import json
import logging
import random
import threading
import time
from pathlib import Path

from PIL import Image

from bench.server import Client, multipart, search_path
from bench.stats import latency_summary

logger = logging.getLogger(__name__)

RESULT_MARKER = b"Synthetic artist"  # every synthetic row's artist's name starts with it (in HTML and in JSON)


def text_latency(host: str, port: int, texts: list[str], *, k: int, warmup: list[str], api: bool = False) -> dict:
    """GET /search/?q=&k= (or the JSON API) one after another on a keep-alive connection; all must find rows."""
    client = Client(host, port)
    for text in warmup:
        client.get(search_path(text, k, api=api))
    durations = []
    for text in texts:
        start = time.perf_counter()
        status, body = client.get(search_path(text, k, api=api))
        durations.append(time.perf_counter() - start)
        check_text_answer(text, status, body)
    client.close()
    return latency_summary(durations)


def timed_get(client: Client, path: str, *, marker: bytes = b"") -> float:
    """Seconds for one GET of `path`, which must answer 200 (with `marker` in the body)."""
    start = time.perf_counter()
    status, body = client.get(path)
    duration = time.perf_counter() - start
    if status != 200 or marker not in body:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    return duration


def check_text_answer(text: str, status: int, body: bytes) -> None:
    if status != 200 or RESULT_MARKER not in body:
        raise RuntimeError(f"search for {text!r} answered {status} without results")


def check_image_answer(status: int, answer: bytes) -> None:
    if status != 200 or not json.loads(answer)["results"]:
        raise RuntimeError(f"image search answered {status}: {answer[:300]!r}")


def megapixel_jpegs(sources: list[Path], count: int) -> list[bytes]:
    """`count` different 1000x1000 (1.0 megapixel) JPEGs at quality 90, upscaled from the shared images."""
    uploads = []
    for path in sources[:count]:
        buffer = io.BytesIO()
        Image.open(path).convert("RGB").resize((1000, 1000), Image.Resampling.BICUBIC).save(buffer, "JPEG",
                                                                                            quality=90)
        uploads.append(buffer.getvalue())
    return uploads


def image_latency(host: str, port: int, uploads: list[bytes], *, rounds: int, k: int) -> dict:
    """POST /api/search with a multipart `image`, cycling through `uploads`; every answer must be 200 with results."""
    client = Client(host, port)
    durations = []
    for number in range(rounds * len(uploads) + 2):
        body, content_type = multipart({"image": (f"upload-{number}.jpg", uploads[number % len(uploads)],
                                                  "image/jpeg")})
        start = time.perf_counter()
        status, answer = client.request("POST", f"/api/search?k={k}", body=body,
                                        headers={"Content-Type": content_type})
        if number >= 2:  # two warm-up uploads
            durations.append(time.perf_counter() - start)
        check_image_answer(status, answer)
    client.close()
    return {"megapixels": 1.0, "upload_kb": sum(map(len, uploads)) / len(uploads) / 1024, **latency_summary(durations)}


def load(host: str, port: int, texts: list[str], *, clients: int, seconds: float, k: int, seed: int = 0,
         api: bool = False) -> dict:
    """`clients` threads, each a keep-alive connection sending its next random search as soon as one returns."""
    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()
    durations: list[float] = []
    errors: list[str] = []
    sent: set[str] = set()

    def client_loop(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        client = Client(host, port, timeout=30)
        while time.perf_counter() < stop_at:
            text = rng.choice(texts)
            start = time.perf_counter()
            try:
                status, body = client.get(search_path(text, k, api=api))
                error = None if status == 200 and RESULT_MARKER in body else f"HTTP {status}"
            except Exception as exc:  # noqa: BLE001 - every failure counts as an error, whatever it is
                error = repr(exc)
                client = Client(host, port, timeout=30)
            elapsed = time.perf_counter() - start
            with lock:
                sent.add(text)
                if error is None:
                    durations.append(elapsed)
                else:
                    errors.append(error)
        client.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client_loop, args=(number,), daemon=True) for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"clients": clients, "seconds": wall, "requests": len(durations) + len(errors), "errors": len(errors),
            "error_examples": sorted(set(errors))[:5], "rps": len(durations) / wall,
            "distinct_queries": len(sent), **latency_summary(durations)}
