"""Uploads cannot exhaust memory (issue 13, part 2): a workbook is read once, streaming, into a staged CSV
copy that the mapping page, its previews and the import read; damaged workbooks, UTF-16 files and files
too wide for the mapping screen get a clear message, never a 500.

These run on SQLite and again on PostgreSQL in the PostgreSQL layer of `make test`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import string
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.importing.workbook import staged_path, workbook_open, workbook_to_csv
from accounts.models import Account, AccountImport, ImportIssue
from accounts.tests.workbooks import hostile_workbook, inline_row, sheet_xml, strings_xml, workbook_bytes
from salesplan.models import JobRun

pytestmark = pytest.mark.django_db(transaction=True)

MAPPING = {"unit_annual_revenue": "1", "unit_current_sales": "1", "unit_wallet": "1", "default_country": "US",
           "mode": "all", "decimal": "."}  # fmt: skip


@pytest.fixture
def media(settings, tmp_path):
    """Uploads go to a folder of their own, so that a test sees every file an upload leaves behind."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _files(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) if media.exists() else []


def _workbook(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, data: bytes, name: str):
    return client.post(reverse("account_import_upload"), {"file": SimpleUploadedFile(name, data)})


def _confirm(client, account_import: AccountImport, columns: dict[int, str], capture) -> JobRun:
    with capture(execute=True):
        client.post(account_import.get_absolute_url(), {**MAPPING, **{f"col_{i}": f for i, f in columns.items()}})
    return JobRun.objects.get(kind="accounts_import")


ACCOUNTS = [
    ["Company", "Revenue", "Founded", "Since"],
    ["Sheet Co", 12_500_000, 2015.0, dt.datetime(2027, 5, 18)],
    ["Book Ltd", 3.5, 1999, None],
]


# --- Read once, into the staged copy ---------------------------------------------------------------


def test_the_mapping_page_its_previews_and_the_import_read_the_staged_copy_not_the_workbook(
    client, org, media, django_capture_on_commit_callbacks
):
    client.force_login(org["leader"])
    _upload(client, _workbook(ACCOUNTS), "accounts.xlsx")
    account_import = AccountImport.objects.get()
    upload = Path(account_import.file.path)
    assert staged_path(upload).read_text(encoding="utf-8").splitlines() == [
        "Company,Revenue,Founded,Since",
        "Sheet Co,12500000,2015,2027-05-18 00:00:00",
        "Book Ltd,3.5,1999",  # rows end at their last value: the header gives the width
    ]
    upload.write_bytes(b"PK\x03\x04 no longer a workbook")  # so that anything reading it again would fail

    page = client.get(account_import.get_absolute_url()).content.decode()
    assert "Which column is which?" in page
    assert "Excel workbook" in page
    url = reverse("account_import_preview", args=[account_import.pk])
    preview = client.post(url, {**MAPPING, "col_0": "name", "col_1": "annual_revenue"}).content.decode()
    assert "Sheet Co" in preview
    assert "$12.5M" in preview
    job = _confirm(client, account_import, {0: "name", 1: "annual_revenue", 2: "founded_year"},
                   django_capture_on_commit_callbacks)  # fmt: skip
    assert job.status == "succeeded", job.error
    assert sorted(Account.objects.values_list("name", "annual_revenue", "founded_year")) == [
        ("Book Ltd", 4, 1999),
        ("Sheet Co", 12_500_000, 2015),
    ]


@pytest.fixture
def worker(monkeypatch):
    """Jobs wait for a worker until the test runs them, as a worker would take them."""
    from salesplan.services import jobs

    queued: list[dict] = []
    monkeypatch.setattr(jobs, "_job_dispatch", lambda **kwargs: queued.append(kwargs))

    def run() -> None:
        while queued:
            kwargs = queued.pop(0)
            kwargs["task"].apply(kwargs={"job_id": kwargs["job_id"], "token": kwargs["token"]})

    return run


