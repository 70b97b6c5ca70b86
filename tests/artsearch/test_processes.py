"""No process a test or a server starts outlives it: stop_process stops whole process groups, and the session's end
finds (and fails on) any process the tests left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from types import SimpleNamespace

import pytest

from artsearch.embedded import group_members, process_alive
from tests.helpers import (
    BASE_DIR,
    SESSION_VARIABLE,
    fail_on_processes_left,
    processes_left,
    stop_process,
    subprocess_env,
    wait_for,
)

# A shell that starts a child of its own and prints its pid: the child is in the shell's process group.
SHELL_WITH_CHILD = ["sh", "-c", "sleep 1000 & echo $!; wait"]



def _start_with_child(**popen_args) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(SHELL_WITH_CHILD, stdout=subprocess.PIPE, env=subprocess_env(), **popen_args)
    return process, int(process.stdout.readline())


@pytest.fixture
def started():
    """Popen objects a test registers here are stopped after it, whatever happened."""
    processes: list[subprocess.Popen] = []
    yield processes
    for process in processes:
        stop_process(process, timeout=1)
        if process.stdout:
            process.stdout.close()


def test_stop_process_stops_the_children_of_a_group_leader(started):
    process, child = _start_with_child(start_new_session=True)
    started.append(process)

    stop_process(process, timeout=10)

    assert not process_alive(child)  # SIGTERM ended the shell alone; its child would have run on
    assert group_members(process.pid) == []


def test_stop_process_kills_a_group_that_ignores_sigterm_after_the_timeout(started):
    process = subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 1000 & echo $!; wait"], stdout=subprocess.PIPE,
                               start_new_session=True)
    started.append(process)
    child = int(process.stdout.readline())

    stop_process(process, timeout=0.5)

    assert process.returncode == -signal.SIGKILL
    assert not process_alive(child)


def test_stop_process_stops_what_a_killed_and_reaped_leader_left_behind(started):
    # As when a test SIGKILLs a celery worker and waits for it: its pool child is orphaned in the group.
    process, child = _start_with_child(start_new_session=True)
    started.append(process)
    process.kill()
    process.wait()
    assert process_alive(child)

    stop_process(process, timeout=10)

    assert not process_alive(child)


def test_stop_process_never_signals_a_group_its_process_does_not_lead(tmp_path):
    # Run where a mistake can only kill the script: in a session of its own, it stops a child that shares its group.
    script = ("import subprocess; from artsearch.embedded import stop_process\n"
              "child = subprocess.Popen(['sleep', '1000'])\n"
              "stop_process(child, timeout=10)\n"
              "print('survived', child.returncode)\n")
    finished = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=subprocess_env(),
                              capture_output=True, text=True, timeout=60, start_new_session=True)

    assert finished.stdout.strip() == f"survived {-signal.SIGTERM}", finished.stderr


def test_processes_left_lists_the_processes_the_tests_started_until_they_stop(started):
    marked, child = _start_with_child(start_new_session=True)
    started.append(marked)
    unmarked = subprocess.Popen(["sleep", "1000"], env={"PATH": os.environ["PATH"]}, start_new_session=True)
    started.append(unmarked)

    # The shell prints the child's pid before the child has exec'd sleep.
    left = wait_for(lambda: (found := processes_left()).get(child) == "sleep 1000" and found, timeout=10,
                    what="the child to run sleep")  # a child inherits the mark
    assert left[marked.pid] == " ".join(SHELL_WITH_CHILD)
    assert unmarked.pid not in left
    assert os.getpid() not in left

    stop_process(marked, timeout=10)
    assert marked.pid not in processes_left() and child not in processes_left()


def test_a_process_left_at_the_end_of_the_session_fails_it_and_is_killed(started, capsys):
    session_id = uuid.uuid4().hex  # not this session's: its own check must not see this test's processes
    leaked = subprocess.Popen(["sleep", "1000"], env=subprocess_env(**{SESSION_VARIABLE: session_id}),
                              start_new_session=True)
    started.append(leaked)
    no_reporter = SimpleNamespace(get_plugin=lambda name: None)
    session = SimpleNamespace(exitstatus=pytest.ExitCode.OK, config=SimpleNamespace(pluginmanager=no_reporter))
    wait_for(lambda: leaked.pid in processes_left(session_id), timeout=10, what="sleep to start")

    assert list(fail_on_processes_left(session, session_id=session_id, grace=0.5)) == [leaked.pid]

    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    assert leaked.wait(timeout=10) == -signal.SIGKILL
    assert f"pid {leaked.pid}: sleep 1000" in capsys.readouterr().err


def test_a_session_whose_processes_all_stopped_passes(started):
    session = SimpleNamespace(exitstatus=pytest.ExitCode.OK, config=None)

    assert fail_on_processes_left(session, session_id=uuid.uuid4().hex) == {}
    assert session.exitstatus == pytest.ExitCode.OK


def test_the_session_check_runs_after_pytest_has_torn_down_the_session_fixtures(request):
    hook = request.config.pluginmanager.hook.pytest_sessionfinish
    by_module = {getattr(impl.plugin, "__name__", None): impl for impl in hook.get_hookimpls()}
    ours, teardown = by_module["tests.conftest"], by_module["_pytest.runner"]
    # pluggy calls the list from its end: trylast implementations come first in it.
    assert ours.trylast and not teardown.trylast
