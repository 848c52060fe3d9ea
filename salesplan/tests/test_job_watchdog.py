"""A dead worker leaves no job stuck, and a late message never runs a job again.

Claims by attempt token, the heartbeat a running job writes, the watchdog that interrupts a job whose
heartbeat stopped (and removes what it left), and the page that says so and runs it again. On SQLite and
again on PostgreSQL; killing a real worker is in accounts/ and segmentation/ (test_*_worker_killed.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import wait_for
from salesplan import jobkinds
from salesplan.models import JobRun
from salesplan.services import jobs as job_services
from salesplan.services.jobs import (
    JobInterrupted,
    job_execute,
    job_interrupt_stale,
    job_leftovers_sweep,
    job_progress,
    job_scratch_dir,
    job_staging_prefix,
    job_start,
)
from salesplan.tests.factories import JobRunFactory

pytestmark = pytest.mark.django_db

LONG_AGO = dt.timedelta(minutes=5)


@pytest.fixture(autouse=True)
def _one_minute(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.JOBS_HEARTBEAT_TIMEOUT_SECONDS = 60
    settings.JOBS_HEARTBEAT_INTERVAL_SECONDS = 15


def _dead(**fields: object) -> JobRun:
    defaults = {"status": "running", "token": "a" * 32, "heartbeat_at": timezone.now() - LONG_AGO}
    return JobRunFactory(**{**defaults, **fields})


def _tables(prefix: str) -> list[str]:
    return sorted(t for t in connection.introspection.table_names() if t.startswith(prefix))


# --- Claims: one attempt, named by its token ---------------------------------------------------------


def test_a_redelivered_message_of_a_job_that_ran_does_nothing():
    job = JobRunFactory(token="t" * 32)
    calls = []

    first = job_execute(job_id=job.pk, token=job.token, service=lambda **kw: calls.append(1) or {"n": 1})
    again = job_execute(job_id=job.pk, token=job.token, service=lambda **kw: calls.append(2) or {"n": 2})

    assert first.status == "succeeded"
    assert again is None
    assert calls == [1]
    job.refresh_from_db()
    assert (job.result, job.attempts) == ({"n": 1}, 1)


def test_a_message_naming_another_attempt_does_not_run_the_job(caplog):
    job = JobRunFactory(token="new" + "0" * 29)  # queued again under a new token: the old message is superseded
    calls = []

    with caplog.at_level("WARNING", logger="salesplan.services.jobs"):
        outcome = job_execute(job_id=job.pk, token="old" + "0" * 29, service=lambda **kw: calls.append(kw))

    assert outcome is None
    assert calls == []
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 0)
    assert "this message names another attempt" in caplog.text


@pytest.mark.parametrize("status", ["running", "interrupted", "failed", "succeeded"])
def test_a_late_message_never_runs_a_job_that_started_or_ended(status, caplog):
    job = JobRunFactory(status=status, token="t" * 32, attempts=1, result={"kept": True})
    calls = []

    with caplog.at_level("WARNING", logger="salesplan.services.jobs"):
        outcome = job_execute(job_id=job.pk, token=job.token, service=lambda **kw: calls.append(kw))

    assert outcome is None
    assert calls == []
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result) == (status, 1, {"kept": True})
    assert f"Job {job.pk}: this delivery does nothing (it is {status})" in caplog.text


def test_the_tasks_pass_the_token_of_their_message():
    from accounts.tasks import accounts_import_task
    from segmentation.tasks import icp_score_task

    job = JobRunFactory(kind="accounts_import", token="t" * 32, params={"import_id": 0})
    icp_score_task.apply(kwargs={"job_id": job.pk, "token": "x" * 32})  # another attempt: nothing
    job.refresh_from_db()
    assert job.status == "queued"

    accounts_import_task.apply(kwargs={"job_id": job.pk, "token": job.token})
    job.refresh_from_db()
    assert job.status == "failed"  # it ran (and found no import #0)
    assert job.attempts == 1


# --- The watchdog ------------------------------------------------------------------------------------


def test_the_watchdog_interrupts_a_running_job_whose_heartbeat_stopped_and_says_what_it_was_doing():
    dead = _dead(kind="tam_run", message="Saving 300,000 accounts", processed=75, total=100)
    alive = JobRunFactory(status="running", heartbeat_at=timezone.now())

    interrupted = job_interrupt_stale()

    assert [job.pk for job in interrupted] == [dead.pk]
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == "interrupted"
    assert dead.finished_at is not None
    assert dead.error == (
        "The worker stopped (it was killed or lost) while saving 300,000 accounts (75%). "
        "Nothing it had not finished was made current: the results from before are unchanged."
    )
    assert alive.status == "running"
    assert job_interrupt_stale() == []  # a second watchdog finds nothing more to do


def test_the_heartbeat_limit_is_a_setting(settings):
    job = _dead(heartbeat_at=timezone.now() - dt.timedelta(seconds=20))
    assert job_interrupt_stale() == []

    settings.JOBS_HEARTBEAT_TIMEOUT_SECONDS = 10
    assert [j.pk for j in job_interrupt_stale()] == [job.pk]


def test_a_queued_job_may_wait_for_a_busy_worker_but_not_forever(settings):
    settings.JOBS_BACKEND = "celery"
    settings.JOB_STALE_AFTER_SECONDS = 1800
    waiting = JobRunFactory(status="queued")
    JobRun.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    lost = JobRunFactory(status="queued")
    JobRun.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(minutes=31))

    assert [job.pk for job in job_interrupt_stale()] == [lost.pk]
    lost.refresh_from_db()
    assert lost.error.startswith("No worker took the job up")


def test_an_in_process_job_of_a_web_process_that_restarted_is_interrupted_after_the_limit(settings):
    settings.JOBS_BACKEND = "thread"
    queued = JobRunFactory(status="queued")  # its thread went with the process
    JobRun.objects.filter(pk=queued.pk).update(created_at=timezone.now() - dt.timedelta(minutes=2))

    assert [job.pk for job in job_interrupt_stale()] == [queued.pk]


def test_a_job_this_process_runs_is_alive_whatever_its_heartbeat_says():
    job = _dead()
    job_services._here_add(job.pk)
    try:
        assert job_interrupt_stale() == []
    finally:
        job_services._here_discard(job.pk)
    assert [j.pk for j in job_interrupt_stale()] == [job.pk]


def test_the_watchdog_drops_the_staging_tables_and_scratch_files_of_the_job_it_interrupts():
    dead, other = _dead(), JobRunFactory(status="running", heartbeat_at=timezone.now())
    with connection.cursor() as cursor:
        for job in (dead, other):
            cursor.execute(f"CREATE TABLE {job_staging_prefix(job)}imp_raw (c0 text)")
        cursor.execute(f"CREATE TABLE {job_staging_prefix(dead)}imp_rows (c0 text)")
    (job_scratch_dir(dead) / "part.csv").write_text("half a file")

    job_interrupt_stale()

    assert _tables(job_staging_prefix(dead)) == []
    assert not job_scratch_dir(dead).joinpath("part.csv").exists()
    assert _tables(job_staging_prefix(other)) == [f"{job_staging_prefix(other)}imp_raw"]  # a live job's stay


def test_the_sweep_removes_what_ended_jobs_left_and_keeps_what_running_ones_use():
    ended = JobRunFactory(status="failed")
    running = JobRunFactory(status="running", heartbeat_at=timezone.now())
    with connection.cursor() as cursor:
        for job in (ended, running):
            cursor.execute(f"CREATE TABLE {job_staging_prefix(job)}imp_raw (c0 text)")
    (job_scratch_dir(ended) / "part.xlsx").write_text("x")

    assert job_leftovers_sweep() == 1

    assert _tables(job_staging_prefix(ended)) == []
    assert not job_scratch_dir(ended).joinpath("part.xlsx").exists()
    assert _tables(job_staging_prefix(running)) == [f"{job_staging_prefix(running)}imp_raw"]


def test_the_kind_says_what_became_of_its_data(monkeypatch):
    spec = dataclasses.replace(job_services.job_kind_get("demo_seed"), on_interrupted=lambda job: "Kept.")
    monkeypatch.setitem(jobkinds._KINDS, "demo_seed", spec)
    job = _dead(kind="demo_seed", message="Loading")

    job_interrupt_stale()

    job.refresh_from_db()
    assert job.error == "The worker stopped (it was killed or lost) while loading (0%). Kept."


# --- The heartbeat: written by a thread of its own while the job works --------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_running_job_keeps_beating_while_its_work_holds_the_thread(settings):
    settings.JOBS_BACKEND = "thread"
    settings.JOBS_HEARTBEAT_TIMEOUT_SECONDS = 2
    settings.JOBS_HEARTBEAT_INTERVAL_SECONDS = 0.2
    job = JobRunFactory(token="t" * 32)
    release = threading.Event()

    def service(*, job: JobRun) -> dict:
        release.wait(30)  # a long statement, as far as the job's own thread can tell
        return {}

    runner = threading.Thread(target=job_execute, kwargs={"job_id": job.pk, "token": job.token, "service": service})
    runner.start()
    try:
        first = wait_for(lambda: JobRun.objects.filter(pk=job.pk, status="running").values_list("heartbeat_at").first())
        wait_for(lambda: JobRun.objects.get(pk=job.pk).heartbeat_at > first[0], what="a second heartbeat")
        assert job_interrupt_stale() == []
    finally:
        release.set()
        runner.join(30)
    job.refresh_from_db()
    assert job.status == "succeeded"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_progress_reported_inside_the_jobs_transaction_is_seen_at_once_and_one_long_statement_beats(settings):
    """The page shows "Saving …" while the final transaction runs, and a statement longer than the limit does
    not make the job look dead."""
    from django.db import transaction

    settings.JOBS_BACKEND = "thread"
    settings.JOBS_HEARTBEAT_TIMEOUT_SECONDS = 2
    settings.JOBS_HEARTBEAT_INTERVAL_SECONDS = 0.2
    job = JobRunFactory(token="t" * 32)
    beats = []

    def service(*, job: JobRun) -> dict:
        with transaction.atomic(), connection.cursor() as cursor:
            job_progress(job=job, processed=75, total=100, message="Saving 20,000 accounts")
            cursor.execute("SELECT pg_sleep(3)")  # longer than the limit
        return {}

    runner = threading.Thread(target=job_execute, kwargs={"job_id": job.pk, "token": job.token, "service": service})
    runner.start()
    try:
        wait_for(lambda: JobRun.objects.filter(pk=job.pk, message="Saving 20,000 accounts").exists(), what="progress")
        while runner.is_alive():
            beats.append(JobRun.objects.get(pk=job.pk).heartbeat_at)
            assert job_interrupt_stale() == []
            runner.join(0.25)
    finally:
        runner.join(30)
    assert len(set(beats)) >= 5  # ~one beat every 0.2 s through the three seconds of one statement
    job.refresh_from_db()
    assert job.status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_a_job_taken_for_dead_stops_at_its_next_step_and_stays_interrupted(settings):
    settings.JOBS_BACKEND = "thread"
    settings.JOBS_HEARTBEAT_INTERVAL_SECONDS = 0.1
    job = JobRunFactory(token="t" * 32)
    steps = []

    def service(*, job: JobRun) -> dict:
        JobRun.objects.filter(pk=job.pk).update(status="interrupted")  # what the watchdog of another worker did
        wait_for(lambda: job_services._REPORTERS[job.pk].lost, what="the reporter to notice")
        try:
            job_progress(job=job, processed=50, total=100, message="Saving")
        except JobInterrupted:
            steps.append("stopped")
            raise
        steps.append("went on")
        return {}

    job_execute(job_id=job.pk, token=job.token, service=service)

    assert steps == ["stopped"]
    job.refresh_from_db()
    assert job.status == "interrupted"
    assert job.message != "Saving"


# --- Pages ---------------------------------------------------------------------------------------------


def test_the_job_page_shows_a_dead_job_interrupted_without_waiting_for_a_worker(client, org):
    job = _dead(started_by=org["leader"], message="Saving 300,000 accounts", processed=75, total=100)
    client.force_login(org["leader"])

    progress = client.get(reverse("job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")

    assert progress.status_code == 286  # htmx stops polling
    body = progress.content.decode()
    assert "Interrupted" in body
    assert "The worker stopped (it was killed or lost) while saving 300,000 accounts (75%)." in body
    assert f'action="{reverse("job_run_again", args=[job.pk])}"' in body
    assert "csrfmiddlewaretoken" in body
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Run again" in page
    assert "You can leave this page" not in page


def test_run_again_starts_the_same_job_anew_in_one_click(client, org, django_capture_on_commit_callbacks):
    job = JobRunFactory(
        kind="demo_seed", dedupe_key="demo_seed", status="interrupted", started_by=org["leader"],
        params={"companies": 1000, "seed": 5},
    )  # fmt: skip
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(org["leader"])
    page = csrf_client.get(job.get_absolute_url())
    token = page.context["csrf_token"]

    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_client.post(reverse("job_run_again", args=[job.pk]), {"csrfmiddlewaretoken": str(token)})

    again = JobRun.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302
    assert response["Location"] == again.get_absolute_url()
    assert (again.kind, again.params, again.dedupe_key, again.started_by) == (
        "demo_seed", {"companies": 1000, "seed": 5}, "demo_seed", org["leader"],
    )  # fmt: skip
    assert again.status == "succeeded"
    assert again.result["companies_created"] == 1000
    job.refresh_from_db()
    assert job.status == "interrupted"


def test_run_again_refuses_a_get_a_missing_csrf_token_and_a_job_that_was_not_interrupted(client, org):
    interrupted = JobRunFactory(kind="demo_seed", status="interrupted", started_by=org["leader"])
    finished = JobRunFactory(kind="demo_seed", status="succeeded", started_by=org["leader"])
    client.force_login(org["leader"])
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(org["leader"])

    assert client.get(reverse("job_run_again", args=[interrupted.pk])).status_code == 405
    assert csrf_client.post(reverse("job_run_again", args=[interrupted.pk])).status_code == 403
    assert client.post(reverse("job_run_again", args=[finished.pk])).status_code == 404
    assert JobRun.objects.count() == 2


def test_only_who_may_start_a_job_runs_it_again(client, org):
    rep_job = JobRunFactory(kind="demo_seed", status="interrupted", started_by=org["rep_a1"])
    other = JobRunFactory(kind="demo_seed", status="interrupted", started_by=org["rep_a2"])
    client.force_login(org["rep_a1"])

    assert client.post(reverse("job_run_again", args=[other.pk])).status_code == 404  # not theirs to see
    assert client.post(reverse("job_run_again", args=[rep_job.pk])).status_code == 403  # a leader's kind
    assert JobRun.objects.count() == 2


def test_the_job_list_counts_interrupted_jobs(client, org):
    JobRunFactory(kind="demo_seed", status="interrupted", started_by=org["leader"])
    client.force_login(org["leader"])
    body = client.get(reverse("job_list")).content.decode()
    assert "1 interrupted" in body
    assert len(client.get(reverse("job_list"), {"status": "interrupted"}).context["page"].object_list) == 1


def test_job_start_returns_a_live_job_and_replaces_a_dead_one(org):
    live = JobRunFactory(kind="demo_seed", dedupe_key="demo_seed", status="running", heartbeat_at=timezone.now())
    same, created = job_start(kind="demo_seed", started_by=org["leader"])
    assert (same.pk, created) == (live.pk, False)

    JobRun.objects.filter(pk=live.pk).update(heartbeat_at=timezone.now() - LONG_AGO)
    fresh, created = job_start(kind="demo_seed", started_by=org["leader"])
    assert created
    assert fresh.pk != live.pk
    assert fresh.token
    assert fresh.token != live.token


def test_an_interrupted_job_took_until_its_last_heartbeat_not_until_it_was_found(org):
    started = timezone.now() - LONG_AGO - dt.timedelta(seconds=9)
    job = _dead(started_by=org["leader"], started_at=started, heartbeat_at=started + dt.timedelta(seconds=9))
    job_interrupt_stale(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "interrupted"
    assert job.duration_seconds == pytest.approx(9)


def test_the_leave_this_page_hint_goes_once_the_job_has_ended(client, org):
    job = JobRunFactory(
        kind="demo_seed",
        dedupe_key="demo_seed",
        status="running",
        started_by=org["leader"],
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    client.force_login(org["leader"])
    assert "You can leave this page" in client.get(job.get_absolute_url()).content.decode()
    JobRun.objects.filter(pk=job.pk).update(status="succeeded", finished_at=timezone.now())
    progress = client.get(reverse("job_progress", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "Done" in progress
    assert "You can leave this page" not in progress  # the poll replaces the part of the page that said it