def test_a_big_workbook_is_read_in_the_background_while_the_page_shows_progress(client, org, media, settings, worker):
    settings.IMPORT_XLSX_READ_INLINE_BYTES = 100  # every workbook counts as big
    client.force_login(org["leader"])
    response = _upload(client, _workbook(ACCOUNTS), "accounts.xlsx")
    account_import = AccountImport.objects.get()
    assert response["Location"] == account_import.get_absolute_url()  # at once: nothing read yet
    assert account_import.headers == []
    page = client.get(account_import.get_absolute_url()).content.decode()
    assert "Reading the workbook" in page
    assert 'id="job-progress"' in page
    assert "Which column is which?" not in page
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TRIGGER": "workbook-read"}
    assert client.get(account_import.get_absolute_url(), **poll).status_code == 204
    assert "Reading the workbook" in client.get(reverse("account_import_list")).content.decode()

    worker()
    job = JobRun.objects.get(kind="accounts_import_read")
    assert job.status == "succeeded", job.error
    assert job.result == {"columns": 4, "sample_rows": 2}
    assert client.get(account_import.get_absolute_url(), **poll)["HX-Redirect"] == account_import.get_absolute_url()
    page = client.get(account_import.get_absolute_url())
    assert page.context["form"]["col_1"].value() == "annual_revenue"  # guessed from the staged copy
    assert "Sheet Co" in page.content.decode()

    client.post(account_import.get_absolute_url(), {**MAPPING, "col_0": "name", "col_1": "annual_revenue"})
    worker()
    job = JobRun.objects.get(kind="accounts_import")
    assert job.status == "succeeded", job.error
    assert Account.objects.count() == 2


def test_a_second_delivery_of_the_reading_job_does_nothing(org, media):
    from accounts.services.imports import account_import_workbook_read

    account_import = _service_upload(_workbook(ACCOUNTS), "accounts.xlsx", org["leader"])  # small: read at once
    staged = staged_path(Path(account_import.file.path))
    staged.write_text("Company\nKept\n", encoding="utf-8")
    assert account_import_workbook_read(import_id=account_import.pk) == {"columns": 4}
    assert staged.read_text(encoding="utf-8") == "Company\nKept\n"


def _service_upload(data: bytes, name: str, user: object, **kwargs: object) -> AccountImport:
    from django.core.files.base import ContentFile

    from accounts.services.imports import account_import_create

    return account_import_create(file=ContentFile(data, name=name), name=name, user=user, **kwargs)


def test_the_import_command_reads_a_big_workbook_there_and_then(tmp_path, media, settings, db):
    settings.IMPORT_XLSX_READ_INLINE_BYTES = 100
    path = tmp_path / "accounts.xlsx"
    path.write_bytes(_workbook(ACCOUNTS))
    out = io.StringIO()
    call_command("import_accounts", str(path), stdout=out)
    assert "created: 2" in out.getvalue()


# --- Values as openpyxl read them, rows where the sheet has them ------------------------------------


def test_each_value_is_read_as_openpyxl_reads_it(tmp_path, settings):
    rows = [
        ["Company", "Revenue", "Founded", "When", "Time", "Flag", "Error", "Share", "Big", "Small", "Formula"],
        ["Sheet Co", 12.5, 2015.0, dt.datetime(2027, 5, 18), dt.time(12, 30), True, "#N/A", 0.25, 1e20, 1.5e-7, "=1+2"],
        [],
        ["Ünïcödé “quotes”, commas\nand a new line", -3, 0, dt.date(2020, 1, 1), None, False, "", -0.0, 10**12, 7],
    ]
    path = tmp_path / "values.xlsx"
    path.write_bytes(_workbook(rows))
    workbook_to_csv(path, tmp_path / "values.csv", max_columns=500)

    expected = []
    for row in load_workbook(path, read_only=True, data_only=True).active.iter_rows(values_only=True):
        cells = ["" if v is None else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in row]
        expected.append(cells)
    with (tmp_path / "values.csv").open(encoding="utf-8", newline="") as handle:
        staged = list(csv.reader(handle))
    assert [_trimmed(r) for r in staged] == [_trimmed(r) for r in expected]
    assert staged[1][3:5] == ["2027-05-18 00:00:00", "12:30:00"]


def _trimmed(row: list[str]) -> list[str]:
    while row and not row[-1]:
        row = row[:-1]
    return row


