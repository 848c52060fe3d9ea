"""Celery tasks of segmentation: thin wrappers that load a job and call one service."""

from __future__ import annotations

from celery import shared_task

from salesplan.services.jobs import job_execute
from segmentation.services.icp import icp_score_job


@shared_task(acks_late=True, reject_on_worker_lost=True)
def icp_score_task(*, job_id: int, token: str = "") -> None:
    job_execute(job_id=job_id, token=token, service=icp_score_job)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def territories_apply_task(*, job_id: int, token: str = "") -> None:
    from segmentation.services.territories import territories_apply_job

    job_execute(job_id=job_id, token=token, service=territories_apply_job)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def tam_run_task(*, job_id: int, token: str = "") -> None:
    from segmentation.services.tam import tam_run_job

    job_execute(job_id=job_id, token=token, service=tam_run_job)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def prioritize_task(*, job_id: int, token: str = "") -> None:
    from segmentation.services.priority import prioritize_job

    job_execute(job_id=job_id, token=token, service=prioritize_job)
