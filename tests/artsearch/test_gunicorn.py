"""gunicorn as production runs it (artsearch/gunicorn_conf.py): the master loads CLIP, the workers it forks share it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from artsearch.embedded import process_alive
from tests.helpers import BASE_DIR, database_url_for, free_port, stop_process, subprocess_env, wait_for

pytestmark = pytest.mark.slow

# ViT-B-32's weights alone take about 300 MB in bf16; unshared, a worker shares almost nothing with its master.
SHARED_WITH_MASTER_MIN_MB = 300
GUNICORN = [sys.executable, "-m", "gunicorn", "artsearch.wsgi", "--config", "artsearch/gunicorn_conf.py"]


def _workers(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]



def _shared_with_master_mb(pid: int) -> float:
    """Memory the process still shares with the one that forked it: pages written before the fork, unchanged since."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Shared_Dirty:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no Shared_Dirty in /proc/{pid}/smaps_rollup")


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    """start(**env): the production gunicorn (two workers) on the test database; stopped after the test."""
    env = subprocess_env(DATABASE_URL=database_url_for(connection.settings_dict["NAME"]),
                         DJANGO_MEDIA_ROOT=str(tmp_path / "media"))
    started: list[subprocess.Popen] = []

    def start(**extra_env: str) -> tuple[subprocess.Popen, str]:
        port = free_port()
        log_path = tmp_path / f"gunicorn-{port}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [*GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"],
                cwd=BASE_DIR, env={**env, **extra_env}, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)  # its own group: stop_process stops the workers with the master
        process.log_path = log_path
        started.append(process)
        wait_for(lambda: log_path.read_bytes().count(b"worker warm") == 2 or process.poll() is not None,
                 timeout=180, what="both gunicorn workers to load CLIP")
        assert process.poll() is None, log_path.read_text()
        return process, f"http://127.0.0.1:{port}"

    yield start
    for process in started:
        stop_process(process, timeout=30)


def test_workers_forked_from_a_master_with_clip_share_it_and_search(gunicorn, embedded_artworks):
    works = embedded_artworks(3)
    process, base = gunicorn(CLIP_THREADS="1")

    assert b"CLIP loaded in the master" in process.log_path.read_bytes()
    workers = _workers(process.pid)
    assert len(workers) == 2
    # Each worker embedded a query after the fork (the "worker warm" lines); searches return the stored works
    # (whichever worker answers them).
    for _ in range(4):
        response = requests.get(f"{base}/api/search", params={"q": "a stormy sea at night", "k": 3}, timeout=60)
        assert response.status_code == 200
        assert {hit["id"] for hit in response.json()["results"]} == {work.pk for work in works}
    assert min(_shared_with_master_mb(pid) for pid in workers) >= SHARED_WITH_MASTER_MIN_MB


def test_more_torch_threads_load_clip_in_each_worker(gunicorn):
    # OpenMP's thread pool does not survive fork: with several torch threads, the master must not load CLIP.
    process, base = gunicorn(CLIP_THREADS="2")

    log = process.log_path.read_bytes()
    assert b"CLIP loaded in the master" not in log
    assert b"each worker loads CLIP itself" in log
    assert requests.get(f"{base}/api/search", params={"q": "sunflowers"}, timeout=60).status_code == 200


def test_workers_exit_when_their_master_is_killed_even_if_stuck(gunicorn):
    process, _ = gunicorn(CLIP_THREADS="1")
    workers = _workers(process.pid)
    assert len(workers) == 2
    # Stopped, a worker is as deaf as one stuck in a request: gunicorn's own "parent changed" check never runs, and
    # only the kernel's parent-death signal (gunicorn_conf.post_fork) can end it.
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    process.kill()  # the master alone, as a SIGKILL after a timeout does

    wait_for(lambda: not any(process_alive(pid) for pid in workers), timeout=10, what="the orphaned workers to exit")


def test_workers_that_served_searches_stop_well_within_the_graceful_timeout(gunicorn):
    """A stop waits up to gunicorn's graceful timeout (30 s) for the workers. Workers that had served searches used to
    hang in ONNX Runtime's exit handlers about every other time, for all of it (gunicorn_conf.worker_exit)."""
    process, base = gunicorn(CLIP_THREADS="1")
    sessions = [requests.Session() for _ in range(4)]  # kept-alive connections, open through the stop
    for number, session in enumerate(sessions * 3):
        response = session.get(f"{base}/api/search", params={"q": f"a harbour at dawn {number}"}, timeout=60)
        assert response.status_code == 200

    started = time.monotonic()
    stop_process(process, timeout=60)
    assert time.monotonic() - started < 15
    assert process.returncode == 0


def test_missing_weights_stop_gunicorn_before_it_serves_with_the_fix_in_its_log(tmp_path):
    missing = tmp_path / "missing.pt"
    env = subprocess_env(CLIP_PRETRAINED=str(missing), CLIP_ON_MISSING_WEIGHTS="error", CLIP_THREADS="1")
    finished = subprocess.run([*GUNICORN, "--bind", f"127.0.0.1:{free_port()}"], cwd=BASE_DIR, env=env,
                              capture_output=True, text=True, timeout=120)

    assert finished.returncode == 1
    assert f"checkpoint file {missing} does not exist" in finished.stderr
    assert "Fix: set CLIP_PRETRAINED" in finished.stderr
