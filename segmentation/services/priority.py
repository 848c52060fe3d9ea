"""Market prioritization: every rep's lists, ranked within every territory, area and region.

The account strategy decides who is ranked. The strategy in force is the one chosen for the account, else
the one the data suggests (accounts.services.strategy, here as SQL); the ICP tier is the one in force (a
manager's review, else computed; segmentation.tiers). Each placed, scored account lands on one list:

* ``rank``: growth targets (Acquire, Grow, Reactivate) whose tier is in the SAM: ranked by ICP score, then
  $ potential, ties broken by the account id (stable from run to run);
* ``keep``: accounts to Retain or Retire, whatever their tier: listed apart, largest potential first;
* ``data``: growth targets whose tier is "Needs data": work for the rep, largest potential first.

Growth targets rated below the SAM are on no list. One INSERT … SELECT with window functions; runs are
kept, pages read the latest run of the plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction

from accounts.services.strategy import GROWTH_STRATEGIES, KEEP_STRATEGIES, strategy_in_force_sql
from salesplan.models import StrategyPlan, TerritoryDesign
from salesplan.services.bulk import bulk_indexes_lift, bulk_indexes_restore, table_rows_estimate
from salesplan.services.freshness import derived_run
from segmentation.models import NEEDS_DATA, IdealCustomerProfile, PriorityList, PriorityRun, TamModel
from segmentation.services.refresh import rank_target
from segmentation.services.tam import potential_sql, sam_tiers
from segmentation.tiers import effective_tier_join, effective_tier_sql


def priority_sql(*, design: TerritoryDesign, icp: IdealCustomerProfile, model: TamModel) -> tuple[str, list[Any]]:
    """SELECT (account, territory, area, region, list, score, tier in force, computed tier, strategy in force,
    whether it was chosen, potential, rank in territory, area and region) of the listed accounts; the lists
    apart are numbered in their territory only (no area or region rank)."""
    tiers = sam_tiers(model)
    reviews, review_params = effective_tier_join(plan_id=icp.plan_id, account="at.account_id")
    tier = effective_tier_sql("s.tier")
    strategies, strategy, chosen, strategy_params = strategy_in_force_sql(account="a.id", tier=tier)
    growth = ", ".join(f"'{s}'" for s in GROWTH_STRATEGIES)
    keep = ", ".join(f"'{s}'" for s in KEEP_STRATEGIES)
    listed = (
        f"CASE WHEN y.strategy IN ({keep}) THEN '{PriorityList.KEEP}' "
        f"WHEN y.strategy IN ({growth}) AND y.tier = '{NEEDS_DATA}' THEN '{PriorityList.NEEDS_DATA}' "
        f"WHEN y.strategy IN ({growth}) AND y.tier IN ({', '.join(['%s'] * len(tiers))}) THEN '{PriorityList.RANKED}' "
        "END"
    )
    # Ranked: score, then potential, in territory, area and region. Listed apart: potential first, numbered in
    # their territory only, so the (much longer) lists apart cost one sort, not three.
    ranked = "x.score DESC NULLS LAST, x.potential DESC NULLS LAST, x.account_id"
    apart = "x.potential DESC NULLS LAST, x.score DESC NULLS LAST, x.account_id"
    columns = (
        "x.account_id, x.territory_id, x.area_id, x.region_id, x.list, x.score, x.tier, x.computed_tier, "
        "x.strategy, x.strategy_chosen, x.potential"
    )
    sql = (
        f"WITH x AS (SELECT y.*, {listed} AS list FROM ("
        "SELECT at.account_id, at.territory_id, t.parent_id AS area_id, ar.parent_id AS region_id, s.score, "
        f"{tier} AS tier, s.tier AS computed_tier, {strategy} AS strategy, {chosen} AS strategy_chosen, "
        f"{potential_sql(model)} AS potential "
        "FROM accounts_accountterritory at "
        "JOIN accounts_account a ON a.id = at.account_id "
        "JOIN segmentation_accountscore s ON s.account_id = at.account_id AND s.icp_id = %s "
        f"{reviews} {strategies} "
        "JOIN salesplan_territory t ON t.id = at.territory_id "
        "LEFT JOIN salesplan_territory ar ON ar.id = t.parent_id "
        "WHERE at.design_id = %s) y) "
        f"SELECT {columns}, "
        f"row_number() OVER (PARTITION BY x.territory_id ORDER BY {ranked}), "
        f"row_number() OVER (PARTITION BY x.area_id ORDER BY {ranked}), "
        f"row_number() OVER (PARTITION BY x.region_id ORDER BY {ranked}) "
        f"FROM x WHERE x.list = '{PriorityList.RANKED}' "
        f"UNION ALL SELECT {columns}, row_number() OVER (PARTITION BY x.list, x.territory_id ORDER BY {apart}), "
        f"NULL, NULL FROM x WHERE x.list IN ('{PriorityList.KEEP}', '{PriorityList.NEEDS_DATA}')"
    )
    return sql, [*tiers, icp.pk, *review_params, *strategy_params, design.pk]


def _table_truncate_if_only(table: str, *, plan: StrategyPlan) -> bool:
    """Empty the priorities table at once (TRUNCATE, inside the caller's transaction) when it holds only
    ``plan``'s older runs, which a new run replaces: deleting a million rows one by one costs more than
    ranking them. False, with nothing done, when other plans' runs are there, the table is busy (its readers
    hold it for more than 2 s) or the database is not PostgreSQL."""
    if connection.vendor != "postgresql" or PriorityRun.objects.exclude(plan=plan).exists():
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            cursor.execute(f"TRUNCATE {table}")
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    except OperationalError:
        return False
    return True


def prioritize(
    *,
    plan: StrategyPlan,
    design: TerritoryDesign,
    icp: IdealCustomerProfile,
    model: TamModel,
    progress: Callable[[int, str], None] | None = None,
) -> PriorityRun:
    progress = progress or (lambda _p, _m: None)
    if design.applied_at is None:
        raise ValidationError("Place the accounts in territories first (apply the design's rules).")
    if not icp.scored_at:
        raise ValidationError("Score the accounts against the Ideal Customer Profile first.")
    sql, params = priority_sql(design=design, icp=icp, model=model)
    progress(10, "Ranking the accounts of every territory, area and region")
    started = time.perf_counter()
    table = "segmentation_accountpriority"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '256MB'")
        # Older runs of the plan are replaced: the lists always show the latest.
        old = list(PriorityRun.objects.filter(plan=plan).values_list("pk", flat=True))
        cleared = bool(old) and _table_truncate_if_only(table, plan=plan)
        run = PriorityRun.objects.create(plan=plan, design=design, icp=icp, tam_model=model)
        lifted = (
            bulk_indexes_lift(table, primary_key=True)
            if table_rows_estimate("accounts_account") >= max(table_rows_estimate(table), 10_000)
            else []
        )
        insert = (
            f"INSERT INTO {table} (run_id, account_id, territory_id, area_id, region_id, list, score, tier, "
            "computed_tier, strategy, strategy_chosen, potential, rank_territory, rank_area, rank_region) "
            f"SELECT %s, r.* FROM ({sql}) r"
        )
        if connection.vendor == "postgresql":  # the counts per territory and list from the insert itself
            cursor.execute(
                f"WITH written AS ({insert} RETURNING territory_id, list) "
                "SELECT territory_id, list, count(*) FROM written GROUP BY territory_id, list",
                [run.pk, *params],
            )
        else:
            cursor.execute(insert, [run.pk, *params])
            cursor.execute(
                f"SELECT territory_id, list, count(*) FROM {table} WHERE run_id = %s GROUP BY territory_id, list",
                [run.pk],
            )
        counted = cursor.fetchall()
        bulk_indexes_restore(lifted)
        for territory_id, listed, n in counted:
            run.counts.setdefault(str(territory_id), {})[listed] = n
        totals = {k: sum(c.get(k, 0) for c in run.counts.values()) for k in PriorityList.values}
        run.ranked, run.kept, run.needs_data = (totals[k] for k in PriorityList.values)
        run.seconds = time.perf_counter() - started
        run.save(update_fields=["ranked", "kept", "needs_data", "counts", "seconds"])
        if old and not cleared:
            cursor.execute(f"DELETE FROM {table} WHERE run_id = ANY(%s)" if connection.vendor == "postgresql"
                           else f"DELETE FROM {table} WHERE run_id IN ({', '.join(str(int(i)) for i in old)})",
                           [old] if connection.vendor == "postgresql" else [])  # fmt: skip
        if old:
            PriorityRun.objects.filter(pk__in=old).delete()
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")
    progress(
        100,
        f"Ranked {run.ranked:,} growth targets; {run.kept:,} to retain or retire and {run.needs_data:,} needing "
        f"data listed apart, in {run.seconds:.1f} s",
    )
    return run


def prioritize_job(*, job: Any, plan_id: int) -> dict[str, int]:
    from salesplan.services.jobs import JobError, job_progress
    from segmentation.selectors import priority_inputs

    plan = StrategyPlan.objects.filter(pk=plan_id).first()
    inputs = priority_inputs(plan) if plan else None
    if inputs is None:
        raise JobError("Prioritizing needs a published territory design, a scored ICP and a TAM model.")
    try:
        run = derived_run(
            rank_target(plan, inputs),
            progress=lambda pct, message: job_progress(job=job, processed=pct, total=100, message=message),
        )
    except ValidationError as exc:
        raise JobError(" ".join(exc.messages)) from exc
    return {"run_id": run.pk, "ranked": run.ranked, "retain_or_retire": run.kept, "needs_data": run.needs_data}
