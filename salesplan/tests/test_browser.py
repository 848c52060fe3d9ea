"""Each role's main journey in a real browser (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from salesplan.services.demo import demo_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_org(settings):
    demo_seed(companies=1_000, seed=5)
    return settings.DEMO_PASSWORD


def _sign_in(page, username: str, password: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize(
    ("username", "greeting", "nav_links", "hidden_links"),
    [
        ("leader", "Dana", ["Accounts", "Plans", "Teams", "People", "Jobs"], []),
        ("manager1", "Marcus", ["Accounts", "Plans", "My team", "People", "Jobs"], []),
        ("rep1", "Alicia", ["My accounts", "Plans", "Jobs"], ["People", "Teams"]),
    ],
)
def test_each_role_signs_in_and_lands_on_its_home(page, demo_org, username, greeting, nav_links, hidden_links):
    _sign_in(page, username, demo_org)

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Good to see you, {greeting}")
    nav = page.get_by_role("navigation", name="Main")
    for name in nav_links:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    for name in hidden_links:
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_count(0)
    expect(page.get_by_text("FY", exact=False).first).to_be_visible()


def test_rep_opens_an_account_from_the_home_page(page, demo_org):
    _sign_in(page, "rep4", demo_org)
    page.get_by_role("link", name="My accounts", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My accounts")
    first = page.locator("table tbody tr a").first
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_text("CA", exact=False).first).to_be_visible()  # rep4 covers California


def test_leader_starts_a_job_and_watches_the_progress_bar_complete(page, demo_org, real_jobs):
    _sign_in(page, "leader", demo_org)
    page.get_by_role("link", name="Jobs", exact=True).click()
    page.get_by_role("link", name="Demo data", exact=True).click()  # loaded already: not offered as new
    expect(page.get_by_text("The demo is already loaded")).to_be_visible()
    page.get_by_label("Companies").fill("2,500")
    page.get_by_label("Seed").fill("5")  # the demo market of the fixture: 1,000 are there already
    page.get_by_role("button", name="Run it again").click()

    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    progress = page.get_by_role("progressbar", name="Progress")
    expect(progress).to_be_visible()
    expect(page.locator("#job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(progress).to_have_attribute("aria-valuenow", "100")
    results = page.locator("#job-progress dl")
    expect(results.locator("dt:has-text('Companies created') + dd")).to_have_text("1,500")
    expect(results.locator("dt:has-text('Companies already there') + dd")).to_have_text("1,000")
    page.get_by_role("link", name="Open the accounts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    expect(page.get_by_text("2,500 companies")).to_be_visible()


def test_leader_imports_a_csv_and_finds_the_accounts(page, demo_org, real_jobs, tmp_path):
    csv_path = tmp_path / "trade-show.csv"
    csv_path.write_text(
        "Company,Website,Revenue,Employees,City,State\n"
        'Zephyr Robotics Inc.,https://www.zephyr-robotics.example.com,36.9 Million,"1,200",Austin,Texas\n'
        "Quill & Ink LLC,quillink.example.com,$4.5M,40,Portland,OR\n",
        encoding="utf-8",
    )
    _sign_in(page, "leader", demo_org)
    page.goto("/accounts/")
    page.get_by_role("link", name="Import accounts").click()
    page.get_by_label("Spreadsheet").set_input_files(str(csv_path))
    page.get_by_role("button", name="Upload and map columns").click()

    expect(page.get_by_role("heading", name="Which column is which?")).to_be_visible()
    expect(page.get_by_label("Company", exact=True)).to_have_value("name")
    expect(page.locator("#preview")).to_contain_text("$36.9M")
    page.get_by_label("City", exact=True).select_option("")  # leave the city out of this import
    expect(page.locator("#preview")).not_to_contain_text("Austin")
    page.get_by_role("button", name="Import").click()

    expect(page.locator("#job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.get_by_role("progressbar", name="Progress")).to_have_attribute("aria-valuenow", "100")
    page.get_by_role("link", name="Open the import report").click()
    expect(page.get_by_role("status")).to_contain_text("Imported: 2 created")

    page.goto("/accounts/?q=zephyr")
    row = page.locator("table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Zephyr Robotics Inc.")
    expect(row).to_contain_text("$36.9M")
    expect(row).to_contain_text("TX")
