"""Start the product the way `make run` does and fetch pages over real HTTP."""

import signal
import subprocess
import sys

import pytest
import requests

from tests.helpers import BASE_DIR, free_port, stop_process, subprocess_env, wait_for

pytestmark = pytest.mark.slow


def _get(url: str):
    try:
        return requests.get(url, timeout=60)  # the first page loads the CLIP model
    except requests.ConnectionError:
        return None


def test_launcher_serves_the_home_page_and_stops_everything_on_ctrl_c(tmp_path):
    port = free_port()
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as log:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "artsearch.launcher", "run", "--addr", f"127.0.0.1:{port}"],
            cwd=BASE_DIR, env=subprocess_env(DJANGO_MEDIA_ROOT=str(tmp_path / "media")),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: b"artsearch is serving" in log_path.read_bytes(), timeout=180, what="the launcher")
        # The launcher searched once before announcing the server, so that loading CLIP is not a visitor's wait.
        wait_for(lambda: b'"GET /search/?q=warm-up HTTP/1.1" 200' in log_path.read_bytes(), timeout=10,
                 what="runserver to log the warm-up search")
        response = _get(f"http://127.0.0.1:{port}/")
        assert response.status_code == 200
        assert "Gallery" in response.text
        assert "126 artworks in the collection" in response.text  # the demo collection, imported into an empty one
        assert "not semantic" in response.text  # untrained weights are announced on every page
        assert _get(f"http://127.0.0.1:{port}/admin/").url.endswith("/admin/login/?next=/admin/")
        wait_for(lambda: b"celery@" in log_path.read_bytes() and b"ready." in log_path.read_bytes(), timeout=90,
                 what="the celery worker")
    finally:
        launcher.send_signal(signal.SIGINT)
        try:
            code = launcher.wait(timeout=60)
        finally:
            stop_process(launcher, timeout=10)  # a launcher that did not stop in time takes its children with it
    assert code in (0, 130), log_path.read_text()
    assert _get(f"http://127.0.0.1:{port}/") is None  # the web server went down with it
