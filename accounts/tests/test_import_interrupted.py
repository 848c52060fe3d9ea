"""An import whose worker died: the import says so, keeps nothing half-done, and runs again in one click;
an export that stops leaves no half file.

SQLite and PostgreSQL, jobs inside the request; the real worker killed mid-import is in
test_import_worker_killed.py.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AccountImport, ImportIssue, ImportLedger
from accounts.services.imports import account_import_start
from accounts.tests.factories import AccountFactory, accounts_file_write, accounts_import_prepare
from conftest import staging_tables
from salesplan.models import JobRun
from salesplan.services.jobs import job_interrupt_stale, job_staging_prefix

pytestmark = pytest.mark.django_db(transaction=True)


def _started_then_dead(account_import: AccountImport, user: object) -> JobRun:
    """The import's job as a killed worker leaves it: running, its heartbeat stopped, the file half-checked."""
    with mock.patch("salesplan.services.jobs._job_dispatch"):
        job = account_import_start(
            account_import=account_import, mapping=account_import.mapping, mode=account_import.mode, user=user
        )
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    JobRun.objects.filter(pk=job.pk).update(
        status="running",
        started_at=long_ago,
        heartbeat_at=long_ago,
        message="Checking 300 rows",
        processed=35,
        total=100,
    )
    AccountImport.objects.filter(pk=account_import.pk).update(status="running")
    ImportIssue.objects.create(account_import=account_import, row=2, column="Company", value="", reason="required")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {job_staging_prefix(job)}imp_raw (row_no bigint)")
    return JobRun.objects.get(pk=job.pk)


def test_an_interrupted_import_says_nothing_was_imported_and_leaves_nothing_behind(org, tmp_path):
    account_import = accounts_import_prepare(accounts_file_write(tmp_path / "a.csv", rows=300), user=org["leader"])
    job = _started_then_dead(account_import, org["leader"])

    job_interrupt_stale()

    job.refresh_from_db()
    account_import.refresh_from_db()
    assert job.status == "interrupted"
    assert job.error == (
        "The worker stopped (it was killed or lost) while checking 300 rows (35%). "
        "Nothing was imported: the accounts are as they were."
    )
    assert account_import.status == "failed"
    assert account_import.message.startswith("The import was interrupted: its worker stopped. Nothing was imported")
    assert not ImportIssue.objects.filter(account_import=account_import).exists()  # a partial check goes
    assert staging_tables() == []
    assert not Account.objects.exists()


def test_an_import_interrupted_after_its_accounts_were_saved_says_so(org, tmp_path):
    account_import = accounts_import_prepare(accounts_file_write(tmp_path / "a.csv", rows=10), user=org["leader"])
    job = _started_then_dead(account_import, org["leader"])
    ImportLedger.objects.create(account_import=account_import, written_at=timezone.now())

    job_interrupt_stale()

    job.refresh_from_db()
    assert job.error.endswith("The accounts were saved before it stopped, but the import's report was not finished.")
    assert ImportIssue.objects.filter(account_import=account_import).exists()  # its problems are real


def test_the_import_page_offers_run_again_which_imports_the_file(client, org, tmp_path):
    account_import = accounts_import_prepare(accounts_file_write(tmp_path / "a.csv", rows=300), user=org["leader"])
    job = _started_then_dead(account_import, org["leader"])
    client.force_login(org["leader"])

    report = client.get(account_import.get_absolute_url()).content.decode()  # its progress shows it dead
    assert "Reload this page" in report
    progress = client.get(reverse("job_progress", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "Nothing was imported: the accounts are as they were." in progress
    report = client.get(account_import.get_absolute_url()).content.decode()
    assert "Interrupted" in report
    assert "Reload this page" not in report
    assert '<span class="badge text-bg-warning">Interrupted</span>' in report  # not "Failed"
    assert "No problems: every row was read" not in report  # the check stopped before the end
    assert "the import stopped before its rows were all checked" in report

    response = client.post(reverse("job_run_again", args=[job.pk]))

    account_import.refresh_from_db()
    again = account_import.job
    assert again.pk != job.pk
    assert response["Location"] == again.get_absolute_url()
    assert again.status == "succeeded", again.error
    assert (account_import.status, account_import.created) == ("done", 300)
    assert Account.objects.count() == 300


def test_an_export_that_stops_half_way_leaves_no_half_file(client, org, settings, tmp_path):
    from accounts.services import exports

    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_INLINE_MAX_ROWS = 1
    AccountFactory.create_batch(3)

    def half_then_dead(header, rows):
        yield "Name\n"
        raise MemoryError("the worker went")  # what a killed worker leaves: the lines written so far

    client.force_login(org["leader"])
    with mock.patch.object(exports, "csv_rows", half_then_dead):
        client.get(reverse("account_list"), {"export": "csv"})

    job = JobRun.objects.get(kind="accounts_export")
    assert job.status == "failed"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
