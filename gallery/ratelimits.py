"""Per-client rate limits for the public search and upload endpoints (django-ratelimit, counted in redis).

If redis is unreachable the limit fails open with a warning: searches must keep working through a cache outage.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

logger = logging.getLogger(__name__)


def _too_many(request, *, json: bool) -> HttpResponse:
    message = _("Too many searches from your address in a short time. Please wait a minute and try again.")
    if json:
        response = JsonResponse({"error": message}, status=429)
    else:
        response = HttpResponse(render_to_string("429.html", {"message": message}), status=429)
    response["Retry-After"] = "60"
    return response


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or behind a proxy the header named by RATELIMIT_IP_META_KEY (its last
    entry, the one our own proxy added; earlier ones are whatever the client claimed)."""
    value = request.META.get(settings.RATELIMIT_IP_META_KEY or "REMOTE_ADDR", "") or ""
    return value.split(",")[-1].strip()


def limit(*, group: str, rate_setting: str, json: bool = False):
    """Decorate a view: over settings.<rate_setting> requests per client address, answer 429."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            rate = getattr(settings, rate_setting)
            # Uploads (POST) count against their own, tighter budget.
            rate = settings.GALLERY_RATE_LIMIT_UPLOAD if request.method == "POST" and request.FILES else rate
            try:
                limited = is_ratelimited(request, group=f"{group}:{request.method}", key="ip", rate=rate,
                                         increment=True)
            except Exception as exc:  # redis down: serve rather than refuse everyone
                logger.warning("Rate limit not applied (%s)", exc)
                limited = False
            if limited:
                return _too_many(request, json=json)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
