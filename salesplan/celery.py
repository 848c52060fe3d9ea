"""The Celery app. Workers: ``celery -A salesplan worker`` (see README.md)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesplan.settings")

app = Celery("salesplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
