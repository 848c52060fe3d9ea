"""Demo data of segmentation: a published ICP from the template, answers from reps, scores, reviews."""

from __future__ import annotations

import random
from typing import Any

from django.db.models import Count, F

from accounts.models import Account, Vertical
from salesplan.models import JobRun, Role, StrategyPlan, User
from salesplan.services.freshness import derived_run
from salesplan.services.jobs import job_progress
from segmentation.models import AccountAnswer, AccountScore, Criterion, IdealCustomerProfile
from segmentation.services.icp import icp_create, icp_publish, tier_review
from segmentation.services.refresh import place_target, rank_target, score_target, summary_target


def segmentation_seed_demo(*, companies: int, seed: int = 42, job: JobRun | None = None) -> dict[str, Any]:
    """Once per demo plan: the template profile (markets set to the largest verticals), published and scored."""
    plan = StrategyPlan.objects.filter(status=StrategyPlan.Status.PUBLISHED).order_by("-fiscal_year_start").first()
    if plan is None or IdealCustomerProfile.objects.filter(plan=plan).exists():
        return {"icps_created": 0}
    rng = random.Random(seed)
    leader = User.objects.filter(role=Role.LEADER).order_by("pk").first()
    by_size = Vertical.objects.annotate(n=Count("accounts")).filter(n__gt=0).order_by("-n", "name")
    verticals = list(by_size.values_list("name", flat=True))
    icp = icp_create(
        plan=plan,
        user=leader,
        name="Mid-market manufacturers",
        description="Established manufacturers and distributors in North America with a budget for what we sell, "
        "where our experience shortens the sale.",
    )
    icp.criteria.filter(key="market-experience").update(values=verticals[:4])
    icp.criteria.filter(key="growth-market").update(values=verticals[1:3])
    icp_publish(icp)
    _answers_seed_demo(icp, rng)
    job_progress(job=job, processed=95, total=100, message="Scoring the demo accounts against the ICP")
    derived_run(score_target(icp))
    # Managers have confirmed some tiers and overridden a few, with their reasons.
    reasons = {
        "up": ["Budget confirmed for next year", "Strategic logo"],
        "down": ["Parent company buys centrally; not a fit", "Chose a competitor on a three-year contract"],
    }
    for score in (
        AccountScore.objects.filter(icp=icp, rated=True, account__owner__team__manager__isnull=False)
        .select_related("account__owner__team__manager")
        .order_by("-score", "account_id")[:40]
    ):
        manager = score.account.owner.team.manager
        if rng.random() < 0.25:
            tier = rng.choice([t for t in "ABCD" if t != score.tier])
            reason = reasons["up" if tier < score.tier else "down"][rng.randrange(2)]
            tier_review(account=score.account, plan=plan, reviewer=manager, computed_tier=score.tier, tier=tier,
                        reason=reason)  # fmt: skip
        else:
            tier_review(account=score.account, plan=plan, reviewer=manager, computed_tier=score.tier)
    derived_run(summary_target(icp))  # after the reviews, which the summary reads
    return {"icps_created": 1, "accounts_scored": icp.scored_count}


def _answers_seed_demo(icp: IdealCustomerProfile, rng: random.Random) -> None:
    """Reps have qualified half of their largest accounts and some of the others: a few to all of the
    questions each, answered by how well the account fits (some lean "yes", some "no"). The rest stay
    unanswered, so the matrix shows what a team that has started qualifying sees: rated accounts in every
    tier, and the rest "Needs data" as work for the reps."""
    questions = list(icp.criteria.filter(kind=Criterion.Kind.QUESTION).values_list("key", flat=True))
    accounts = Account.objects.filter(owner__isnull=False).order_by(F("annual_revenue").desc(nulls_last=True), "pk")
    rows = []
    ids = list(accounts.values_list("pk", "owner_id"))
    for position, (pk, owner) in enumerate(ids):
        # Half of the largest 7.5 %, a fifth of the next third, a few of the rest.
        share = 0.5 if position < 0.075 * len(ids) else 0.2 if position < 0.4 * len(ids) else 0.05
        if rng.random() >= share:
            continue
        lean = rng.uniform(0.05, 0.8)  # how well this account fits what the questions ask
        for key in rng.sample(questions, rng.randint(2, len(questions))):
            answer = rng.choices(["yes", "partly", "no"], [lean, (1 - lean) / 2, (1 - lean) / 2])[0]
            rows.append(AccountAnswer(account_id=pk, key=key, answer=answer, answered_by_id=owner))
    AccountAnswer.objects.bulk_create(rows, batch_size=2_000, ignore_conflicts=True)


_DEMO_AREAS = {
    "rep1": "Northeast & Mid-Atlantic", "rep2": "Southeast", "rep3": "Great Lakes",
    "rep4": "Pacific", "rep5": "Mountain & Northwest", "rep6": "South Central",
}  # fmt: skip


def market_seed_demo(*, companies: int, seed: int = 42, job: JobRun | None = None) -> dict[str, Any]:
    """Once per demo plan: territories by state for the demo reps (published), a TAM run, a ranking."""
    from salesplan.models import TerritoryDesign
    from salesplan.services.demo import DEMO_TEAMS
    from segmentation.selectors import priority_inputs
    from segmentation.services.tam import tam_model_default, tam_run
    from segmentation.services.territories import (
        design_create,
        design_publish,
        rule_create,
        territory_create,
        territory_rep_set,
    )

    plan = StrategyPlan.objects.filter(status=StrategyPlan.Status.PUBLISHED).order_by("-fiscal_year_start").first()
    if plan is None or TerritoryDesign.objects.filter(plan=plan).exists():
        return {"territory_designs_created": 0}
    leader = User.objects.filter(role=Role.LEADER).order_by("pk").first()
    design = design_create(plan=plan, user=leader, name=f"{plan.name} territories")
    for team in DEMO_TEAMS:
        region = territory_create(design=design, level="region", name=team["name"])
        for username, _first, _last, states in team["reps"]:
            area = territory_create(design=design, level="area", name=_DEMO_AREAS[username], parent=region)
            territory = territory_create(
                design=design,
                level="territory",
                name=f"{_DEMO_AREAS[username]} · {', '.join(states[:3])}…",
                parent=area,
            )
            rep = User.objects.filter(username=username).first()
            if rep:
                territory_rep_set(territory=territory, rep=rep, role="hunter")
            rule_create(design=design, territory=territory, countries=["US"], states=states)
    job_progress(job=job, processed=97, total=100, message="Placing the demo accounts in territories")
    derived_run(place_target(design))
    design_publish(design)
    model = tam_model_default(plan)
    icp = IdealCustomerProfile.objects.filter(plan=plan, status="published").exclude(scored_at=None).first()
    tam_run(model=model, icp=icp, user=leader)
    inputs = priority_inputs(plan)
    ranked = derived_run(rank_target(plan, inputs)).ranked if inputs else 0
    return {"territory_designs_created": 1, "accounts_ranked": ranked}
