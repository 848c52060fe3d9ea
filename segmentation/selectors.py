"""Reads of segmentation, always scoped to the user asking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Cast, Coalesce, Floor

from accounts.models import Account
from accounts.selectors import ACCOUNTS_INPUT, accounts_visible_to
from salesplan.models import StrategyPlan, Territory, TerritoryDesign, User
from salesplan.selectors import (
    plan_current,
    plans_visible_to,
    territories_visible_to,
    territory_design_published,
    territory_design_published_id,
    visibility_fingerprint,
)
from salesplan.services.freshness import input_versions
from segmentation.models import (
    FOCUS_TIERS,
    NEEDS_DATA,
    AccountPriority,
    AccountScore,
    IdealCustomerProfile,
    PriorityRun,
    TamBreakdown,
    TamModel,
    TamRun,
    TierReview,
)
from segmentation.scoring import account_value, criterion_points
from segmentation.services.refresh import ANSWERS_INPUT, REVIEWS_INPUT
from segmentation.services.tam import TamFigures, tam_aggregate, tam_figures, tam_run_model
from segmentation.tiers import (
    effective_tier_join,
    effective_tier_of,
    effective_tier_sql,
    reviews_in_force,
    scores_with_effective_tier,
)

# "score": rated accounts first (a "Needs data" account ranks after every rated one), then the best score,
# then the best known; the index of migration 0003 serves it.
MATRIX_SORT_COLUMNS: dict[str, str | tuple[str, ...]] = {
    "score": ("rated", "score", "coverage"), "name": "account__name", "coverage": "coverage",
    "tier": ("tier", "-score"), "opportunity": "account__wallet", "owner": "account__owner__last_name",
}  # fmt: skip


def icps_visible_to(user: User) -> QuerySet[IdealCustomerProfile]:
    """Drafts are the leader's work in progress; everyone sees published and retired versions."""
    qs = IdealCustomerProfile.objects.select_related("plan", "created_by").filter(plan__in=plans_visible_to(user))
    if user.is_leader:
        return qs
    return qs.exclude(status=IdealCustomerProfile.Status.DRAFT)


def icp_current(user: User, plan: StrategyPlan | None = None) -> IdealCustomerProfile | None:
    """The profile scores are read from now: the published one of the user's current plan."""
    plan = plan or plan_current(user)
    if plan is None:
        return None
    visible = icps_visible_to(user).filter(plan=plan)
    return (
        visible.filter(status=IdealCustomerProfile.Status.PUBLISHED).order_by("-published_at").first()
        or visible.filter(status=IdealCustomerProfile.Status.DRAFT).order_by("-version").first()
    )


def scores_visible_to(user: User, icp: IdealCustomerProfile) -> QuerySet[AccountScore]:
    """The scores of ``icp`` for the accounts the user may see."""
    scores = AccountScore.objects.filter(icp=icp)
    if not user.is_leader:  # a leader sees every account: no need to join them all to find out
        scores = scores.filter(account__in=accounts_visible_to(user))
    return scores.select_related("account", "account__owner", "account__vertical")


def scores_with_reviews(scores: QuerySet[AccountScore], plan_id: int) -> QuerySet[AccountScore]:
    """Each score with the review in force of its account (for filters and full exports)."""
    latest = reviews_in_force(plan_id).filter(account=OuterRef("account_id"))
    return scores.annotate(
        review_action=Subquery(latest.values("action")[:1]),
        review_tier=Subquery(latest.values("tier")[:1]),
        review_reason=Subquery(latest.values("reason")[:1]),
    )


def reviews_attach(scores: list[AccountScore], plan_id: int) -> list[AccountScore]:
    """The review in force of each score's account set on the objects, with the tier in force
    (``effective_tier``), in one query for a page of scores."""
    latest = {r.account_id: r for r in reviews_in_force(plan_id).filter(account_id__in=[s.account_id for s in scores])}
    for score in scores:
        review = latest.get(score.account_id)
        score.review_action = review.action if review else None
        score.review_tier = review.tier if review else None
        score.review_reason = review.reason if review else None
        score.effective_tier = review.tier if review else score.tier
    return scores


