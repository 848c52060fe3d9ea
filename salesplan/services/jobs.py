"""Background jobs: start one (once), run it, report its progress, end it, and notice when its worker died.

How a job keeps "a failed job leaves the previous results current": progress is written on a connection of
its own (the reporter below), so a service never holds one transaction around the whole job. Instead each
service either writes its results under a new run and makes that run current in one final step, or merges
a staged input in one final transaction. A job that dies half-way therefore leaves only unreferenced rows
behind, never a half-updated current result.

How a dead worker is noticed. While a job runs, a reporter thread of its worker writes the job's heartbeat
every JOBS_HEARTBEAT_INTERVAL_SECONDS, and its progress as it comes, on that connection of its own: a long
statement or an open transaction of the job never holds them back. A job whose heartbeat is older than
JOBS_HEARTBEAT_TIMEOUT_SECONDS is *interrupted* by the watchdog (``job_interrupt_stale``): marked so, its
database sessions ended (on PostgreSQL a killed worker's statement runs on, holding its locks), its staging
tables (named by ``job_staging_prefix``) and scratch folder (``job_scratch_dir``) removed, and its kind
asked to say what became of the data. The watchdog runs in every Celery worker (a thread started when the
worker is ready, salesplan/celery.py), and in the web process when a job is started (for its key, so a new
one starts at once) and when a job's page or progress is loaded (for that job): with in-process jobs,
those are where it runs.

How a message never runs a job twice. A job gets an attempt token when it is queued and its message
carries it; a worker claims the job with one ``UPDATE … WHERE status = 'queued' AND token = …``. A
redelivered or late message of a job that started, ended, was interrupted or was superseded (queued again
under another token) therefore does nothing, and says so in the worker's log.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import Error as DbError  # any error of the database layer, a closed connection's too
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from salesplan.jobkinds import (  # re-exported: apps register and read their kinds through the job services
    JobKind as JobKind,
)
from salesplan.jobkinds import job_kind_choices as job_kind_choices
from salesplan.jobkinds import job_kind_find, job_kind_get
from salesplan.jobkinds import job_kind_label as job_kind_label
from salesplan.jobkinds import job_kind_register as job_kind_register
from salesplan.models import JobRun

if TYPE_CHECKING:
    from celery import Task

    from salesplan.models import User

logger = logging.getLogger(__name__)

JobService = Callable[..., dict[str, Any] | None]
STAGING_PREFIX = "jobstage_"
_STAGING_TABLE = re.compile(rf"^{STAGING_PREFIX}(\d+)_")
_KEPT_DEFAULT = "Nothing it had not finished was made current: the results from before are unchanged."


# --- Starting ----------------------------------------------------------------------------------------


def job_start(
    *,
    kind: str,
    started_by: User | None,
    params: dict[str, Any] | None = None,
    dedupe_key: str = "",
    countdown: float = 0,
) -> tuple[JobRun, bool]:
    """Queue a job unless the same one is already queued or running; return (job, created).

    A job with the same key whose worker died is interrupted first, so this one starts at once. The task
    is sent only after the surrounding transaction commits, so a worker never looks for a row that is not
    there yet. ``countdown``: seconds before it may start (while it waits, the same request returns it,
    so changes made meanwhile share one run).
    """
    spec = job_kind_get(kind)
    key = dedupe_key or kind
    job_interrupt_stale(dedupe_key=key)
    with transaction.atomic():
        existing = JobRun.objects.filter(dedupe_key=key, status__in=JobRun.ACTIVE).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                job = JobRun.objects.create(
                    kind=kind,
                    dedupe_key=key,
                    params=params or {},
                    started_by=started_by,
                    message="Waiting to start",
                    token=secrets.token_hex(16),
                )
        except IntegrityError:
            # Another request queued the same job between our check and our insert.
            return JobRun.objects.get(dedupe_key=key, status__in=JobRun.ACTIVE), False
        transaction.on_commit(
            lambda: _job_dispatch(task=spec.task, job_id=job.pk, token=job.token, countdown=countdown)
        )
    return job, True


def job_start_again(*, job: JobRun, user: User) -> JobRun:
    """What "Run again" does for an interrupted job: the same kind with the same parameters, at once (or the
    job already started again, while that one is active)."""
    if job.status != JobRun.Status.INTERRUPTED:
        raise JobError("Only an interrupted job is run again from its page.")
    spec = job_kind_get(job.kind)
    if spec.start_again is not None:
        return spec.start_again(job=job, user=user)
    again, _created = job_start(kind=job.kind, started_by=user, params=job.params, dedupe_key=job.dedupe_key)
    return again


def _job_dispatch(*, task: Task, job_id: int, token: str, countdown: float = 0) -> None:
    kwargs = {"job_id": job_id, "token": token}
    backend = settings.JOBS_BACKEND
    if backend == "celery":
        task.apply_async(kwargs=kwargs, countdown=countdown or None)
    elif backend == "sync":  # tests: at once
        task.apply(kwargs=kwargs)
    else:
        _here_add(job_id)  # waiting in this process: alive, whatever its age
        runner = threading.Timer(countdown, _run_in_thread, args=(task, kwargs))
        runner.name, runner.daemon = f"job-{job_id}", True
        runner.start()


def _run_in_thread(task: Task, kwargs: dict[str, Any]) -> None:
    try:
        task.apply(kwargs=kwargs)
    finally:
        _here_discard(kwargs["job_id"])
        connections.close_all()


# --- Running -----------------------------------------------------------------------------------------


def job_execute(*, job_id: int, service: JobService, token: str = "") -> JobRun | None:
    """Claim the job for the attempt ``token`` names, run ``service(job=job, **job.params)``, and record
    how it ended; None when this delivery may not run it.

    Only while the job is queued, and only with its token: a second delivery of a job that started (the
    broker's visibility timeout, a worker lost mid-job) never runs it again, so nothing is done twice
    behind the user's back; a job whose worker died is interrupted by the watchdog instead.
    """
    now = timezone.now()
    claimed = JobRun.objects.filter(pk=job_id, status=JobRun.Status.QUEUED, token=token).update(
        status=JobRun.Status.RUNNING,
        started_at=Coalesce(F("started_at"), now),
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        message="Running",
    )
    if not claimed:
        found = JobRun.objects.filter(pk=job_id).values_list("status", "token").first()
        why = "it no longer exists" if found is None else f"it is {found[0]}"
        if found is not None and found[1] != token:
            why += " and this message names another attempt"
        logger.warning("Job %s: this delivery does nothing (%s).", job_id, why)
        return None
    job = JobRun.objects.get(pk=job_id)
    with _job_attended(job):
        outcome = _job_outcome(job, service)
    if outcome is not None:
        _job_finish(job, **outcome)
    job.refresh_from_db()
    return job


def _job_outcome(job: JobRun, service: JobService) -> dict[str, Any] | None:
    try:
        result = service(job=job, **job.params) or {}
    except JobInterrupted:
        logger.warning("Job %s (%s) was interrupted by the watchdog while it ran; it stopped.", job.pk, job.kind)
        return None
    except SoftTimeLimitExceeded:
        limit_minutes = settings.CELERY_TASK_SOFT_TIME_LIMIT // 60
        return {
            "status": JobRun.Status.FAILED,
            "message": "Time limit reached",
            "error": f"The job ran past its time limit of {limit_minutes} minutes and was stopped.",
        }
    except Exception as exc:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        return {"status": JobRun.Status.FAILED, "message": "Failed", "error": _job_error_text(exc)}
    return {"status": JobRun.Status.SUCCEEDED, "message": "Finished", "result": result}


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
    # Only this attempt ends the job. One the watchdog took for dead that finished all the same did its work:
    # it says so (a failure after an interruption is the interruption's doing, and stays one).
    ending = [JobRun.Status.RUNNING]
    if status == JobRun.Status.SUCCEEDED:
        ending.append(JobRun.Status.INTERRUPTED)
    if not JobRun.objects.filter(pk=job.pk, token=job.token, status__in=ending).update(**updates):
        logger.warning("Job %s ended (%s) after it had been interrupted; it stays interrupted.", job.pk, status)


def job_progress(*, job: JobRun | None, processed: int, total: int | None = None, message: str = "") -> None:
    """Record how far a job has got; a no-op when the service runs outside a job (shell, tests).

    Raises JobInterrupted once the watchdog has taken the job for dead, so a job that was only late stops
    at its next step rather than finishing work its page says was not done.
    """
    if job is None:
        return
    updates: dict[str, Any] = {"processed": processed}
    if total is not None:
        updates["total"] = total
    if message:
        updates["message"] = message[:300]
    reporter = _REPORTERS.get(job.pk)
    if reporter is None:  # run inside the request (tests) or outside job_execute: write it here
        JobRun.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(), **updates)
        return
    if reporter.lost:
        raise JobInterrupted(f"Job {job.pk} was interrupted while it ran.")
    reporter.report(updates)


def job_staging_prefix(job: JobRun) -> str:
    """How the names of the tables a job stages its work in begin: the watchdog drops a dead job's."""
    return f"{STAGING_PREFIX}{job.pk}_"


def job_scratch_dir(job: JobRun) -> Path:
    """A folder for the job's temporary files, under MEDIA_ROOT (which web and workers share); removed when
    the job ends or is interrupted."""
    path = _scratch_path(job.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _scratch_path(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "jobs" / str(job_id)


class JobError(Exception):
    """A failure whose message is written for the user who started the job."""


class JobInterrupted(Exception):
    """The job was taken for dead (its heartbeat was late) while it ran: it must stop."""


# --- Alive: the reporter, and the jobs this process runs --------------------------------------------------

_REPORTERS: dict[int, _JobReporter] = {}
_HERE: dict[int, int] = {}  # job id -> how many of this process's threads hold it (waiting, running)
_HERE_LOCK = threading.Lock()


def _here_add(job_id: int) -> None:
    with _HERE_LOCK:
        _HERE[job_id] = _HERE.get(job_id, 0) + 1


def _here_discard(job_id: int) -> None:
    with _HERE_LOCK:
        if _HERE.get(job_id, 0) <= 1:
            _HERE.pop(job_id, None)
        else:
            _HERE[job_id] -= 1


def _here() -> list[int]:
    """Jobs a thread of this process is running or about to run: alive, whatever their heartbeat says
    (on SQLite a long write holds the heartbeat back)."""
    with _HERE_LOCK:
        return list(_HERE)


def _session_name(job_id: int) -> str:
    # How the job's database sessions are found (pg_stat_activity.application_name) to end them.
    return f"salesplan job {job_id}"


def _session_name_set(name: str) -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('application_name'), set_config('application_name', %s, false)", [name])
        return cursor.fetchone()[0]


class _JobReporter(threading.Thread):
    """While a job runs: its heartbeat every JOBS_HEARTBEAT_INTERVAL_SECONDS and its progress as reported,
    written on this thread's own database connection. ``lost`` once the job is no longer this attempt's."""

    def __init__(self, job: JobRun) -> None:
        super().__init__(name=f"job-{job.pk}-heartbeat", daemon=True)
        self.job_id, self.token = job.pk, job.token
        self.lost = False
        self._pending: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._done = threading.Event()

    def report(self, updates: dict[str, Any]) -> None:
        with self._lock:
            self._pending.update(updates)
        self._wake.set()

    def stop(self) -> None:
        self._done.set()
        self._wake.set()
        self.join(timeout=settings.JOBS_HEARTBEAT_TIMEOUT_SECONDS)

    def run(self) -> None:
        try:
            with contextlib.suppress(DbError):
                _session_name_set(_session_name(self.job_id))
            while not self._done.is_set() and not self.lost:
                self._write()
                self._wake.wait(settings.JOBS_HEARTBEAT_INTERVAL_SECONDS)
                self._wake.clear()
            if not self.lost:
                self._write()  # the last progress reported
        finally:
            connections.close_all()  # this thread's connection only

    def _write(self) -> None:
        with self._lock:
            updates, self._pending = self._pending, {}
        try:
            written = JobRun.objects.filter(pk=self.job_id, status=JobRun.Status.RUNNING, token=self.token).update(
                heartbeat_at=timezone.now(), **updates
            )
        except Exception as exc:  # the next beat tries again, with what this one carried
            logger.warning("Job %s: could not write its heartbeat (%s).", self.job_id, str(exc).strip()[:200])
            with self._lock:
                self._pending = {**updates, **self._pending}
            connections.close_all()
            return
        if not written:
            logger.warning("Job %s is no longer this worker's (interrupted or superseded); it stops.", self.job_id)
            self.lost = True


@contextlib.contextmanager
def _job_attended(job: JobRun) -> Iterator[None]:
    """Around a job's service: the reporter, the session's name, and what the job leaves removed at the end.

    Not for jobs run inside the request (``sync``, the tests' backend): no other connection sees the
    request's uncommitted transaction, so there progress is written by the job's own connection.
    """
    if settings.JOBS_BACKEND == "sync":
        try:
            yield
        finally:
            _job_leftovers_remove(job.pk)
        return
    _here_add(job.pk)
    previous_name = _session_name_set(_session_name(job.pk))
    reporter = _JobReporter(job)
    _REPORTERS[job.pk] = reporter
    reporter.start()
    try:
        yield
    finally:
        reporter.stop()
        _REPORTERS.pop(job.pk, None)
        _here_discard(job.pk)
        with contextlib.suppress(DbError):
            if previous_name is not None:
                _session_name_set(previous_name)
            _job_leftovers_remove(job.pk)


# --- The watchdog ------------------------------------------------------------------------------------------


def job_interrupt_stale(*, dedupe_key: str | None = None, job_id: int | None = None) -> list[JobRun]:
    """Mark interrupted every active job (of ``dedupe_key``, or ``job_id``, or all) whose worker stopped, and
    remove what it left; return those jobs.

    Stopped: running with a heartbeat older than JOBS_HEARTBEAT_TIMEOUT_SECONDS, or queued and not taken up
    for JOB_STALE_AFTER_SECONDS (in-process jobs start at once: JOBS_HEARTBEAT_TIMEOUT_SECONDS). Each job is
    interrupted in a transaction that locks its row and finds it still as it was, so two watchdogs never both
    act on one job, nor on a job that just beat.
    """
    now = timezone.now()
    beat_cutoff = now - timedelta(seconds=settings.JOBS_HEARTBEAT_TIMEOUT_SECONDS)
    waited = (
        settings.JOBS_HEARTBEAT_TIMEOUT_SECONDS
        if settings.JOBS_BACKEND == "thread"
        else settings.JOB_STALE_AFTER_SECONDS
    )
    silent = Q(heartbeat_at__lt=beat_cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=beat_cutoff)
    stale = JobRun.objects.filter(
        Q(status=JobRun.Status.RUNNING) & silent
        | Q(status=JobRun.Status.QUEUED, created_at__lt=now - timedelta(seconds=waited))
    ).exclude(pk__in=_here())
    if dedupe_key is not None:
        stale = stale.filter(dedupe_key=dedupe_key)
    if job_id is not None:
        stale = stale.filter(pk=job_id)
    interrupted = []
    for job in stale.order_by("pk")[:100]:
        if _job_interrupt(job, now=now):
            interrupted.append(job)
    return interrupted


def _job_interrupt(job: JobRun, *, now: Any) -> bool:
    """Interrupt one job in one transaction, its row locked throughout: pages see it running, then interrupted
    with everything said; a second watchdog waits and then finds it no longer active."""
    with transaction.atomic():
        found = JobRun.objects.select_for_update().filter(
            pk=job.pk, status=job.status, token=job.token, heartbeat_at=job.heartbeat_at
        )
        if found.first() is None:  # it beat, ended or was interrupted meanwhile
            return False
        what = _interrupted_what(job)
        # Its sessions first: what they had not committed is then surely rolled back, and their locks gone.
        _job_sessions_end(job.pk)
        _job_leftovers_remove(job.pk)
        job.status, job.finished_at, job.message = JobRun.Status.INTERRUPTED, now, "Interrupted"
        job.error = f"{what} {_job_kept(job)}"
        found.update(status=job.status, finished_at=now, message=job.message, error=job.error)
    logger.warning("Job %s (%s) interrupted: %s", job.pk, job.kind, job.error)
    return True


def _job_kept(job: JobRun) -> str:
    spec = job_kind_find(job.kind)
    if spec is None or spec.on_interrupted is None:
        return _KEPT_DEFAULT
    try:
        with transaction.atomic():
            return spec.on_interrupted(job)
    except Exception:
        logger.exception("Job %s: its kind could not record the interruption", job.pk)
        return _KEPT_DEFAULT


def _interrupted_what(job: JobRun) -> str:
    if job.status == JobRun.Status.QUEUED:
        return "No worker took the job up: the one it was sent to stopped, or its message was lost."
    doing = (job.message or "running").strip().rstrip(".")
    doing = doing[:1].lower() + doing[1:]
    return f"The worker stopped (it was killed or lost) while {doing} ({job.percent}%)."


def _job_sessions_end(job_id: int) -> None:
    """On PostgreSQL, end the job's database sessions: the backend of a killed worker finishes its statement
    (and keeps its locks) before it notices, and a worker taken for dead must not commit anything more."""
    if connection.vendor != "postgresql":
        return
    name = _session_name(job_id)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = %s AND pid <> pg_backend_pid()",
                [name],
            )
            ended = cursor.rowcount
            deadline = time.monotonic() + 5
            while ended and time.monotonic() < deadline:  # their locks go when they have gone
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction sees one view of them
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = %s AND pid <> pg_backend_pid()",
                    [name],
                )
                ended = cursor.fetchone()[0]
                if ended:
                    time.sleep(0.05)
    except DbError as exc:
        logger.warning(
            "Job %s: could not end its database sessions (%s); the role needs pg_signal_backend.", job_id, exc
        )


def _job_leftovers_remove(job_id: int) -> None:
    """Drop the job's staging tables and remove its scratch folder."""
    prefix = f"{STAGING_PREFIX}{job_id}_"
    for table in connection.introspection.table_names():
        if table.startswith(prefix):
            _table_drop(table)
    shutil.rmtree(_scratch_path(job_id), ignore_errors=True)


def _table_drop(table: str) -> None:
    # A lock held elsewhere (a session that would not end) must not hang the watchdog: the next sweep retries.
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT current_setting('lock_timeout')")
                previous = cursor.fetchone()[0]
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)}")
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
    except DbError as exc:
        logger.warning("Could not drop the staging table %s (%s); the watchdog tries again.", table, exc)
    else:
        logger.info("Dropped the staging table %s.", table)


