"""The launcher's command line: arguments reach pytest / the benchmarks, and each command gets its own var/ dir."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys

import pytest

from artsearch import launcher
from tests.helpers import BASE_DIR, subprocess_env, wait_for


@pytest.fixture
def launched(monkeypatch):
    """Run launcher.main without services or subprocesses; records the var dir and every command it would run."""
    calls: dict = {"commands": []}

    @contextlib.contextmanager
    def services(var_dir):
        calls["var_dir"] = var_dir
        yield {"DATABASE_URL": "postgresql://nowhere/x"}

    def call(command, env, cwd=None):
        calls["commands"].append((command, env))
        return 0

    monkeypatch.setattr(launcher, "EmbeddedServices", services)
    monkeypatch.setattr(launcher.subprocess, "call", call)
    monkeypatch.setattr(launcher, "_call", call)
    return calls


def test_options_before_positional_arguments_reach_pytest(launched):
    assert launcher.main(["test", "-q", "-x", "tests/artsearch/test_launcher.py", "-k", "name"]) == 0
    (command, _), = launched["commands"]
    assert command[1:3] == ["-m", "pytest"]
    assert sorted(command[3:]) == sorted(["-q", "-x", "tests/artsearch/test_launcher.py", "-k", "name"])
    var_dir = launched["var_dir"]  # private servers per test run, deleted afterwards
    assert var_dir.parent == launcher.BASE_DIR / "var" and var_dir.name.startswith("test-")
    assert not var_dir.exists()


def test_bench_runs_on_its_own_services_and_media(launched):
    assert launcher.main(["bench", "--quick", "--only", "hnsw"]) == 0
    migrate, bench = launched["commands"]
    assert "migrate" in migrate[0]
    assert bench[0][1:] == ["-m", "bench", "--quick", "--only", "hnsw"]
    assert launched["var_dir"] == launcher.BASE_DIR / "var" / "bench"
    assert bench[1]["DJANGO_MEDIA_ROOT"] == str(launcher.BASE_DIR / "var" / "bench" / "media")


def test_run_still_rejects_unknown_options(launched):
    with pytest.raises(SystemExit):
        launcher.main(["run", "--no-such-option"])


SLOW_TEARDOWN = """
import pathlib, time

import pytest

HERE = pathlib.Path(__file__).parent


@pytest.fixture
def server():
    yield
    time.sleep(1)  # as stopping a server takes a while
    (HERE / "torn-down").touch()


def test_runs_until_interrupted(server):
    (HERE / "started").touch()
    time.sleep(120)
"""


@pytest.mark.slow
def test_sigterm_lets_pytest_stop_what_it_started_before_the_launcher_exits(tmp_path):
    (tmp_path / "test_slow_teardown.py").write_text(SLOW_TEARDOWN)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    # Both URLs set: the launcher starts no services of its own.
    env = subprocess_env(DATABASE_URL="postgresql://unused/x", REDIS_URL="redis://unused:1/0")
    process = subprocess.Popen(
        [sys.executable, "-m", "artsearch.launcher", "test", "-p", "no:django", "-p", "no:cacheprovider",
         "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(tmp_path / "test_slow_teardown.py")],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: (tmp_path / "started").exists() or process.poll() is not None, timeout=60,
                 what="the inner test to start")
        process.send_signal(signal.SIGTERM)  # as CI does on a timeout: pytest itself gets no signal
        output = process.communicate(timeout=60)[0].decode()
    finally:
        launcher.stop_process(process, timeout=5)
    assert (tmp_path / "torn-down").exists(), output
    assert process.returncode == 130
