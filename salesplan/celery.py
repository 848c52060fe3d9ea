"""The Celery app. Workers: ``celery -A salesplan worker`` (see README.md)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesplan.settings")

app = Celery("salesplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _jobs_watchdog_start(**kwargs: object) -> None:
    """Every worker watches the jobs (salesplan.services.jobs): a job whose worker died — another worker, or
    this one before it restarted — is marked interrupted and its leftovers removed. No beat process is
    needed; with no worker running, the web process does it when a job is started or its page loaded."""
    from salesplan.services.jobs import job_watchdog_start

    job_watchdog_start()
