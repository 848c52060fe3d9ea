"""The demo organisation and market: realistic, complete, and idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Account
from salesplan.models import StrategyPlan, Team, User
from salesplan.services.demo import demo_seed

pytestmark = pytest.mark.django_db


def test_demo_seed_builds_the_organisation_and_market():
    result = demo_seed(companies=2_000, seed=1)

    assert result["people_created"] == 9
    assert result["companies_created"] == 2_000
    assert User.objects.filter(role="leader").count() == 1
    assert User.objects.filter(role="manager").count() == 2
    assert {t.name: t.members.count() for t in Team.objects.all()} == {"East": 3, "West": 3}
    assert StrategyPlan.objects.filter(status="published").count() == 1
    assert Account.objects.count() == 2_000
    assert not Account.objects.filter(owner__isnull=True).exists()  # every state has a rep
    assert Account.objects.values("domain").distinct().count() == 2_000


def test_demo_companies_look_like_a_real_market():
    demo_seed(companies=5_000, seed=2)
    revenues = sorted(Account.objects.exclude(annual_revenue=None).values_list("annual_revenue", flat=True))
    median = revenues[len(revenues) // 2]
    assert 5e6 < median < 40e6  # lognormal: a median in the tens of millions...
    assert revenues[-1] > 50 * median  # ...and a long tail of large companies
    assert Account.objects.values("industry").distinct().count() > 20
    assert Account.objects.values("state").distinct().count() > 40
    customers = Account.objects.filter(lifecycle="customer")
    assert 0.08 < customers.count() / 5_000 < 0.2
    assert not customers.filter(current_sales__isnull=True, wallet__isnull=False).exists()


def test_demo_seed_twice_changes_nothing():
    demo_seed(companies=1_500, seed=3)
    before = list(Account.objects.order_by("domain").values_list("domain", "name", "annual_revenue", "owner_id"))

    again = demo_seed(companies=1_500, seed=3)

    assert again["people_created"] == 0
    assert again["plans_created"] == 0
    assert again["companies_created"] == 0
    assert (
        list(Account.objects.order_by("domain").values_list("domain", "name", "annual_revenue", "owner_id")) == before
    )
    assert User.objects.count() == 9


def test_seed_demo_command_reports_what_it_did():
    out = StringIO()
    call_command("seed_demo", "--companies", "1000", stdout=out)
    assert "companies created: 1,000" in out.getvalue()
    out = StringIO()
    call_command("seed_demo", "--companies", "1000", "--once", stdout=out)
    assert "already there" in out.getvalue()


def test_demo_logins_command_lists_every_demo_person():
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "No demo users yet" in out.getvalue()
    demo_seed(companies=1_000)
    out = StringIO()
    call_command("demo_logins", stdout=out)
    lines = out.getvalue().splitlines()
    assert "password: salesplan-demo" in lines[0]
    assert len(lines) == 10
    assert "rep6" in lines[-1]
    assert "(West)" in lines[-1]
