"""Background jobs: start one (once), run it, report its progress, end it.

How a job keeps "a failed job leaves the previous results current": progress is written on the job's
own connection between units of work, so a service never holds one transaction around the whole job.
Instead each service either writes its results under a new run and makes that run current in one
final step, or merges a staged input in one final transaction. A job that dies half-way therefore
leaves only unreferenced rows behind, never a half-updated current result.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from salesplan.models import JobRun

if TYPE_CHECKING:
    from celery import Task

    from salesplan.models import User

logger = logging.getLogger(__name__)

JobService = Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class JobKind:
    """A kind of background job: its label on screen, the Celery task that runs it, who may start it."""

    key: str
    label: str
    task: Task
    # Where the result is shown once the job succeeded, and the words of the link.
    result_url: Callable[[JobRun], str | None] | None = None
    result_link_text: str = ""
    leader_only: bool = True
    describe: dict[str, str] = field(default_factory=dict)


_KINDS: dict[str, JobKind] = {}


def job_kind_register(kind: JobKind) -> None:
    """Called from an app's ``ready()``: the core runs jobs without importing the apps above it."""
    _KINDS[kind.key] = kind


def job_kind_get(key: str) -> JobKind:
    try:
        return _KINDS[key]
    except KeyError:
        raise LookupError(f"Unknown job kind {key!r}; registered: {', '.join(sorted(_KINDS))}.") from None


def job_kind_label(key: str) -> str:
    kind = _KINDS.get(key)
    return kind.label if kind else key.replace("_", " ").capitalize()


def job_kind_choices() -> list[tuple[str, str]]:
    return sorted(((k.key, k.label) for k in _KINDS.values()), key=lambda choice: choice[1])


def job_release_stale(*, dedupe_key: str | None = None) -> int:
    """Fail jobs whose runner vanished (worker killed, server restarted) so they no longer block."""
    cutoff = timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)
    stale = JobRun.objects.filter(status__in=JobRun.ACTIVE).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    if dedupe_key is not None:
        stale = stale.filter(dedupe_key=dedupe_key)
    return stale.update(
        status=JobRun.Status.FAILED,
        finished_at=timezone.now(),
        message="Stopped without finishing",
        error="The job stopped reporting progress (its worker was stopped or lost). "
        "Nothing it had not finished was made current; start it again.",
    )


def job_start(
    *,
    kind: str,
    started_by: User | None,
    params: dict[str, Any] | None = None,
    dedupe_key: str = "",
    countdown: float = 0,
) -> tuple[JobRun, bool]:
    """Queue a job unless the same one is already queued or running; return (job, created).

    The task is sent only after the surrounding transaction commits, so a worker never looks for a
    row that is not there yet. ``countdown``: seconds before it may start (while it waits, the same
    request returns it, so changes made meanwhile share one run).
    """
    spec = job_kind_get(kind)
    key = dedupe_key or kind
    with transaction.atomic():
        job_release_stale(dedupe_key=key)
        existing = JobRun.objects.filter(dedupe_key=key, status__in=JobRun.ACTIVE).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                job = JobRun.objects.create(
                    kind=kind, dedupe_key=key, params=params or {}, started_by=started_by, message="Waiting to start"
                )
        except IntegrityError:
            # Another request queued the same job between our check and our insert.
            return JobRun.objects.get(dedupe_key=key, status__in=JobRun.ACTIVE), False
        transaction.on_commit(lambda: _job_dispatch(task=spec.task, job_id=job.pk, countdown=countdown))
    return job, True


def _job_dispatch(*, task: Task, job_id: int, countdown: float = 0) -> None:
    backend = settings.JOBS_BACKEND
    if backend == "celery":
        task.apply_async(kwargs={"job_id": job_id}, countdown=countdown or None)
    elif backend == "sync":  # tests: at once
        task.apply(kwargs={"job_id": job_id})
    else:
        runner = threading.Timer(countdown, _run_in_thread, args=(task, job_id))
        runner.name, runner.daemon = f"job-{job_id}", True
        runner.start()


def _run_in_thread(task: Task, job_id: int) -> None:
    try:
        task.apply(kwargs={"job_id": job_id})
    finally:
        connections.close_all()


def job_execute(*, job_id: int, service: JobService) -> JobRun | None:
    """Claim the job, run ``service(job=job, **job.params)``, and record how it ended.

    Safe to call twice for the same job: a finished job is not run again, and a re-delivery of a job
    whose worker died re-runs an idempotent service.
    """
    now = timezone.now()
    claimed = JobRun.objects.filter(pk=job_id, status__in=JobRun.ACTIVE).update(
        status=JobRun.Status.RUNNING,
        started_at=Coalesce(F("started_at"), now),
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        message="Running",
    )
    if not claimed:
        logger.info("Job %s is already finished; ignoring this delivery.", job_id)
        return None
    job = JobRun.objects.get(pk=job_id)
    try:
        result = service(job=job, **job.params) or {}
    except SoftTimeLimitExceeded:
        limit_minutes = settings.CELERY_TASK_SOFT_TIME_LIMIT // 60
        _job_finish(
            job,
            status=JobRun.Status.FAILED,
            message="Time limit reached",
            error=f"The job ran past its time limit of {limit_minutes} minutes and was stopped.",
        )
    except Exception as exc:
        logger.exception("Job %s (%s) failed", job_id, job.kind)
        _job_finish(job, status=JobRun.Status.FAILED, message="Failed", error=_job_error_text(exc))
    else:
        _job_finish(job, status=JobRun.Status.SUCCEEDED, message="Finished", result=result)
    job.refresh_from_db()
    return job


def _job_error_text(exc: Exception) -> str:
    # A service raises JobError with words meant for the user; anything else is a bug, shown briefly.
    if isinstance(exc, JobError):
        return str(exc)
    return f"An unexpected error stopped the job ({type(exc).__name__}: {exc}). Previous results are unchanged."


def _job_finish(job: JobRun, *, status: str, message: str, error: str = "", result: dict | None = None) -> None:
    now = timezone.now()
    updates: dict[str, Any] = {
        "status": status,
        "message": message,
        "error": error,
        "finished_at": now,
        "heartbeat_at": now,
    }
    if result is not None:
        updates["result"] = result
    if status == JobRun.Status.SUCCEEDED:
        updates["processed"] = F("total")
    JobRun.objects.filter(pk=job.pk).update(**updates)


def job_progress(*, job: JobRun | None, processed: int, total: int | None = None, message: str = "") -> None:
    """Record how far a job has got; a no-op when the service runs outside a job (shell, tests)."""
    if job is None:
        return
    updates: dict[str, Any] = {"processed": processed, "heartbeat_at": timezone.now()}
    if total is not None:
        updates["total"] = total
    if message:
        updates["message"] = message[:300]
    JobRun.objects.filter(pk=job.pk).update(**updates)


class JobError(Exception):
    """A failure whose message is written for the user who started the job."""
