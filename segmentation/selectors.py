"""Reads of segmentation, always scoped to the user asking."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Cast, Coalesce, Floor

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
    """The scores of ``icp`` for the accounts the user may see."""
    scores = AccountScore.objects.filter(icp=icp)
    if not user.is_leader:  # a leader sees every account: no need to join them all to find out
        scores = scores.filter(account__in=accounts_visible_to(user))
    return scores.select_related("account", "account__owner", "account__vertical")


def scores_with_reviews(scores: QuerySet[AccountScore], plan_id: int) -> QuerySet[AccountScore]:
    """Each score with the latest manager review of its account (for filters and full exports)."""
    latest = TierReview.objects.filter(account=OuterRef("account_id"), plan=plan_id).order_by("-created_at", "-pk")
    return scores.annotate(
        review_action=Subquery(latest.values("action")[:1]),
        review_tier=Subquery(latest.values("tier")[:1]),
        review_reason=Subquery(latest.values("reason")[:1]),
    )


def reviews_attach(scores: list[AccountScore], plan_id: int) -> list[AccountScore]:
    """The latest review of each score's account set on the objects, in one query for a page of scores."""
    latest: dict[int, TierReview] = {}
    for review in TierReview.objects.filter(plan=plan_id, account_id__in=[s.account_id for s in scores]).order_by(
        "-created_at", "-pk"
    ):
        latest.setdefault(review.account_id, review)
    for score in scores:
        review = latest.get(score.account_id)
        score.review_action = review.action if review else None
        score.review_tier = review.tier if review else None
        score.review_reason = review.reason if review else None
    return scores


def scores_summary(scores: QuerySet[AccountScore]) -> dict[str, Any]:
    """What the charts, tier cards and focus panel show of a set of scores: aggregates only, as JSON."""
    plain = scores.order_by()
    counts = dict(plain.values_list("tier").annotate(n=Count("account_id")))
    bands = (
        plain.filter(score__isnull=False)
        .annotate(band=Cast(Floor(F("score") / 10), IntegerField()))
        .values_list("band")
        .annotate(n=Count("account_id"))
    )
    focus = plain.filter(tier__in=FOCUS_TIERS).aggregate(
        accounts=Count("account_id"),
        opportunity=Sum(Coalesce("account__wallet", 0) - Coalesce("account__current_sales", 0)),
        unknown=Count("account_id", filter=Q(account__wallet__isnull=True)),
    )
    by = {
        key: [list(row) for row in plain.exclude(tier="").values_list(field, "tier").annotate(n=Count("account_id"))]
        for key, field in (("vertical", "account__vertical__name"), ("state", "account__state"))
    }
    return {
        "counts": {tier: counts.get(tier, 0) for tier in ("A", "B", "C", "D", "")},
        "bands": [list(row) for row in bands],
        "focus": {k: int(v or 0) for k, v in focus.items()},
        **by,
    }


def icp_summary(user: User, icp: IdealCustomerProfile) -> dict[str, Any] | None:
    """The summary of the scores a user may see: the whole market's, stored by the scoring job, for a
    leader; computed (and cached until the next scoring or answer) for a manager's or rep's accounts."""
    if not icp.scored_at:
        return None
    if user.is_leader and icp.summary:
        return icp.summary
    key = f"icp-summary:{icp.pk}:{icp.scored_at.timestamp()}:{icp_version(icp)}:{user.pk}"
    summary = cache.get(key)
    if summary is None:
        summary = scores_summary(scores_visible_to(user, icp))
        cache.set(key, summary, 60 * 60)
    return summary


def icp_version(icp: IdealCustomerProfile) -> int:
    """Bumped (icp_scores_changed) whenever one account's score moves between two full scorings."""
    return cache.get(f"icp-version:{icp.pk}", 0)


def icp_scores_changed(icp_id: int) -> None:
    try:
        cache.incr(f"icp-version:{icp_id}")
    except ValueError:
        cache.set(f"icp-version:{icp_id}", 1, None)


def focus_and_gap(user: User, icp: IdealCustomerProfile, summary: dict[str, Any]) -> dict[str, Any]:
    """High and moderate scores are the focus list; their $ opportunity against the plan's growth target."""
    focus = summary["focus"]
    plan = icp.plan
    growth = None
    if plan.revenue_target is not None and plan.prior_year_revenue is not None:
        growth = int(plan.revenue_target - plan.prior_year_revenue)
    amount = focus["opportunity"]
    return {
        "accounts": focus["accounts"],
        "opportunity": amount,
        "unknown_wallet": focus["unknown"],
        "growth_target": growth,
        "gap": growth - amount if growth is not None and growth > amount else 0,
        "covered_pct": min(100, amount * 100 / growth) if growth else None,
        "whole_company": user.is_leader,
    }


def tier_history(account_id: int) -> QuerySet[TierReview]:
    return TierReview.objects.filter(account_id=account_id).select_related("reviewer", "plan")
