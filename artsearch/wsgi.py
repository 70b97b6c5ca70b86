"""WSGI entry point (gunicorn artsearch.wsgi, and runserver through WSGI_APPLICATION)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "artsearch.settings")
django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application does

from artsearch.replicas import ReplicaAwareWSGIHandler  # noqa: E402 (built once the apps are loaded, as Django does)

application = ReplicaAwareWSGIHandler()