def job_leftovers_sweep() -> int:
    """Remove the staging tables and scratch folders of every job that is no longer queued or running
    (clean-up that failed, or a job that died before this watchdog ran); return how many jobs had some."""
    tables: dict[int, list[str]] = {}
    for table in connection.introspection.table_names():
        if found := _STAGING_TABLE.match(table):
            tables.setdefault(int(found.group(1)), []).append(table)
    scratch = Path(settings.MEDIA_ROOT) / "jobs"
    folders = {int(p.name) for p in scratch.iterdir() if p.name.isdigit()} if scratch.is_dir() else set()
    owners = set(tables) | folders
    if not owners:
        return 0
    active = set(JobRun.objects.filter(pk__in=owners, status__in=JobRun.ACTIVE).values_list("pk", flat=True))
    gone = owners - active - set(_here())
    for job_id in gone:
        for table in tables.get(job_id, []):
            _table_drop(table)
        shutil.rmtree(_scratch_path(job_id), ignore_errors=True)
    return len(gone)


class _Watchdog:
    thread: threading.Thread | None = None


def job_watchdog_start() -> threading.Thread:
    """Run the watchdog every JOBS_HEARTBEAT_INTERVAL_SECONDS in a thread of this process (each Celery worker
    starts one when it is ready, salesplan/celery.py); once per process."""
    if _Watchdog.thread is None or not _Watchdog.thread.is_alive():
        _Watchdog.thread = threading.Thread(target=_watchdog_loop, name="jobs-watchdog", daemon=True)
        _Watchdog.thread.start()
    return _Watchdog.thread


def _watchdog_loop() -> None:
    while True:
        try:
            job_interrupt_stale()
            job_leftovers_sweep()
        except Exception:
            logger.exception("The jobs watchdog could not check the jobs; it tries again.")
        finally:
            # Closed between rounds: a connection left open in a worker's main process would be inherited by
            # every pool child it forks later (and a broken one is opened afresh).
            connections.close_all()
        time.sleep(settings.JOBS_HEARTBEAT_INTERVAL_SECONDS)
