"""Amounts typed and shown as people write them ($100M, 250K, 250,000), in the plan form and everywhere the
shared AmountField is used; nothing typed is rounded away."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from salesplan.forms import AmountField, TrimmedDecimalInput, amount_parse
from salesplan.models import StrategyPlan


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("250000", 250_000),
        ("250,000", 250_000),
        ("$250,000", 250_000),
        ("250K", 250_000),
        ("250 k", 250_000),
        ("$1.5M", 1_500_000),
        ("2B", 2_000_000_000),
        ("US$ 40k", 40_000),
        ("2002", 2002),
        ("-$3K", -3_000),
        ("1.5", None),  # not a whole amount
        ("1.2345K", None),
        ("about a million", None),
        ("", None),
    ],
)
def test_amounts_are_read_as_people_type_them(typed, amount):
    assert amount_parse(typed) == amount


def test_an_amount_is_shown_short_only_where_that_loses_nothing():
    field = AmountField(unit="usd")
    assert field.widget.format_value(250_000) == "$250K"
    assert field.widget.format_value(250_400) == "$250.4K"
    assert field.widget.format_value(250_450) == "$250,450"  # $250.5K would round it
    assert field.widget.format_value(Decimal("100000000.00")) == "$100M"
    assert AmountField(unit="count").widget.format_value(20_000) == "20,000"
    assert AmountField(unit="year").widget.format_value(2002) == "2002"
    assert field.widget.format_value("what was typed") == "what was typed"
    assert TrimmedDecimalInput().format_value(Decimal("0.500")) == "0.5"
    assert TrimmedDecimalInput().format_value(Decimal("24.0")) == "24"


@pytest.mark.django_db
def test_the_plan_form_takes_and_shows_dollars_as_people_write_them(client, org):
    client.force_login(org["leader"])
    response = client.post(
        reverse("plan_create"),
        {
            "name": "FY2028",
            "fiscal_year_start": "2028-01-01",
            "fiscal_year_end": "2028-12-31",
            "prior_year_revenue": "$100M",
            "revenue_target": "130,000,000",
            "strategic_growth_threshold": "250K",
        },
    )
    assert response.status_code == 302
    plan = StrategyPlan.objects.get()
    assert (plan.prior_year_revenue, plan.revenue_target, plan.strategic_growth_threshold) == (
        100_000_000,
        130_000_000,
        250_000,
    )
    form = client.get(reverse("plan_edit", args=[plan.pk])).content.decode()
    assert 'value="$100M"' in form
    assert 'value="$130M"' in form
    assert 'value="$250K"' in form
    assert "100000000.00" not in form
    page = client.post(reverse("plan_edit", args=[plan.pk]), {"name": "FY2028", "fiscal_year_start": "2028-01-01",
                       "fiscal_year_end": "2028-12-31", "revenue_target": "lots"}).content.decode()  # fmt: skip
    assert "Enter a whole amount, such as 250000, $250,000 or 250K." in page
