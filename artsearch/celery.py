"""The Celery app: configured from Django settings (CELERY_*), tasks discovered in installed apps."""

import os

from celery import Celery

from gallery.worker_heartbeats import Heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "artsearch.settings")

app = Celery("artsearch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["consumer"].add(Heartbeat)  # workers keep a heartbeat in the broker for /healthz
