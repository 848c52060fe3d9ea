"""The demo market adds up: our sales to the demo customers are the demo plan's prior-year revenue, each
customer buys a plausible share of its category spend from us."""

from __future__ import annotations

import re
import statistics

import pytest
from django.db.models import F
from django.urls import reverse

from accounts.models import Account
from accounts.services.demo import _demo_companies
from salesplan.models import StrategyPlan, User
from salesplan.services.demo import demo_seed

PRIOR_YEAR_REVENUE = 100_000_000  # what the demo plan says we sold last year (salesplan/services/demo.py)


def _shares(customers: list[dict]) -> list[float]:
    return [c["current_sales"] / c["wallet"] for c in customers if c["wallet"]]


def test_demo_customers_buy_the_prior_year_revenue_from_us_at_the_default_size():
    records = list(_demo_companies(companies=20_000, seed=42))
    customers = [r for r in records if r["lifecycle"] == "customer"]

    assert len(records) == 20_000
    assert abs(sum(c["current_sales"] for c in customers) - PRIOR_YEAR_REVENUE) <= 0.10 * PRIOR_YEAR_REVENUE
    assert not [r for r in records if r["lifecycle"] != "customer" and r["current_sales"] is not None]
    # A plausible share of wallet: never more than all of it, about a third for a typical customer, and a
    # fifth of what all our customers spend together (the large ones buy from several suppliers).
    assert all(c["current_sales"] <= c["wallet"] for c in customers if c["wallet"])
    assert 0.2 < statistics.median(_shares(customers)) < 0.5
    with_wallet = [c for c in customers if c["wallet"]]
    aggregate = sum(c["current_sales"] for c in with_wallet) / sum(c["wallet"] for c in with_wallet)
    assert 0.1 < aggregate < 0.4
    # No single customer carries the company: the largest buys a few percent of what we sell.
    assert max(c["current_sales"] for c in customers) < 0.05 * PRIOR_YEAR_REVENUE


def test_the_same_seed_and_size_give_the_same_market():
    first = list(_demo_companies(companies=6_000, seed=9))
    again = list(_demo_companies(companies=6_000, seed=9))
    assert first == again
    # A block of companies keeps its names whatever the size asked for; only the calibration moves.
    smaller = list(_demo_companies(companies=5_000, seed=9))
    assert [r["domain"] for r in smaller] == [r["domain"] for r in first[:5_000]]


def _kpi_dollars(page: str, label: str) -> float:
    """The dollar figure shown after ``label`` on a page ($100M, $99.8M, $640K)."""
    match = re.search(re.escape(label) + r".*?\$([\d.,]+)([KMB]?)<", page, re.S)
    assert match, f"{label} is not on the page"
    return float(match.group(1).replace(",", "")) * {"": 1, "K": 1e3, "M": 1e6, "B": 1e9}[match.group(2)]


@pytest.mark.django_db
def test_the_leaders_home_shows_our_sales_adding_up_to_the_prior_year_revenue_at_a_test_size(client):
    demo_seed(companies=1_500, seed=4)
    plan = StrategyPlan.objects.get()
    customers = Account.objects.filter(lifecycle="customer")

    sales = sum(customers.values_list("current_sales", flat=True))
    assert plan.prior_year_revenue == PRIOR_YEAR_REVENUE
    assert abs(sales - PRIOR_YEAR_REVENUE) <= 0.10 * PRIOR_YEAR_REVENUE
    assert not customers.filter(wallet__isnull=False, current_sales__gt=F("wallet")).exists()

    client.force_login(User.objects.get(username="leader"))
    page = client.get(reverse("home")).content.decode()
    shown_sales = _kpi_dollars(page, "Our sales to them")
    shown_prior = _kpi_dollars(page, "Prior-year revenue")
    assert shown_prior == PRIOR_YEAR_REVENUE
    assert abs(shown_sales - shown_prior) <= 0.10 * shown_prior
    # Our share of the customers' spend, worked out here from the rows, is the one on the page.
    known = customers.exclude(wallet=None)
    share = sum(known.values_list("current_sales", flat=True)) * 100 / sum(known.values_list("wallet", flat=True))
    assert 10 < share < 50
    assert f"{share:.1f}%" in page
