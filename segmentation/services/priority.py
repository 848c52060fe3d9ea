"""Market prioritization: rank the ICP-matching accounts within every territory, area and region.

One INSERT … SELECT with window functions: by ICP score, then $ potential, ties broken by the account id
(stable from run to run). Runs are kept; pages read the latest run of the plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from salesplan.models import StrategyPlan, TerritoryDesign
from salesplan.services.bulk import bulk_indexes_lift, bulk_indexes_restore, table_rows_estimate
from salesplan.services.freshness import derived_run
from segmentation.models import IdealCustomerProfile, PriorityRun, TamModel
from segmentation.services.refresh import rank_target
from segmentation.services.tam import potential_sql, sam_tiers


def priority_sql(*, design: TerritoryDesign, icp: IdealCustomerProfile, model: TamModel) -> tuple[str, list[Any]]:
    """SELECT (account, territory, area, region, score, tier, potential, three ranks) of the matching accounts."""
    tiers = sam_tiers(model)
    order = "x.score DESC NULLS LAST, x.potential DESC NULLS LAST, x.account_id"
    sql = (
        "SELECT x.account_id, x.territory_id, x.area_id, x.region_id, x.score, x.tier, x.potential, "
        f"row_number() OVER (PARTITION BY x.territory_id ORDER BY {order}), "
        f"row_number() OVER (PARTITION BY x.area_id ORDER BY {order}), "
        f"row_number() OVER (PARTITION BY x.region_id ORDER BY {order}) "
        "FROM (SELECT at.account_id, at.territory_id, t.parent_id AS area_id, ar.parent_id AS region_id, s.score, "
        f"s.tier, {potential_sql(model)} AS potential "
        "FROM accounts_accountterritory at "
        "JOIN accounts_account a ON a.id = at.account_id "
        "JOIN segmentation_accountscore s ON s.account_id = at.account_id AND s.icp_id = %s "
        "JOIN salesplan_territory t ON t.id = at.territory_id "
        "LEFT JOIN salesplan_territory ar ON ar.id = t.parent_id "
        f"WHERE at.design_id = %s AND s.tier IN ({', '.join(['%s'] * len(tiers))})) x"
    )
    return sql, [icp.pk, design.pk, *tiers]


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
        run = PriorityRun.objects.create(plan=plan, design=design, icp=icp, tam_model=model)
        lifted = (
            bulk_indexes_lift(table, primary_key=True)
            if table_rows_estimate("accounts_account") >= max(table_rows_estimate(table), 10_000)
            else []
        )
        cursor.execute(
            f"INSERT INTO {table} (run_id, account_id, territory_id, area_id, region_id, score, tier, potential, "
            f"rank_territory, rank_area, rank_region) SELECT %s, r.* FROM ({sql}) r",
            [run.pk, *params],
        )
        run.ranked = cursor.rowcount
        bulk_indexes_restore(lifted)
        run.seconds = time.perf_counter() - started
        run.save(update_fields=["ranked", "seconds"])
        # Older runs of the plan are replaced: the lists always show the latest.
        old = list(PriorityRun.objects.filter(plan=plan).exclude(pk=run.pk).values_list("pk", flat=True))
        if old:
            cursor.execute(f"DELETE FROM {table} WHERE run_id = ANY(%s)" if connection.vendor == "postgresql"
                           else f"DELETE FROM {table} WHERE run_id IN ({', '.join(str(int(i)) for i in old)})",
                           [old] if connection.vendor == "postgresql" else [])  # fmt: skip
            PriorityRun.objects.filter(pk__in=old).delete()
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")
    progress(100, f"Ranked {run.ranked:,} accounts in {run.seconds:.1f} s")
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
    return {"run_id": run.pk, "ranked": run.ranked}
