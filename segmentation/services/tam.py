"""TAM / SAM / SOM: an account's $ potential from the plan's TAM model, summed set-based into a kept run.

TAM is every account's potential; SAM the potential of the accounts whose ICP tier in force (a manager's
review, else computed) is at or above the model's tier — never a "Needs data" account;
SOM the SAM times the share we can win. Accounts whose potential is unknown (no revenue or employees)
are counted apart, never as zero.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from salesplan.models import StrategyPlan, User
from salesplan.services.freshness import input_versions
from salesplan.templatetags.salesplan_tags import usd
from segmentation.models import IdealCustomerProfile, TamBreakdown, TamModel, TamRun
from segmentation.services.refresh import tam_depends
from segmentation.tiers import effective_tier_join, effective_tier_sql

SIZE_BANDS = [(0, "1–49"), (50, "50–249"), (250, "250–999"), (1000, "1,000–4,999"), (5000, "5,000+")]
_TIER_RANK = {"A": 1, "B": 2, "C": 3, "D": 4}


def sam_tiers(model: TamModel) -> list[str]:
    """The ICP tiers that make the SAM: the model's threshold tier and the better ones."""
    return [t for t, rank in _TIER_RANK.items() if rank <= _TIER_RANK[model.sam_min_tier]]


def potential_sql(model: TamModel) -> str:
    """SQL for one account's yearly $ potential (``a`` = accounts), NULL when its data is missing."""
    if model.method == TamModel.Method.REVENUE_SHARE:
        return f"(a.annual_revenue * {Decimal(model.revenue_share_pct) / 100})"
    if model.method == TamModel.Method.PER_EMPLOYEE:
        return f"(a.employees * {int(model.price_per_employee)})"
    bands = sorted(model.bands or [], key=lambda b: -int(b["min_employees"]))
    if not bands:
        raise ValidationError("Give at least one size band with its annual contract value.")
    cases = " ".join(f"WHEN a.employees >= {int(b['min_employees'])} THEN {int(b['acv'])}" for b in bands)
    return f"(CASE WHEN a.employees IS NULL THEN NULL {cases} ELSE 0 END)"


def size_band_sql() -> str:
    cases = " ".join(f"WHEN a.employees >= {low} THEN '{label}'" for low, label in reversed(SIZE_BANDS))
    return f"(CASE WHEN a.employees IS NULL THEN 'Unknown' {cases} END)"


def model_parameters(model: TamModel) -> dict[str, Any]:
    return {
        "name": model.name,
        "method": model.method,
        "method_label": model.get_method_display(),
        "revenue_share_pct": str(model.revenue_share_pct),
        "price_per_employee": model.price_per_employee,
        "bands": model.bands,
        "sam_min_tier": model.sam_min_tier,
        "som_share_pct": str(model.som_share_pct),
    }


Accounts = tuple[str, list[Any]]  # SQL selecting account ids, and its parameters


def _base_sql(
    model: TamModel, icp: IdealCustomerProfile | None, accounts: Accounts | None = None
) -> tuple[str, list[Any]]:
    """Per account (of ``accounts`` when given, else every one): vertical, state, size band, segment, potential
    and whether it is in the SAM (its tier in force — a manager's review, else computed — at or above the
    model's threshold; "Needs data" never is)."""
    tiers = ", ".join(repr(t) for t in sam_tiers(model))
    in_sam, join, params = "0", "", []
    if icp:
        reviews, params = effective_tier_join(plan_id=icp.plan_id, account="a.id")
        in_sam = f"CASE WHEN {effective_tier_sql('s.tier')} IN ({tiers}) THEN 1 ELSE 0 END"
        join = f"LEFT JOIN segmentation_accountscore s ON s.account_id = a.id AND s.icp_id = {int(icp.pk)} {reviews}"
    sql = (
        f"SELECT COALESCE(v.name, 'No vertical') AS vertical, CASE WHEN a.state = '' THEN 'Unknown' ELSE a.state END "
        f"AS region, {size_band_sql()} AS band, a.lifecycle AS segment, {potential_sql(model)} AS potential, "
        f"{in_sam} AS in_sam FROM accounts_account a LEFT JOIN accounts_vertical v ON v.id = a.vertical_id {join}"
    )
    if accounts is not None:
        sql += f" WHERE a.id IN ({accounts[0]})"
        params = [*params, *accounts[1]]
    return sql, params


