"""Helpers the tests share: paths, test pictures, uploads, subprocess environments, waiting. Fixtures live in
conftest.py; everything a test imports lives here."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from artsearch.embedded import free_port, stop_process

__all__ = ["ARTIFACTS", "BASE_DIR", "DATASET", "MET_SAMPLE", "IIIF_MANIFESTS", "SESSION_VARIABLE", "celery_broker",
           "database_url_for", "fail_on_processes_left", "free_port", "image_upload", "make_image_bytes",
           "painting_upload", "processes_left", "stop_process", "stored_files", "subprocess_env", "wait_for"]

BASE_DIR = Path(__file__).resolve().parent.parent
SHARED_DATASETS = BASE_DIR.parent / "shared" / "datasets"
DATASET = SHARED_DATASETS / "best-artworks"
MET_SAMPLE = SHARED_DATASETS / "met-sample"
ARTIFACTS = BASE_DIR / "test-artifacts"  # screenshots of the browser tests, for a person to look at
IIIF_MANIFESTS = SHARED_DATASETS / "iiif-manifests"

# Every process the tests start inherits this mark, however it builds its environment (os.environ, subprocess_env),
# and so do the children it forks: at the end of the session, any process still carrying it was left behind.
SESSION_VARIABLE = "ARTSEARCH_TEST_SESSION"
SESSION_ID = uuid.uuid4().hex
os.environ[SESSION_VARIABLE] = SESSION_ID


def make_image_bytes(*, size=(320, 240), fmt="JPEG", seed=0) -> bytes:
    """A deterministic, visually varied test picture (gradients plus noise) encoded as `fmt`."""
    rng = np.random.default_rng(seed)
    width, height = size
    x = np.linspace(0, 1, width)[None, :, None]
    y = np.linspace(0, 1, height)[:, None, None]
    colour = rng.random(3)[None, None, :]
    pixels = (np.sin(6 * x * colour + 3 * y) * 0.5 + 0.5) * 200 + rng.random((height, width, 3)) * 55
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype("uint8")).save(buffer, format=fmt)
    return buffer.getvalue()


def image_upload(name="painting.jpg", *, seed=0, fmt="JPEG", size=(320, 240)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_image_bytes(seed=seed, fmt=fmt, size=size),
                              content_type=f"image/{fmt.lower()}")


def painting_upload(index: int) -> SimpleUploadedFile:
    """A real painting of the Met sample as an upload: unlike the synthetic gradients of image_upload(), two of them
    are never near-duplicates of each other (for the 30th to 33rd, at least 42 of 128 hash bits apart)."""
    path = sorted((MET_SAMPLE / "images").glob("*.jpg"))[index]
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="image/jpeg")


def stored_files(tmp_path) -> list[Path]:
    """Every file in the test's MEDIA_ROOT: an orphan left by a failed upload shows up here."""
    return sorted(path for path in (tmp_path / "media").rglob("*") if path.is_file())


def database_url_for(name: str) -> str:
    """DATABASE_URL with the database name replaced (a subprocess must use pytest-django's test database)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def subprocess_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "CLIP_PRETRAINED": "untrained", "PYTHONUNBUFFERED": "1", SESSION_VARIABLE: SESSION_ID,
            **extra}


def processes_left(session_id: str = SESSION_ID) -> dict[int, str]:
    """Live processes other than this one whose environment carries the session mark: {pid: command line}.

    /proc/<pid>/environ is the environment a process was started with; a zombie's reads empty, so it does not count.
    """
    mark = f"{SESSION_VARIABLE}={session_id}".encode()
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        if pid == os.getpid():
            continue
        try:
            marked = mark in (entry / "environ").read_bytes().split(b"\0")
            command = (entry / "cmdline").read_bytes()
        except OSError:  # exited meanwhile, or not ours to read
            continue
        if marked:
            found[pid] = command.replace(b"\0", b" ").decode(errors="replace").strip()
    return found


def fail_on_processes_left(session, *, session_id: str = SESSION_ID, grace: float = 5.0) -> dict[int, str]:
    """Fail the pytest session if processes the tests started outlive it (after `grace` seconds to finish exiting);
    report and kill them, so that none lingers. Returns what was found."""
    deadline = time.monotonic() + grace
    while (left := processes_left(session_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if not left:
        return left
    for pid in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    lines = [f"{len(left)} process(es) started by the tests outlived them (now killed); stop them in the test that "
             "starts them (tests.helpers.stop_process, start_new_session=True):",
             *(f"  pid {pid}: {command[:300]}" for pid, command in sorted(left.items()))]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")  # after the progress dots
        reporter.section("processes left behind", sep="=", red=True, bold=True)
        for line in lines:
            reporter.line(line, red=True)
    else:
        print("\n".join(lines), file=sys.stderr)
    if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return left


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout:.0f}s waiting for {what}")


@contextlib.contextmanager
def celery_broker(url: str):
    """Point this process's Celery app at another broker for a while (to simulate an outage)."""
    from artsearch.celery import app

    def reset_pool():
        # Celery has no public way to switch brokers; kombu keeps one pool per URL, so forgetting the app's
        # connection and producer pools is enough (the original URL's pool is still open when we switch back).
        app._pool = None
        app.amqp._producer_pool = None

    original = app.conf.broker_url
    app.conf.broker_url = url
    reset_pool()
    try:
        yield
    finally:
        app.conf.broker_url = original
        reset_pool()


def reproduction_upload(artwork, name: str = "reproduction.jpg") -> SimpleUploadedFile:
    """Another reproduction of a stored artwork's picture: smaller, recompressed, so other bytes."""
    with artwork.image.open("rb") as handle:
        picture = Image.open(handle).convert("RGB")
    buffer = io.BytesIO()
    picture.resize((picture.width * 15 // 16, picture.height * 15 // 16)).save(buffer, "JPEG", quality=75)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a client that gave up (timeout tests) is expected
        pass


@contextlib.contextmanager
def loopback_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on a free loopback port, in a thread, answering with `handler`; yields its base URL."""
    httpd = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


_MET_IMAGES = sorted((MET_SAMPLE / "images").glob("*.jpg"))


def respond(handler: BaseHTTPRequestHandler, body: bytes | None, content_type: str = "application/json", *,
            status: int = 200) -> None:
    """A loopback server's answer: `status` with `body`, or 404 when it is None."""
    if body is None:
        handler.send_response(404)
        handler.end_headers()
        return
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def met_picture(key: str) -> bytes:
    """A real picture of the Met sample, the same for the same key and different for most others."""
    return _MET_IMAGES[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(_MET_IMAGES)].read_bytes()


class MuseumServer(BaseHTTPRequestHandler):
    """Serves the shared manifests with every remote URL moved onto this server, and a real picture at any other
    path: what the institutions' image servers would answer."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        name = self.path.rsplit("/", 1)[-1]
        if self.path.startswith("/manifests/") and (IIIF_MANIFESTS / name).is_file():
            text = re.sub(r"https?://([^/\"]+)", lambda m: f"{base}/remote/{m[1]}", (IIIF_MANIFESTS / name).read_text())
            body, kind = text.encode(), "application/json"
        elif self.path.startswith("/remote/"):
            body, kind = met_picture(self.path), "image/jpeg"
        else:
            body, kind = None, ""
        respond(self, body, kind)
