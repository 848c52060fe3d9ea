"""Celery tasks of accounts: thin wrappers that load a job and call one service."""

from __future__ import annotations

from celery import shared_task

from accounts.services.exports import accounts_export
from accounts.services.import_undo import accounts_import_undo_run
from accounts.services.imports import account_import_workbook_read, accounts_import_run
from salesplan.services.jobs import job_execute


@shared_task(acks_late=True, reject_on_worker_lost=True)
def accounts_import_task(*, job_id: int, token: str = "") -> None:
    job_execute(job_id=job_id, token=token, service=accounts_import_run)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def accounts_import_read_task(*, job_id: int, token: str = "") -> None:
    job_execute(job_id=job_id, token=token, service=account_import_workbook_read)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def accounts_export_task(*, job_id: int, token: str = "") -> None:
    job_execute(job_id=job_id, token=token, service=accounts_export)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def accounts_import_undo_task(*, job_id: int, token: str = "") -> None:
    job_execute(job_id=job_id, token=token, service=accounts_import_undo_run)
