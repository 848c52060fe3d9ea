"""Territory design: the hierarchy, reps, assignment rules, applying them set-based, balance, publishing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Vertical
from salesplan.models import StrategyPlan, Territory, TerritoryDesign, TerritoryRep, User
from salesplan.selectors import territory_design_changed
from salesplan.services.bulk import bulk_replace_scope
from salesplan.services.freshness import derived_run, inputs_changed
from segmentation.models import AssignmentRule
from segmentation.services.refresh import PUBLISHED_DESIGN_INPUT, design_input, place_target

_LEVEL_PARENT = {"region": None, "area": "region", "territory": "area"}


def design_create(*, plan: StrategyPlan, user: User | None, name: str) -> TerritoryDesign:
    return TerritoryDesign.objects.create(plan=plan, name=name, created_by=user)


def territory_create(*, design: TerritoryDesign, level: str, name: str, parent: Territory | None = None) -> Territory:
    """A region (no parent), an area (in a region) or a territory (in an area)."""
    expected = _LEVEL_PARENT.get(level, "?")
    if expected == "?":
        raise ValidationError(f"Choose region, area or territory (got {level!r}).")
    if (parent.level if parent else None) != expected:
        raise ValidationError(
            f"A {level} sits in {'nothing' if expected is None else 'a ' + expected}"
            f"{'' if parent is None else f', not in the {parent.level} {parent.name}'}."
        )
    if parent and parent.design_id != design.pk:
        raise ValidationError("The parent belongs to another territory design.")
    if Territory.objects.filter(design=design, name=name).exists():
        raise ValidationError(f"This design already has a territory named {name}.")
    return Territory.objects.create(design=design, level=level, name=name, parent=parent)


def territory_rep_set(*, territory: Territory, rep: User, role: str = TerritoryRep.Role.HUNTER) -> TerritoryRep:
    if territory.level != Territory.Level.TERRITORY:
        raise ValidationError("Reps are assigned to territories (the smallest level), not to areas or regions.")
    if not rep.is_rep:
        raise ValidationError(f"{rep} is not a rep.")
    assignment, _created = TerritoryRep.objects.update_or_create(territory=territory, rep=rep, defaults={"role": role})
    return assignment


@transaction.atomic
def rule_create(
    *, design: TerritoryDesign, territory: Territory, first: bool = False, **conditions: Any
) -> AssignmentRule:
    """A rule at the end of the design's list, or before every other one (``first``: e.g. named accounts,
    which a broader rule above them would otherwise place elsewhere)."""
    if territory.design_id != design.pk or territory.level != Territory.Level.TERRITORY:
        raise ValidationError("A rule sends accounts to a territory of the same design.")
    position = conditions.pop("position", None)
    if first and position is None:
        lowest = design.rules.order_by("position").values_list("position", flat=True).first()
        if lowest is not None:
            design.rules.update(position=F("position") + 10)  # room before the first rule
            position = lowest
    if position is None:
        position = (design.rules.order_by("-position").values_list("position", flat=True).first() or 0) + 10
    rule = AssignmentRule(design=design, territory=territory, position=position, **conditions)
    rule.full_clean()
    rule.save()
    inputs_changed(design_input(design.pk))  # an applied design places its accounts again
    return rule


def rule_delete(*, design: TerritoryDesign, rule_id: int | None) -> bool:
    """Remove one rule of the design (False if it has no such rule). A design that has placed its accounts
    keeps at least one rule: without any, it could not place them again."""
    rules = design.rules.all()
    if design.applied_at is not None and rules.exclude(pk=rule_id).count() == 0 and rules.filter(pk=rule_id):
        raise ValidationError("This is the design's last rule: add the rule that replaces it before removing it.")
    deleted, _ = design.rules.filter(pk=rule_id).delete()
    if deleted:
        inputs_changed(design_input(design.pk))
    return bool(deleted)


def territory_rule_sql(rule: AssignmentRule, params: list[Any], vertical_ids: dict[str, int]) -> str:
    """The rule's conditions over accounts ``a`` as SQL (placeholders appended to ``params``)."""
    tests: list[str] = []

    def members(column: str, values: list[Any]) -> None:
        tests.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
        params.extend(values)

    if rule.accounts:
        members("a.id", [int(v) for v in rule.accounts])
    if rule.countries:
        members("a.country", [str(v).upper() for v in rule.countries])
    if rule.states:
        members("a.state", [str(v) for v in rule.states])
    if rule.cities:
        members("lower(a.city)", [str(v).lower() for v in rule.cities])
    if rule.postal_prefixes:
        tests.append("(" + " OR ".join(["a.postal_code LIKE %s"] * len(rule.postal_prefixes)) + ")")
        params.extend(f"{str(p).replace('%', '')}%" for p in rule.postal_prefixes)
    if rule.verticals:
        ids = [vertical_ids[v] for v in rule.verticals if v in vertical_ids]
        tests.append(f"a.vertical_id IN ({', '.join(str(int(i)) for i in ids) or 'NULL'})")
    for column, low, high in (
        ("a.annual_revenue", rule.revenue_min, rule.revenue_max),
        ("a.employees", rule.employees_min, rule.employees_max),
    ):
        if low is not None:
            tests.append(f"{column} >= {int(low)}")
        if high is not None:
            tests.append(f"{column} < {int(high)}")
    return " AND ".join(tests) or "1 = 1"