GROUPINGS = {
    "vertical": ("vertical",),
    "region": ("region",),
    "size": ("band",),
    "segment": ("segment",),
    "vertical_region": ("vertical", "region"),
}


def tam_sql(
    model: TamModel,
    icp: IdealCustomerProfile | None,
    *,
    postgres: bool,
    accounts: Accounts | None = None,
    totals_only: bool = False,
) -> list[tuple[str, list[Any]]]:
    """The aggregate statements of a run, with their parameters: one with GROUPING SETS on PostgreSQL, one
    per grouping elsewhere (only the total with ``totals_only``), over ``accounts`` when given. Each returns
    (dimension, key, key2, accounts, unknown, sam_accounts, tam, sam)."""
    base, params = _base_sql(model, icp, accounts)
    measures = (
        "count(*), count(*) - count(b.potential), sum(b.in_sam), COALESCE(sum(b.potential), 0), "
        "COALESCE(sum(CASE WHEN b.in_sam = 1 THEN b.potential END), 0)"
    )
    if totals_only:
        return [(f"SELECT 'total', '', '', {measures} FROM ({base}) b", params)]
    if postgres:
        sets = ", ".join(f"({', '.join(cols)})" for cols in GROUPINGS.values()) + ", ()"
        dimension = (
            "CASE "
            + " ".join(
                f"WHEN GROUPING({', '.join(('vertical', 'region', 'band', 'segment'))}) = {_mask(cols)} THEN '{name}'"
                for name, cols in GROUPINGS.items()
            )
            + " ELSE 'total' END"
        )
        key = "COALESCE(b.vertical, b.region, b.band, b.segment, '')"
        key2 = "CASE WHEN GROUPING(b.vertical, b.region) = 0 THEN b.region ELSE '' END"
        sql = f"SELECT {dimension}, {key}, {key2}, {measures} FROM ({base}) b GROUP BY GROUPING SETS ({sets})"
        return [(sql, params)]
    statements = [(f"SELECT 'total', '', '', {measures} FROM ({base}) b", params)]
    for name, cols in GROUPINGS.items():
        key2 = f"b.{cols[1]}" if len(cols) > 1 else "''"
        group = ", ".join(f"b.{c}" for c in cols)
        statements.append(
            (f"SELECT '{name}', b.{cols[0]}, {key2}, {measures} FROM ({base}) b GROUP BY {group}", params)
        )
    return statements


def _mask(cols: tuple[str, ...]) -> int:
    """GROUPING(vertical, region, band, segment) of a grouping set: 1 bits for the columns left out."""
    order = ("vertical", "region", "band", "segment")
    return sum(1 << (len(order) - 1 - i) for i, c in enumerate(order) if c not in cols)


def tam_aggregate(
    model: TamModel,
    icp: IdealCustomerProfile | None,
    *,
    accounts: Accounts | None = None,
    totals_only: bool = False,
) -> list[tuple]:
    """The rows of ``tam_sql`` (the "total" row first among them), read in one pass over the accounts."""
    postgres = connection.vendor == "postgresql"
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET jit = off")  # compiling these expressions costs more than it saves
        try:
            for sql, params in tam_sql(model, icp, postgres=postgres, accounts=accounts, totals_only=totals_only):
                cursor.execute(sql, params)
                rows.extend(cursor.fetchall())
        finally:
            if postgres:
                cursor.execute("RESET jit")
    return rows


@dataclass
class TamFigures:
    """TAM / SAM / SOM of a set of accounts with their breakdowns (unsaved rows): a run's, or the part of a
    run a manager or rep may see. The totals have a kept run's names, so pages read either alike."""

    accounts: int
    accounts_unknown: int
    sam_accounts: int
    tam: Decimal
    sam: Decimal
    som: Decimal
    breakdowns: list[TamBreakdown] = field(default_factory=list)


