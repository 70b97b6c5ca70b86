"""The launcher's command line: arguments reach pytest / the benchmarks, and each command gets its own var/ dir."""

from __future__ import annotations

import contextlib

import pytest

from artsearch import launcher


@pytest.fixture
def launched(monkeypatch):
    """Run launcher.main without services or subprocesses; records the var dir and every command it would run."""
    calls: dict = {"commands": []}

    @contextlib.contextmanager
    def services(var_dir):
        calls["var_dir"] = var_dir
        yield {"DATABASE_URL": "postgresql://nowhere/x"}

    def call(command, env, cwd):
        calls["commands"].append((command, env))
        return 0

    monkeypatch.setattr(launcher, "EmbeddedServices", services)
    monkeypatch.setattr(launcher.subprocess, "call", call)
    return calls


def test_options_before_positional_arguments_reach_pytest(launched):
    assert launcher.main(["test", "-q", "-x", "tests/test_launcher.py", "-k", "name"]) == 0
    (command, _), = launched["commands"]
    assert command[1:3] == ["-m", "pytest"]
    assert sorted(command[3:]) == sorted(["-q", "-x", "tests/test_launcher.py", "-k", "name"])
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