def test_rows_keep_their_numbers_and_a_value_beyond_the_header_keeps_a_column(
    client, org, media, django_capture_on_commit_callbacks
):
    sheet = sheet_xml(
        [
            inline_row(1, ["Company", "Revenue"]),
            inline_row(2, ["Alpha", "5"]),
            inline_row(5, ["", "7"]),  # rows 3 and 4 are not in the sheet; row 5 has no name
            '<row r="6"><c r="A6" t="s"><v>0</v></c><c r="D6" t="inlineStr"><is><t>a note</t></is></c></row>',
        ]
    )
    client.force_login(org["leader"])
    _upload(client, workbook_bytes(sheet=sheet, strings=strings_xml(["Gamma"])), "gaps.xlsx")
    account_import = AccountImport.objects.get()
    assert account_import.headers == ["Company", "Revenue", "", ""]  # widened to the note in column D

    job = _confirm(client, account_import, {0: "name", 1: "annual_revenue"}, django_capture_on_commit_callbacks)
    assert job.status == "failed"  # all or nothing: row 5 has no name
    assert list(ImportIssue.objects.values_list("row", "column")) == [(5, "Company")]


# --- Bounded memory, whatever the workbook holds -------------------------------------------------------

_MEASURE = """
import json, resource, sys, time
import django
django.setup()
from pathlib import Path
from accounts.importing.files import ImportFileError, staged_inspect
from accounts.importing.workbook import workbook_to_csv
started = time.monotonic()
try:
    records = workbook_to_csv(Path(sys.argv[1]), Path(sys.argv[2]), max_columns=500)
    info = staged_inspect(Path(sys.argv[2]))
    outcome = {"records": records, "headers": info.headers, "first": info.sample[0]}
except ImportFileError as exc:
    outcome = {"refused": str(exc)}
outcome["seconds"] = round(time.monotonic() - started, 1)
# The peak of this process alone: on Linux ru_maxrss keeps the peak of the process that forked it (the test
# run, hundreds of MB after a long single-process layer) across exec, while VmHWM starts afresh with exec.
status = Path("/proc/self/status")
if status.exists():
    hwm = next(line for line in status.read_text().splitlines() if line.startswith("VmHWM:"))
    outcome["peak_mb"] = int(hwm.split()[1]) / 1024
else:
    unit = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    outcome["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / unit
print(json.dumps(outcome))
"""


def test_a_workbook_with_a_huge_text_table_is_read_in_bounded_memory(tmp_path, settings):
    """The workbook of the issue: a 220 MB text table that compresses 13-fold passes the size and zip-bomb
    checks; openpyxl took the process past 640 MB reading it (1.77 GB for the 232 MB one of the issue)."""
    path = tmp_path / "hostile.xlsx"
    strings = hostile_workbook(path, text_bytes=220_000_000, rows=50_000)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size > 200_000_000
    assert path.stat().st_size < 30_000_000
    workbook_open(path)  # accepted by the upload's checks

    measured = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), str(tmp_path / "staged.csv")],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "salesplan.settings"},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    outcome = json.loads(measured.stdout.strip().splitlines()[-1])
    assert outcome["peak_mb"] < 300, outcome
    assert outcome["records"] == 50_001, outcome
    assert outcome["headers"] == ["Company", "City", "Revenue"]
    assert outcome["first"][0] == f"Hostile Holdings {(2 * 7919) % strings:09d} of a long company name, branch " + str(
        (2 * 7919) % strings % 9973
    )


def _noise(length: int, seed: int = 0) -> str:
    """Text that does not compress much (the zip-bomb check would refuse a long run of one letter first)."""
    return "".join(random.Random(seed).choices(string.ascii_letters, k=length))


@pytest.mark.parametrize(
    ("sheet", "strings", "message"),
    [
        (sheet_xml([inline_row(1, ["Company"]), inline_row(2, [_noise(140_000)])]), None,
         r"Cell A2 of this workbook holds more than 131,072 characters"),
        (sheet_xml([inline_row(1, ["Company"]), '<row r="2"><c r="A2" t="s"><v>0</v></c></row>']),
         strings_xml([_noise(140_000)]), r"Text 1 of this workbook's text table holds more than 131,072 characters"),
        (sheet_xml([inline_row(1, ["Company"]), inline_row(2, [_noise(100_000, seed) for seed in range(12)])]), None,
         r"Row 2 of this workbook holds more than 1,000,000 characters"),
        ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
         '<row r="1"><c t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>', None,
         r"declares a document type, which workbooks never do"),
        (sheet_xml([inline_row(1, ["Company"]) + "<x>" * 40 + "</x>" * 40]), None, r"nest more than 32 deep"),
    ],
    ids=["long-cell", "long-text", "wide-row", "entity-bomb", "deep-nesting"],
)  # fmt: skip
def test_what_one_row_or_cell_may_hold_is_capped_with_a_clear_message(org, media, monkeypatch, sheet, strings, message):
    from accounts.importing import workbook
    from accounts.services.imports import ImportFileError

    monkeypatch.setattr(workbook, "MAX_ROW_CHARACTERS", 1_000_000)  # 16 M by default: quicker to reach here

    with pytest.raises(ImportFileError, match=message):
        _service_upload(workbook_bytes(sheet=sheet, strings=strings), "hostile.xlsx", org["leader"])
    assert not AccountImport.objects.exists()
    assert _files(media) == []


