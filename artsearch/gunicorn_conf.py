"""gunicorn settings for production (docker-compose) and the benchmarks: gthread workers that load CLIP before serving."""

import logging

worker_class = "gthread"
# On 2 cores (bench/README.md): two processes, four threads each so that concurrent searches share a text pass.
workers = 2
threads = 4
timeout = 60
keepalive = 5
accesslog = None
backlog = 256


def post_worker_init(worker) -> None:
    """Load the encoder and embed one query before the worker accepts requests, so no visitor pays for it."""
    from gallery.embeddings import encode_query_text

    encode_query_text("a warm-up query")
    logging.getLogger("gunicorn.error").warning("artsearch: worker warm (CLIP loaded)")
