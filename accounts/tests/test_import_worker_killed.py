"""A worker killed whole (SIGKILL of its process group) while it saves a 20,000-row import.

On the real stack: PostgreSQL, Redis, and `celery worker` processes this test starts and kills. The job is
marked interrupted within the heartbeat limit, the database is as it was, no staging table is left, "Run
again" imports what an uninterrupted run imports, and the message the broker hands out again afterwards
(its visibility timeout passed) does nothing, even after the user deleted some of the accounts.
"""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import (
    Account,
    AccountImport,
    ImportChange,
    ImportIssue,
    ImportLedger,
    IndustryMapping,
    PossibleDuplicate,
)
from accounts.services.imports import account_import_start, accounts_import_run
from accounts.tests.factories import accounts_file_write, accounts_import_prepare
from conftest import KILL_HEARTBEAT_LIMIT, job_sessions, staging_tables, table_locked, wait_for
from salesplan.models import JobRun

pytestmark = [pytest.mark.postgres, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROWS = 20_000
# Every field but the ids and times, which differ from one run to another.
NATURAL = [f.attname for f in Account._meta.concrete_fields if f.name not in {"id", "created_at", "updated_at"}]


def _accounts() -> list[tuple]:
    return list(Account.objects.order_by("pk").values_list("pk", "updated_at", *NATURAL))


def _accounts_natural() -> list[tuple]:
    return sorted(Account.objects.values_list(*NATURAL))


def _database(account_import: AccountImport) -> dict[str, object]:
    """What the import may change: the accounts, the industries, and its own records."""
    mine = {"account_import": account_import}
    return {
        "accounts": _accounts(),
        "industries": list(IndustryMapping.objects.order_by("pk").values_list()),
        "changes": ImportChange.objects.filter(**mine).count(),
        "ledger": ImportLedger.objects.filter(**mine).count(),
        "possible duplicates": PossibleDuplicate.objects.filter(**mine).count(),
        "problems": ImportIssue.objects.filter(**mine).count(),
    }


def _uninterrupted(account_import: AccountImport) -> tuple[dict, list[tuple]]:
    """The result and accounts of the same import run to the end, in a transaction then rolled back."""
    with transaction.atomic():
        result = accounts_import_run(import_id=account_import.pk)
        accounts = _accounts_natural()
        transaction.set_rollback(True)
    return result, accounts


def _waiting_in_the_merge(job: JobRun) -> bool:
    job.refresh_from_db()
    return job.message.startswith("Saving") and any(wait == "Lock" for _pid, wait in job_sessions(job))


def test_a_worker_killed_while_it_saves_an_import_leaves_the_accounts_as_they_were(
    org, killable_workers, client, tmp_path
):
    leader = org["leader"]
    accounts_import_run(import_id=accounts_import_prepare(accounts_file_write(tmp_path / "old.csv", rows=2_000)).pk)
    # 1,000 of the existing companies again with a new revenue, 19,000 new ones, 40 rows that do not read.
    file = accounts_file_write(tmp_path / "big.csv", rows=ROWS, first=1_000, revenue_factor=3, bad_every=500)
    account_import = accounts_import_prepare(file, user=leader)
    expected_result, expected_accounts = _uninterrupted(account_import)
    before = _database(account_import)

    first_worker = killable_workers.start()
    with table_locked(Account._meta.db_table):  # the merge waits at its UPDATE of the accounts
        job = account_import_start(
            account_import=account_import, mapping=account_import.mapping, mode=account_import.mode, user=leader
        )
        wait_for(lambda: _waiting_in_the_merge(job), what="the import to wait in its final transaction")
        assert job.message == f"Saving {ROWS - 40:,} accounts"
        assert len(staging_tables()) >= 4  # the file staged, row by row
        beat = job.heartbeat_at
        wait_for(lambda: JobRun.objects.get(pk=job.pk).heartbeat_at > beat, what="a heartbeat during the statement")
        second_worker = killable_workers.start()

        killed = killable_workers.kill(first_worker)
        wait_for(lambda: JobRun.objects.filter(pk=job.pk, status="interrupted").exists(), what="the watchdog")
        took = time.monotonic() - killed
        # The killed worker's statement waits on in PostgreSQL, holding its locks, until the watchdog ends it.
        wait_for(lambda: not job_sessions(job), timeout=10, what="the dead worker's session to be ended")
    wait_for(lambda: not staging_tables(), timeout=10, what="the staging tables to be dropped")

    print(f"\nimport: SIGKILL to interrupted in {took:.1f} s (heartbeat limit {KILL_HEARTBEAT_LIMIT} s)")
    assert took <= KILL_HEARTBEAT_LIMIT * 1.5 + 1  # the limit, the watchdog's round, a beat's lateness
    assert _database(account_import) == before
    job.refresh_from_db()
    assert job.error == (
        f"The worker stopped (it was killed or lost) while saving {ROWS - 40:,} accounts (75%). "
        "Nothing was imported: the accounts are as they were."
    )
    client.force_login(leader)
    report = client.get(account_import.get_absolute_url()).content.decode()
    assert "Interrupted" in report
    assert "Nothing was imported: the accounts are as they were." in report
    assert reverse("job_run_again", args=[job.pk]) in report

    response = client.post(reverse("job_run_again", args=[job.pk]))  # one click
    again = JobRun.objects.exclude(pk=job.pk).get(kind="accounts_import")
    assert response["Location"] == again.get_absolute_url()
    wait_for(lambda: JobRun.objects.filter(pk=again.pk, status__in=["succeeded", "failed"]).exists(), what="re-run")
    again.refresh_from_db()
    assert again.status == "succeeded", again.error
    assert again.result == expected_result
    assert _accounts_natural() == expected_accounts
    account_import.refresh_from_db()
    assert account_import.status == "done"

    # The user deletes 1,000 of the new accounts; then the killed worker's message comes back.
    Account.objects.filter(pk__in=Account.objects.order_by("-pk").values("pk")[:1_000]).delete()
    after_delete = _accounts()
    assert killable_workers.redeliver_unacknowledged(job) == 1
    wait_for(
        lambda: f"Job {job.pk}: this delivery does nothing (it is interrupted)" in killable_workers.log(),
        what="the worker to receive the late message",
    )
    assert _accounts() == after_delete
    assert JobRun.objects.filter(pk=job.pk).values_list("status", "attempts").get() == ("interrupted", 1)
    assert second_worker.poll() is None
