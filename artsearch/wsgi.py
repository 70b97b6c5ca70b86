"""WSGI entry point (gunicorn artsearch.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "artsearch.settings")
application = get_wsgi_application()