def scores_summary(scores: QuerySet[AccountScore], plan_id: int) -> dict[str, Any]:
    """What the charts, tier cards and focus panel show of a set of scores: aggregates only, as JSON. Tiers
    are the tiers in force (a manager's review, else computed); ``reviewed`` counts the accounts whose
    review moved them off their computed tier."""
    plain = scores_with_effective_tier(scores.order_by(), plan_id)
    counts = dict(plain.values_list("effective_tier").annotate(n=Count("account_id")))
    moved = plain.exclude(effective_tier=F("tier")).aggregate(n=Count("account_id"))["n"]
    bands = (
        scores.order_by()
        .filter(score__isnull=False)
        .annotate(band=Cast(Floor(F("score") / 10), IntegerField()))
        .values_list("band", "rated")
        .annotate(n=Count("account_id"))
    )
    focus = plain.filter(effective_tier__in=FOCUS_TIERS).aggregate(
        accounts=Count("account_id"),
        opportunity=Sum(Coalesce("account__wallet", 0) - Coalesce("account__current_sales", 0)),
        unknown=Count("account_id", filter=Q(account__wallet__isnull=True)),
    )
    by = {
        key: [
            list(row)
            for row in plain.exclude(effective_tier="")
            .values_list(field, "effective_tier")
            .annotate(n=Count("account_id"))
        ]
        for key, field in (("vertical", "account__vertical__name"), ("state", "account__state"))
    }
    return {
        "counts": {tier: counts.get(tier, 0) for tier in ("A", "B", "C", "D", NEEDS_DATA, "")},
        "reviewed": moved,
        "bands": [[band, int(rated), n] for band, rated, n in bands],
        "focus": {k: int(v or 0) for k, v in focus.items()},
        **by,
    }


def icp_summary(user: User, icp: IdealCustomerProfile) -> dict[str, Any] | None:
    """The summary of the scores a user may see: the whole market's, stored by the scoring job, for a
    leader; computed for a manager's or rep's accounts, and kept until the next scoring, answer or review,
    import, or change of what the user sees (a team move, a published design)."""
    if not icp.scored_at:
        return None
    if user.is_leader and icp.summary:
        return icp.summary
    seen = visibility_fingerprint(user, inputs=_scores_inputs(icp.pk))
    key = f"icp-summary:{icp.pk}:{icp.scored_at.timestamp()}:{icp_version(icp)}:{seen}"
    summary = cache.get(key)
    if summary is None:
        summary = scores_summary(scores_visible_to(user, icp), icp.plan_id)
        cache.set(key, summary, 60 * 60)
    return summary


def _scores_inputs(icp_id: int | None) -> tuple[str, ...]:
    """The inputs (salesplan.services.freshness) whose versions move whenever a score or tier in force of
    the profile may have: the accounts, its scoring, answers and reviews (the accounts alone without one)."""
    if icp_id is None:
        return (ACCOUNTS_INPUT,)
    return (ACCOUNTS_INPUT, f"score:{icp_id}", ANSWERS_INPUT, REVIEWS_INPUT)


def icp_version(icp: IdealCustomerProfile) -> int:
    """Bumped (icp_scores_changed) whenever one account's score moves between two full scorings."""
    return cache.get(f"icp-version:{icp.pk}", 0)


def icp_scores_changed(icp_id: int) -> None:
    try:
        cache.incr(f"icp-version:{icp_id}")
    except ValueError:
        cache.set(f"icp-version:{icp_id}", 1, None)


