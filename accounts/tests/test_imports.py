"""Importing accounts end to end: files of every shape, mapping, validation, dedupe and upsert.

These run on SQLite (the portable path) and again on PostgreSQL (the COPY + SQL fast path) in the
PostgreSQL layer of `make test`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from accounts.importing.fields import mapping_guess
from accounts.models import Account, AccountImport, ImportIssue, IndustryMapping
from accounts.services.imports import ImportFileError, account_import_create, account_import_start
from accounts.tests.factories import AccountFactory
from salesplan.models import JobRun

pytestmark = pytest.mark.django_db(transaction=True)

FORTUNE = (
    "Rank,Company,Ticker,Sector,Industry,Number_of_employees,Revenues_M,Country,HeadquartersCity,"
    "HeadquartersState,Website,CompanyType\n"
    "1,Walmart,WMT,Retailing,General Merchandisers,2100000,611289,U.S.,Bentonville,AR,www.stock.walmart.com,Public\n"
    '2,Lowe&#8217;s,LOW,Retailing,Specialty Retailers,"300,000",97059,U.S.,Mooresville,North Carolina,'
    "https://www.lowes.com/,Public\n"
    "3,Acme Widgets,,Industrials,Industrial Machinery,N/A,1.5,United States,Chicago,Illinois,,Private\n"
)
INC = (
    "_ - rank,name,url,state,_ - revenue,_ - industry,_ - workers,_ - founded,city\n"
    "1,Freestar,http://freestar.com,AZ,36.9 Million,Advertising & Marketing,40,2015,Phoenix\n"
    "2,FreightWise,http://freightwisellc.com,TN,33.6 Million,Logistics & Transportation,39,2015,Brentwood\n"
)


def _upload(data: bytes | str, name: str = "accounts.csv", user: object = None) -> AccountImport:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return account_import_create(file=ContentFile(raw, name=name), name=name, user=user)


def _run(
    account_import: AccountImport,
    *,
    mode: str = "all",
    mapping: dict | None = None,
    user: object = None,
    capture: object = None,
) -> JobRun:
    with capture(execute=True):
        job = account_import_start(
            account_import=account_import, mapping=mapping or account_import.mapping, mode=mode, user=user
        )
    job.refresh_from_db()
    account_import.refresh_from_db()
    return job


@pytest.fixture
def run(org, django_capture_on_commit_callbacks):
    def _do(data: bytes | str, name: str = "accounts.csv", **kwargs: object) -> tuple[AccountImport, JobRun]:
        account_import = _upload(data, name, user=org["leader"])
        job = _run(account_import, user=org["leader"], capture=django_capture_on_commit_callbacks, **kwargs)
        return account_import, job

    return _do


# --- Mapping guesses ------------------------------------------------------------------------------


def test_guesses_map_fortune_headers_and_units():
    headers = next(csv.reader(io.StringIO(FORTUNE)))
    guess = mapping_guess(headers)
    by_field = {field: headers[int(index)] for index, field in guess["columns"].items()}
    assert by_field == {
        "name": "Company", "ticker": "Ticker", "industry": "Industry", "employees": "Number_of_employees",
        "annual_revenue": "Revenues_M", "country": "Country", "city": "HeadquartersCity",
        "state": "HeadquartersState", "website": "Website", "ownership": "CompanyType",
    }  # fmt: skip
    assert guess["units"] == {"annual_revenue": 1_000_000}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("_ - workers", "employees"),
        ("num. of employees", "employees"),
        ("url", "website"),
        ("revenue", "annual_revenue"),
        ("_ - revenue", "annual_revenue"),
        ("Zip Code", "postal_code"),
        ("Year Founded", "founded_year"),
        ("Account Owner", "owner"),
    ],
)
def test_guesses_common_headers(header, field):
    assert mapping_guess(["Company", header])["columns"] == {"0": "name", "1": field}


# --- Importing ------------------------------------------------------------------------------------


def test_import_reads_values_as_a_person_would(run):
    account_import, job = run(FORTUNE)

    assert job.status == "succeeded", job.error
    assert (account_import.created, account_import.rejected) == (3, 0)
    walmart = Account.objects.get(domain="stock.walmart.com")
    assert (walmart.annual_revenue, walmart.employees, walmart.state, walmart.country) == (
        611_289_000_000,
        2_100_000,
        "AR",
        "US",
    )
    assert walmart.ownership == "public"
    assert walmart.ticker == "WMT"
    lowes = Account.objects.get(domain="lowes.com")
    assert lowes.name == "Lowe’s"
    assert (lowes.employees, lowes.state) == (300_000, "NC")
    acme = Account.objects.get(name="Acme Widgets")
    assert (acme.domain, acme.employees, acme.annual_revenue, acme.state) == ("", None, 1_500_000, "IL")
    assert acme.source == f"import #{account_import.pk}: accounts.csv"


def test_reimporting_the_same_file_changes_nothing(run):
    run(FORTUNE)
    before = list(Account.objects.order_by("pk").values())

    account_import, job = run(FORTUNE)

    assert job.status == "succeeded"
    assert (account_import.created, account_import.updated, account_import.unchanged) == (0, 0, 3)
    assert list(Account.objects.order_by("pk").values()) == before


def test_changed_rows_update_in_place_and_blank_cells_erase_nothing(run):
    run(FORTUNE)
    changed = FORTUNE.replace("2100000,611289", ",650000")  # employees now empty, revenue changed

    account_import, _job = run(changed)

    assert (account_import.created, account_import.updated, account_import.unchanged) == (0, 1, 2)
    walmart = Account.objects.get(domain="stock.walmart.com")
    assert walmart.annual_revenue == 650_000_000_000
    assert walmart.employees == 2_100_000  # the empty cell kept what was known


def test_rows_without_domain_match_by_name_and_country(run):
    existing = AccountFactory(name="ACME WIDGETS, INC.", domain="", country="US")
    account_import, _job = run("Company,Country,Employees\nAcme Widgets,USA,120\nAcme Widgets,Canada,80\n")

    assert (account_import.updated, account_import.created) == (1, 1)
    existing.refresh_from_db()
    assert existing.employees == 120
    assert Account.objects.filter(name="Acme Widgets", country="CA").exists()


def test_same_name_with_a_different_domain_is_a_different_company(run):
    AccountFactory(name="Summit Foods", domain="summitfoods.com", country="US")
    account_import, _job = run("Company,Website\nSummit Foods,summitfoods.net\n")
    assert account_import.created == 1
    assert Account.objects.filter(name="Summit Foods").count() == 2


def test_duplicates_inside_the_file_are_reported_and_the_first_wins(run):
    data = "Company,Website,Employees\nAlpha,alpha.com,10\nAlpha Inc,https://www.alpha.com/,20\nBeta,,5\nbeta,,6\n"
    account_import, _job = run(data)

    assert (account_import.created, account_import.duplicates) == (2, 2)
    assert Account.objects.get(domain="alpha.com").employees == 10
    issues = list(ImportIssue.objects.filter(account_import=account_import).values_list("row", "kind", "reason"))
    assert issues == [
        (3, "duplicate", "the same company as row 2; this row was skipped"),
        (5, "duplicate", "the same company as row 4; this row was skipped"),
    ]


def test_all_or_nothing_refuses_the_file_and_lists_every_problem(run):
    data = (
        "Company,Revenue,Employees,Website,Founded\nGood Co,$1.2M,10,good.com,1999\n"
        ",5,1,nameless.com,2000\nBad Co,lots,12.5,not a url,0\nNeg Co,-5,3,neg.com,2001\n"
    )
    account_import, job = run(data)

    assert job.status == "failed"
    assert "nothing was imported" in job.error
    assert account_import.status == "refused"
    assert not Account.objects.exists()
    problems = set(ImportIssue.objects.filter(account_import=account_import).values_list(
        "row", "column", "value", "reason", "kind"
    ))  # fmt: skip
    assert problems == {
        (3, "Company", "", "a company name is required", "error"),
        (4, "Revenue", "lots", "not an amount: use digits with an optional $ and K, M or B (1,200,000 · $1.2M · 36.9 "
                               "Million)", "warning"),
        (4, "Employees", "12.5", "not a whole number (1,234 or 12k)", "warning"),
        (4, "Website", "not a url", "not a web address (acme.com or https://www.acme.com)", "warning"),
        (4, "Founded", "0", "not a year between 1800 and 2027", "warning"),
        (5, "Revenue", "-5", "must not be negative", "error"),
    }  # fmt: skip


def test_skip_invalid_imports_the_valid_rows_and_offers_the_rejects(run, client, org):
    data = "Company,Revenue\nGood Co,$1.2M\nBad Co,-12\nOther Co,3B\n"
    account_import, job = run(data, mode="skip")

    assert job.status == "succeeded"
    assert (account_import.created, account_import.rejected) == (2, 1)
    assert set(Account.objects.values_list("name", flat=True)) == {"Good Co", "Other Co"}
    client.force_login(org["leader"])
    response = client.get(reverse("account_import_rejected_csv", args=[account_import.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines() == ["Company,Revenue,Problem", "Bad Co,'-12,Revenue: must not be negative"]


def test_rejected_rows_file_neutralizes_a_formula_in_the_files_header(run, client, org):
    evil = '=HYPERLINK("http://evil.example/","Open")'
    data = f'Company,Revenue,"{evil.replace(chr(34), chr(34) * 2)}"\nGood Co,$1.2M,a\nBad Co,-12,b\n'
    account_import, _job = run(data, mode="skip")
    client.force_login(org["leader"])
    response = client.get(reverse("account_import_rejected_csv", args=[account_import.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Company", "Revenue", "'" + evil, "Problem"]
    assert rows[1:] == [["Bad Co", "'-12", "b", "Revenue: must not be negative"]]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ("\ufeffCompany;Revenue\r\nÉcole Ltd;1,5\r\nZeta;7\r\n".encode(), "semicolon-bom-crlf.csv"),
        ("Company\tRevenue\nÉcole Ltd\t15\nZeta\t7\n".encode(), "tabs.tsv"),
        ("Company,Revenue\rÉcole Ltd,15\rZeta,7\r".encode(), "bare-cr.csv"),
        ("Company,Revenue\nÉcole Ltd,15\nZeta,7\n".encode("cp1252"), "windows-1252.csv"),
        ('Company,Revenue\n"École\nLtd",15\nZeta,7\n\n'.encode(), "quoted-newline-and-blank-line.csv"),
    ],
)
def test_any_real_world_csv_is_read(run, data, name):
    account_import, job = run(data, name)

    assert job.status == "succeeded", job.error
    assert account_import.created == 2
    assert Account.objects.filter(name__startswith="École").exists()
    assert Account.objects.get(name="Zeta").annual_revenue == 7


def test_xlsx_workbook_is_imported(run):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Company", "Revenue ($M)", "Employees", "Founded"])
    sheet.append(["Sheet Co", 12.5, 40.0, 2015.0])
    buffer = io.BytesIO()
    workbook.save(buffer)

    _account_import, job = run(buffer.getvalue(), "list.xlsx")

    assert job.status == "succeeded", job.error
    account = Account.objects.get(name="Sheet Co")
    assert (account.annual_revenue, account.employees, account.founded_year) == (12_500_000, 40, 2015)


def test_owner_column_assigns_accounts_and_unknown_owners_are_errors(run, org):
    org["rep_a1"].email = "alex@example.com"
    org["rep_a1"].save()
    data = "Company,Owner\nOne,rep_b1\nTwo,ALEX@example.com\nThree,nobody\n"
    account_import, _job = run(data, mode="skip")

    assert Account.objects.get(name="One").owner == org["rep_b1"]
    assert Account.objects.get(name="Two").owner == org["rep_a1"]
    assert ImportIssue.objects.get(account_import=account_import).reason == "no active user has this username or email"


def test_new_industries_join_the_vertical_list_unmapped(run):
    run(INC)
    assert set(IndustryMapping.objects.values_list("industry", "vertical")) == {
        ("Advertising & Marketing", None),
        ("Logistics & Transportation", None),
    }


# --- Bad files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"\x00\x01\x02PNG\x00\x00" * 50, "photo.csv", "contains binary data"),
        (b"not a zip at all", "fake.xlsx", "is not an Excel workbook"),
        (b"GIF89a" + bytes(range(256)) * 4, "old.xls", r"Old Excel files \(\.xls\) cannot be read"),
        (b"\n\nCompany\nAcme\n", "blank-header.csv", "The first row is empty"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(org, data, name, message):
    with pytest.raises(ImportFileError, match=message):
        _upload(data, name, user=org["leader"])
    assert not AccountImport.objects.exists()


def test_xlsx_bomb_is_refused(org, settings):
    settings.IMPORT_MAX_XLSX_EXPANDED_BYTES = 5_000_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 20_000_000)
    with pytest.raises(ImportFileError, match="expands to 20 MB"):
        _upload(buffer.getvalue(), "bomb.xlsx", user=org["leader"])


def test_file_over_the_size_limit_is_refused(org, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ImportFileError, match="the limit is 0 MB"):
        _upload("Company\n" + "Acme\n" * 50, user=org["leader"])


def test_mapping_without_a_name_column_is_refused(org, django_capture_on_commit_callbacks):
    account_import = _upload("Revenue,Employees\n5,3\n", user=org["leader"])
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Choose the column that holds the company name"):
        account_import_start(
            account_import=account_import, mapping=account_import.mapping, mode="all", user=org["leader"]
        )
    assert not JobRun.objects.exists()


def test_header_only_file_imports_nothing_and_says_so(run):
    account_import, job = run("Company,Revenue\n")
    assert job.status == "succeeded"
    assert account_import.rows_total == 0
    assert account_import.created == 0


def test_rows_longer_than_the_header_are_reported(run):
    account_import, _job = run("Company,Revenue\nAcme,5,surprise\n", mode="skip")
    issue = ImportIssue.objects.get(account_import=account_import)
    assert (issue.row, issue.value, issue.reason) == (2, "surprise", "has more cells than the header's 2 columns")


# --- Shell command --------------------------------------------------------------------------------


def test_import_command_prints_counts_and_dry_run_saves_nothing(tmp_path, db):
    path = tmp_path / "inc.csv"
    path.write_text(INC, encoding="utf-8")
    out = StringIO()
    call_command("import_accounts", str(path), "--dry-run", stdout=out)
    assert "Checked (dry run, nothing saved)" in out.getvalue()
    assert "created: 2" in out.getvalue()
    assert not Account.objects.exists()

    call_command("import_accounts", str(path), stdout=(out := StringIO()))
    assert "created: 2, updated: 0, unchanged: 0, rejected: 0" in out.getvalue()
    assert Account.objects.get(domain="freestar.com").annual_revenue == 36_900_000


def test_import_command_fails_when_the_import_is_refused(tmp_path, db):
    path = tmp_path / "bad.csv"
    path.write_text("Company,Revenue\n#NAME?,5\n", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_accounts", str(path), stdout=StringIO(), stderr=StringIO())


def test_import_command_takes_a_mapping_file_by_header_name(tmp_path, db):
    (tmp_path / "data.csv").write_text("Firm,Size in k\nAcme,12\n", encoding="utf-8")
    (tmp_path / "mapping.json").write_text(
        '{"columns": {"Firm": "name", "Size in k": "annual_revenue"}, "units": {"annual_revenue": 1000}}',
        encoding="utf-8",
    )
    call_command(
        "import_accounts", str(tmp_path / "data.csv"), "--mapping", str(tmp_path / "mapping.json"), stdout=StringIO()
    )
    assert Account.objects.get(name="Acme").annual_revenue == 12_000


def test_every_field_at_once(run, org):
    data = (
        "Company,Domain,Website,Industry,Revenue,Employees,Country,State,City,Zip,Ownership,Ticker,Founded,"
        "Lifecycle,Our sales,Wallet,Owner,Parent domain\n"
        'Parent Co,parent.com,https://parent.com,Software,$2B,"5,000",US,NY,New York,10001,public,PRNT,1950,'
        "customer,$1.5M,$4M,rep_a1,\n"
        "Child Co,child.com,,Software,$20M,50,Canada,Ontario,Toronto,M5H,private,,2001,churned,,,rep_a2,"
        "parent.com\n"
    )
    _account_import, job = run(data)

    assert job.status == "succeeded", job.error
    parent, child = Account.objects.get(domain="parent.com"), Account.objects.get(domain="child.com")
    assert (parent.ownership, parent.lifecycle, parent.owner, parent.ticker) == (
        "public",
        "customer",
        org["rep_a1"],
        "PRNT",
    )
    assert (parent.current_sales, parent.wallet, parent.postal_code) == (1_500_000, 4_000_000, "10001")
    assert (child.country, child.state, child.lifecycle, child.parent) == ("CA", "Ontario", "former", parent)


# --- Bulk loads on PostgreSQL -----------------------------------------------------------------------


def _table_shape() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'accounts_account' ORDER BY indexname"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'accounts_account'::regclass ORDER BY conname"
        )
        return indexes, cursor.fetchall()


@pytest.mark.postgres
def test_bulk_load_puts_every_index_and_key_back(run, org, caplog):
    """An import that at least doubles the table lifts indexes and keys for speed; all come back."""
    AccountFactory(domain="existing.com", owner=org["rep_a1"])
    before = _table_shape()
    lines = ["Company,Website,Revenue,Industry"]
    lines += [f"Bulk {i} Inc,bulk{i}.com,{i}.5 Million,Software" for i in range(10_000)]
    with caplog.at_level("INFO", logger="salesplan.services.bulk"):
        account_import, job = run("\n".join(lines) + "\n")
    assert "accounts_account: lifted" in caplog.text  # the bulk path was taken
    assert job.status == "succeeded", job.error
    assert account_import.created == 10_000
    assert _table_shape() == before
    assert Account.objects.get(domain="bulk42.com").annual_revenue == 42_500_000
    # The unique domain index is back in force.
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        AccountFactory(domain="bulk42.com")
