"""Undoing an import keeps an account that carries someone's planning work (a strategy choice, a plan written
after the import), and a plan written before the import does not stop the account being restored."""

from __future__ import annotations

import pytest

from accountplans.services.plans import plan_create
from accountplans.services.strategy import strategy_set
from accounts.models import Account
from accounts.services.import_undo import account_import_undo_plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_work_recorded_on_an_account_keeps_it(imported, undo, world, org):
    account_import = imported()
    newco = Account.objects.get(name="Newco Two")
    strategy_set(account=newco, strategy="acquire", user=org["rep_a1"], reason="a good logo")
    granite = Account.objects.get(pk=world["granite"].pk)
    plan_create(account=granite, user=org["rep_a1"])  # a plan written on the imported figures

    plan = account_import_undo_plan(account_import=account_import)

    reasons = {k["name"]: k["reason"] for k in plan.kept_accounts}
    assert reasons == {"Newco Two": "has a strategy choice", "Granite Co": "an account plan recorded after the import"}
    job = undo(account_import)
    assert job.result == {"accounts_deleted": 2, "accounts_restored": 0, "accounts_kept": 2}
    assert Account.objects.filter(pk=newco.pk).exists()
    assert Account.objects.get(pk=granite.pk).annual_revenue == 7_500_000


def test_work_recorded_before_the_import_does_not_block_restoring(world, imported, undo, org):
    plan_create(account=world["granite"], user=org["rep_a1"])
    account_import = imported()

    job = undo(account_import)

    assert job.result["accounts_restored"] == 1
    assert Account.objects.get(pk=world["granite"].pk).annual_revenue == 5_000_000
