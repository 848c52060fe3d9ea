"""Scoring on the real stack: PostgreSQL, Redis and the Celery worker process started by the harness."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count

from accounts.tests.factories import AccountFactory
from conftest import wait_for
from salesplan.models import JobRun
from salesplan.services.jobs import job_start
from salesplan.tests.factories import PlanFactory
from segmentation.models import AccountScore
from segmentation.services.icp import icp_create, icp_publish, icp_score_all

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CRITERIA = [
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 1_000_000, "weight": 5}
]


@pytest.mark.celery
def test_scoring_job_runs_on_the_worker_and_scores_every_account(celery_worker, org, settings):
    settings.JOBS_BACKEND = "celery"
    icp = icp_publish(icp_create(plan=PlanFactory(), user=org["leader"], name="Worker ICP", criteria=CRITERIA))
    AccountFactory.create_batch(30, annual_revenue=5_000_000)
    AccountFactory.create_batch(20, annual_revenue=10)

    job, _created = job_start(kind="icp_score", started_by=org["leader"], params={"icp_id": icp.pk})

    wait_for(lambda: JobRun.objects.filter(pk=job.pk, status="succeeded").first(), what="the scoring job")
    tiers = AccountScore.objects.filter(icp=icp).order_by().values_list("tier").annotate(n=Count("account_id"))
    assert dict(tiers) == {"A": 30, "D": 20}


def test_a_failed_rescoring_leaves_the_previous_scores_current(org, monkeypatch):
    icp = icp_create(plan=PlanFactory(), user=org["leader"], name="ICP", criteria=CRITERIA)
    AccountFactory.create_batch(5, annual_revenue=5_000_000)
    icp_score_all(icp)
    before = list(AccountScore.objects.values_list("account_id", "score", "tier").order_by("account_id"))
    AccountFactory.create_batch(5, annual_revenue=10)

    from segmentation.services import icp as icp_services

    def broken_sql(*args, **kwargs):
        return "SELECT 1/0 AS account_id", []

    monkeypatch.setattr(icp_services, "score_sql", broken_sql)
    with pytest.raises(Exception, match="division by zero"):
        icp_score_all(icp)
    after = list(AccountScore.objects.values_list("account_id", "score", "tier").order_by("account_id"))
    assert after == before
    assert connection.in_atomic_block is False


def test_a_bulk_first_scoring_puts_the_scores_table_back_as_it_was(org, caplog, monkeypatch):
    def shape():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'segmentation_accountscore' ORDER BY indexname"
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'segmentation_accountscore'::regclass ORDER BY conname"
            )
            return indexes, cursor.fetchall()

    before = shape()
    icp = icp_create(plan=PlanFactory(), user=org["leader"], name="ICP", criteria=CRITERIA)
    AccountFactory.create_batch(50)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_account")
    from salesplan.services import bulk

    # Below 10,000 rows nothing is lifted; lower the bar to see the bulk path work on a small table.
    monkeypatch.setattr(bulk, "table_rows_estimate", lambda table: 20_000 if table == "accounts_account" else 0)
    with caplog.at_level("INFO", logger="salesplan.services.bulk"):
        icp_score_all(icp)
    assert "segmentation_accountscore: lifted" in caplog.text
    assert shape() == before
    assert AccountScore.objects.filter(icp=icp).count() == 50
