"""Segmentation's part of the chain that keeps derived results current (salesplan.services.freshness).

Four steps, in this order, each over the plans whose fiscal year has not ended (a past year's results
stay as they were, "as of" their day):

1. **score**   every published profile against every account;
2. **place**   the accounts of every design that was applied and is not retired;
3. **rank**    each plan's accounts within its territories, areas and regions;
4. **summary** the whole market's stored summary of each scored profile (the leader's pages read it).

Every way these results are computed — the chain, the buttons on the pages, the shell commands and the
demo — goes through the targets below and ``derived_run``, so each records what it was computed from.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accounts.selectors import ACCOUNTS_INPUT, STRATEGIES_INPUT
from salesplan.models import StrategyPlan, TerritoryDesign, User
from salesplan.services.freshness import DerivedStep, DerivedTarget
from segmentation.models import IdealCustomerProfile, TamModel

# Inputs that people change one at a time; their services bump them (see inputs_changed).
ANSWERS_INPUT = "answers"
REVIEWS_INPUT = "reviews"
PUBLISHED_DESIGN_INPUT = "design:published"  # which design governs who sees what (and what is ranked)
PUBLISHED_ICP_INPUT = "icp:published"  # which profiles are published (and so scored and ranked by)


def icp_input(icp_id: int) -> str:
    return f"icp:{icp_id}"


def design_input(design_id: int) -> str:
    return f"design:{design_id}"


def tam_model_input(model_id: int) -> str:
    return f"tam_model:{model_id}"


def score_target(icp: IdealCustomerProfile) -> DerivedTarget:
    from segmentation.services.icp import icp_score_all

    return DerivedTarget(
        key=f"score:{icp.pk}",
        label=f"Scoring every account against {icp}",
        depends=(ACCOUNTS_INPUT, icp_input(icp.pk)),
        run=lambda progress: icp_score_all(icp, progress=progress),
    )


def place_target(design: TerritoryDesign) -> DerivedTarget:
    from segmentation.services.territories import territories_apply

    return DerivedTarget(
        key=f"place:{design.pk}",
        label=f"Placing accounts in the territories of {design}",
        depends=(ACCOUNTS_INPUT, design_input(design.pk)),
        run=lambda progress: territories_apply(design, progress=progress),
    )


def rank_target(plan: StrategyPlan, inputs: dict[str, Any]) -> DerivedTarget:
    """``inputs`` as ``segmentation.selectors.priority_inputs`` gives them (design, icp, model)."""
    from segmentation.services.priority import prioritize

    design, icp, model = inputs["design"], inputs["icp"], inputs["model"]
    return DerivedTarget(
        key=f"rank:{plan.pk}",
        label=f"Ranking the accounts of {plan}",
        depends=(
            ACCOUNTS_INPUT,
            f"score:{icp.pk}",
            f"place:{design.pk}",
            PUBLISHED_DESIGN_INPUT,
            PUBLISHED_ICP_INPUT,
            tam_model_input(model.pk),
            ANSWERS_INPUT,
            REVIEWS_INPUT,
            STRATEGIES_INPUT,
        ),
        run=lambda progress: prioritize(plan=plan, **inputs, progress=progress),
    )


def summary_target(icp: IdealCustomerProfile) -> DerivedTarget:
    from segmentation.services.icp import icp_summary_refresh

    return DerivedTarget(
        key=f"summary:{icp.pk}",
        label=f"Summing up the market for {icp}",
        depends=(ACCOUNTS_INPUT, f"score:{icp.pk}", ANSWERS_INPUT, REVIEWS_INPUT),
        run=lambda _progress: icp_summary_refresh(icp),
    )


def tam_depends(model: TamModel, icp: IdealCustomerProfile | None) -> tuple[str, ...]:
    """What a TAM run reads: it is kept as a snapshot (never re-run by itself) and says when these moved."""
    scored = (f"score:{icp.pk}", ANSWERS_INPUT, REVIEWS_INPUT) if icp else ()
    return (ACCOUNTS_INPUT, tam_model_input(model.pk), *scored)


# --- The steps ------------------------------------------------------------------------------------------


def _current_plans() -> list[StrategyPlan]:
    return list(StrategyPlan.objects.filter(fiscal_year_end__gte=timezone.localdate()).order_by("pk"))


def _published_profiles(*, scored: bool = False) -> list[IdealCustomerProfile]:
    profiles = IdealCustomerProfile.objects.filter(
        status=IdealCustomerProfile.Status.PUBLISHED, plan__in=[p.pk for p in _current_plans()]
    ).select_related("plan")
    if scored:
        profiles = profiles.exclude(scored_at=None)
    return list(profiles.order_by("pk"))


def _score_targets() -> list[DerivedTarget]:
    return [score_target(icp) for icp in _published_profiles()]


def _place_targets() -> list[DerivedTarget]:
    designs = (
        TerritoryDesign.objects.filter(
            plan__in=[p.pk for p in _current_plans()], applied_at__isnull=False, rules__isnull=False
        )
        .exclude(status=TerritoryDesign.Status.RETIRED)
        .distinct()
        .order_by("pk")
    )
    return [place_target(design) for design in designs]


def _rank_targets() -> list[DerivedTarget]:
    from segmentation.selectors import priority_inputs

    targets = []
    for plan in _current_plans():
        inputs = priority_inputs(plan)
        if inputs is not None:
            targets.append(rank_target(plan, inputs))
    return targets


def _summary_targets() -> list[DerivedTarget]:
    return [summary_target(icp) for icp in _published_profiles(scored=True)]


def _profile_visible(user: User, pk: str) -> bool:
    from segmentation.selectors import icps_visible_to

    return icps_visible_to(user).filter(pk=pk).exists()


def _design_visible(user: User, pk: str) -> bool:
    from salesplan.selectors import territory_designs_visible_to

    return territory_designs_visible_to(user).filter(pk=pk).exists()


def _plan_visible(user: User, pk: str) -> bool:
    from salesplan.selectors import plans_visible_to

    return plans_visible_to(user).filter(pk=pk).exists()


STEPS = [
    DerivedStep(name="score", label="Scores", order=10, targets=_score_targets, visible_to=_profile_visible),
    DerivedStep(
        name="place", label="Territory placement", order=20, targets=_place_targets, visible_to=_design_visible
    ),
    DerivedStep(name="rank", label="Priorities", order=30, targets=_rank_targets, visible_to=_plan_visible),
    DerivedStep(name="summary", label="Figures", order=40, targets=_summary_targets, visible_to=_profile_visible),
]
