"""The product behind gunicorn on loopback, configured as in production (DEBUG off, manifest static files)."""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

from artsearch.embedded import free_port, stop_process

logger = logging.getLogger(__name__)

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = BASE_DIR / "artsearch" / "gunicorn_conf.py"


def production_env(var_dir: Path, *, torch_threads: int) -> dict[str, str]:
    """Environment of a production-like web process on plain-HTTP loopback, on the bench database and media."""
    return {
        **os.environ,
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "False",  # loopback HTTP; a TLS proxy does this in production
        "DJANGO_SESSION_COOKIE_SECURE": "False",
        "DJANGO_CSRF_COOKIE_SECURE": "False",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_STATIC_ROOT": str(var_dir / "static"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "CLIP_PRETRAINED": "untrained",
        "CLIP_ON_MISSING_WEIGHTS": "untrained",
        "CLIP_THREADS": str(torch_threads),
        # Every bench client is 127.0.0.1: limits stay on (their redis round trip is part of the cost) but high.
        "GALLERY_RATE_LIMIT_SEARCH": "1000000/m",
        "GALLERY_RATE_LIMIT_UPLOAD": "1000000/m",
    }


def collectstatic(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env,
                   check=True)


class Served(NamedTuple):
    host: str
    port: int
    pid: int  # gunicorn's master process; its children are the workers


@contextlib.contextmanager
def gunicorn(var_dir: Path, *, workers: int, threads: int, torch_threads: int,
             code_dir: Path = BASE_DIR) -> Iterator[Served]:
    """Serve the product (or another checkout of it, `code_dir`) with gunicorn until the block ends; yields
    (host, port, pid) once every worker is warm."""
    env = production_env(var_dir, torch_threads=torch_threads)
    collectstatic(env)
    port = free_port()
    log_path = var_dir / f"gunicorn-{port}.log"
    config = code_dir / GUNICORN_CONFIG.relative_to(BASE_DIR)
    command = [sys.executable, "-m", "gunicorn", "artsearch.wsgi", "--config", str(config),
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=code_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        _wait_until_warm(process, port, workers, log_path)
        logger.info("gunicorn on port %d: %d workers x %d threads, torch threads %d", port, workers, threads,
                    torch_threads)
        yield Served("127.0.0.1", port, process.pid)
    finally:
        stop_process(process, timeout=30)
    log_path.unlink()  # kept only when something went wrong


def memory_mb(pid: int) -> dict:
    """Resident memory of gunicorn's workers, each (RSS, counting the libraries they share), and of the master and
    workers together (PSS: shared pages split between the processes that map them, so the sum is what they take)."""
    workers = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def kilobytes(process: int, field: str) -> int:
        for line in Path(f"/proc/{process}/smaps_rollup").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise ValueError(f"no {field} in /proc/{process}/smaps_rollup")

    return {"worker_rss_mb": [kilobytes(worker, "Rss") / 1024 for worker in workers],
            "total_pss_mb": sum(kilobytes(process, "Pss") for process in [pid, *workers]) / 1024}


def _wait_until_warm(process: subprocess.Popen, port: int, workers: int, log_path: Path) -> None:
    # gunicorn_conf.py logs "warm" once a worker has loaded CLIP and embedded a query.
    deadline = time.monotonic() + 180
    while log_path.read_bytes().count(b"artsearch: worker warm") < workers:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start; see {log_path}")
        time.sleep(0.2)
    client = Client("127.0.0.1", port)
    status, _ = client.get("/")
    if status != 200:
        raise RuntimeError(f"GET / answered {status}; see {log_path}")


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closes it."""

    def __init__(self, host: str, port: int, timeout: float = 30) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path)

    def close(self) -> None:
        self.conn.close()


def search_path(query: str, k: int, *, api: bool = False) -> str:
    """The HTML results page, or the JSON API's text search with `api`."""
    return f"{'/api/search' if api else '/search/'}?{urlencode({'q': query, 'k': k})}"


def multipart(fields: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body of (filename, content, content type) fields and its Content-Type."""
    boundary = secrets.token_hex(16)
    parts = []
    for name, (filename, content, content_type) in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
