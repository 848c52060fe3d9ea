"""The real stack: PostgreSQL, Redis and a Celery worker process started by the test harness."""

from __future__ import annotations

import pytest

from accounts.models import Account
from conftest import wait_for
from salesplan.models import JobRun
from salesplan.services.jobs import job_start

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _finished(job: JobRun) -> JobRun | None:
    job.refresh_from_db()
    return job if not job.is_active else None


@pytest.mark.celery
def test_job_enqueued_over_redis_is_run_by_the_worker(celery_worker, org, settings):
    settings.JOBS_BACKEND = "celery"

    job, created = job_start(kind="demo_seed", started_by=org["leader"], params={"companies": 3_000, "seed": 11})

    assert created
    wait_for(lambda: _finished(job), what="the worker to finish the demo job")
    assert job.status == "succeeded", job.error
    assert job.attempts == 1
    assert job.result["companies_created"] == 3_000
    assert Account.objects.count() == 3_000


@pytest.mark.celery
def test_a_second_start_while_the_worker_runs_it_is_not_a_duplicate(celery_worker, org, settings):
    settings.JOBS_BACKEND = "celery"

    first, _ = job_start(kind="demo_seed", started_by=org["leader"], params={"companies": 4_000, "seed": 12})
    second, created = job_start(kind="demo_seed", started_by=org["leader"], params={"companies": 4_000, "seed": 12})

    assert not created
    assert second.pk == first.pk
    wait_for(lambda: _finished(first), what="the worker to finish the demo job")
    assert JobRun.objects.filter(kind="demo_seed").count() == 1
    assert Account.objects.count() == 4_000


def test_in_process_thread_backend_runs_the_job_after_commit(org, settings):
    settings.JOBS_BACKEND = "thread"

    job, _ = job_start(kind="demo_seed", started_by=org["leader"], params={"companies": 1_000, "seed": 13})

    wait_for(lambda: _finished(job), what="the in-process job thread")
    assert job.status == "succeeded", job.error
    assert Account.objects.count() == 1_000


def test_partial_unique_index_refuses_two_active_jobs_with_one_key(org):
    from django.db import IntegrityError, transaction

    JobRun.objects.create(kind="demo_seed", dedupe_key="k", status="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        JobRun.objects.create(kind="demo_seed", dedupe_key="k", status="queued")
    JobRun.objects.create(kind="demo_seed", dedupe_key="k", status="succeeded")  # finished ones may repeat