def target_share(user: User, plan: StrategyPlan) -> dict[str, Any] | None:
    """The user's share of the plan's growth target, until quotas exist: the target split by their
    territories' share of the $ potential placed in the plan's territory design (the TAM model's
    potential). None for a leader (the whole target is theirs) or when there is no placed design, no TAM
    model or no growth target to split."""
    if user.is_leader or plan.revenue_target is None or plan.prior_year_revenue is None:
        return None
    design = territory_design_published()
    if design is None or design.plan_id != plan.pk:
        design = plan.territory_designs.filter(applied_at__isnull=False).order_by("-applied_at").first()
    model = plan.tam_models.order_by("pk").first()
    if design is None or design.applied_at is None or model is None:
        return None
    stats = territory_stats(design, None, model)  # potentials only: cached until the design or model changes
    leaves = set(design.territories.filter(level="territory").values_list("pk", flat=True))
    mine = list(
        territories_visible_to(user).filter(design=design, level="territory").order_by("name").values_list("pk", "name")
    )
    whole = sum(stats.get(t, {}).get("potential", 0) for t in leaves)
    own = sum(stats.get(t, {}).get("potential", 0) for t, _name in mine)
    growth = int(plan.revenue_target - plan.prior_year_revenue)
    share = own / whole if whole else 0.0
    return {
        "territories": [name for _pk, name in mine],
        "potential": own,
        "potential_all": whole,
        "share_pct": 100 * share,
        "company_growth": growth,
        "target": round(growth * share),
        "design": design,
        "model": model,
    }


def focus_and_gap(user: User, icp: IdealCustomerProfile, summary: dict[str, Any]) -> dict[str, Any]:
    """High and moderate tiers in force are the focus list; their $ opportunity against the user's growth
    target: the plan's whole target for a leader, their territories' share of it for a manager or a rep."""
    focus = summary["focus"]
    plan = icp.plan
    growth = None
    if plan.revenue_target is not None and plan.prior_year_revenue is not None:
        growth = int(plan.revenue_target - plan.prior_year_revenue)
    # A target at or below last year's revenue asks for no growth: nothing to cover, no bar to draw.
    no_growth = growth is not None and growth <= 0
    share = None if user.is_leader or no_growth else target_share(user, plan)
    no_share = growth is not None and not no_growth and not user.is_leader and share is None
    if no_growth:
        growth = None
    elif growth is not None and not user.is_leader:
        growth = share["target"] if share else None
    amount = focus["opportunity"]
    return {
        "accounts": focus["accounts"],
        "opportunity": amount,
        "unknown_wallet": focus["unknown"],
        "needs_data": summary["counts"].get(NEEDS_DATA, 0),
        "growth_target": growth,
        "share": share,
        "no_share": no_share,
        "no_growth": no_growth,
        "gap": growth - amount if growth is not None and growth > amount else 0,
        "covered_pct": min(100, amount * 100 / growth) if growth else None,
        # Past 100 % the bar says little: how many times over the opportunity holds the target does.
        "coverage_times": amount / growth if growth and amount > growth else None,
        "whole_company": user.is_leader,
    }


def tier_history(account_id: int) -> QuerySet[TierReview]:
    return TierReview.objects.filter(account_id=account_id).select_related("reviewer", "plan")


# --- Territories, TAM and priorities ---------------------------------------------------------------------


def priority_inputs(plan: StrategyPlan) -> dict[str, Any] | None:
    """What a prioritization of ``plan`` ranks with: its governing design, its scored ICP, its TAM model."""
    from segmentation.services.tam import tam_model_of

    design = territory_design_published()
    if design is None or design.plan_id != plan.pk:
        design = plan.territory_designs.filter(applied_at__isnull=False).order_by("-applied_at").first()
    icp = (
        IdealCustomerProfile.objects.filter(plan=plan, status=IdealCustomerProfile.Status.PUBLISHED)
        .exclude(scored_at=None)
        .order_by("-published_at")
        .first()
    )
    model = tam_model_of(plan)
    if design is None or icp is None or model is None:
        return None
    return {"design": design, "icp": icp, "model": model}


