from __future__ import annotations

import csv
from pathlib import Path

import factory
from django.core.files import File

from accounts.models import Account, AccountImport


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Company {n:05d} Inc.")
    domain = factory.Sequence(lambda n: f"company{n:05d}.com")
    industry = "Software"
    annual_revenue = 50_000_000
    employees = 200
    country = "US"
    state = "NY"
    city = "New York"
    lifecycle = "prospect"


# --- Generated import files (for the tests that need thousands of rows) -------------------------------------

GENERATED_COLUMNS = {
    "Company": "name", "Website": "website", "Industry": "industry", "Revenue": "annual_revenue",
    "Employees": "employees", "Country": "country", "State": "state", "City": "city",
}  # fmt: skip
_STATES = ["CA", "NY", "TX", "WA", "IL", "MA", "GA", "CO"]


def accounts_file_write(path: Path, *, rows: int, first: int = 0, revenue_factor: int = 1, bad_every: int = 0) -> Path:
    """A CSV of ``rows`` generated companies numbered from ``first`` (company N is the same company in every
    file: same website, name and place; its revenue times ``revenue_factor``). With ``bad_every``, every
    such row has no company name (rejected when the valid rows are imported)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(GENERATED_COLUMNS)
        for n in range(first, first + rows):
            name = "" if bad_every and n % bad_every == 0 else f"Generated {n:06d} Corp"
            revenue = (1 + n % 97) * 1_000_000 * revenue_factor
            writer.writerow([
                name, f"https://gen{n:06d}.example.com", f"Industry {n % 13}", str(revenue),
                str(10 + n % 5_000), "US", _STATES[n % len(_STATES)], f"City {n % 211}",
            ])  # fmt: skip
    return path


def accounts_import_prepare(path: Path, *, user: object = None, mode: str = "skip") -> AccountImport:
    """An uploaded import of a generated file, mapped and ready to start (or to run)."""
    from accounts.services.imports import account_import_create, mapping_clean, mapping_from_headers

    with path.open("rb") as handle:
        account_import = account_import_create(file=File(handle, name=path.name), name=path.name, user=user)
    account_import.mapping = mapping_clean(
        headers=account_import.headers,
        mapping=mapping_from_headers(headers=account_import.headers, spec={"columns": GENERATED_COLUMNS}),
    )
    account_import.mode = mode
    account_import.save(update_fields=["mapping", "mode"])
    return account_import
