"""The ICP editor in a real browser: a draft saves unchanged (no blank row stops it or becomes a criterion),
names are shown whole and amounts formatted, and a criterion added with the button is saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from salesplan.tests.factories import PlanFactory
from segmentation.models import Criterion
from segmentation.services.icp import icp_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "editor-in-the-browser"
LONG_NAME = "We have experience in its application challenges, and references in its own market"
CRITERIA = [
    {"key": "opportunity", "name": "Size of $ opportunity", "kind": "range", "field": "opportunity",
     "min_value": 250_000, "weight": 10},
    {"key": "size", "name": "Company size in employees", "kind": "range", "field": "employees",
     "min_value": 200, "max_value": 20_000, "weight": 6},
    {"key": "experience", "name": LONG_NAME, "kind": "question", "question": "Have we solved it before?",
     "weight": 7},
]  # fmt: skip


@pytest.fixture
def draft(org):
    leader = org["leader"]
    leader.set_password(PASSWORD)
    leader.save()
    plan = PlanFactory(status="published")
    return icp_create(plan=plan, user=leader, name="Browser ICP", criteria=CRITERIA)


def _edit(page, icp) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill("leader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    page.goto(f"/segmentation/icp/{icp.pk}/edit/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit Browser ICP")


def _names(page):
    return page.locator("textarea[name^='criteria-'][name$='-name']")


def test_the_editor_shows_whole_names_and_amounts_as_people_write_them(page, draft):
    _edit(page, draft)
    expect(_names(page)).to_have_count(3)
    long_name = _names(page).nth(2)
    expect(long_name).to_have_value(LONG_NAME)
    # The whole name is in sight: its box grew to hold it rather than cutting it off.
    assert long_name.evaluate("el => el.scrollHeight <= el.clientHeight + 2 && el.scrollWidth <= el.clientWidth + 2")
    assert long_name.evaluate("el => el.clientHeight") > _names(page).nth(0).evaluate("el => el.clientHeight")
    expect(page.locator("input[name='criteria-0-min_value']")).to_have_value("$250K")
    expect(page.locator("input[name='criteria-1-min_value']")).to_have_value("200")
    expect(page.locator("input[name='criteria-1-max_value']")).to_have_value("20,000")


def test_a_draft_saves_unchanged_with_the_same_criteria(page, draft):
    _edit(page, draft)
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_text("Profile saved.")).to_be_visible()
    assert page.url.endswith(f"/segmentation/icp/{draft.pk}/")
    expect(page.get_by_text("Criteria (3)")).to_be_visible()
    assert list(Criterion.objects.filter(icp=draft).values_list("name", "min_value", "max_value")) == [
        ("Size of $ opportunity", 250_000, None),
        ("Company size in employees", 200, 20_000),
        (LONG_NAME, None, None),
    ]


def test_a_criterion_added_with_the_button_is_saved_and_a_removed_new_row_is_not(page, draft):
    _edit(page, draft)
    page.get_by_role("button", name="Add a criterion").click()
    page.get_by_role("button", name="Add a criterion").click()
    expect(_names(page)).to_have_count(5)
    page.get_by_role("button", name="Remove this new criterion").last.click()
    expect(_names(page)).to_have_count(4)
    row = page.locator("tr.criterion-new")
    row.locator("textarea[name$='-name']").fill("Founded this century")
    row.locator("select[name$='-kind']").select_option("range")
    row.locator("select[name$='-field']").select_option("founded_year")
    row.locator("input[name$='-min_value']").fill("2001")
    row.locator("input[name$='-weight']").fill("3")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_text("Profile saved.")).to_be_visible()
    expect(page.get_by_text("Criteria (4)")).to_be_visible()
    expect(page.get_by_role("cell", name="Founded (year) at least 2001")).to_be_visible()
    added = Criterion.objects.get(icp=draft, name="Founded this century")
    assert (added.kind, added.field, added.min_value, added.weight, added.key) == (
        "range",
        "founded_year",
        2001,
        3,
        "founded-this-century",
    )
    assert Criterion.objects.filter(icp=draft).count() == 4
