"""A database outage answers with a friendly 503 page instead of a traceback; the next request tries again."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)


def service_unavailable() -> HttpResponse:
    """The 503 page, rendered without context processors (they would touch the database again)."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("Database unavailable: %s", exception)
            return service_unavailable()
        return None


def server_error(request, *args, **kwargs) -> HttpResponse:
    """handler500: a database outage outside a view (middleware, sessions) still gets the 503 page."""
    import sys

    from django.views.defaults import server_error as default_server_error

    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return service_unavailable()
    return default_server_error(request, *args, **kwargs)
