"""The tier in force of an account in a plan ("the effective tier"), defined once.

A manager's review decides: the plan's current review of the account (``TierReview.current``, the latest,
kept so by ``services.icp.tier_review``) gives the tier in force; an account nobody reviewed keeps the tier
it scored. Ranking, the SAM, the focus dollars and the "matches the ICP" question read this tier; the
computed tier stays on the score, shown beside it.

Reviews are few next to accounts, so every form is set-based: the SQL joins the plan's current reviews
(a small table) to the scores; the ORM joins the same rows through the account; the tier filter reads
the reviewed account ids as small sets. All three take their rows from ``reviews_in_force``, and
segmentation/tests/test_tiers.py holds them to each other and to the one-account reading.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.db.models.functions import Coalesce

from segmentation.models import NEEDS_DATA, RATED_TIERS, AccountScore, TierReview


def _in_force(plan_id: int, prefix: str = "") -> Q:
    """The condition that makes a review the one in force for ``plan_id`` (``prefix`` reaches TierReview)."""
    return Q(**{f"{prefix}plan_id": plan_id, f"{prefix}current": True})


def reviews_in_force(plan_id: int) -> QuerySet[TierReview]:
    """The plan's reviews in force: at most one per account."""
    return TierReview.objects.filter(_in_force(plan_id))


def effective_tier_join(*, plan_id: int, account: str, alias: str = "rv") -> tuple[str, list[Any]]:
    """SQL: a LEFT JOIN of the plan's reviews in force as ``alias`` on the account id column ``account``;
    the tier in force is then ``effective_tier_sql(computed, alias)``."""
    sql, params = reviews_in_force(plan_id).order_by().values("account_id", "tier").query.sql_with_params()
    return f"LEFT JOIN ({sql}) {alias} ON {alias}.account_id = {account}", list(params)


def effective_tier_sql(computed: str, alias: str = "rv") -> str:
    return f"COALESCE({alias}.tier, {computed})"


def scores_with_effective_tier(scores: QuerySet[AccountScore], plan_id: int) -> QuerySet[AccountScore]:
    """``effective_tier`` on each score: one LEFT JOIN of the reviews in force, through the account."""
    return scores.annotate(
        review_in_force=FilteredRelation(
            "account__tier_reviews", condition=_in_force(plan_id, "account__tier_reviews__")
        )
    ).annotate(effective_tier=Coalesce(F("review_in_force__tier"), F("tier")))


FEW_REVIEWS = 5_000  # up to this many reviews in force, a tier filter names the reviewed accounts outright


def scores_in_effective_tiers(
    scores: QuerySet[AccountScore], plan_id: int, tiers: Iterable[str]
) -> QuerySet[AccountScore]:
    """The scores whose tier in force is one of ``tiers``: computed in ``tiers`` and not reviewed, or reviewed
    into ``tiers``. The plan's few reviews are read first, so the filter names their accounts and the scores'
    rank index (rated, score, …) still serves the order; with more than ``FEW_REVIEWS`` it reads them as
    subqueries instead."""
    tiers = list(tiers)
    computed = Q(tier__in=tiers)
    # ``rated`` follows from the computed tier (A–D rated, "Needs data" not): saying so lets the index start
    # at the right end instead of stepping over every rated account to find the ones that need data.
    if set(tiers) <= set(RATED_TIERS):
        computed &= Q(rated=True)
    elif set(tiers) == {NEEDS_DATA}:
        computed &= Q(rated=False)
    reviews = list(reviews_in_force(plan_id).values_list("account_id", "tier")[: FEW_REVIEWS + 1])
    if len(reviews) > FEW_REVIEWS:
        reviewed = reviews_in_force(plan_id).values("account_id")
        chosen = reviews_in_force(plan_id).filter(tier__in=tiers).values("account_id")
        return scores.filter((computed & ~Q(account_id__in=reviewed)) | Q(account_id__in=chosen))
    kept = computed & ~Q(account_id__in=[a for a, _t in reviews]) if reviews else computed
    chosen_ids = [a for a, t in reviews if t in tiers]
    return scores.filter(kept | Q(account_id__in=chosen_ids) if chosen_ids else kept)


def effective_tier_of(*, plan_id: int, account_id: int, computed: str) -> tuple[str, TierReview | None]:
    """One account's tier in force and the review that set it (None: the computed tier stands)."""
    review = reviews_in_force(plan_id).filter(account_id=account_id).select_related("reviewer").first()
    return (review.tier if review else computed), review