def tam_figures(rows: list[tuple], som_share_pct: Decimal | str) -> TamFigures:
    """``tam_aggregate``'s rows as figures, rounded to whole dollars as a run keeps them."""
    som_share = Decimal(som_share_pct) / 100
    total = next((r for r in rows if r[0] == "total"), ("total", "", "", 0, 0, 0, 0, 0))
    return TamFigures(
        accounts=total[3],
        accounts_unknown=total[4],
        sam_accounts=total[5] or 0,
        tam=Decimal(round(total[6])),
        sam=Decimal(round(total[7])),
        som=Decimal(round(Decimal(total[7]) * som_share)),
        breakdowns=[
            TamBreakdown(
                dimension=r[0],
                key=(r[1] or "")[:200],
                key2=(r[2] or "")[:200],
                accounts=r[3],
                sam_accounts=r[5] or 0,
                tam=Decimal(round(r[6])),
                sam=Decimal(round(r[7])),
                som=Decimal(round(Decimal(r[7]) * som_share)),
            )
            # Largest first, as a kept run's rows are read.
            for r in sorted(rows, key=lambda r: (-(r[6] or 0), r[1] or ""))
            if r[0] != "total"
        ],
    )


def tam_run_model(run: TamRun) -> TamModel:
    """The model as the run kept it (unsaved): the part of a run someone may see is sized with the run's own
    parameters, whatever the plan's model became since."""
    kept = run.parameters or {}
    current = run.model or TamModel(plan_id=run.plan_id)
    return TamModel(
        pk=run.model_id,
        plan_id=run.plan_id,
        name=kept.get("name", current.name),
        method=kept.get("method", current.method),
        revenue_share_pct=Decimal(str(kept.get("revenue_share_pct", current.revenue_share_pct))),
        price_per_employee=int(kept.get("price_per_employee", current.price_per_employee)),
        bands=kept.get("bands", current.bands),
        sam_min_tier=kept.get("sam_min_tier", current.sam_min_tier),
        som_share_pct=Decimal(str(kept.get("som_share_pct", current.som_share_pct))),
    )


def tam_run(
    *,
    model: TamModel,
    icp: IdealCustomerProfile | None,
    user: User | None,
    progress: Callable[[int, str], None] | None = None,
) -> TamRun:
    """Compute TAM / SAM / SOM with every breakdown in one pass over the accounts and keep it as a run."""
    progress = progress or (lambda _p, _m: None)
    inputs = input_versions(tam_depends(model, icp))  # before reading: a change meanwhile dates the run
    started = time.perf_counter()
    progress(10, "Sizing the market")
    figures = tam_figures(tam_aggregate(model, icp), model.som_share_pct)
    seconds = time.perf_counter() - started
    progress(90, "Keeping the run")
    with transaction.atomic():
        run = TamRun.objects.create(
            plan=model.plan,
            model=model,
            icp=icp,
            parameters=model_parameters(model) | {"icp": str(icp) if icp else None, "inputs": inputs},
            created_by=user,
            accounts=figures.accounts,
            accounts_unknown=figures.accounts_unknown,
            sam_accounts=figures.sam_accounts,
            tam=figures.tam,
            sam=figures.sam,
            som=figures.som,
            seconds=seconds,
        )
        for row in figures.breakdowns:
            row.run = run
        TamBreakdown.objects.bulk_create(figures.breakdowns)
    progress(100, f"TAM {usd(run.tam)} · SAM {usd(run.sam)} · SOM {usd(run.som)}")
    return run


def tam_run_job(*, job: Any, model_id: int, icp_id: int | None = None, user_id: int | None = None) -> dict[str, int]:
    from salesplan.services.jobs import JobError, job_progress

    model = TamModel.objects.filter(pk=model_id).select_related("plan").first()
    if model is None:
        raise JobError("This TAM model was deleted.")
    icp = IdealCustomerProfile.objects.filter(pk=icp_id).first() if icp_id else None
    try:
        run = tam_run(
            model=model,
            icp=icp,
            user=User.objects.filter(pk=user_id).first(),
            progress=lambda pct, message: job_progress(job=job, processed=pct, total=100, message=message),
        )
    except ValidationError as exc:
        raise JobError(" ".join(exc.messages)) from exc
    return {"run_id": run.pk, "accounts_sized": run.accounts, "accounts_in_the_sam": run.sam_accounts}


def tam_model_default(plan: StrategyPlan) -> TamModel:
    """The plan's first TAM model (a share of revenue), created when none exists. Every plan gets one when it
    is created (segmentation's ``ready()``), so pages only read it: see ``selectors.tam_model_of``."""
    return tam_model_of(plan) or TamModel.objects.create(plan=plan, name=DEFAULT_TAM_MODEL_NAME)


DEFAULT_TAM_MODEL_NAME = "Share of revenue"


def tam_model_of(plan: StrategyPlan) -> TamModel | None:
    """The model a plan's potential is estimated with: its first one (read only)."""
    return plan.tam_models.order_by("pk").first()
