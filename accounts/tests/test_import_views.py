"""The import screens, the verticals screen and the account list's exports, as a user meets them."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Account, AccountImport, IndustryMapping, Vertical
from accounts.tests.factories import AccountFactory
from salesplan.models import JobRun

pytestmark = pytest.mark.django_db

CSV = (
    "Company,Website,Revenues_M,Number_of_employees,HeadquartersState\n"
    'Walmart,www.walmart.com,611289,"2,100,000",AR\nAcme,acme.com,-5,10,IL\n'
)


def _upload(client, data: str = CSV, name: str = "fortune.csv"):
    return client.post(reverse("account_import_upload"), {"file": SimpleUploadedFile(name, data.encode())})


def test_upload_leads_to_mapping_with_guesses_and_a_preview(client, org):
    client.force_login(org["leader"])
    response = _upload(client)
    account_import = AccountImport.objects.get()
    assert response["Location"] == account_import.get_absolute_url()

    page = client.get(account_import.get_absolute_url())
    html = page.content.decode()
    assert "Which column is which?" in html
    form = page.context["form"]
    assert form["col_2"].value() == "annual_revenue"
    assert form["unit_annual_revenue"].value() == 1_000_000
    preview = page.context["preview"]
    assert preview[0]["cells"]["annual_revenue"]["value"] == 611_289_000_000
    assert preview[1]["cells"]["annual_revenue"]["refused"] is True  # "-5" is flagged before importing
    assert "$611.3B" in html


def test_preview_follows_the_mapping_being_edited(client, org):
    client.force_login(org["leader"])
    _upload(client)
    account_import = AccountImport.objects.get()
    response = client.get(
        reverse("account_import_preview", args=[account_import.pk]),
        {
            "col_0": "name",
            "col_2": "annual_revenue",
            "unit_annual_revenue": "1",
            "default_country": "US",
            "mode": "all",
        },
        HTTP_HX_REQUEST="true",
    )
    assert "$611.3K" in response.content.decode()


def test_confirming_the_mapping_runs_the_import_and_reports(client, org, django_capture_on_commit_callbacks):
    client.force_login(org["leader"])
    _upload(client)
    account_import = AccountImport.objects.get()
    data = {f"col_{i}": f for i, f in enumerate(["name", "website", "annual_revenue", "employees", "state"])}
    data |= {
        "unit_annual_revenue": "1000000",
        "unit_current_sales": "1",
        "unit_wallet": "1",
        "default_country": "US",
        "mode": "skip",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(account_import.get_absolute_url(), data)
    job = JobRun.objects.get(kind="accounts_import")
    assert response["Location"] == job.get_absolute_url()
    job_page = client.get(job.get_absolute_url()).content.decode()
    assert "Open the import report" in job_page

    report = client.get(account_import.get_absolute_url()).content.decode()
    assert "Imported: 1 created" in report
    assert "Revenues_M" in report
    assert "must not be negative" in report
    assert Account.objects.get(domain="walmart.com").employees == 2_100_000


def test_mapping_errors_are_shown_on_the_page(client, org):
    client.force_login(org["leader"])
    _upload(client)
    account_import = AccountImport.objects.get()
    data = {
        "col_0": "",
        "col_1": "website",
        "col_2": "website",
        "unit_annual_revenue": "1",
        "unit_current_sales": "1",
        "unit_wallet": "1",
        "default_country": "Atlantis",
        "mode": "all",
    }
    html = client.post(account_import.get_absolute_url(), data).content.decode()
    assert "Choose the column that holds the company name" in html
    assert "Website is chosen for more than one column" in html
    assert "“Atlantis” is not a country we know" in html
    assert not JobRun.objects.exists()


def test_a_bad_file_is_refused_on_the_upload_page(client, org):
    client.force_login(org["leader"])
    response = client.post(reverse("account_import_upload"), {"file": SimpleUploadedFile("x.csv", b"")})
    assert "The submitted file is empty." in response.content.decode()
    assert not AccountImport.objects.exists()


def test_discarding_an_upload_deletes_it(client, org):
    client.force_login(org["leader"])
    _upload(client)
    account_import = AccountImport.objects.get()
    client.post(reverse("account_import_discard", args=[account_import.pk]))
    assert not AccountImport.objects.exists()


def test_only_leaders_import(client, org):
    client.force_login(org["manager_a"])
    assert client.get(reverse("account_import_upload")).status_code == 403
    assert client.get(reverse("account_import_list")).status_code == 403
    client.force_login(org["leader"])
    _upload(client)
    client.force_login(org["manager_a"])
    assert client.get(AccountImport.objects.get().get_absolute_url()).status_code == 404


# --- Verticals ------------------------------------------------------------------------------------


def test_leader_maps_an_industry_and_its_accounts_follow(client, org):
    AccountFactory.create_batch(3, industry="Widget Making", owner=org["rep_a1"])
    mapping = IndustryMapping.objects.create(industry_key="widget making", industry="Widget Making")
    vertical, _ = Vertical.objects.get_or_create(name="Manufacturing")  # transactional tests flush migration data
    client.force_login(org["leader"])

    page = client.get(reverse("vertical_list"), {"show": "unmapped"})
    assert "Widget Making" in page.content.decode()
    response = client.post(
        reverse("industry_mapping_update", args=[mapping.pk]), {"vertical": vertical.pk}, HTTP_HX_REQUEST="true"
    )

    assert "3 moved" in response.content.decode()
    assert Account.objects.filter(vertical=vertical, industry="Widget Making").count() == 3
    assert client.get(reverse("account_list"), {"vertical": vertical.pk}).context["page"].paginator.count == 3


def test_leader_adds_a_vertical_and_duplicates_are_explained(client, org):
    client.force_login(org["leader"])
    client.post(reverse("vertical_list"), {"name": "Public Sector"})
    assert Vertical.objects.filter(name="Public Sector").exists()
    response = client.post(reverse("vertical_list"), {"name": "Public Sector"})
    assert "already exists" in response.content.decode()


def test_reps_cannot_manage_verticals(client, org):
    client.force_login(org["rep_a1"])
    assert client.get(reverse("vertical_list")).status_code == 403


# --- List summary and exports ---------------------------------------------------------------------


def test_summary_fragment_counts_the_filtered_visible_accounts(client, org):
    AccountFactory(owner=org["rep_a1"], lifecycle="customer", current_sales=100, wallet=1_000)
    AccountFactory(owner=org["rep_a1"], annual_revenue=None)
    AccountFactory(owner=org["rep_b1"])
    client.force_login(org["rep_a1"])
    html = client.get(reverse("account_list_summary"), HTTP_HX_REQUEST="true").content.decode()
    assert "2 companies · 1 customer" in html
    assert "1 without revenue" in html


def test_list_filters_by_employee_band_and_country(client, org):
    AccountFactory(owner=org["rep_a1"], name="Small", employees=10, country="US")
    AccountFactory(owner=org["rep_a1"], name="Big", employees=8_000, country="CA")
    client.force_login(org["rep_a1"])
    names = lambda params: [a.name for a in client.get(reverse("account_list"), params).context["page"]]  # noqa: E731
    assert names({"employees": "1-49"}) == ["Small"]
    assert names({"employees": "5000+"}) == ["Big"]
    assert names({"country": "CA"}) == ["Big"]


def test_xlsx_export_keeps_numbers_and_neutralizes_formulas(client, org):
    AccountFactory(owner=org["rep_a1"], name='=HYPERLINK("http://x")', annual_revenue=1_500_000, employees=12)
    client.force_login(org["rep_a1"])
    response = client.get(reverse("account_list"), {"export": "xlsx"})
    assert response["Content-Disposition"] == 'attachment; filename="accounts.xlsx"'
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Name"
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
    assert rows[1][5] == 1_500_000
    assert isinstance(rows[1][6], int)


def test_large_export_runs_as_a_job_and_downloads_when_ready(client, org, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    AccountFactory.create_batch(3, owner=org["rep_a1"])
    AccountFactory(owner=org["rep_b1"])
    client.force_login(org["rep_a1"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("account_list"), {"export": "csv"})
    job = JobRun.objects.get(kind="accounts_export")
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.result["accounts_exported"] == 3
    assert "Download the file" in client.get(job.get_absolute_url()).content.decode()

    download = client.get(reverse("account_export_download", args=[job.pk]))
    lines = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 4
    client.force_login(org["rep_a2"])
    assert client.get(reverse("account_export_download", args=[job.pk])).status_code == 404


def test_a_refused_import_can_take_its_valid_rows(client, org, django_capture_on_commit_callbacks):
    client.force_login(org["leader"])
    _upload(client)
    account_import = AccountImport.objects.get()
    data = {f"col_{i}": f for i, f in enumerate(["name", "website", "annual_revenue", "employees", "state"])}
    data |= {"unit_annual_revenue": "1000000", "default_country": "US", "mode": "all"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(account_import.get_absolute_url(), data)
    report = client.get(account_import.get_absolute_url()).content.decode()
    assert "nothing was imported" in report
    assert not Account.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_import_retry_valid_rows", args=[account_import.pk]))
    account_import.refresh_from_db()
    assert (account_import.status, account_import.created, account_import.rejected) == ("done", 1, 1)
    assert Account.objects.get().name == "Walmart"


def test_an_upload_past_the_limit_is_cut_off_and_explained(client, org, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1_000
    client.force_login(org["leader"])
    response = _upload(client, "Company\n" + "Acme Widgets Incorporated\n" * 200)
    assert "larger than the 0 MB limit" in response.content.decode()
    assert not AccountImport.objects.exists()