def territory_stats(design: TerritoryDesign, icp: IdealCustomerProfile | None, model: TamModel) -> dict[int, dict]:
    """Per territory of a design: accounts, $ potential (TAM) and A-tier accounts, in one GROUP BY (cached
    until the design is applied again, the accounts change or the profile's scores or tiers move). The same
    for everyone: each page shows the territories its user may see."""
    from segmentation.services.tam import potential_sql

    stamp = (
        f"{design.applied_at and design.applied_at.timestamp()}:{icp and icp.scored_at and icp.scored_at.timestamp()}"
    )
    version = icp_version(icp) if icp else 0  # moves with every answer and review
    model_stamp = f"{model.pk or 0}:{model.updated_at.timestamp() if model.updated_at else 0}"
    versions = input_versions(_scores_inputs(icp.pk if icp else None))  # an import moves it at once
    key = f"territory-stats:{design.pk}:{icp.pk if icp else 0}:{model_stamp}:{stamp}"
    key += f":{version}:" + ",".join(str(versions[k]) for k in sorted(versions))
    stats = cache.get(key)
    if stats is None:
        join, params = "", []
        a_tier = "0"
        if icp:  # A-tier accounts by the tier in force (a manager's review, else computed)
            reviews, params = effective_tier_join(plan_id=icp.plan_id, account="a.id")
            join = (
                f"LEFT JOIN segmentation_accountscore s ON s.account_id = a.id AND s.icp_id = {int(icp.pk)} {reviews}"
            )
            a_tier = f"sum(CASE WHEN {effective_tier_sql('s.tier')} = 'A' THEN 1 ELSE 0 END)"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT at.territory_id, count(*), COALESCE(sum({potential_sql(model)}), 0), {a_tier} "
                f"FROM accounts_accountterritory at JOIN accounts_account a ON a.id = at.account_id {join} "
                "WHERE at.design_id = %s GROUP BY at.territory_id",
                [*params, design.pk],
            )
            stats = {
                t: {"accounts": n, "potential": int(p or 0), "a_tier": int(a or 0)} for t, n, p, a in cursor.fetchall()
            }
        cache.set(key, stats, 60 * 60)
    return stats


_NO_STATS = {"accounts": 0, "potential": 0, "a_tier": 0}


def design_figures_for(user: User, design: TerritoryDesign, stats: dict[int, dict]) -> dict[str, Any]:
    """The totals a design page shows its user (``stats`` from ``territory_stats``): accounts, $ potential and
    A-tier of the territories they may see — every territory for a leader (``whole``) — and, for a manager or
    rep, the company's beside them only when the plan shares them. ``leaves``: each territory's figures, for
    the leader's balance."""
    leaves = list(design.territories.filter(level=Territory.Level.TERRITORY).values_list("pk", flat=True))

    def total(ids: list[int]) -> dict[str, int]:
        return {k: sum(stats.get(t, _NO_STATS)[k] for t in ids) for k in _NO_STATS}

    if user.is_leader:
        each = [stats.get(t, _NO_STATS) for t in leaves]
        return {"whole": True, "own": total(leaves), "company": None, "leaves": each}
    mine = list(
        territories_visible_to(user).filter(design=design, level=Territory.Level.TERRITORY).values_list("pk", flat=True)
    )
    company = total(leaves) if design.plan.share_company_totals else None
    return {"whole": False, "own": total(mine), "company": company, "leaves": []}


def territory_tree(
    design: TerritoryDesign, stats: dict[int, dict], visible: QuerySet[Territory] | None = None
) -> list[dict]:
    """Regions → areas → territories with their figures summed upwards, for the design page."""
    territories = list(design.territories.prefetch_related("assignments__rep"))
    allowed = None if visible is None else set(visible.values_list("pk", flat=True))
    children: dict[int | None, list[Territory]] = {}
    for t in territories:
        children.setdefault(t.parent_id, []).append(t)

    def node(t: Territory) -> dict:
        kids = [node(c) for c in sorted(children.get(t.pk, []), key=lambda c: c.name)]
        kids = [k for k in kids if k["visible"]]
        own = stats.get(t.pk, {"accounts": 0, "potential": 0, "a_tier": 0})
        totals = {k: own[k] + sum(c[k] for c in kids) for k in ("accounts", "potential", "a_tier")}
        return {
            "territory": t,
            "children": kids,
            "reps": list(t.assignments.all()),
            "visible": allowed is None or t.pk in allowed or bool(kids),
            **totals,
        }

    return [n for n in (node(t) for t in sorted(children.get(None, []), key=lambda t: t.name)) if n["visible"]]


