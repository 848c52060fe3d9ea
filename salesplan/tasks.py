"""Celery tasks of the core: thin wrappers that load a job and call one service."""

from __future__ import annotations

from celery import shared_task

from salesplan.services.demo import demo_seed
from salesplan.services.jobs import job_execute


@shared_task(acks_late=True, reject_on_worker_lost=True)
def demo_seed_task(*, job_id: int, token: str = "") -> None:
    job_execute(job_id=job_id, token=token, service=demo_seed)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def refresh_task(*, job_id: int, token: str = "") -> None:
    from salesplan.services.freshness import refresh_after, refresh_run

    refresh_after(job_execute(job_id=job_id, token=token, service=refresh_run))
