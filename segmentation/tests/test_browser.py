"""The ICP journeys in a real browser: a rep answers a question and sees the score and tier move; a
manager overrides a tier with a reason; the leader reads the profile's charts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Vertical
from accounts.tests.factories import AccountFactory
from salesplan.models import User
from salesplan.services.demo import demo_seed
from segmentation.models import IdealCustomerProfile
from segmentation.services.icp import icp_score_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scored(settings):
    """The demo (with its published, scored profile) and one account of rep1 whose numbers we know."""
    demo_seed(companies=1_000, seed=5)
    icp = IdealCustomerProfile.objects.get(status="published")
    market = icp.criteria.get(key="market-experience")
    vertical = Vertical.objects.create(name="Browser test vertical")
    market.values = [*market.values, vertical.name]
    market.save()
    account = AccountFactory(
        name="Browser Test Co",
        owner=User.objects.get(username="rep1"),
        wallet=1_000_000,
        current_sales=None,
        annual_revenue=100_000_000,
        employees=500,
        country="US",
        state="NY",
        vertical=vertical,
    )
    icp_score_account(icp, account)
    return {"password": settings.DEMO_PASSWORD, "icp": icp, "account": account}


def _sign_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")


def _find_row(page):
    page.get_by_role("button", name="Segmentation").click()
    page.get_by_role("link", name="ICP matrix", exact=True).click()
    page.get_by_label("Search").fill("Browser Test")
    page.get_by_role("button", name="Apply").click()
    row = page.locator("tr", has_text="Browser Test Co")
    expect(row).to_have_count(1)
    return row


def test_rep_answers_a_question_and_the_score_and_tier_move(page, scored):
    _sign_in(page, "rep1", scored["password"])
    row = _find_row(page)
    # Known: opportunity 10 + revenue 8 + employees 6 + location 6 + market 8 of 45 (growth market 0); the
    # eight questions (42) unknown count half: 100 × (38 + 21) / 87 = 67.8. 45 of 87 known (52 %, under 60 %),
    # and a "yes" to everything would reach tier B: "Needs data".
    expect(row.locator("[data-score]")).to_have_text("67.8")
    expect(row.locator(".tier-badge").first).to_have_text("Needs data")

    row.get_by_label("Confirmed budget for Browser Test Co").select_option("no")

    row = page.locator("tr", has_text="Browser Test Co")
    # The budget now counts, as a miss: 100 × (38 + 34 / 2) / 87 = 63.2 — lower, and 53 of 87 known (61 %),
    # so the account is rated: tier B.
    expect(row.locator("[data-score]")).to_have_text("63.2")
    expect(row.locator(".tier-badge").first).to_have_text("B")
    expect(row).to_contain_text("5 of 14 match · 7 unknown · 61% known")
    # The account page explains the same score, criterion by criterion, and what would change it most.
    row.get_by_role("link", name="Browser Test Co").click()
    panel = page.locator("#account-icp")
    expect(panel).to_contain_text("63.2")
    expect(panel.locator("tr", has_text="Confirmed budget")).to_contain_text("0 / 8")
    expect(panel.locator("tr", has_text="Cultural fit")).to_contain_text("unknown · counts 2.5 / 5")
    expect(panel.locator("#score-sureness")).to_contain_text("Fairly sure: 61% of the weight is known")
    # The heaviest unknown: application experience (7): 50 × 7 / 87 = 4.0 points either way.
    expect(panel.locator("#changes-most li").first).to_contain_text(
        "Have we solved its application challenges for similar customers?"
    )
    expect(panel.locator("#changes-most li").first).to_contain_text("a “yes” adds 4.0 points")
    # Answering here saves as soon as the answer is chosen (no inline handler: the page's CSP runs none).
    with page.expect_navigation():
        panel.get_by_label("Confirmed budget", exact=True).select_option("yes")
    expect(page.get_by_role("alert")).to_contain_text("Answer saved for Browser Test Co")
    expect(page.locator("#account-icp tr", has_text="Confirmed budget")).to_contain_text("8 / 8")


def test_manager_overrides_a_tier_with_a_reason(page, scored):
    _sign_in(page, "manager1", scored["password"])
    row = _find_row(page)
    row.get_by_label("Tier for Browser Test Co").select_option("C")
    row.get_by_role("button", name="Set").click()
    expect(row).to_contain_text("Say why the tier is overridden")  # no reason: refused, nothing saved

    row.get_by_label("Reason for Browser Test Co").fill("Parent company buys centrally")
    row.get_by_role("button", name="Set").click()
    row = page.locator("tr", has_text="Browser Test Co")
    expect(row.locator(".tier-badge")).to_have_text(["Needs data", "C"])  # computed: needs data; in force: C
    expect(row).to_contain_text("overridden to C: Parent company buys centrally")

    row.get_by_role("link", name="Browser Test Co").click()
    panel = page.locator("#account-icp")
    expect(panel).to_contain_text("Manager set tier C")
    expect(panel).to_contain_text("set tier C (computed “Needs data”): “Parent company buys centrally”")


def test_leader_reads_the_profile_and_its_charts(page, scored):
    _sign_in(page, "leader", scored["password"])
    page.get_by_role("button", name="Segmentation").click()
    page.get_by_role("link", name="ICP matrix", exact=True).click()
    page.get_by_role("link", name="Profile and charts").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mid-market manufacturers")
    expect(page.locator(".js-plotly-plot")).to_have_count(3)  # distribution, by vertical, by region
    expect(page.get_by_text("Focus and gap", exact=False)).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export JSON").click()
    assert re.match(r"icp-mid-market-manufacturers-v1\.json", download.value.suggested_filename)
