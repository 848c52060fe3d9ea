"""Market journeys in a real browser: the leader sizes the market and reads the charts; a rep opens My
territory and finds their ranked accounts (and only theirs)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import AccountTerritory
from salesplan.models import User
from salesplan.services.demo import demo_seed
from segmentation.models import AccountPriority, PriorityList

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    demo_seed(companies=1_000, seed=5)
    return settings.DEMO_PASSWORD


def _sign_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")


def test_leader_sizes_the_market_and_reads_the_charts(page, demo, real_jobs):
    _sign_in(page, "leader", demo)
    page.get_by_role("button", name="Segmentation").click()
    page.get_by_role("link", name="Market size (TAM)").click()
    page.get_by_label("Method").select_option("per_employee")
    page.get_by_label("Price per employee").fill("150")
    page.get_by_role("button", name="Save and size the market").click()
    page.get_by_role("link", name="Open the TAM report").click(timeout=60_000)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Total Available Market")
    expect(page.get_by_text("A price per employee ($150)")).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(3)  # funnel, size bands, treemap
    for table in ("By vertical", "By region (state)", "By size band", "By segment"):
        expect(page.get_by_role("heading", name=table).last).to_be_visible()
    # The two runs can be compared.
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_text("vs ", exact=False).first).to_be_visible()


def test_rep_opens_my_territory_and_sees_only_their_ranked_accounts(page, demo):
    rep = User.objects.get(username="rep4")
    mine = set(AccountTerritory.objects.filter(territory__assignments__rep=rep).values_list("account_id", flat=True))
    ranked = AccountPriority.objects.filter(account_id__in=mine, list=PriorityList.RANKED)  # the growth targets
    first = ranked.order_by("rank_territory").select_related("account")[0]
    _sign_in(page, "rep4", demo)
    page.get_by_role("link", name="My territory").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My territory")
    row = page.locator("table tbody tr").first
    expect(row.locator("td").first).to_have_text("1")
    expect(row).to_contain_text(first.account.name)
    states = page.locator("table tbody tr td:nth-child(3)").all_inner_texts()
    assert states
    assert all(text.endswith(", CA") or text.endswith(", HI") for text in states)
    page.get_by_label("Tier").select_option("A")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("table tbody tr .tier-badge").first).to_have_text("A")