def territory_placement_sql(rules: list[AssignmentRule]) -> tuple[str, list[Any]]:
    """SELECT (account_id, territory_id) of every account some rule places: the first matching rule wins,
    as one ``CASE`` over the accounts."""
    vertical_ids = dict(Vertical.objects.values_list("name", "id"))
    params: list[Any] = []
    cases = " ".join(
        f"WHEN {territory_rule_sql(rule, params, vertical_ids)} THEN {int(rule.territory_id)}" for rule in rules
    )
    sql = (
        f"SELECT p.id AS account_id, p.territory AS territory_id FROM (SELECT a.id, CASE {cases} END AS territory "
        "FROM accounts_account a) p WHERE p.territory IS NOT NULL"
    )
    return sql, params


def territories_apply(design: TerritoryDesign, *, progress: Callable[[int, str], None] | None = None) -> dict[str, int]:
    """Place every account in the territory of the first rule it matches (or nowhere), in one statement.

    One transaction: readers of this design see the previous placement until it commits.
    """
    progress = progress or (lambda _p, _m: None)
    rules = list(design.rules.select_related("territory"))
    if not rules:
        raise ValidationError("Add at least one assignment rule before placing the accounts.")
    placement, params = territory_placement_sql(rules)
    started = time.perf_counter()
    progress(10, f"Placing accounts with {len(rules)} rules")
    table = "accounts_accountterritory"
    with transaction.atomic(), connection.cursor() as cursor:
        assigned = bulk_replace_scope(
            table=table,
            scope=("design_id", design.pk),
            key="account_id",
            columns=["territory_id"],
            select_sql=placement,
            params=params,
        )
        cursor.execute("SELECT count(*) FROM accounts_account")
        total = cursor.fetchone()[0]
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")
        TerritoryDesign.objects.filter(pk=design.pk).update(
            applied_at=timezone.now(), assigned_count=assigned, unassigned_count=total - assigned
        )
    design.refresh_from_db()
    territory_design_changed()
    progress(
        100, f"Placed {assigned:,} accounts in {time.perf_counter() - started:.1f} s; {total - assigned:,} unassigned"
    )
    return {"assigned": assigned, "unassigned": total - assigned}


def territories_apply_job(*, job: Any, design_id: int) -> dict[str, int]:
    from salesplan.services.jobs import JobError, job_progress

    design = TerritoryDesign.objects.filter(pk=design_id).first()
    if design is None:
        raise JobError("This territory design was deleted.")
    try:
        return derived_run(
            place_target(design),
            progress=lambda pct, message: job_progress(job=job, processed=pct, total=100, message=message),
        )
    except ValidationError as exc:
        raise JobError(" ".join(exc.messages)) from exc


@transaction.atomic
def design_publish(design: TerritoryDesign) -> TerritoryDesign:
    """Make this design the one that governs who sees which accounts; the previous one is retired."""
    if design.applied_at is None:
        raise ValidationError("Place the accounts with the rules before publishing this design.")
    TerritoryDesign.objects.filter(status=TerritoryDesign.Status.PUBLISHED).exclude(pk=design.pk).update(
        status=TerritoryDesign.Status.RETIRED
    )
    design.status = TerritoryDesign.Status.PUBLISHED
    design.published_at = timezone.now()
    design.save(update_fields=["status", "published_at"])
    transaction.on_commit(territory_design_changed)
    inputs_changed(PUBLISHED_DESIGN_INPUT)  # the plan's ranking follows the design that governs
    return design


def balance(rows: list[dict[str, Any]], key: str = "potential") -> dict[str, Any]:
    """How even the territories are: spread between the largest and smallest, coefficient of variation."""
    values = [float(r[key] or 0) for r in rows]
    if not values:
        return {"spread": None, "cv": None, "largest": None, "smallest": None}
    mean = statistics.fmean(values)
    return {
        "largest": max(values),
        "smallest": min(values),
        "spread": (max(values) / min(values)) if min(values) > 0 else None,
        "cv": (statistics.pstdev(values) / mean) if mean > 0 and len(values) > 1 else 0.0,
    }
