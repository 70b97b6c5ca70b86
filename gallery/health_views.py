"""/healthz for load balancers and monitors, /metrics for Prometheus (README "Health and metrics").

Both answer outside the request transaction (a database outage is what /healthz reports, not a reason to fail
before it runs), are never cached, and have no rate limit. /metrics, and the workers' names in /healthz, are for
the operator only: clients from METRICS_ALLOWED_NETWORKS, or with `Authorization: Bearer <METRICS_TOKEN>`.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from gallery.services.monitoring import DeploymentCollector, deployment_health

logger = logging.getLogger(__name__)
_last_failures: dict[str, str] = {}  # this process's last verdict, so that a failing probe is logged once a change


def operator_request(request: HttpRequest) -> bool:
    """Whether the client may read /metrics: the right bearer token, or an address in METRICS_ALLOWED_NETWORKS.

    Behind our proxy the address is the one it forwards (DJANGO_RATELIMIT_IP_META_KEY, its last entry); a request
    that did not come through the proxy (Prometheus in the same private network) is judged by its own address.
    """
    token = settings.METRICS_TOKEN
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and hmac.compare_digest(supplied.encode(), token.encode()):
        return True
    forwarded = request.META.get(settings.RATELIMIT_IP_META_KEY) if settings.RATELIMIT_IP_META_KEY else None
    address = (forwarded or request.META.get("REMOTE_ADDR", "")).split(",")[-1].strip()
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    client = getattr(client, "ipv4_mapped", None) or client  # a dual-stack socket's ::ffff:10.0.0.5 is 10.0.0.5
    return any(client in ipaddress.ip_network(network) for network in settings.METRICS_ALLOWED_NETWORKS)


def _log_change(failures: dict[str, str]) -> None:
    if failures == _last_failures:
        return
    if failures:
        logger.warning("Health check failing: %s", "; ".join(f"{part}: {why}" for part, why in failures.items()))
    else:
        logger.info("Health check passing again")
    _last_failures.clear()
    _last_failures.update(failures)


@never_cache
@require_safe
@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, redis and a worker for every queue answer; 503 naming the parts that do not."""
    checks = deployment_health(worker_names=operator_request(request))
    failures = {part: check.error for part, check in checks.items() if not check.ok}
    _log_change(failures)
    response = JsonResponse({
        "status": "fail" if failures else "ok",
        "failed": sorted(failures),
        "checks": {part: {"ok": check.ok, **({"error": check.error} if check.error else {}), **check.detail}
                   for part, check in checks.items()},
    }, status=503 if failures else 200)
    response._has_been_logged = True  # a failing probe is logged above, once; not as a server error each time
    return response


@never_cache
@require_safe
@transaction.non_atomic_requests
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format: django-prometheus's series, search latency (every gunicorn worker's, in multiprocess
    mode) and the deployment-wide series read at scrape time."""
    if not operator_request(request):
        return HttpResponse("Metrics are for the operator: see README \"Health and metrics\".\n", status=403,
                            content_type="text/plain")
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # gunicorn (artsearch/gunicorn_conf.py): all workers' files
        multiprocess.MultiProcessCollector(registry)
    else:  # one process (runserver, tests): its own registry
        registry.register(REGISTRY)
    registry.register(DeploymentCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
