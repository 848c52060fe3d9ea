"""The fiscal-year plan: created by the leader, published to the team."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from salesplan.models import StrategyPlan
from salesplan.services.plans import plan_create, plan_publish
from salesplan.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


def test_plan_create_starts_as_draft_with_growth_computed(org):
    plan = plan_create(
        name="FY2027",
        fiscal_year_start=dt.date(2027, 1, 1),
        fiscal_year_end=dt.date(2027, 12, 31),
        created_by=org["leader"],
        prior_year_revenue=Decimal(80_000_000),
        revenue_target=Decimal(104_000_000),
    )
    assert plan.status == "draft"
    assert plan.growth_target_pct == pytest.approx(30.0)


def test_plan_must_end_after_it_starts(org):
    with pytest.raises(ValidationError, match="must end after it starts"):
        plan_create(
            name="Backwards",
            fiscal_year_start=dt.date(2027, 12, 31),
            fiscal_year_end=dt.date(2027, 1, 1),
            created_by=org["leader"],
        )
    assert not StrategyPlan.objects.exists()


def test_publishing_twice_is_refused(db):
    plan = plan_publish(plan=PlanFactory(status="draft"))
    assert plan.status == "published"
    assert plan.published_at is not None
    with pytest.raises(ValidationError, match="already published"):
        plan_publish(plan=plan)


def test_leader_creates_a_plan_in_the_browser_form(client, org):
    client.force_login(org["leader"])
    response = client.post(
        reverse("plan_create"),
        {
            "name": "FY2027 Sales Strategy",
            "fiscal_year_start": "2027-01-01",
            "fiscal_year_end": "2027-12-31",
            "prior_year_revenue": "100000000",
            "revenue_target": "130000000",
            "summary": "Grow mid-market.",
        },
    )
    plan = StrategyPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == plan.get_absolute_url()
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "$130M" in page
    assert "30.0%" in page
    assert "Grow mid-market." in page


def test_plan_form_shows_the_date_error_on_the_field(client, org):
    client.force_login(org["leader"])
    response = client.post(
        reverse("plan_create"),
        {
            "name": "Bad",
            "fiscal_year_start": "2027-12-31",
            "fiscal_year_end": "2027-01-01",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["fiscal_year_end"] == ["The fiscal year must end after it starts."]


def test_duplicate_plan_name_is_explained(client, org):
    PlanFactory(name="FY2027")
    client.force_login(org["leader"])
    response = client.post(
        reverse("plan_create"),
        {
            "name": "FY2027",
            "fiscal_year_start": "2027-01-01",
            "fiscal_year_end": "2027-12-31",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_publish_makes_the_plan_visible_to_reps(client, org):
    plan = PlanFactory(status="draft")
    client.force_login(org["leader"])
    client.post(reverse("plan_publish", args=[plan.pk]))
    client.force_login(org["rep_a1"])
    assert client.get(plan.get_absolute_url()).status_code == 200
    assert plan.name in client.get(reverse("home")).content.decode()


def test_rep_cannot_create_or_publish_plans(client, org):
    plan = PlanFactory(status="published")
    client.force_login(org["rep_a1"])
    assert client.get(reverse("plan_create")).status_code == 403
    assert client.post(reverse("plan_publish", args=[plan.pk]), {"action": "unpublish"}).status_code == 403
    plan.refresh_from_db()
    assert plan.status == "published"


def test_plan_list_exports_csv(client, org):
    PlanFactory(name='=HYPERLINK("http://evil")', status="published")
    client.force_login(org["leader"])
    body = b"".join(client.get(reverse("plan_list"), {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in body
