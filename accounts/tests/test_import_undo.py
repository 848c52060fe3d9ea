"""Undoing an import: every account it created or changed goes back to how it was, in one transaction, as a
job, unless something newer touched it (then it stays, and is named). On PostgreSQL the undo also runs as a
real job on the Celery worker."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from accounts.models import Account, AccountImport, AccountTerritory, ImportChange, ImportLedger, PossibleDuplicate
from accounts.selectors import accounts_data_version
from accounts.services.import_review import possible_duplicate_resolve
from accounts.services.import_undo import account_import_undo_plan, account_import_undo_start
from accounts.services.imports import account_import_create, account_import_start
from accounts.tests.factories import AccountFactory
from conftest import wait_for
from salesplan.models import JobRun

pytestmark = pytest.mark.django_db(transaction=True)

FILE = (
    "Company,Website,Revenue,Employees,City,State,Lifecycle,Owner\n"
    "Granite Co,granite.com,$7.5M,,Dallas,TX,customer,rep_a1\n"  # changes an existing account
    "Newco One,one.example.com,$1M,10,Reno,NV,,\n"  # new
    "Newco Two,,$2M,20,Boise,ID,,\n"  # new
    "Orion,,,,Boston,MA,,\n"  # an existing namesake in Denver: a possible duplicate, created
)


@pytest.fixture
def world(org):
    """Accounts before the import, with what hangs on them."""
    granite = AccountFactory(
        name="Granite Co", domain="granite.com", annual_revenue=5_000_000, employees=40, city="Austin", state="TX"
    )
    orion = AccountFactory(name="Orion", domain="", city="Denver", state="CO", employees=9)
    AccountFactory(name="Bystander", domain="bystander.com")
    return {"granite": granite, "orion": orion}


@pytest.fixture
def imported(world, org, django_capture_on_commit_callbacks):
    def _do(data: str = FILE, name: str = "list.csv") -> AccountImport:
        account_import = account_import_create(
            file=ContentFile(data.encode(), name=name), name=name, user=org["leader"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            job = account_import_start(
                account_import=account_import, mapping=account_import.mapping, mode="all", user=org["leader"]
            )
        # In process (sync), or on the worker when the test asks for real jobs.
        wait_for(lambda: JobRun.objects.filter(pk=job.pk).exclude(status__in=JobRun.ACTIVE).first(), what="the import")
        job.refresh_from_db()
        assert job.status == "succeeded", job.error
        account_import.refresh_from_db()
        return account_import

    return _do


@pytest.fixture
def undo(org, django_capture_on_commit_callbacks):
    def _do(account_import: AccountImport) -> JobRun:
        with django_capture_on_commit_callbacks(execute=True):
            job = account_import_undo_start(account_import=account_import, user=org["leader"])
        job.refresh_from_db()
        return job

    return _do


def _accounts() -> list[dict]:
    return list(Account.objects.order_by("pk").values())


def test_undo_puts_every_account_back_exactly(imported, undo, world):
    before = _accounts()
    account_import = imported()
    assert (account_import.created, account_import.updated) == (3, 1)
    assert _accounts() != before
    version = accounts_data_version()

    job = undo(account_import)

    assert job.status == "succeeded", job.error
    assert job.kind == "accounts_import_undo"
    assert job.result == {"accounts_deleted": 3, "accounts_restored": 1, "accounts_kept": 0}
    assert _accounts() == before  # every column of every account, its last-change time included
    assert not PossibleDuplicate.objects.exists()
    assert accounts_data_version() > version  # the derived results are told to catch up
    ledger = ImportLedger.objects.get(account_import=account_import)
    assert ledger.undone_at is not None
    assert ledger.undo_result["kept"] == 0


def test_undo_deletes_the_derived_results_of_created_accounts(imported, undo, org):
    from salesplan.tests.factories import PlanFactory
    from segmentation.services.territories import (
        design_create,
        rule_create,
        territories_apply,
        territory_create,
    )

    account_import = imported()
    design = design_create(plan=PlanFactory(status="published"), user=org["leader"], name="D")
    region = territory_create(design=design, level="region", name="R")
    area = territory_create(design=design, level="area", name="A", parent=region)
    everywhere = territory_create(design=design, level="territory", name="T", parent=area)
    rule_create(design=design, territory=everywhere, countries=["US"])
    territories_apply(design)
    created = list(Account.objects.filter(source=account_import.source_label).values_list("pk", flat=True))
    assert AccountTerritory.objects.filter(account_id__in=created).count() == 3

    job = undo(account_import)

    assert job.status == "succeeded", job.error
    assert not AccountTerritory.objects.filter(account_id__in=created).exists()
    assert AccountTerritory.objects.count() == Account.objects.count() == 3  # the others keep their place


def test_an_account_edited_after_the_import_is_kept_and_named(imported, undo, world):
    account_import = imported()
    edited = Account.objects.get(name="Newco One")
    edited.employees = 11
    edited.save()
    granite_after_import = Account.objects.filter(pk=world["granite"].pk).values().get()
    world_before_granite = ImportChange.objects.get(account_id=world["granite"].pk)

    plan = account_import_undo_plan(account_import=account_import)
    assert (plan.delete, plan.restore, plan.kept) == (2, 1, 1)
    assert plan.kept_accounts == [
        {
            "id": edited.pk,
            "name": "Newco One",
            "reason": "changed after the import (by someone, or a later import)",
            "created": True,
        }
    ]

    job = undo(account_import)

    assert job.result == {"accounts_deleted": 2, "accounts_restored": 1, "accounts_kept": 1}
    assert Account.objects.get(pk=edited.pk).employees == 11
    assert not Account.objects.filter(name__in=["Newco Two"]).exists()
    granite = Account.objects.get(pk=world["granite"].pk)
    assert granite.annual_revenue == world_before_granite.before_annual_revenue == 5_000_000
    assert granite.city == "Austin" != granite_after_import["city"]


def test_a_later_import_blocks_until_it_is_undone_itself(imported, undo, world):
    before = _accounts()
    first = imported()
    second = imported("Company,Website,Employees\nGranite Co,granite.com,99\nNewco One,one.example.com,12\n", "b.csv")
    assert second.updated == 2

    reasons = {k["name"]: k["reason"] for k in account_import_undo_plan(account_import=first).kept_accounts}
    assert reasons == {
        "Granite Co": f"changed later by import #{second.pk} (b.csv)",
        "Newco One": f"changed later by import #{second.pk} (b.csv)",
    }

    assert undo(second).result == {"accounts_deleted": 0, "accounts_restored": 2, "accounts_kept": 0}
    assert undo(first).result == {"accounts_deleted": 3, "accounts_restored": 1, "accounts_kept": 0}
    assert _accounts() == before


def test_a_created_parent_stays_while_a_kept_subsidiary_names_it(world, imported, undo):
    account_import = imported(
        "Company,Website,Parent domain\nHolding Co,holding.com,\nDaughter Co,daughter.com,holding.com\n"
        "Other Co,other.com,\n",
        "p.csv",
    )
    daughter = Account.objects.get(domain="daughter.com")
    daughter.employees = 3
    daughter.save()

    kept = {k["name"]: k["reason"] for k in account_import_undo_plan(account_import=account_import).kept_accounts}
    job = undo(account_import)

    assert kept == {
        "Daughter Co": "changed after the import (by someone, or a later import)",
        "Holding Co": "other accounts that stay name it as their parent company",
    }
    assert job.result == {"accounts_deleted": 1, "accounts_restored": 0, "accounts_kept": 2}
    assert Account.objects.get(pk=daughter.pk).parent.domain == "holding.com"
    assert not Account.objects.filter(domain="other.com").exists()


def test_an_undo_that_could_undo_nothing_fails_and_says_why(world, imported, undo):
    account_import = imported("Company,Website\nSolo Co,solo.com\n", "solo.csv")
    solo = Account.objects.get(domain="solo.com")
    solo.employees = 5
    solo.save()

    job = undo(account_import)

    assert job.status == "failed"
    assert "Nothing could be undone" in job.error
    assert ImportLedger.objects.get(account_import=account_import).undone_at is None


def test_a_parent_link_to_an_existing_account_is_undone_too(world, imported, undo):
    before = _accounts()
    account_import = imported("Company,Website,Parent domain\nGranite Co,granite.com,bystander.com\n", "p.csv")
    assert Account.objects.get(pk=world["granite"].pk).parent.name == "Bystander"
    assert account_import.updated == 1

    undo(account_import)

    assert _accounts() == before


def test_a_merged_possible_duplicate_is_undone_with_the_import(world, imported, undo, org):
    before = _accounts()
    account_import = imported()
    duplicate = PossibleDuplicate.objects.get(account_import=account_import)
    possible_duplicate_resolve(duplicate=duplicate, same=True, user=org["leader"])
    assert Account.objects.get(pk=world["orion"].pk).city == "Boston"

    job = undo(account_import)

    assert job.result == {"accounts_deleted": 2, "accounts_restored": 2, "accounts_kept": 0}
    assert _accounts() == before
    assert not PossibleDuplicate.objects.exists()


def test_undoing_a_merge_into_an_account_edited_by_hand_gives_back_the_edited_account(world, imported, undo, org):
    orion = world["orion"]
    orion.employees, orion.industry, orion.owner, orion.lifecycle = 12, "Robotics", org["rep_a1"], "customer"
    orion.save()  # edited by hand before the import
    before_import = Account.objects.filter(pk=orion.pk).values().get()
    account_import = imported()  # "Orion" in Boston: a possible duplicate of the Denver account
    duplicate = PossibleDuplicate.objects.get(account_import=account_import, existing=orion)

    possible_duplicate_resolve(duplicate=duplicate, same=True, user=org["leader"])
    assert Account.objects.get(pk=orion.pk).city == "Boston"
    job = undo(account_import)

    assert job.result["accounts_restored"] == 2
    assert Account.objects.filter(pk=orion.pk).values().get() == before_import


def test_an_edit_between_the_import_and_a_merge_survives_the_undo(world, imported, undo, org):
    granite = world["granite"]
    before_import = Account.objects.filter(pk=granite.pk).values().get()
    # Row 2 updates Granite Co (its domain); row 3, without a domain and in another state, may be it too.
    account_import = imported(
        "Company,Website,Employees,City,State\nGranite Co,granite.com,55,Dallas,TX\nGranite Co,,,Tulsa,OK\n",
        "g.csv",
    )
    granite.refresh_from_db()
    assert (granite.employees, granite.city) == (55, "Dallas")
    granite.annual_revenue, granite.city = 9_000_000, "Houston"
    granite.save()  # a person corrects the account after the import
    duplicate = PossibleDuplicate.objects.get(account_import=account_import)

    possible_duplicate_resolve(duplicate=duplicate, same=True, user=org["leader"])
    assert (Account.objects.get(pk=granite.pk).city, Account.objects.get(pk=granite.pk).state) == ("Tulsa", "OK")
    job = undo(account_import)

    assert job.result == {"accounts_deleted": 0, "accounts_restored": 1, "accounts_kept": 0}
    # What the import and the merge wrote goes; the person's edits stay.
    expected = {**before_import, "annual_revenue": 9_000_000, "city": "Houston"}
    assert Account.objects.filter(pk=granite.pk).values().get() == expected


def test_an_undo_is_all_or_nothing(imported, undo, monkeypatch, world):
    from accounts.services import import_undo

    account_import = imported()
    after_import = _accounts()

    def fail(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(import_undo._Undo, "delete_created", fail)
    job = undo(account_import)

    assert job.status == "failed"
    assert _accounts() == after_import  # the restored account went back with the failed deletes
    assert ImportLedger.objects.get(account_import=account_import).undone_at is None


def test_an_import_is_undone_once(imported, undo):
    account_import = imported()
    undo(account_import)

    plan = account_import_undo_plan(account_import=account_import)

    assert not plan.available
    assert plan.why_not.startswith("This import was undone on")
    from salesplan.services.jobs import JobError

    with pytest.raises(JobError, match="was undone on"):
        undo(account_import)


def test_a_refused_import_offers_no_undo(org, world):
    account_import = account_import_create(
        file=ContentFile(b"Company,Revenue\nA,lots\n", name="bad.csv"), name="bad.csv", user=org["leader"]
    )
    AccountImport.objects.filter(pk=account_import.pk).update(status=AccountImport.Status.REFUSED)
    account_import.refresh_from_db()

    plan = account_import_undo_plan(account_import=account_import)

    assert not plan.available
    assert "wrote nothing" in plan.why_not


# --- The page -------------------------------------------------------------------------------------


def test_the_report_offers_the_undo_and_names_what_stays(imported, client, org):
    account_import = imported()
    kept = Account.objects.get(name="Newco One")
    kept.city = "Carson City"
    kept.save()
    client.force_login(org["leader"])

    report = client.get(account_import.get_absolute_url()).content.decode()
    panel = client.get(f"/accounts/imports/{account_import.pk}/undo/panel/").content.decode()

    assert f'hx-get="/accounts/imports/{account_import.pk}/undo/panel/"' in report
    assert "Undoing deletes the <strong>2</strong> accounts this import created" in panel
    assert "gives the <strong>1</strong> account it changed its values" in panel
    assert "Newco One" in panel
    assert "changed after the import" in panel
    assert "Undo the rest of the import" in panel


def test_one_click_undoes_and_the_page_says_so(imported, client, org, django_capture_on_commit_callbacks):
    account_import = imported()
    client.force_login(org["leader"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/accounts/imports/{account_import.pk}/undo/")

    job = JobRun.objects.get(kind="accounts_import_undo")
    assert response["Location"] == job.get_absolute_url()
    panel = client.get(f"/accounts/imports/{account_import.pk}/undo/panel/").content.decode()
    assert "Undone" in panel
    assert "3 accounts it created deleted, 1 account it changed given its previous values" in panel
    imports = client.get("/accounts/imports/").content.decode()
    assert "Undone" in imports


def test_the_report_and_the_undo_panel_read_as_many_queries_for_50_changes_as_for_5(
    world, imported, client, org, django_capture_on_commit_callbacks
):
    """The pages read counts (the report's recorded ones, one GROUP BY of what the undo keeps) and a bounded
    first few, never a query per change: so 50 changes, half of them edited since and a later import over
    some, take the queries 5 do."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org["leader"])

    def pages(n: int, tag: str) -> dict[str, int]:
        for i in range(n):
            AccountFactory(name=f"{tag} {i}", domain=f"{tag.lower()}{i}.com", employees=1)
            AccountFactory(name=f"{tag} twin {i}", domain="", city="Bedford", state="MA")
        rows = "".join(f"{tag} {i},{tag.lower()}{i}.com,,{i + 2},,,,\n" for i in range(n))
        rows += "".join(f"{tag} twin {i},,,,Boston,MA,,\n" for i in range(n))
        rows += "".join(f"{tag} new {i},{tag.lower()}-new{i}.com,,,,,,\n" for i in range(n))
        account_import = imported(FILE.split("\n")[0] + "\n" + rows, f"{tag}.csv")
        for account in Account.objects.filter(name__startswith=f"{tag} ", domain__endswith=".com")[: n // 2]:
            account.city = "Elsewhere"
            account.save()
        later = "".join(f"{tag} {i},{tag.lower()}{i}.com,,{i + 900},,,,\n" for i in range(n // 2, n))
        imported(FILE.split("\n")[0] + "\n" + later, f"{tag}-later.csv")
        urls = {
            "report": account_import.get_absolute_url(),
            "undo panel": f"/accounts/imports/{account_import.pk}/undo/panel/",
            "changes": f"/accounts/imports/{account_import.pk}/changes/",
        }
        panel = client.get(urls["undo panel"]).content.decode()  # (also what a first visit caches)
        assert "changed later by import #" in panel
        assert "possible duplicates to review" in client.get(urls["report"]).content.decode()
        counted = {}
        for page, url in urls.items():
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counted[page] = len(queries)
        return counted

    few = pages(5, "Few")
    many = pages(50, "Many")

    assert many == few


def test_an_account_changed_by_several_later_imports_names_the_latest(imported, world):
    first = imported()
    imported("Company,Website,Employees\nGranite Co,granite.com,99\n", "b.csv")
    third = imported("Company,Website,Employees\nGranite Co,granite.com,98\n", "c.csv")

    kept = account_import_undo_plan(account_import=first).kept_accounts

    assert [(k["name"], k["reason"]) for k in kept] == [("Granite Co", f"changed later by import #{third.pk} (c.csv)")]


@pytest.mark.parametrize("who", ["manager_a", "rep_a1"])
def test_only_the_leader_undoes(imported, client, org, who):
    account_import = imported()
    client.force_login(org[who])

    assert client.get(f"/accounts/imports/{account_import.pk}/undo/panel/").status_code == 404
    assert client.post(f"/accounts/imports/{account_import.pk}/undo/").status_code == 404
    assert not JobRun.objects.filter(kind="accounts_import_undo").exists()


# --- The real worker ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.celery
def test_the_undo_runs_as_a_job_on_the_worker(imported, org, real_jobs, world):
    before = _accounts()
    account_import = imported()

    job = account_import_undo_start(account_import=account_import, user=org["leader"])
    again = account_import_undo_start(account_import=account_import, user=org["leader"])  # a second click

    assert again.pk == job.pk
    wait_for(lambda: JobRun.objects.filter(pk=job.pk).exclude(status__in=JobRun.ACTIVE).first(), what="the undo")
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.result == {"accounts_deleted": 3, "accounts_restored": 1, "accounts_kept": 0}
    assert _accounts() == before


def test_an_account_deleted_after_the_import_is_named_and_the_rest_undone(imported, undo, world):
    account_import = imported()
    Account.objects.filter(pk=world["granite"].pk).delete()

    plan = account_import_undo_plan(account_import=account_import)
    job = undo(account_import)

    assert [(k["id"], k["reason"]) for k in plan.kept_accounts] == [
        (world["granite"].pk, "deleted after the import: nothing left to restore")
    ]
    assert job.result == {"accounts_deleted": 3, "accounts_restored": 0, "accounts_kept": 1}