# --- Damaged workbooks ---------------------------------------------------------------------------------


def _truncated() -> bytes:
    data = _workbook(ACCOUNTS)
    return data[: len(data) * 2 // 3]


DAMAGED = {
    "garbage-sheet": (workbook_bytes(sheet="<worksheet><sheetData><row><c>\x01 not xml"), "is not valid XML"),
    "garbage-text-table": (
        workbook_bytes(sheet=sheet_xml([inline_row(1, ["Company"])]), strings="<sst><si><t>unclosed</sst>"),
        "its part xl/sharedStrings.xml is not valid XML: mismatched tag at line 1, column 23",
    ),
    "garbage-workbook-part": (workbook_bytes(sheet=sheet_xml([]), workbook="<workbook><sheets"), "is not valid XML"),
    "missing-text": (
        workbook_bytes(sheet=sheet_xml(['<row r="1"><c r="A1" t="s"><v>7</v></c></row>'])),
        "cell A1 refers to text 7, which its text table lacks",
    ),
    "bad-number": (
        workbook_bytes(sheet=sheet_xml(['<row r="1"><c r="B1"><v>12,5</v></c></row>'])),
        "cell B1 holds “12,5”, which is not a value of its type",
    ),
    "truncated-zip": (_truncated(), "the zip file is broken"),
}


@pytest.mark.parametrize("case", DAMAGED, ids=list(DAMAGED))
def test_a_damaged_workbook_gets_a_clear_message_and_leaves_no_file(client, org, media, case):
    data, detail = DAMAGED[case]
    client.force_login(org["leader"])
    response = _upload(client, data, "damaged.xlsx")

    assert response.status_code == 200
    html = response.content.decode()
    assert "This workbook is damaged and cannot be read" in html
    assert detail.replace("“", "&ldquo;") in html or detail in html.replace("&#x27;", "'"), html[-3000:]
    assert "save it as CSV and upload that" in html
    assert not AccountImport.objects.exists()
    assert _files(media) == []


def test_a_big_damaged_workbook_fails_its_reading_job_with_the_reason_and_its_files_are_removed(
    client, org, media, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_XLSX_READ_INLINE_BYTES = 100
    client.force_login(org["leader"])
    sheet = sheet_xml([inline_row(1, ["Company"]), inline_row(2, ["Alpha"])])[:-30] + "<oops>"
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, workbook_bytes(sheet=sheet), "damaged.xlsx")
    account_import = AccountImport.objects.get()
    job = JobRun.objects.get(kind="accounts_import_read")

    assert account_import.status == "failed"
    assert account_import.message.startswith("This workbook is damaged and cannot be read (its part xl/worksheets")
    assert job.status == "failed"
    assert job.error == account_import.message
    assert _files(media) == []
    page = client.get(account_import.get_absolute_url()).content.decode()
    assert "This workbook is damaged and cannot be read" in page


# --- UTF-16 -----------------------------------------------------------------------------------------------

UTF16_TEXT = "Company\tCity\tRevenue\r\nMüller GmbH\tZürich\t1.5 Million\r\nSociété Générale\tParis\t2 Million\r\n"
CYRILLIC = "Компания,Город,Выручка\nРога и копыта,Москва,1500000\nСевер,Мурманск,2000000\n"


LATIN = ["Müller GmbH", "Société Générale"]
RUSSIAN = ["Рога и копыта", "Север"]


@pytest.mark.parametrize(
    ("data", "encoding", "names"),
    [
        (b"\xff\xfe" + UTF16_TEXT.encode("utf-16-le"), "utf-16", LATIN),  # Excel's "Unicode text": tabs
        (b"\xfe\xff" + UTF16_TEXT.encode("utf-16-be"), "utf-16", LATIN),
        (UTF16_TEXT.encode("utf-16-le"), "utf-16-le", LATIN),
        (UTF16_TEXT.encode("utf-16-be"), "utf-16-be", LATIN),
        (CYRILLIC.encode("utf-16-le"), "utf-16-le", RUSSIAN),  # no zero byte in its letters
        (CYRILLIC.encode("utf-16-be"), "utf-16-be", RUSSIAN),
    ],
    ids=["le-bom-tabs", "be-bom", "le-no-bom", "be-no-bom", "cyrillic-le-no-bom", "cyrillic-be-no-bom"],
)
def test_utf16_files_import_with_or_without_a_byte_order_mark(
    client, org, media, django_capture_on_commit_callbacks, data, encoding, names
):
    client.force_login(org["leader"])
    _upload(client, data, "unicode.txt")
    account_import = AccountImport.objects.get()
    assert account_import.encoding == encoding
    url = reverse("account_import_preview", args=[account_import.pk])
    preview = client.post(url, {**MAPPING, "col_0": "name"}).content.decode()
    assert names[0] in preview

    job = _confirm(client, account_import, {0: "name", 1: "city", 2: "annual_revenue"},
                   django_capture_on_commit_callbacks)  # fmt: skip
    assert job.status == "succeeded", job.error
    assert sorted(Account.objects.values_list("name", "annual_revenue")) == sorted(
        zip(names, [1_500_000, 2_000_000], strict=True)
    )


# --- Too many columns -------------------------------------------------------------------------------------


def _wide_csv(columns: int) -> bytes:
    header = ["Company", *(f"Extra {i}" for i in range(1, columns))]
    return (",".join(header) + "\n" + ",".join(["Acme", *("x" * (columns - 1))]) + "\n").encode()


def test_a_file_wider_than_the_mapping_screen_takes_is_refused_naming_the_limit(client, org, media):
    client.force_login(org["leader"])
    html = _upload(client, _wide_csv(1_200), "wide.csv").content.decode()
    assert "This file has 1,200 columns; salesplan imports files of up to 500 columns." in html
    assert not AccountImport.objects.exists()

    sheet = sheet_xml([inline_row(1, ["Company"]), '<row r="2"><c r="A2" t="inlineStr"><is><t>Acme</t></is></c>'
                       '<c r="SG2"><v>1</v></c></row>'])  # fmt: skip
    html = _upload(client, workbook_bytes(sheet=sheet), "wide.xlsx").content.decode()
    assert "Row 2 of this workbook has a value in column SG (column 501); salesplan imports up to 500 columns" in html
    assert _files(media) == []


def test_a_file_as_wide_as_the_limit_maps_previews_and_imports(client, org, media, django_capture_on_commit_callbacks):
    client.force_login(org["leader"])
    _upload(client, _wide_csv(500), "wide.csv")
    account_import = AccountImport.objects.get()
    assert len(account_import.headers) == 500
    choices = {f"col_{i}": "" for i in range(500)} | {"col_0": "name"}
    preview = client.post(reverse("account_import_preview", args=[account_import.pk]), {**MAPPING, **choices})
    assert preview.status_code == 200
    assert "Acme" in preview.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(account_import.get_absolute_url(), {**MAPPING, **choices})
    assert response.status_code == 302  # not a bare 400 from too many form fields
    assert JobRun.objects.get(kind="accounts_import").status == "succeeded"
    assert Account.objects.get().name == "Acme"


def test_a_csv_value_too_long_to_read_is_refused_with_a_clear_message(client, org, media):
    client.force_login(org["leader"])
    html = _upload(client, b"Company,Notes\nAcme," + b"x" * 200_000 + b"\n", "notes.csv").content.decode()
    assert "This file cannot be read as CSV (field larger than field limit (131072))" in html
    assert _files(media) == []


# --- On the real stack ---------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.celery
def test_the_worker_reads_a_big_workbook_and_then_imports_it(celery_worker, client, org, settings):
    from conftest import wait_for

    settings.JOBS_BACKEND = "celery"
    settings.IMPORT_XLSX_READ_INLINE_BYTES = 100
    client.force_login(org["leader"])
    _upload(client, _workbook(ACCOUNTS), "accounts.xlsx")
    account_import = AccountImport.objects.get()

    def ended(kind: str) -> JobRun | None:
        return JobRun.objects.filter(kind=kind).exclude(status__in=JobRun.ACTIVE).first()

    read = wait_for(lambda: ended("accounts_import_read"), what="the worker to read the workbook")
    assert read.status == "succeeded", read.error
    account_import.refresh_from_db()
    assert account_import.headers == ["Company", "Revenue", "Founded", "Since"]
    client.post(account_import.get_absolute_url(), {**MAPPING, "col_0": "name", "col_1": "annual_revenue"})
    job = wait_for(lambda: ended("accounts_import"), what="the worker to import the workbook")
    assert job.status == "succeeded", job.error
    assert sorted(Account.objects.values_list("name", "annual_revenue")) == [("Book Ltd", 4), ("Sheet Co", 12_500_000)]


def test_a_reading_that_stopped_can_be_started_again(client, org, media, settings, worker):
    settings.IMPORT_XLSX_READ_INLINE_BYTES = 100
    client.force_login(org["leader"])
    _upload(client, _workbook(ACCOUNTS), "accounts.xlsx")
    account_import = AccountImport.objects.get()
    JobRun.objects.filter(kind="accounts_import_read").update(status="failed", error="Its worker was lost")
    page = client.get(account_import.get_absolute_url()).content.decode()
    assert "Its worker was lost" in page
    assert "Read it again" in page

    client.post(reverse("account_import_reading", args=[account_import.pk]))
    worker()
    account_import.refresh_from_db()
    assert account_import.headers == ["Company", "Revenue", "Founded", "Since"]
    assert JobRun.objects.filter(kind="accounts_import_read", status="succeeded").count() == 1


@pytest.mark.browser
def test_the_mapping_opens_by_itself_once_the_workbook_is_read(page, org, settings, worker):
    settings.IMPORT_XLSX_READ_INLINE_BYTES = 100
    account_import = _service_upload(_workbook(ACCOUNTS), "accounts.xlsx", org["leader"])
    org["leader"].set_password("reading-workbooks")
    org["leader"].save()
    page.goto("/login/")
    page.get_by_label("Username").fill("leader")
    page.get_by_label("Password").fill("reading-workbooks")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    page.goto(account_import.get_absolute_url())
    assert page.get_by_role("heading", name="Reading the workbook").is_visible()

    worker()
    page.get_by_role("heading", name="Which column is which?").wait_for(timeout=10_000)
    assert "Sheet Co" in page.inner_text("#preview")


def test_a_reading_whose_worker_died_is_interrupted_and_leaves_no_half_copy(client, org, media, settings):
    from datetime import timedelta

    from django.utils import timezone

    from salesplan.services.jobs import job_interrupt_stale

    settings.IMPORT_XLSX_READ_INLINE_BYTES = 100
    client.force_login(org["leader"])
    _upload(client, _workbook(ACCOUNTS), "accounts.xlsx")
    account_import = AccountImport.objects.get()
    upload = Path(account_import.file.path)
    staged = staged_path(upload)
    # What a reading killed half-way leaves beside the upload (the copy is renamed into place only once whole).
    staged.unlink()
    staged.with_name(staged.name + ".part").write_text("Company,Revenue\nSheet Co,")
    staged.with_name(staged.name + ".body").write_bytes(b"\0" * 64)
    (staged.with_name(staged.name + ".strings")).mkdir()
    long_ago = timezone.now() - timedelta(seconds=settings.JOBS_HEARTBEAT_TIMEOUT_SECONDS + 5)
    job = JobRun.objects.get(kind="accounts_import_read")
    JobRun.objects.filter(pk=job.pk).update(
        status="running", started_at=long_ago, heartbeat_at=long_ago, processed=3, total=10
    )

    assert [j.pk for j in job_interrupt_stale(job_id=job.pk)] == [job.pk]
    job.refresh_from_db()
    assert job.status == "interrupted"
    assert "the uploaded file is kept" in job.message + job.error
    assert _files(media) == [str(upload.relative_to(media))]  # the upload stays, to be read again or discarded
