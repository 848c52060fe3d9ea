"""A worker killed whole (SIGKILL of its process group) while it scores 20,000 accounts.

On the real stack: PostgreSQL, Redis, and `celery worker` processes this test starts and kills. The job is
marked interrupted within the heartbeat limit, the previous scores stand, "Score" starts a new job at once
(not the dead one), which scores as an uninterrupted run does, and the message the broker hands out again
afterwards (its visibility timeout passed) does nothing.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction
from django.urls import reverse

from accounts.services.imports import accounts_import_run
from accounts.tests.factories import accounts_file_write, accounts_import_prepare
from conftest import KILL_HEARTBEAT_LIMIT, job_sessions, table_locked, wait_for
from salesplan.models import DerivedResult, JobRun
from salesplan.tests.factories import PlanFactory
from segmentation.models import AccountScore, IdealCustomerProfile
from segmentation.services.icp import icp_create, icp_publish, icp_score_all

pytestmark = [pytest.mark.postgres, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

CRITERIA = [
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 50_000_000, "weight": 5},
    {"key": "emp", "name": "Employees", "kind": "range", "field": "employees", "min_value": 1_000, "weight": 3},
]
SCORED = ("account_id", "score", "matched", "unknown", "total", "coverage", "tier", "rated", "points")


def _scores(icp: IdealCustomerProfile, *, stamped: bool = True) -> list[tuple]:
    return list(
        AccountScore.objects.filter(icp=icp)
        .order_by("account_id")
        .values_list(*SCORED, *(["scored_at"] if stamped else []))
    )


def _database(icp: IdealCustomerProfile) -> dict[str, object]:
    return {
        "scores": _scores(icp),
        "profile": IdealCustomerProfile.objects.filter(pk=icp.pk).values_list("scored_at", "scored_count").get(),
        "results": list(DerivedResult.objects.order_by("key").values_list("key", "inputs", "computed_at")),
    }


def _uninterrupted(icp: IdealCustomerProfile) -> list[tuple]:
    """The scores of a scoring run to the end, in a transaction then rolled back."""
    with transaction.atomic():
        icp_score_all(icp)
        scores = _scores(icp, stamped=False)
        transaction.set_rollback(True)
    return scores


def _waiting_to_write(job: JobRun) -> bool:
    return any(wait == "Lock" for _pid, wait in job_sessions(job))


def test_a_worker_killed_while_it_scores_leaves_the_previous_scores(org, killable_workers, client, tmp_path):
    leader = org["leader"]
    accounts_import_run(import_id=accounts_import_prepare(accounts_file_write(tmp_path / "a.csv", rows=20_000)).pk)
    icp = icp_publish(icp_create(plan=PlanFactory(), user=leader, name="Killed ICP", criteria=CRITERIA))
    icp_score_all(icp)
    with connection.cursor() as cursor:  # the market moved: half the accounts grew, their scores will change
        cursor.execute("UPDATE accounts_account SET annual_revenue = annual_revenue * 3 WHERE id % 2 = 0")
    expected = _uninterrupted(icp)
    before = _database(icp)
    assert [row[:-1] for row in before["scores"]] != expected  # the new scoring does change scores

    client.force_login(leader)
    first_worker = killable_workers.start()
    with table_locked(AccountScore._meta.db_table):  # the scoring waits where it writes the new scores
        client.post(reverse("icp_score", args=[icp.pk]))
        job = JobRun.objects.get(kind="icp_score")
        wait_for(lambda: _waiting_to_write(job), what="the scoring to wait in its final transaction")
        beat = JobRun.objects.get(pk=job.pk).heartbeat_at
        wait_for(lambda: JobRun.objects.get(pk=job.pk).heartbeat_at > beat, what="a heartbeat during the statement")
        second_worker = killable_workers.start()

        killed = killable_workers.kill(first_worker)
        wait_for(lambda: JobRun.objects.filter(pk=job.pk, status="interrupted").exists(), what="the watchdog")
        took = time.monotonic() - killed
        wait_for(lambda: not job_sessions(job), timeout=10, what="the dead worker's session to be ended")

    print(f"\nscoring: SIGKILL to interrupted in {took:.1f} s (heartbeat limit {KILL_HEARTBEAT_LIMIT} s)")
    assert took <= KILL_HEARTBEAT_LIMIT * 1.5 + 1
    assert _database(icp) == before
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Interrupted" in page
    assert "Nothing was saved: the previous scores are unchanged." in page

    client.post(reverse("icp_score", args=[icp.pk]))  # "Score" again: a new job at once, not the dead one
    again = JobRun.objects.exclude(pk=job.pk).get(kind="icp_score")
    wait_for(lambda: JobRun.objects.filter(pk=again.pk, status__in=["succeeded", "failed"]).exists(), what="re-run")
    again.refresh_from_db()
    assert again.status == "succeeded", again.error
    assert again.result == {"icp_id": icp.pk, "accounts_scored": 20_000}
    assert _scores(icp, stamped=False) == expected

    rescored = _scores(icp)
    assert killable_workers.redeliver_unacknowledged(job) == 1
    wait_for(
        lambda: f"Job {job.pk}: this delivery does nothing (it is interrupted)" in killable_workers.log(),
        what="the worker to receive the late message",
    )
    assert _scores(icp) == rescored
    assert JobRun.objects.filter(pk=job.pk).values_list("status", "attempts").get() == ("interrupted", 1)
    assert second_worker.poll() is None