def tam_runs_visible_to(user: User) -> QuerySet[TamRun]:
    """TAM runs are the leader's market sizing; managers and reps read those of published plans (each the
    part of a run they may see: ``tam_report_for``)."""
    return TamRun.objects.filter(plan__in=plans_visible_to(user)).select_related("plan", "model", "icp", "created_by")


@dataclass(frozen=True)
class TamReport:
    """What one person reads of a TAM run. A leader reads the run as it was kept (the whole company). A
    manager or rep reads the same run — its model, its profile — over the accounts they may see, and the
    company's kept totals beside theirs only when the plan shares them (``share_company_totals``)."""

    figures: TamFigures | TamRun  # the run itself for a leader: it has the same totals
    breakdowns: list[TamBreakdown]
    whole: bool  # the figures are the whole company's
    company: TamRun | None = None  # the company's totals, shown beside a manager's or rep's own


def tam_report_for(user: User, run: TamRun, *, totals_only: bool = False) -> TamReport:
    """The part of ``run`` that ``user`` may see (only its totals with ``totals_only``: a list of runs)."""
    if user.is_leader:
        return TamReport(figures=run, breakdowns=[] if totals_only else list(run.breakdowns.all()), whole=True)
    figures = _tam_visible_figures(user, run, totals_only=totals_only)
    company = run if run.plan.share_company_totals else None
    return TamReport(figures=figures, breakdowns=figures.breakdowns, whole=False, company=company)


def _tam_visible_figures(user: User, run: TamRun, *, totals_only: bool) -> TamFigures:
    # Computed from the accounts the user sees, with the run's own parameters, and kept until those accounts,
    # their scores and tiers, or what the user may see change.
    model = tam_run_model(run)
    seen = visibility_fingerprint(user, inputs=_scores_inputs(run.icp_id))
    key = f"tam-run:{run.pk}:{'totals' if totals_only else 'all'}:{seen}"
    rows = cache.get(key)
    if rows is None:
        sql, params = accounts_visible_to(user).values("pk").query.sql_with_params()
        rows = tam_aggregate(model, run.icp, accounts=(sql, list(params)), totals_only=totals_only)
        cache.set(key, rows, 60 * 60)
    return tam_figures(rows, model.som_share_pct)


def tam_runs_listed_for(user: User, plan: StrategyPlan, limit: int = 20) -> list[TamRun]:
    """The plan's latest runs, each with ``figures``: the totals the user may see of it."""
    runs = list(tam_runs_visible_to(user).filter(plan=plan)[:limit])
    for run in runs:
        run.figures = tam_report_for(user, run, totals_only=True).figures
    return runs


def priority_run_latest(plan: StrategyPlan) -> PriorityRun | None:
    return PriorityRun.objects.filter(plan=plan).select_related("icp").order_by("-created_at", "-pk").first()


_UNSET: Any = object()


def priorities_visible_to(
    user: User, plan: StrategyPlan, *, run: PriorityRun | None = _UNSET, territory_ids: list[int] | None = _UNSET
) -> QuerySet[AccountPriority]:
    """The latest prioritization of ``plan`` (every list), limited to the territories the user may see. A page
    that already read the run or the user's territories (``priority_territory_ids``) passes them in."""
    run = priority_run_latest(plan) if run is _UNSET else run
    if run is None:
        return AccountPriority.objects.none()
    qs = (
        AccountPriority.objects.filter(run=run)
        .select_related("account", "territory", "account__vertical")
        # What the lists show: fewer columns to read and fewer fields to build per row.
        .only(
            *("run_id", "account_id", "territory_id", "area_id", "region_id", "list", "score", "tier", "potential"),
            *("computed_tier", "strategy", "strategy_chosen"),
            *("rank_territory", "rank_area", "rank_region", "territory__name", "account__vertical__name"),
            *("account__name", "account__city", "account__state", "account__lifecycle", "account__vertical_id"),
        )
    )
    if user.is_leader:
        return qs
    # The few territory ids as a list, so the planner reads the (run, list, territory, rank) index for them.
    territory_ids = priority_territory_ids(user) if territory_ids is _UNSET else territory_ids
    if not territory_ids:
        return AccountPriority.objects.none()
    qs = qs.filter(territory__in=territory_ids)
    if run.design_id != territory_design_published_id():
        # Ranked on another design than the one that governs visibility: check each account too.
        qs = qs.filter(account__in=accounts_visible_to(user))
    return qs


