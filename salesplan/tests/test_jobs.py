"""The job machinery: start once, run, record progress and errors, never run twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from salesplan.models import JobRun
from salesplan.services import jobs as job_services
from salesplan.services.jobs import JobError, job_execute, job_interrupt_stale, job_progress, job_start
from salesplan.tests.factories import JobRunFactory

pytestmark = pytest.mark.django_db


def test_job_start_runs_after_commit_and_records_the_result(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job, created = job_start(kind="demo_seed", started_by=org["leader"], params={"companies": 1000, "seed": 7})
        assert JobRun.objects.get(pk=job.pk).status == "queued"  # nothing runs before the commit

    assert created
    assert callbacks[0].__qualname__.startswith("job_start")  # the job is sent once the row is committed
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.result["companies_created"] == 1000
    assert job.processed == job.total
    assert job.percent == 100
    assert job.started_at <= job.finished_at


def test_second_start_while_one_is_active_returns_the_same_job(org):
    first, created_first = job_start(kind="demo_seed", started_by=org["leader"])
    second, created_second = job_start(kind="demo_seed", started_by=org["leader"])

    assert created_first
    assert not created_second
    assert first.pk == second.pk
    assert JobRun.objects.filter(kind="demo_seed").count() == 1


def test_a_finished_job_can_be_started_again(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = job_start(kind="demo_seed", started_by=org["leader"], params={"companies": 1000})
    second, created = job_start(kind="demo_seed", started_by=org["leader"], params={"companies": 1000})

    assert created
    assert second.pk != first.pk


def test_redelivery_of_a_finished_job_does_not_run_it_again(org):
    job = JobRunFactory(status="succeeded", result={"rows": 5})
    calls = []

    outcome = job_execute(job_id=job.pk, service=lambda **kw: calls.append(kw))

    assert outcome is None
    assert calls == []
    job.refresh_from_db()
    assert job.result == {"rows": 5}


def test_failing_service_marks_the_job_failed_with_its_message():
    job = JobRunFactory()

    def service(*, job: JobRun) -> None:
        job_progress(job=job, processed=3, total=10)
        raise JobError("Row 4, column “revenue”: “lots” is not a number.")

    job_execute(job_id=job.pk, service=service)

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == "Row 4, column “revenue”: “lots” is not a number."
    assert (job.processed, job.total) == (3, 10)
    assert job.finished_at is not None


def test_unexpected_error_is_reported_without_a_traceback():
    job = JobRunFactory()

    def service(*, job: JobRun) -> None:
        raise ZeroDivisionError("division by zero")

    job_execute(job_id=job.pk, service=service)

    job.refresh_from_db()
    assert job.status == "failed"
    assert "ZeroDivisionError: division by zero" in job.error
    assert "Previous results are unchanged" in job.error
    assert "Traceback" not in job.error


def test_a_job_whose_worker_died_is_interrupted_so_a_new_one_starts_at_once(org, settings):
    settings.JOBS_HEARTBEAT_TIMEOUT_SECONDS = 60
    dead = JobRunFactory(
        kind="demo_seed",
        dedupe_key="demo_seed",
        status="running",
        message="Saving 300,000 accounts",
        heartbeat_at=timezone.now() - dt.timedelta(minutes=5),
    )

    job, created = job_start(kind="demo_seed", started_by=org["leader"])

    dead.refresh_from_db()
    assert created
    assert job.pk != dead.pk
    assert dead.status == "interrupted"
    assert "The worker stopped (it was killed or lost) while saving 300,000 accounts" in dead.error


def test_the_watchdog_leaves_a_job_with_a_fresh_heartbeat_alone(settings):
    settings.JOBS_HEARTBEAT_TIMEOUT_SECONDS = 60
    alive = JobRunFactory(status="running", heartbeat_at=timezone.now() - dt.timedelta(seconds=50))

    assert job_interrupt_stale() == []
    alive.refresh_from_db()
    assert alive.status == "running"


def test_unknown_job_kind_is_refused(org):
    with pytest.raises(LookupError, match="Unknown job kind"):
        job_start(kind="no_such_job", started_by=org["leader"])


def test_celery_backend_sends_the_task_after_commit(org, settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.JOBS_BACKEND = "celery"
    sent = []
    spec = job_services.job_kind_get("demo_seed")
    monkeypatch.setattr(spec.task, "apply_async", lambda kwargs, countdown=None: sent.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        job, _ = job_start(kind="demo_seed", started_by=org["leader"])
        assert sent == []

    assert sent == [{"job_id": job.pk, "token": job.token}]
    assert len(job.token) == 32


# --- Pages ----------------------------------------------------------------------------------------


def test_leader_starts_demo_job_from_the_page_and_sees_the_result(client, org, django_capture_on_commit_callbacks):
    client.force_login(org["leader"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("demo_data_start"), {"companies": 1000, "seed": 3})
    job = JobRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()

    page = client.get(job.get_absolute_url())
    assert page.status_code == 200
    assert b"Companies created" in page.content
    assert b"1,000" in page.content
    assert b"Open the accounts" in page.content


def test_demo_job_form_rejects_out_of_range_sizes(client, org):
    client.force_login(org["leader"])
    response = client.post(reverse("demo_data_start"), {"companies": 5, "seed": 1})
    assert response.status_code == 200
    assert "greater than or equal to 1000" in response.content.decode()
    assert not JobRun.objects.exists()


def test_rep_cannot_start_the_demo_job(client, org):
    client.force_login(org["rep_a1"])
    assert client.post(reverse("demo_data_start"), {"companies": 1000, "seed": 1}).status_code == 403
    assert not JobRun.objects.exists()


def test_progress_fragment_polls_while_running_and_stops_when_done(client, org):
    job = JobRunFactory(started_by=org["leader"], status="running", processed=250, total=1000, message="Saving")
    client.force_login(org["leader"])

    running = client.get(reverse("job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert running.status_code == 200
    assert b'hx-trigger="every 1s"' in running.content
    assert b"25%" in running.content

    JobRun.objects.filter(pk=job.pk).update(status="succeeded", processed=1000)
    done = client.get(reverse("job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert done.status_code == 286  # htmx stops polling on 286
    assert b"hx-trigger" not in done.content
    assert b"100%" in done.content


def test_failed_job_page_shows_the_error(client, org):
    job = JobRunFactory(started_by=org["leader"], status="failed", error="The file has no name column.")
    client.force_login(org["leader"])
    assert "The file has no name column." in client.get(job.get_absolute_url()).content.decode()


def test_user_gets_404_for_a_job_someone_else_started(client, org):
    job = JobRunFactory(started_by=org["rep_a1"])
    client.force_login(org["rep_a2"])
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(reverse("job_progress", args=[job.pk])).status_code == 404
    client.force_login(org["leader"])
    assert client.get(job.get_absolute_url()).status_code == 200


def test_job_list_shows_only_own_jobs_to_a_rep(client, org):
    JobRunFactory(started_by=org["rep_a1"], kind="demo_seed")
    JobRunFactory(started_by=org["rep_b1"], kind="demo_seed")
    client.force_login(org["rep_a1"])
    response = client.get(reverse("job_list"))
    assert len(response.context["page"].object_list) == 1


def test_job_list_filters_by_kind_and_exports_csv(client, org):
    JobRunFactory(started_by=org["leader"], kind="demo_seed", status="failed", error="=cmd|' /C calc'!A0")
    client.force_login(org["leader"])
    assert len(client.get(reverse("job_list"), {"kind": "demo_seed"}).context["page"].object_list) == 1
    body = b"".join(client.get(reverse("job_list"), {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert "Load demo data" in body
    assert "'=cmd|" in body


def test_time_limit_marks_the_job_failed_and_says_why(settings):
    from celery.exceptions import SoftTimeLimitExceeded

    settings.CELERY_TASK_SOFT_TIME_LIMIT = 600
    job = JobRunFactory()

    def service(*, job: JobRun) -> None:
        raise SoftTimeLimitExceeded()

    job_execute(job_id=job.pk, service=service)

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == "The job ran past its time limit of 10 minutes and was stopped."


def test_demo_task_is_declared_safe_to_redeliver():
    from salesplan.tasks import demo_seed_task

    assert demo_seed_task.acks_late is True
    assert demo_seed_task.reject_on_worker_lost is True
