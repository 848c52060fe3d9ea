"""In a real browser: a rep's ranked list says it is being brought up to date after new accounts arrive,
and offers the new figures once the chain is done."""

from __future__ import annotations

from unittest import mock

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import AccountFactory
from salesplan.models import User
from salesplan.services.demo import demo_seed
from salesplan.services.freshness import refresh_request, refresh_run
from salesplan.services.jobs import job_execute
from segmentation.models import AccountAnswer, IdealCustomerProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_my_territory_says_it_is_being_updated_then_shows_the_new_ranking(page, settings):
    demo_seed(companies=600, seed=5)
    rep = User.objects.get(username="rep1")
    forge = AccountFactory(
        name="Hudson Valley Forge",
        state="NY",
        country="US",
        owner=rep,
        annual_revenue=900_000_000,
        employees=2_000,
        wallet=3_000_000,
    )
    # Its rep knows it well: every question answered, so it is rated (and ranked), not "Needs data".
    icp = IdealCustomerProfile.objects.get(status="published")
    AccountAnswer.objects.bulk_create(
        AccountAnswer(account=forge, key=c.key, answer="yes", answered_by=rep)
        for c in icp.criteria.filter(kind="question")
    )
    settings.JOBS_BACKEND = "celery"
    with mock.patch("salesplan.services.jobs._job_dispatch"):  # queued, as if the workers were busy
        job = refresh_request()
    assert job is not None

    page.goto("/login/")
    page.get_by_label("Username").fill("rep1")
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/segmentation/my-territory/?q=Hudson")
    status = page.locator("[data-freshness^='rank:']")
    expect(status).to_have_attribute("data-state", "updating")
    expect(status).to_contain_text("Being brought up to date")
    expect(page.locator("table tbody tr", has_text="Hudson Valley Forge")).to_have_count(0)  # not ranked yet

    job_execute(job_id=job.pk, token=job.token, service=refresh_run)  # the worker picks the chain up

    link = page.get_by_role("link", name="Brought up to date: show the new figures")
    expect(link).to_be_visible(timeout=10_000)  # the line polls every two seconds
    link.click()
    expect(page.locator("[data-freshness^='rank:']")).to_have_attribute("data-state", "current")
    expect(page.locator("table tbody tr", has_text="Hudson Valley Forge")).to_have_count(1)