def priority_territory_ids(user: User) -> list[int] | None:
    """The leaf territories whose priorities the user reads (None: a leader reads them all)."""
    if user.is_leader:
        return None
    return list(territories_visible_to(user).filter(level="territory").values_list("pk", flat=True))


def priority_list_counts(
    user: User,
    run: PriorityRun | None,
    priorities: QuerySet[AccountPriority],
    *,
    leaves: list[int] | None = None,
    territory_ids: list[int] | None = _UNSET,
) -> dict[str, int]:
    """How many accounts each list holds for the user (in the leaf territories ``leaves`` when given): added up
    from the run's own counts per territory, without reading the lists; counted when the run was ranked on
    another design than the one that governs what the user sees."""
    if run is None:
        return {}
    if not user.is_leader and run.design_id != territory_design_published_id():
        return dict(priorities.order_by().values_list("list").annotate(n=Count("account_id")))
    mine = priority_territory_ids(user) if territory_ids is _UNSET else territory_ids
    chosen = {str(t) for t in (mine if mine is not None else run.counts)}
    if leaves is not None:
        chosen &= {str(t) for t in leaves}
    counts: dict[str, int] = {}
    for key in chosen:
        for listed, n in run.counts.get(key, {}).items():
            counts[listed] = counts.get(listed, 0) + n
    return counts


_TAM_INPUT_LABELS = {"accounts": "the accounts", "score": "the ICP scores", "tam_model": "the TAM model",
                     "answers": "reps' answers", "reviews": "managers' tier reviews"}  # fmt: skip


def tam_run_changed_since(run: TamRun) -> list[str]:
    """What a kept TAM run was computed from that has changed since (in words); [] when nothing has, or
    for a run older than these records."""
    then = (run.parameters or {}).get("inputs") or {}
    now = input_versions(then)
    changed = [key for key, version in then.items() if now[key] != version]
    return list(dict.fromkeys(_TAM_INPUT_LABELS.get(key.split(":", 1)[0], key) for key in changed))


_FACT_CRITERIA = {"market_experience": "market-experience", "growth_market": "growth-market"}


def account_icp_facts(*, account: Account, user: User) -> dict[str, Any]:
    """What segmentation knows of an account, for account planning (its strategy and plan questions): the
    account's ICP tier in force in the current profile (a manager's review, else the computed tier;
    "N" when it needs data), the computed tier beside it, and whether its market is one we know or target
    for growth (read from the ICP's criteria of those names, when the profile has them)."""
    icp = icp_current(user)
    if icp is None:
        return {}
    facts: dict[str, Any] = {}
    computed = AccountScore.objects.filter(icp=icp, account=account).values_list("tier", flat=True).first()
    tier, review = effective_tier_of(plan_id=icp.plan_id, account_id=account.pk, computed=computed or "")
    if tier:
        facts.update(icp_tier=tier, icp_tier_computed=computed or "", icp_tier_reviewed=review is not None)
    criteria = {c.key: c for c in icp.criteria.filter(key__in=_FACT_CRITERIA.values())}
    for fact, key in _FACT_CRITERIA.items():
        criterion = criteria.get(key)
        if criterion is not None:
            points = criterion_points(criterion, account_value(criterion, account, {}))
            if points is not None:
                facts[fact] = points > 0
    return facts
