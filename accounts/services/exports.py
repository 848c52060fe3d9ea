"""Exports of the account list: small ones stream at once, large ones run as a job and wait for download."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict

from accounts.filters import AccountFilter
from accounts.models import Account
from accounts.selectors import ACCOUNT_SORT_COLUMNS, accounts_visible_to
from salesplan.exports import csv_rows, xlsx_write
from salesplan.listing import sort_queryset
from salesplan.models import JobRun, User
from salesplan.services.jobs import JobError, job_progress, job_scratch_dir

EXPORT_HEADER = ["Name", "Domain", "Website", "Industry", "Vertical", "Annual revenue (USD)", "Employees", "Country",
                 "State", "City", "Postal code", "Ownership", "Ticker", "Founded", "Lifecycle", "Current sales (USD)",
                 "Wallet (USD)", "Owner", "Source"]  # fmt: skip
EXPORT_FIELDS = ["name", "domain", "website", "industry", "vertical__name", "annual_revenue", "employees", "country",
                 "state", "city", "postal_code", "ownership", "ticker", "founded_year", "lifecycle", "current_sales",
                 "wallet", "owner__username", "source"]  # fmt: skip


def accounts_for_export(*, user: User, query: QueryDict) -> QuerySet[Account]:
    """The accounts the list shows for ``query`` (its filters), scoped to the user, in the list's order."""
    filtered = AccountFilter(query, queryset=accounts_visible_to(user), user=user).qs
    return sort_queryset(filtered, query.get("sort", "name"), columns=ACCOUNT_SORT_COLUMNS, default="name")[0]


def export_rows(queryset: QuerySet[Account]) -> Any:
    return queryset.values_list(*EXPORT_FIELDS).iterator(chunk_size=5_000)


def accounts_export(*, user_id: int, query: str, file_format: str, job: JobRun | None = None) -> dict[str, Any]:
    """Write the filtered account list to a file under MEDIA_ROOT/exports; the job page links to it."""
    user = User.objects.get(pk=user_id)
    queryset = accounts_for_export(user=user, query=QueryDict(query))
    total = queryset.count()
    job_progress(job=job, processed=0, total=total, message=f"Writing {total:,} accounts")
    folder = Path(settings.MEDIA_ROOT) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"accounts-{uuid.uuid4().hex}.{file_format}"
    # Written in the job's scratch folder and moved when complete: a worker that dies leaves no half file.
    path = (job_scratch_dir(job) if job is not None else folder) / name
    if file_format == "xlsx":
        written = xlsx_write(target=path, header=EXPORT_HEADER, rows=export_rows(queryset), title="Accounts")
    elif file_format == "csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            written = 0
            for line in csv_rows(EXPORT_HEADER, export_rows(queryset)):
                handle.write(line)
                written += 1
            written -= 2  # the BOM and the header
    else:
        raise JobError(f"Unknown export format “{file_format}”.")
    path.replace(folder / name)
    return {"accounts_exported": written, "file": name}
