"""Reading real files as a person would (issue 12, part 4): what refuses a row and what only warns,
encodings, spreadsheet artifacts, European number styles and separators, and the mapping guesses.

Every import here runs on SQLite (the Python rules) and again on PostgreSQL (the SQL rules and COPY) in
the PostgreSQL layer of `make test`; the files are written by the tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from openpyxl import Workbook
from playwright.sync_api import expect

from accounts.importing.fields import mapping_guess
from accounts.importing.files import delimiter_detect, encoding_detect, number_style_detect, pg_encoding
from accounts.models import Account, AccountImport, ImportIssue
from accounts.services.imports import account_import_create, account_import_start
from accounts.tests.factories import AccountFactory
from salesplan.models import JobRun

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(data: bytes | str, name: str = "accounts.csv", user: object = None) -> AccountImport:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return account_import_create(file=ContentFile(raw, name=name), name=name, user=user)


@pytest.fixture
def start(org, django_capture_on_commit_callbacks):
    """Run an uploaded import (mapping as guessed unless given) to its end; return its job."""

    def _do(account_import: AccountImport, *, mode: str = "all", mapping: dict | None = None, **kwargs) -> JobRun:
        with django_capture_on_commit_callbacks(execute=True):
            job = account_import_start(
                account_import=account_import,
                mapping=mapping or account_import.mapping,
                mode=mode,
                user=org["leader"],
                **kwargs,
            )
        job.refresh_from_db()
        account_import.refresh_from_db()
        return job

    return _do


@pytest.fixture
def run(org, start):
    def _do(data: bytes | str, name: str = "accounts.csv", **kwargs: object) -> tuple[AccountImport, JobRun]:
        account_import = _upload(data, name, user=org["leader"])
        return account_import, start(account_import, **kwargs)

    return _do


def _issues(account_import: AccountImport, kind: str | None = None) -> set[tuple]:
    issues = ImportIssue.objects.filter(account_import=account_import)
    if kind:
        issues = issues.filter(kind=kind)
    return set(issues.values_list("row", "column", "value", "kind", "reason"))


def _csv(rows: list[list[object]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


WEB = "not a web address (acme.com or https://www.acme.com)"


# --- 1. A value that does not read in an optional column is a warning ------------------------------


def test_a_list_with_a_few_mistyped_web_addresses_imports_every_row_with_a_warning_each(run):
    """The Inc. 5000 case: 5,012 rows, four mistyped web addresses and a founded year of 0."""
    rng = random.Random(5)
    header = ["_ - rank", "name", "url", "state", "_ - revenue", "_ - industry", "_ - workers", "_ - founded", "city"]
    rows = [
        [i, f"Company {i}", f"http://company{i}.com", rng.choice(["AZ", "TN", "TX"]), f"{rng.randint(2, 90)}.5 Million",
         "Software", rng.randint(5, 900), rng.randint(1990, 2016), "Phoenix"]
        for i in range(1, 5013)
    ]  # fmt: skip
    mistakes = {596: "http://jbkwellnesslab", 3379: "americanbldr", 3818: "buildingstarsofcharlottte",
                4703: "www,j-ldimensional.com"}  # fmt: skip
    for row, url in mistakes.items():
        rows[row - 2][2] = url
    rows[4727 - 2][7] = 0

    account_import, job = run(_csv([header, *rows]))  # all or nothing, the default

    assert job.status == "succeeded", job.error
    assert (account_import.status, account_import.created, account_import.rejected) == ("done", 5012, 0)
    assert "5 values were left empty" in account_import.message
    expected = {(row, "url", url, "warning", WEB) for row, url in mistakes.items()}
    expected.add((4727, "_ - founded", "0", "warning", "not a year between 1800 and 2027"))
    assert _issues(account_import) == expected
    jbk = Account.objects.get(name="Company 595")  # row 596 of the file
    assert (jbk.domain, jbk.website, jbk.founded_year) == ("", "", rows[594][7])
    assert Account.objects.get(name="Company 4726").founded_year is None
    assert Account.objects.get(name="Company 4726").annual_revenue == int(float(rows[4725][4].split()[0]) * 1e6)


def test_every_optional_value_that_does_not_read_is_left_empty_and_reported(run):
    data = (
        "Company,Website,Revenue,Employees,Founded,Zip,Ticker,Ownership,Country,City\n"
        "Alpha,alpha.com,$5M,10,1999,10001,ALP,public,US,Boston\n"
        "Beta,not a url,lots,12.5,0,123456789012345678901,TOOLONGTICKER1,partnership,Atlantis,Denver\n"
    )
    account_import, job = run(data)

    assert job.status == "succeeded", job.error
    assert account_import.created == 2
    beta = Account.objects.get(name="Beta")
    assert (beta.domain, beta.website, beta.annual_revenue, beta.employees, beta.founded_year) == (
        "",
        "",
        None,
        None,
        None,
    )
    assert (beta.postal_code, beta.ticker, beta.ownership, beta.country, beta.city) == ("", "", "", "", "Denver")
    assert {(row, column, value, kind) for row, column, value, kind, _reason in _issues(account_import)} == {
        (3, "Website", "not a url", "warning"),
        (3, "Revenue", "lots", "warning"),
        (3, "Employees", "12.5", "warning"),
        (3, "Founded", "0", "warning"),
        (3, "Zip", "123456789012345678901", "warning"),
        (3, "Ticker", "TOOLONGTICKER1", "warning"),
        (3, "Ownership", "partnership", "warning"),
        (3, "Country", "Atlantis", "warning"),
    }
    alpha = Account.objects.get(name="Alpha")
    assert (alpha.domain, alpha.annual_revenue, alpha.postal_code, alpha.ticker) == (
        "alpha.com",
        5_000_000,
        "10001",
        "ALP",
    )


def test_rows_that_would_misstate_the_account_are_still_refused_all_or_nothing(run):
    data = (
        "Company,Revenue,Employees,Lifecycle,Owner\n"
        "Good Co,$1M,10,customer,rep_a1\n"
        ",$1M,10,,\n"
        "#NAME?,$1M,10,,\n"
        "***,$1M,10,,\n"
        "Neg Co,-5,10,,\n"
        "Huge Co,20000000 B,10,,\n"
        "Crowd Co,$1M,9000000,,\n"
        "Vip Co,$1M,10,VIP,\n"
        "Nobody Co,$1M,10,,nobody\n"
        "Wide Co,$1M,10,,,surprise\n"
    )
    account_import, job = run(data)

    assert job.status == "failed"
    assert account_import.status == "refused"
    assert not Account.objects.exists()
    assert {(row, column, value) for row, column, value, _kind, _reason in _issues(account_import, "error")} == {
        (3, "Company", ""),
        (4, "Company", "#NAME?"),
        (5, "Company", "***"),
        (6, "Revenue", "-5"),
        (7, "Revenue", "20000000 B"),
        (8, "Employees", "9000000"),
        (9, "Lifecycle", "VIP"),
        (10, "Owner", "nobody"),
        (11, "", "surprise"),
    }
    assert not _issues(account_import, "warning")
    assert "9 problems in 9 of 10 rows, so nothing was imported" in account_import.message


def test_a_value_that_does_not_read_never_erases_what_the_account_knows(run):
    existing = AccountFactory(name="Known Co", domain="known.com", founded_year=1990, annual_revenue=7_000_000)
    account_import, job = run("Company,Domain,Founded,Revenue\nKnown Co,known.com,####,#VALUE!\n")

    assert job.status == "succeeded", job.error
    assert (account_import.updated, account_import.unchanged) == (0, 1)
    existing.refresh_from_db()
    assert (existing.founded_year, existing.annual_revenue) == (1990, 7_000_000)


def test_the_report_and_the_problems_csv_keep_each_warning_with_its_original_value(run, client, org):
    account_import, _job = run('Company,Website,Founded\nAlpha,"www,alpha.com",1999\nBeta,beta.com,19999\n')
    client.force_login(org["leader"])

    report = client.get(account_import.get_absolute_url()).content.decode()
    assert "Warnings 2" in report
    assert "1 value was left empty" not in report
    assert "2 values were left empty" in report
    response = client.get(reverse("account_import_issues_csv", args=[account_import.pk]))
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines == [
        "Row,Column,Value,Kind,Problem",
        f'2,Website,"www,alpha.com",warning,{WEB}',
        "3,Founded,19999,warning,not a year between 1800 and 2027",
    ]


# --- 2. Encodings ---------------------------------------------------------------------------------

NAMES = ["MiaSolé", "Société Générale", "Müller Bäckerei GmbH", "Straße & Söhne AG", "Nestlé", "Peñoles", "Café Ça Va"]


def _encoded(encoding: str, *, newline: str = "\n", bom: bytes = b"") -> bytes:
    lines = ["Company,City,Revenue,Société parente"] + [
        f"{n},Zürich,{i + 1}.5 Million,Nestlé" for i, n in enumerate(NAMES)
    ]
    lines += [f"Plain Company {i},Boston,{i}.5 Million," for i in range(40)]
    return bom + newline.join([*lines, ""]).encode(encoding)


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (_encoded("mac_roman", newline="\r"), "mac-roman"),  # Excel for Mac's "CSV (Macintosh)": CR line ends
        (_encoded("mac_roman"), "mac-roman"),
        (_encoded("cp1252", newline="\r\n"), "cp1252"),
        # A Latin-1 file without a C1 byte reads the same in its superset Windows-1252, which is what is named.
        (_encoded("latin_1"), "cp1252"),
        (_encoded("utf-8"), "utf-8"),
        (_encoded("utf-8", bom=b"\xef\xbb\xbf"), "utf-8-sig"),
        (_encoded("utf-16"), "utf-16"),  # Python writes the byte-order mark, little-endian here
        (_encoded("utf-16-be", bom=b"\xfe\xff"), "utf-16"),
        (_encoded("utf-16-le"), "utf-16-le"),
    ],
    ids=["mac-roman-cr", "mac-roman", "windows-1252", "latin-1", "utf-8", "utf-8-bom", "utf-16-le-bom",
         "utf-16-be-bom", "utf-16-le-no-bom"],
)  # fmt: skip
def test_each_encoding_is_detected_and_its_names_imported_exactly(run, data, detected):
    account_import, job = run(data)

    assert account_import.encoding == detected
    assert account_import.headers[3] == "Société parente"
    assert job.status == "succeeded", job.error
    assert account_import.created == len(NAMES) + 40
    assert set(NAMES) <= set(Account.objects.values_list("name", flat=True))
    assert Account.objects.get(name="MiaSolé").annual_revenue == 1_500_000


@pytest.mark.parametrize(
    "text",
    [
        "MiaSolé,Santa Clara",
        "Köln Messe,Köln",
        "Bäckerei Müller,München\nStraße AG,Düsseldorf",
        "Telefónica España,Madrid",
        "O’Reilly “Media”,Sebastopol",
        "Ørsted A/S,Fredericia\nÅbo Akademi,Åbo",
        "Crème Brûlée Café,Montréal",
    ],
)
@pytest.mark.parametrize("encoding", ["mac_roman", "cp1252"])
def test_mac_roman_and_windows_1252_are_told_apart_on_a_single_accented_name(tmp_path, text, encoding):
    lines = ["Company,City"] + [f"Company {i},Boston" for i in range(100)]
    path = tmp_path / "list.csv"
    path.write_bytes(("\n".join([*lines[:50], text, *lines[50:]]) + "\n").encode(encoding))
    assert (path.read_bytes().decode(encoding_detect(path))).count(text) == 1


def test_the_database_reads_some_encodings_itself_and_the_python_reader_the_others():
    assert [pg_encoding(e) for e in ("utf-8", "utf-8-sig", "cp1252", "latin-1", "iso8859-15")] == [
        "UTF8",
        "UTF8",
        "WIN1252",
        "LATIN1",
        "LATIN9",
    ]
    assert pg_encoding("mac-roman") is None
    assert pg_encoding("utf-16") is None


def test_mapping_screen_shows_the_detected_encoding_and_the_preview_follows_a_change(client, org):
    client.force_login(org["leader"])
    client.post(reverse("account_import_upload"), {"file": ContentFile(_encoded("mac_roman"), name="mac.csv")})
    account_import = AccountImport.objects.get()

    page = client.get(account_import.get_absolute_url()).content.decode()
    assert (
        '<option value="mac-roman" selected>Mac Roman (Excel on a Mac: “CSV (Macintosh)”) — detected</option>' in page
    )
    assert "MiaSolé" in page

    def preview(encoding: str) -> str:
        params = {"col_0": "name", "col_2": "annual_revenue", "encoding": encoding, "decimal": ".", "mode": "all",
                  "default_country": "US"}  # fmt: skip
        url = reverse("account_import_preview", args=[account_import.pk])
        return client.get(url, params, HTTP_HX_REQUEST="true").content.decode()

    as_windows = preview("cp1252")
    assert "MiaSolŽ" in as_windows
    assert '<span id="col-label-3" hx-swap-oob="true">SociŽtŽ parente</span>' in as_windows  # the header label follows
    as_mac = preview("mac-roman")
    assert "MiaSolé" in as_mac
    assert '<span id="col-label-3" hx-swap-oob="true">Société parente</span>' in as_mac
    assert "do not read in this encoding" in preview("utf-8")  # shown as �, with a hint


def test_the_encoding_chosen_is_the_one_imported_and_one_that_cannot_read_the_file_is_refused(org, start):
    account_import = _upload(_encoded("mac_roman"), user=org["leader"])

    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=r"Line 1 of the file cannot be read as UTF-8: choose another encoding"):
        start(account_import, encoding="utf-8")
    assert not JobRun.objects.exists()

    job = start(account_import, encoding="cp1252")  # the person's choice wins, even over the detector
    assert job.status == "succeeded", job.error
    assert account_import.encoding == "cp1252"
    assert Account.objects.filter(name="MiaSolŽ").exists()


# --- 3. Spreadsheet artifacts ----------------------------------------------------------------------


def test_spreadsheet_errors_are_problems_never_values(run):
    data = (
        "Company,Revenue,Employees,Industry,City,Website,Ticker,Founded,State\n"
        "#NAME?,$9B,90000,Software,Boston,name.com,NAME,1990,MA\n"
        "Real Co,#VALUE!,#DIV/0!,#REF!,#n/a,#NUM!,#NULL!,####,#N/A\n"
    )
    account_import, job = run(data, mode="skip")

    assert job.status == "succeeded", job.error
    assert list(Account.objects.values_list("name", flat=True)) == ["Real Co"]  # "#NAME?" is never a company
    real = Account.objects.get()
    assert (real.annual_revenue, real.employees, real.founded_year) == (None, None, None)
    assert (real.industry, real.city, real.website, real.domain, real.ticker, real.state) == ("", "", "", "", "", "")
    assert _issues(account_import, "error") == {
        (
            2,
            "Company",
            "#NAME?",
            "error",
            "is a spreadsheet's error mark (a formula that failed, or #### for a column too narrow), "
            "not a company name",
        )
    }
    reason = "is a spreadsheet's error mark (a formula that failed, or #### for a column too narrow), not a value"
    assert _issues(account_import, "warning") == {
        (3, column, value, "warning", reason)
        for column, value in [("Revenue", "#VALUE!"), ("Employees", "#DIV/0!"), ("Industry", "#REF!"),
                              ("City", "#n/a"), ("Website", "#NUM!"), ("Ticker", "#NULL!"), ("Founded", "####"),
                              ("State", "#N/A")]
    }  # fmt: skip


def test_numbers_turned_into_dates_are_warnings_never_numbers(run):
    data = (
        "Company,Revenue,Employees,Founded,Our sales\n"
        "Alpha,5/18/27,2027-05-18,18.05.2027,18-May\n"
        "Beta,$2M,40,2001,May-27\n"
    )
    account_import, job = run(data)

    assert job.status == "succeeded", job.error
    alpha, beta = Account.objects.get(name="Alpha"), Account.objects.get(name="Beta")
    assert (alpha.annual_revenue, alpha.employees, alpha.founded_year, alpha.current_sales) == (None, None, None, None)
    assert (beta.annual_revenue, beta.employees, beta.founded_year, beta.current_sales) == (2_000_000, 40, 2001, None)
    reason = "is a date, not a number: the spreadsheet turned this number into a date"
    assert _issues(account_import) == {
        (2, "Revenue", "5/18/27", "warning", reason),
        (2, "Employees", "2027-05-18", "warning", reason),  # was read as -20,270,518 employees and refused
        (2, "Founded", "18.05.2027", "warning", reason),
        (2, "Our sales", "18-May", "warning", reason),
        (3, "Our sales", "May-27", "warning", reason),
    }


def test_a_workbook_error_cell_and_a_date_cell_are_problems_too(run):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Company", "Revenue", "Employees"])
    sheet.append(["Sheet Co", dt.datetime(2027, 5, 18), "#N/A"])
    sheet.append(["#REF!", 5, 5])
    buffer = io.BytesIO()
    workbook.save(buffer)

    account_import, job = run(buffer.getvalue(), "list.xlsx", mode="skip")

    assert job.status == "succeeded", job.error
    assert list(Account.objects.values_list("name", "annual_revenue", "employees")) == [("Sheet Co", None, None)]
    assert {(row, column, kind) for row, column, _v, kind, _r in _issues(account_import)} == {
        (2, "Revenue", "warning"),
        (2, "Employees", "warning"),
        (3, "Company", "error"),
    }


# --- 4. European files: semicolons, decimal commas, scale words -----------------------------------

EUROPEAN = (
    "Firma;Umsatz;Mitarbeiter;Ort;Land\n"
    "Müller GmbH;1.234,5;1.200;Köln, Innenstadt;DE\n"
    "Schmidt AG;1,2 Mio €;12;Berlin;DE\n"
    "Fischer KG;3 Mrd;45.000;München;DE\n"
    "Weber OHG;250 Tsd;7;Hamburg;DE\n"
    "Wagner SE;1.000,-;3;Wien;AT\n"
    "Becker & Co;2,5 Mio. EUR;1;Graz;AT\n"
    "Hoffmann;500 TEUR;2;Linz;AT\n"
)


def test_semicolon_file_with_decimal_commas_and_european_scale_words_reads_every_amount(run):
    account_import, job = run(EUROPEAN.encode("cp1252"), "firmen.csv")

    assert (account_import.delimiter, account_import.encoding) == (";", "cp1252")
    assert account_import.mapping["decimal"] == ","
    assert account_import.mapping["thousands"] == "."
    assert job.status == "succeeded", job.error
    read = dict(Account.objects.values_list("name", "annual_revenue"))
    assert read == {  # worked by hand: "." groups thousands, "," is the decimal separator
        "Müller GmbH": 1_235,  # 1234.5 dollars, rounded half up
        "Schmidt AG": 1_200_000,
        "Fischer KG": 3_000_000_000,
        "Weber OHG": 250_000,
        "Wagner SE": 1_000,  # "1.000,-": a whole amount, not a negative one
        "Becker & Co": 2_500_000,
        "Hoffmann": 500_000,  # thousands of euros
    }
    assert dict(Account.objects.values_list("name", "employees"))["Fischer KG"] == 45_000
    assert Account.objects.get(name="Müller GmbH").city == "Köln, Innenstadt"
    assert not ImportIssue.objects.filter(account_import=account_import).exists()


def test_a_number_in_the_other_style_is_reported_never_misread(run):
    """With decimal points chosen, "1,5" is not 15 and "1,2 Mio" not 12 million; "Bio" (a German 10^12
    or an English 10^9) is never guessed."""
    data = "Firma;Umsatz\nA;1,5\nB;1,2 Mio\nC;1,5 Bio\nD;1.234,5\n"
    account_import = _upload(data)
    mapping = {**account_import.mapping, "decimal": ".", "thousands": ","}
    from accounts.services.imports import account_import_preview

    cells = [row["cells"]["annual_revenue"] for row in account_import_preview(account_import=account_import,
                                                                              mapping=mapping)["rows"]]  # fmt: skip
    assert [(c["value"], c["severity"]) for c in cells] == [(None, "warning")] * 4
    assert all("not an amount" in c["problem"] for c in cells)


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("Firma;Umsatz;Ort\nA GmbH;1,5;Köln\nB AG;2,75;Berlin, Mitte\n", ";"),
        ("Name;Revenue (in 1,000 €);City\nA;1,5;X\nB;2;Y\n", ";"),  # a comma in the header too
        ('Company,Notes\nAcme,"a;b;c"\nBeta,plain\n', ","),
        ("Company,Notes\nAcme,one; two\nBeta,three; four\n", ","),
        ("Company\tRevenue\tCity\nAcme\t1,5\tParis\n", "\t"),
        ("Company|Revenue\nAcme|1,234\n", "|"),
        ("Company\nAcme, Inc.\nBeta\n", ","),  # one column: nothing to split
        ("Firma;Umsatz\r\nA;1,5\r\n", ";"),
    ],
)
def test_the_delimiter_is_found_from_the_header_and_the_sample_not_from_commas_in_values(sample, delimiter):
    assert delimiter_detect(sample) == delimiter


@pytest.mark.parametrize(
    ("cells", "delimiter", "decimal"),
    [
        (["1.234,5", "12"], ",", ","),
        (["1,2 Mio €", "3 Mrd"], ",", ","),
        (["36.9 Million", "$1,234,567.50"], ";", "."),
        (["1.234.567", "2"], ",", ","),
        (["1,234,567"], ";", "."),
        (["1,234", "5"], ";", ","),  # ambiguous: the semicolon decides
        (["1,234", "5"], ",", "."),
        (["18.05.2027", "2027-05-18"], ",", "."),  # dates say nothing
    ],
)
def test_the_decimal_separator_is_read_per_file(cells, delimiter, decimal):
    assert number_style_detect([cells], delimiter=delimiter) == decimal


def test_the_number_style_is_shown_changeable_and_kept_in_the_mapping(client, org, django_capture_on_commit_callbacks):
    client.force_login(org["leader"])
    client.post(reverse("account_import_upload"), {"file": ContentFile(EUROPEAN.encode(), name="firmen.csv")})
    account_import = AccountImport.objects.get()
    page = client.get(account_import.get_absolute_url()).content.decode()
    assert '<option value=";" selected>semicolon — detected</option>' in page
    assert '<option value="," selected>1.234.567,89 (decimal comma) — detected</option>' in page
    assert "$1.2M" in page  # Schmidt AG's "1,2 Mio €" in the preview

    data = {"col_0": "name", "col_1": "annual_revenue", "col_3": "city", "default_country": "DE", "mode": "skip",
            "encoding": "utf-8", "delimiter": ";", "decimal": ".", "unit_annual_revenue": "1"}  # fmt: skip
    preview = client.get(reverse("account_import_preview", args=[account_import.pk]), data, HTTP_HX_REQUEST="true")
    assert 'title="Left empty: “1,2 Mio €” not an amount' in preview.content.decode()  # with decimal points
    with django_capture_on_commit_callbacks(execute=True):
        client.post(account_import.get_absolute_url(), {**data, "decimal": ","})
    account_import.refresh_from_db()
    assert (account_import.mapping["decimal"], account_import.mapping["thousands"]) == (",", ".")
    assert Account.objects.get(name="Schmidt AG").annual_revenue == 1_200_000


def test_reading_the_file_again_with_another_delimiter_reads_new_columns(client, org):
    client.force_login(org["leader"])
    client.post(reverse("account_import_upload"), {"file": ContentFile(b"Company;Revenue\nAcme;5\n", name="x.csv")})
    account_import = AccountImport.objects.get()
    assert account_import.headers == ["Company", "Revenue"]

    response = client.post(
        reverse("account_import_reading", args=[account_import.pk]),
        {"encoding": "utf-8", "delimiter": ","},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Redirect"] == account_import.get_absolute_url()
    account_import.refresh_from_db()
    assert (account_import.delimiter, account_import.headers) == (",", ["Company;Revenue"])
    assert account_import.mapping["columns"] == {}


# --- 5. Mapping guesses and the preview's marks -----------------------------------------------------


def test_guesses_read_code_columns_and_a_region_of_metros_is_not_the_state():
    headers = ["permalink", "name", "homepage_url", "category_code", "funding_total_usd", "status", "country_code",
               "state_code", "region", "city"]  # fmt: skip
    rows = [
        ["/a", "A", "http://a.com", "software", "1000", "operating", "USA", "CA", "SF Bay", "San Francisco"],
        ["/b", "B", "http://b.com", "web", "5", "operating", "USA", "NY", "New York", "New York"],
        ["/c", "C", "http://c.com", "mobile", "5", "operating", "USA", "MA", "Boston", "Cambridge"],
    ]
    guess = {headers[int(i)]: f for i, f in mapping_guess(headers, rows)["columns"].items()}
    assert guess == {"name": "name", "homepage_url": "website", "category_code": "industry",
                     "country_code": "country", "state_code": "state", "city": "city"}  # fmt: skip

    metros = [["A", "SF Bay"], ["B", "New York"], ["C", "Boston"], ["D", "Los Angeles"], ["E", "Seattle"]]
    assert mapping_guess(["Company", "Region"], metros)["columns"] == {"0": "name"}
    provinces = [["A", "Ontario"], ["B", "Quebec"], ["C", "BC"], ["D", "New York"], ["E", "Bavaria"]]
    assert mapping_guess(["Company", "Region"], provinces)["columns"] == {"0": "name", "1": "state"}
    assert mapping_guess(["Company", "Category"])["columns"] == {"0": "name", "1": "industry"}


def test_the_upload_guesses_from_the_sample_values(org):
    data = "name,region,state_code\nA,SF Bay,CA\nB,New York,NY\n"
    assert _upload(data, user=org["leader"]).mapping["columns"] == {"0": "name", "2": "state"}
    data = "name,region\nA,SF Bay\nB,New York\n"
    assert _upload(data, user=org["leader"]).mapping["columns"] == {"0": "name"}


def test_the_preview_marks_cells_that_will_not_read_with_the_reason(client, org):
    client.force_login(org["leader"])
    data = 'Company,Website,Revenue\n#NAME?,acme.com,$1M\nBeta,"www,beta.com",5/18/27\n'
    client.post(reverse("account_import_upload"), {"file": ContentFile(data.encode(), name="x.csv")})
    html = client.get(AccountImport.objects.get().get_absolute_url()).content.decode()

    assert 'data-problem="error"' in html
    assert 'data-problem="warning"' in html
    assert (
        'title="Refuses the row: “#NAME?” is a spreadsheet&#x27;s error mark (a formula that failed, or #### for a '
        'column too narrow), not a company name"' in html
    )
    assert f'title="Left empty: “www,beta.com” {WEB}"' in html
    assert "Will be left empty: is a date, not a number" in html  # for screen readers, not only on hover
    assert 'class="import-problem" tabindex="0"' in html  # reachable from the keyboard


# --- In a real browser: the htmx preview and the re-read ----------------------------------------------


@pytest.mark.browser
def test_changing_the_encoding_updates_the_preview_and_the_column_labels_in_the_browser(page, org):
    account_import = _upload(_encoded("mac_roman"), user=org["leader"])
    org["leader"].set_password("reading-files")
    org["leader"].save()
    page.goto("/login/")
    page.get_by_label("Username").fill("leader")
    page.get_by_label("Password").fill("reading-files")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    page.goto(account_import.get_absolute_url())
    assert "MiaSolé" in page.inner_text("#preview")

    page.select_option("#id_encoding", "cp1252")
    expect(page.locator("#preview")).to_contain_text("MiaSolŽ")  # (a string for wait_for_function is an eval: CSP)
    assert page.inner_text("#col-label-3") == "SociŽtŽ parente"
    page.select_option("#id_encoding", "mac-roman")
    expect(page.locator("#preview")).to_contain_text("MiaSolé")

    page.select_option("#id_delimiter", ";")  # reads the columns again: one column now
    page.wait_for_selector("text=The file was read again")
    assert page.locator("select[name^=col_]").count() == 1
