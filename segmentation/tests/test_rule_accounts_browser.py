"""Naming accounts in a placement rule, in a real browser: search by name, choose, take one out again, add
the rule, and read the names in the design's rule list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import AccountFactory
from salesplan.tests.factories import PlanFactory
from segmentation.models import AssignmentRule
from segmentation.services.territories import design_create, rule_create, territory_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "rules-in-the-browser"


@pytest.fixture
def design(org):
    leader = org["leader"]
    leader.set_password(PASSWORD)
    leader.save()
    design = design_create(plan=PlanFactory(status="published"), user=leader, name="FY design")
    region = territory_create(design=design, level="region", name="East")
    area = territory_create(design=design, level="area", name="North East", parent=region)
    ny = territory_create(design=design, level="territory", name="New York", parent=area)
    territory_create(design=design, level="territory", name="Key accounts", parent=area)
    rule_create(design=design, territory=ny, states=["NY"])
    return design


def test_leader_names_accounts_in_a_rule_by_searching_their_names(page, design):
    keep = AccountFactory(name="Harborview Foods Inc.", city="Albany", state="NY")
    dropped = AccountFactory(name="Harborview Logistics LLC", city="Buffalo", state="NY")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/login/")
    page.get_by_label("Username").fill("leader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/segmentation/territories/{design.pk}/")

    search = page.get_by_role("searchbox", name="Search company names to add to the rule")
    search.fill("harborview")
    results = page.locator("#rule-account-results")
    expect(results.get_by_role("button")).to_have_count(2)
    results.get_by_role("button", name="Harborview Foods Inc.").click()
    chosen = page.locator("#rule-accounts-chosen")
    expect(chosen).to_contain_text("Harborview Foods Inc.")
    expect(results.get_by_role("button")).to_have_count(0)  # the results are cleared once one is chosen
    search = page.get_by_role("searchbox", name="Search company names to add to the rule")
    expect(search).to_have_value("")  # and the search box with them (a new one, swapped in)
    search.fill("harborview")
    expect(results.get_by_role("button")).to_have_count(1)  # the chosen one is left out
    results.get_by_role("button", name="Harborview Logistics LLC").click()
    expect(chosen.locator(".account-chip")).to_have_count(2)
    chosen.get_by_role("button", name="Remove Harborview Logistics LLC").click()
    expect(chosen.locator(".account-chip")).to_have_count(1)
    rule_form = page.locator("#rule-form")
    rule_form.get_by_label("Territory*").select_option(label="Key accounts")
    rule_form.get_by_label("Try this rule before the others").check()
    page.get_by_role("button", name="Add rule").click()

    expect(page.get_by_text("Rule added before the others")).to_be_visible()
    first_rule = page.locator("table", has_text="Accounts that…").locator("tbody tr").first
    expect(first_rule).to_contain_text("are named: Harborview Foods Inc.")
    expect(first_rule).to_contain_text("Key accounts")
    rule = AssignmentRule.objects.filter(design=design).order_by("position").first()
    assert rule.accounts == [keep.pk]
    assert dropped.pk not in rule.accounts
    assert errors == []
