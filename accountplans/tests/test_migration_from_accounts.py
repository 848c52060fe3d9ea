"""A database made while account planning sat inside ``accounts`` migrates forward with its plans: the same
plan, its contacts, objectives, follow-ups and the answers to the plan questions are found through the
models of ``accountplans``, and so are the permissions that named a plan model."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accountplans.models import AccountPlan, PlanQualification

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE = ("accounts", "0012_import_matching_and_undo")


def _targets_before_the_move(executor: MigrationExecutor) -> list[tuple[str, str | None]]:
    """Every app at its latest migration, except accounts before the move and no accountplans at all."""
    targets: list[tuple[str, str | None]] = [
        node for node in executor.loader.graph.leaf_nodes() if node[0] not in {"accounts", "accountplans"}
    ]
    return [*targets, BEFORE_THE_MOVE, ("accountplans", None)]


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _write_a_plan_the_old_way(apps) -> dict[str, int]:
    user_model = apps.get_model("salesplan", "User")
    rep = user_model.objects.create(username="old-rep", role="rep", first_name="Olga", last_name="Rep")
    account = apps.get_model("accounts", "Account").objects.create(name="Old Layout Inc", state="NY", owner=rep)
    plan = apps.get_model("accounts", "AccountPlan").objects.create(
        account=account, owner=rep, updated_by=rep, status="submitted", version=3, needs="Faster onboarding"
    )
    boss = apps.get_model("accounts", "PlanContact").objects.create(plan=plan, name="Boss", role="economic")
    apps.get_model("accounts", "PlanContact").objects.create(plan=plan, name="Aide", reports_to=boss)
    apps.get_model("accounts", "PlanObjective").objects.create(
        plan=plan, title="Second site", target=250_000, due=dt.date(2027, 6, 30)
    )
    apps.get_model("accounts", "PlanFollowUp").objects.create(
        plan=plan, description="Send the case study", owner=rep, due=dt.date(2027, 1, 15)
    )
    apps.get_model("accounts", "PlanQualification").objects.create(account=account, key="solves-problems", answer=True)
    # Made by the migrate that made the database (post_migrate), as the plan model's content type then.
    content_type, _ = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="accounts", model="accountplan"
    )
    permission = apps.get_model("auth", "Permission").objects.create(
        content_type=content_type, codename="review_accountplan", name="Can review account plans"
    )
    return {"plan": plan.pk, "account": account.pk, "rep": rep.pk, "permission": permission.pk}


def test_a_database_with_plans_from_before_the_move_keeps_them():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        executor = _migrate(_targets_before_the_move(MigrationExecutor(connection)))
        old_nodes = [node for node in _targets_before_the_move(executor) if node[1] is not None]
        old_apps = executor.loader.project_state(old_nodes).apps
        assert not any(model._meta.app_label == "accountplans" for model in old_apps.get_models())
        ids = _write_a_plan_the_old_way(old_apps)

        _migrate(latest)

        plan = AccountPlan.objects.get(pk=ids["plan"])
        assert (plan.account_id, plan.owner_id, plan.status, plan.version) == (
            ids["account"],
            ids["rep"],
            "submitted",
            3,
        )
        assert plan.needs == "Faster onboarding"
        assert [(c.name, c.reports_to.name if c.reports_to else None) for c in plan.contacts.all()] == [
            ("Boss", None),
            ("Aide", "Boss"),
        ]
        assert list(plan.objectives.values_list("title", "target")) == [("Second site", 250_000)]
        assert list(plan.follow_ups.values_list("description", flat=True)) == ["Send the case study"]
        answers = PlanQualification.objects.filter(account_id=ids["account"])
        assert list(answers.values_list("key", "answer")) == [("solves-problems", True)]
        from django.contrib.auth.models import Permission

        permission = Permission.objects.select_related("content_type").get(pk=ids["permission"])
        assert permission.content_type.model_class() is AccountPlan
    finally:
        _migrate(latest)  # the next tests find the database as they expect
