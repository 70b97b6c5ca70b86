"""gunicorn settings for production (docker-compose) and the benchmarks: gthread workers that load CLIP before serving."""

import ctypes
import gc
import logging
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

worker_class = "gthread"
# On 2 cores (bench/README.md): two processes, four threads each so that concurrent searches share a text pass.
workers = 2
threads = 4
timeout = 60
keepalive = 5
accesslog = None
backlog = 256
# The master imports Django and loads CLIP once (when_ready, below) and the workers it forks share those pages:
# about 840 MB less for two workers (bench/README.md, "Production settings"). Code changes need a restart, not HUP.
preload_app = True
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


METRICS_DIR_PREFIX = "artsearch-metrics-"


def _fresh_metrics_dir() -> str:
    """prometheus_client's multiprocess mode: every worker writes its metrics to files in one directory, and /metrics
    adds them up. It must be set before the app (and prometheus_client) is loaded, hence here, and start empty: files
    of an earlier run would count its workers again. The operator's PROMETHEUS_MULTIPROC_DIR is emptied, else ours is
    made, named after this master."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        _remove_abandoned_metrics_dirs()
        return tempfile.mkdtemp(prefix=f"{METRICS_DIR_PREFIX}{os.getpid()}-")
    Path(path).mkdir(parents=True, exist_ok=True)
    for stale in Path(path).glob("*.db"):
        stale.unlink()
    return path


def _remove_abandoned_metrics_dirs() -> None:
    """Folders of masters that are gone: killed before on_exit (a stop that outlasts the workers' graceful exit)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{METRICS_DIR_PREFIX}*-*"):
        pid = folder.name.removeprefix(METRICS_DIR_PREFIX).split("-")[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:  # alive, another user's
            pass


_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _fresh_metrics_dir()


def when_ready(server) -> None:
    """Load CLIP in the master, before any worker is forked, so that the workers share its weights.

    Only with one torch thread (CLIP_THREADS=1, the production setting): with more, loading runs OpenMP parallel
    regions, and GNU OpenMP's thread pool does not survive fork, so each worker then loads its own copy instead.
    """
    from django.conf import settings

    log = logging.getLogger("gunicorn.error")
    if settings.CLIP_THREADS != 1:
        log.warning("artsearch: each worker loads CLIP itself (shared only with CLIP_THREADS=1, not %s)",
                    settings.CLIP_THREADS)
        return
    from gallery.clip import get_encoder

    get_encoder()
    # Keep what is loaded so far out of the workers' garbage collections: a collection writes to every object it
    # visits, which would copy those pages into each worker.
    gc.freeze()
    log.warning("artsearch: CLIP loaded in the master, shared by the workers")


def post_fork(server, worker) -> None:
    """Have the kernel SIGKILL this worker when the master dies.

    gunicorn's own parent check runs between requests only: a worker stuck in one (or in its warm-up) would outlive
    a killed master for good, holding the port. SIGKILL, not SIGTERM: with the master gone nothing would enforce the
    graceful timeout, and a stuck thread keeps a terminating worker alive.
    """
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: no parent-death signal
        return
    if prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL), ctypes.c_ulong(0), ctypes.c_ulong(0),
             ctypes.c_ulong(0)) != 0:
        logging.getLogger("gunicorn.error").warning("artsearch: prctl(PR_SET_PDEATHSIG) failed: %s",
                                                    os.strerror(ctypes.get_errno()))
        return
    if os.getppid() != worker.ppid:  # the master died before prctl: no signal will come
        sys.exit(0)


def post_worker_init(worker) -> None:
    """Load the encoder and embed one query before the worker accepts requests, so no visitor pays for it."""
    from gallery.clip import encode_query_text

    encode_query_text("a warm-up query")
    logging.getLogger("gunicorn.error").warning("artsearch: worker warm (CLIP loaded)")


def worker_exit(server, worker) -> None:
    """End the worker here, with its exit status, without the C++ libraries' exit handlers.

    ONNX Runtime's (the int8 query encoder's) destroy a condition variable at exit, and in a worker that has served
    searches that sometimes waits for ever: the worker then lingered until the master killed it at the end of the
    graceful timeout, so a restart or a stop took 30 s. Python's own shutdown has nothing left to do: gunicorn has
    closed the connections, and the master marks the worker's metrics dead (child_exit).
    """
    exc = sys.exc_info()[1]  # gunicorn calls this while the worker's SystemExit (or error) propagates
    status = exc.code if isinstance(exc, SystemExit) else exc
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if status is None else status if isinstance(status, int) else 1)


def child_exit(server, worker) -> None:
    """A worker that exited no longer reports its live gauges (its counters and histograms still count)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
