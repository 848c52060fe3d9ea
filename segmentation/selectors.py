"""Reads of segmentation, always scoped to the user asking."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.selectors import accounts_visible_to
from salesplan.models import StrategyPlan, User
from salesplan.selectors import plan_current, plans_visible_to
from segmentation.models import FOCUS_TIERS, AccountScore, IdealCustomerProfile, TierReview

MATRIX_SORT_COLUMNS: dict[str, str | tuple[str, ...]] = {
    "score": ("score", "coverage"), "name": "account__name", "coverage": "coverage", "tier": ("tier", "-score"),
    "opportunity": "account__wallet", "owner": "account__owner__last_name",
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
    """The scores of ``icp`` for the accounts the user may see, with the latest manager review of each."""
    latest = TierReview.objects.filter(account=OuterRef("account_id"), plan=icp.plan_id).order_by("-created_at", "-pk")
    return (
        AccountScore.objects.filter(icp=icp, account__in=accounts_visible_to(user))
        .select_related("account", "account__owner", "account__vertical")
        .annotate(
            review_action=Subquery(latest.values("action")[:1]),
            review_tier=Subquery(latest.values("tier")[:1]),
            review_reason=Subquery(latest.values("reason")[:1]),
        )
    )


def tier_counts(scores: QuerySet[AccountScore]) -> dict[str, int]:
    counts = dict(scores.order_by().values_list("tier").annotate(n=Count("account_id")))
    return {tier: counts.get(tier, 0) for tier in ("A", "B", "C", "D", "")}


def focus_and_gap(user: User, icp: IdealCustomerProfile) -> dict[str, Any]:
    """High and moderate scores are the focus list; their $ opportunity against the plan's growth target."""
    scores = AccountScore.objects.filter(icp=icp, account__in=accounts_visible_to(user), tier__in=FOCUS_TIERS)
    opportunity = scores.aggregate(
        accounts=Count("account_id"),
        opportunity=Sum(Coalesce("account__wallet", 0) - Coalesce("account__current_sales", 0)),
        unknown=Count("account_id", filter=Q(account__wallet__isnull=True)),
    )
    plan = icp.plan
    growth = None
    if plan.revenue_target is not None and plan.prior_year_revenue is not None:
        growth = int(plan.revenue_target - plan.prior_year_revenue)
    amount = int(opportunity["opportunity"] or 0)
    return {
        "accounts": opportunity["accounts"],
        "opportunity": amount,
        "unknown_wallet": opportunity["unknown"],
        "growth_target": growth,
        "gap": growth - amount if growth is not None and growth > amount else 0,
        "covered_pct": min(100, amount * 100 / growth) if growth else None,
        "whole_company": user.is_leader,
    }


def tier_history(account_id: int) -> QuerySet[TierReview]:
    return TierReview.objects.filter(account_id=account_id).select_related("reviewer", "plan")
