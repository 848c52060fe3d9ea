"""The account-plan loop in a real browser: a rep qualifies an account, writes and submits a plan; the
manager requests changes with a comment and a follow-up; the rep revises and resubmits; the manager
approves."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accountplans.models import AccountPlan
from accounts.tests.factories import AccountFactory
from salesplan.models import User
from salesplan.services.demo import demo_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")


def _edit(page, section: str) -> None:
    page.locator(f"#{section}").get_by_role("link", name="Edit").click()


def test_rep_writes_a_plan_the_manager_sends_it_back_then_approves_it(page, browser, live_server, settings):
    demo_seed(companies=1_000, seed=5)
    password = settings.DEMO_PASSWORD
    account = AccountFactory(
        name="Loop Test Manufacturing",
        owner=User.objects.get(username="rep1"),
        lifecycle="customer",
        wallet=3_000_000,
        current_sales=500_000,
        state="NY",
    )

    # The rep qualifies the account: the data answers some questions, the rep the rest.
    _sign_in(page, "rep1", password)
    page.goto(account.get_absolute_url())
    panel = page.locator("#account-strategy")
    expect(panel.get_by_text("From the data: our share of its category spend is 17%")).to_be_visible()
    questions = panel.locator("form[aria-label]")
    for label in [questions.nth(i).get_attribute("aria-label") for i in range(questions.count())]:
        panel.get_by_role("group", name=label).get_by_role("button", name="Yes").click()
        expect(
            page.locator("#account-strategy").get_by_role("group", name=label).get_by_role("button", name="Yes")
        ).to_have_class(re.compile("btn-success"))
    expect(panel.get_by_text(re.compile(r"Yes — \d of 6"))).to_be_visible()
    panel.get_by_role("button", name="Start a strategic plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Strategic account plan: Loop Test Manufacturing")
    expect(page.locator("#profile")).to_contain_text("$3M")  # the profile is filled in from the data

    # Writes the plan section by section.
    _edit(page, "needs")
    page.get_by_label("Problems we can solve").fill("Unplanned downtime on the packaging lines.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved: Needs written")).to_be_visible()

    _edit(page, "relationships")
    recent = (dt.date.today() - dt.timedelta(days=7)).isoformat()
    rows = page.locator("tbody tr")
    rows.nth(0).get_by_label("Name").fill("Robert Hale")
    rows.nth(0).get_by_label("Role").select_option(label="Economic buyer")
    rows.nth(0).get_by_label("Last contact").fill(recent)
    page.get_by_role("button", name="Save").click()
    relationships = page.locator("#relationships")
    expect(relationships.get_by_text("Single-threaded: only Robert Hale is engaged")).to_be_visible()
    expect(relationships.get_by_text("Key roles missing: champion, technical buyer.")).to_be_visible()

    _edit(page, "growth")
    page.locator("input[name='objectives-0-title']").fill("Service contract for all lines")
    page.locator("input[name='objectives-0-target']").fill("600000")
    page.locator("input[name='objectives-0-due']").fill((dt.date.today() + dt.timedelta(days=120)).isoformat())
    page.locator("input[name='actions-0-description']").fill("Downtime audit")
    page.locator("input[name='actions-0-due']").fill((dt.date.today() + dt.timedelta(days=20)).isoformat())
    page.locator("input[name='actions-0-hours']").fill("20")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#growth")).to_contain_text("$30K/h")  # $600,000 over 20 planned hours

    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted. Your manager sees it in their review queue.")).to_be_visible()

    # The manager requests changes with a comment and records a follow-up.
    manager_context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=live_server.url)
    manager = manager_context.new_page()
    _sign_in(manager, "manager1", password)
    manager.goto("/accounts/plans/reviews/")
    card = manager.locator(".card", has_text="Loop Test Manufacturing")
    expect(card.get_by_text("First review")).to_be_visible()
    card.get_by_role("link", name="Review").click()
    manager.get_by_label("Comment (needed to request changes)").fill("Who is your champion? Map the plant director.")
    manager.get_by_label("About", exact=True).select_option(label="Relationship map")
    manager.get_by_role("button", name="Request changes").click()
    expect(manager.get_by_text("Changes requested: Alicia Gomez sees your comment.")).to_be_visible()
    manager.goto(AccountPlan.objects.get(account=account).get_absolute_url())
    manager.get_by_label("Follow-up", exact=True).fill("Introduce me to the plant director")
    manager.get_by_label("By", exact=True).fill((dt.date.today() + dt.timedelta(days=14)).isoformat())
    manager.get_by_role("button", name="Record follow-up").click()
    expect(manager.locator("#follow-ups")).to_contain_text("Introduce me to the plant director")

    # The rep revises and resubmits.
    page.reload()
    asked = page.locator(".alert", has_text="asked for changes")
    expect(asked).to_contain_text("Relationship map: “Who is your champion? Map the plant director.”")
    expect(page.locator("#relationships")).to_contain_text("Who is your champion? Map the plant director.")
    expect(page.locator("#follow-ups")).to_contain_text("Introduce me to the plant director")
    _edit(page, "relationships")
    rows = page.locator("tbody tr")
    rows.nth(1).get_by_label("Name").fill("Maria Santos")
    rows.nth(1).get_by_label("Role").select_option(label="Champion")
    rows.nth(1).get_by_label("Last contact").fill(recent)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#relationships").get_by_text("Single-threaded")).to_have_count(0)
    page.get_by_role("button", name="Resubmit for review").click()
    expect(page.get_by_text("Submitted for review").first).to_be_visible()

    # The manager sees what changed and approves.
    manager.goto("/accounts/plans/reviews/")
    card = manager.locator(".card", has_text="Loop Test Manufacturing")
    expect(card).to_contain_text("Added contact Maria Santos")
    card.get_by_role("link", name="Review").click()
    expect(manager.locator("#relationships")).to_contain_text("changed since the last review")
    manager.get_by_role("button", name="Approve").click()
    manager_context.close()

    page.reload()
    expect(page.locator("h1")).to_contain_text("Approved")
    history = page.locator("#history")
    for line in ("requested changes", "recorded a follow-up", "approved it", "Added contact Maria Santos"):
        expect(history).to_contain_text(line)
