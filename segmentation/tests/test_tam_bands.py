"""TAM size bands as rows of a form: typed as people write amounts, checked per row, stored as the JSON the
TAM run reads ([{"min_employees": 0, "acv": 15000}, …], small to large)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.tests.factories import AccountFactory
from salesplan.tests.factories import PlanFactory
from segmentation.models import TamModel, TamRun

pytestmark = pytest.mark.django_db

MODEL = {"name": "Per band", "method": "acv_by_band", "revenue_share_pct": "0.5", "price_per_employee": "120",
         "sam_min_tier": "B", "som_share_pct": "10"}  # fmt: skip


def _bands(*rows: tuple[str, str] | None) -> dict[str, str]:
    """The band rows as the browser sends them; None stands for a row removed in the page (nothing sent)."""
    data = {"bands-TOTAL_FORMS": str(len(rows)), "bands-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        if row is not None:
            data |= {f"bands-{i}-min_employees": row[0], f"bands-{i}-acv": row[1]}
    return data


@pytest.fixture
def leader(client, org):
    PlanFactory(status="published")
    client.force_login(org["leader"])
    return client


def test_bands_typed_as_rows_are_stored_small_to_large_and_size_the_market(leader, django_capture_on_commit_callbacks):
    AccountFactory(employees=120, annual_revenue=None)
    AccountFactory(employees=800, annual_revenue=None)
    AccountFactory(employees=None, annual_revenue=None)

    with django_capture_on_commit_callbacks(execute=True):
        response = leader.post(reverse("tam_overview"), MODEL | _bands(("250", "60K"), ("0", "$15,000"), ("", "")))

    assert response.status_code == 302
    assert TamModel.objects.get().bands == [{"min_employees": 0, "acv": 15_000}, {"min_employees": 250, "acv": 60_000}]
    run = TamRun.objects.get()  # the sizing job ran once the request committed
    assert (run.tam, run.accounts, run.accounts_unknown) == (15_000 + 60_000, 3, 1)


def test_saved_bands_come_back_as_rows_with_their_amounts_formatted(leader):
    leader.post(reverse("tam_overview"), MODEL | _bands(("0", "15000"), ("1000", "1.5M")))
    page = leader.get(reverse("tam_overview")).content.decode()
    assert 'name="bands-0-min_employees" value="0"' in page
    assert 'name="bands-0-acv" value="$15K"' in page
    assert 'name="bands-1-min_employees" value="1000"' in page
    assert 'name="bands-1-acv" value="$1.5M"' in page
    assert 'name="bands-TOTAL_FORMS" value="2"' in page
    assert "an account of 120 employees counts $15,000 a year" in page  # the worked example


def test_a_band_removed_in_the_page_is_dropped(leader):
    leader.post(reverse("tam_overview"), MODEL | _bands(("0", "15000"), ("250", "60000")))
    leader.post(reverse("tam_overview"), MODEL | _bands(("0", "15000"), None))
    assert TamModel.objects.get().bands == [{"min_employees": 0, "acv": 15_000}]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ((("0", "15000"), ("250", "")), "This field is required."),
        ((("0", "about 15k"),), "Enter a whole amount, such as 250000, $250,000 or 250K."),
        ((("0", "15000"), ("-5", "60000")), "Ensure this value is greater than or equal to 0."),
        ((("250", "15000"), ("250", "60000")), "Another band starts at 250 employees too: give each its own."),
        ((("", ""),), "A contract value per size band needs at least one band: add one below."),
    ],
)
def test_a_bad_band_is_named_on_its_row_and_nothing_is_saved(leader, rows, message):
    response = leader.post(reverse("tam_overview"), MODEL | _bands(*rows))
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert TamRun.objects.count() == 0
    assert TamModel.objects.get().bands == []
    # What was typed stays on the row.
    for i, (_start, acv) in enumerate(rows):
        if acv:
            assert re.search(rf'name="bands-{i}-acv" value="{re.escape(acv)}"', page)


def test_another_method_needs_no_band(leader):
    response = leader.post(reverse("tam_overview"), MODEL | {"method": "revenue_share"} | _bands(("", "")))
    assert response.status_code == 302
    assert TamModel.objects.get().bands == []


def test_every_rows_problem_is_said_at_once(leader):
    page = leader.post(reverse("tam_overview"), MODEL | _bands(("250", "about 60k"), ("250", "$90K"))).content.decode()
    assert "Enter a whole amount, such as 250000, $250,000 or 250K." in page
    assert "Another band starts at 250 employees too: give each its own." in page


def test_a_plan_gets_its_tam_model_when_created_and_pages_never_write_one(client, org):
    from segmentation.services.territories import design_create

    plan = PlanFactory(status="published")
    assert list(plan.tam_models.values_list("name", flat=True)) == ["Share of revenue"]
    plan.tam_models.all().delete()  # a plan whose model was removed: opening its pages must not make one
    design = design_create(plan=plan, user=org["leader"], name="FY design")
    client.force_login(org["leader"])
    assert client.get(reverse("tam_overview")).status_code == 200
    assert client.get(reverse("territory_design_detail", args=[design.pk])).status_code == 200
    assert client.get(reverse("my_territory")).status_code == 200
    assert not TamModel.objects.filter(plan=plan).exists()
