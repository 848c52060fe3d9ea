"""The leader's loop in a real browser: import a file in which a rep's former customer has a namesake in
another state, read the report (what changed, what will move), resolve the possible duplicate on the
review screen, then undo the whole import with one click."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Account
from salesplan.services.demo import demo_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")


def _shot(page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_leader_resolves_a_possible_duplicate_then_undoes_the_import(page, settings, tmp_path, real_jobs):
    demo_seed(companies=1_000, seed=5)
    shots = Path(os.environ.get("SALESPLAN_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    former = Account.objects.filter(lifecycle="former", state__in=["NY", "MA", "CT"], owner__isnull=False).first()
    updated = Account.objects.exclude(pk=former.pk).filter(state="NY", annual_revenue__isnull=False).first()
    before = list(Account.objects.order_by("pk").values())
    csv_path = tmp_path / "startups.csv"
    csv_path.write_text(
        "Company,Website,City,State,Revenue\n"
        f"{former.name},,Mountain View,CA,\n"  # no domain, another state: a possible duplicate
        f"{updated.name},{updated.domain},{updated.city},{updated.state},$123.4M\n"  # the same company: updated
        "Quill & Ink Labs,quillink.example.com,Portland,OR,$4.5M\n",  # new
        encoding="utf-8",
    )

    _sign_in(page, "leader", settings.DEMO_PASSWORD)
    page.goto("/accounts/imports/")
    page.get_by_role("link", name="Import a file").click()
    page.get_by_label("Spreadsheet").set_input_files(str(csv_path))
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    page.get_by_role("link", name="Open the import report").click()

    # The report: nothing merged on a guess, each change before → after.
    outcome = page.get_by_role("status").filter(has_text="Imported:")  # beside it: whether figures caught up
    expect(outcome).to_contain_text("2 created, 1 updated")
    expect(outcome).to_contain_text("1 possible duplicate to review")
    changed = page.locator(".card", has=page.get_by_role("heading", name=re.compile("Changed accounts")))
    expect(changed).to_contain_text(updated.name)
    expect(changed).to_contain_text("→ $123.4M")
    expect(page.locator("#import-undo")).to_contain_text("Undoing deletes the 2 accounts this import created")
    _shot(page, shots, "1-import-report")

    # The review screen: the two side by side; the leader says they are one company.
    page.get_by_role("link", name="Review possible duplicates").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Possible duplicates")
    # Sorting keeps the list to this import: the link adds to the address the browser is on.
    page.get_by_role("link", name="Company", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/imports/duplicates/\?account_import=\d+&sort=name$"))
    expect(page.get_by_role("link", name="Company", exact=True)).to_have_class(re.compile(r"\bbtn-secondary\b"))
    pair = page.locator("section.card").first
    expect(pair).to_contain_text("another state: CA, not")
    expect(pair.locator("tr.table-warning", has_text="City")).to_contain_text("Mountain View")
    _shot(page, shots, "2-review-screen")
    pair.get_by_role("button", name="Same company: merge").click()
    expect(page.get_by_role("alert").or_(page.locator(".alert-success")).first).to_contain_text(
        f"Merged row 2 into “{former.name}”"
    )
    expect(page.get_by_text("Nothing to review for this import")).to_be_visible()
    assert Account.objects.get(pk=former.pk).city == "Mountain View"

    # One click undoes the import, the merge with it.
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="startups.csv").click()
    undo = page.locator("#import-undo")
    expect(undo).to_contain_text("deletes the 1 account this import created and gives the 2 accounts it changed")
    undo.get_by_role("button", name="Undo the import").click()
    expect(page.locator("#job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    page.get_by_role("link", name="Open the import").click()
    expect(page.locator("#import-undo")).to_contain_text("Undone")
    expect(page.locator("#import-undo")).to_contain_text("1 account it created deleted, 2 accounts it changed")
    _shot(page, shots, "3-undone")

    assert list(Account.objects.order_by("pk").values()) == before
