"""Panels contributed by segmentation: the home page's (see salesplan.dashboard), and an account's ICP panel
(the account page loads it; an account plan shows it in its profile)."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from accounts.models import Account
from salesplan.dashboard import HomePanel
from salesplan.models import User
from segmentation.forms import TierReviewForm
from segmentation.models import FOCUS_TIERS, AccountAnswer, PriorityList
from segmentation.scoring import CATEGORY_FIELDS, FACTS, RANGE_FIELDS, account_value, score_outlook
from segmentation.selectors import icp_current, icp_summary, reviews_attach, scores_visible_to
from segmentation.tiers import scores_in_effective_tiers


def _icp_focus(user: User) -> dict[str, Any]:
    icp = icp_current(user)
    if icp is None or not icp.scored_at:
        return {"icp": icp}
    # The matrix's order, which its index serves: rated first, best score, best known, then the account id.
    order = [F(f).desc(nulls_last=True) for f in ("rated", "score", "coverage")] + ["account_id"]
    focus = scores_in_effective_tiers(scores_visible_to(user, icp), icp.plan_id, FOCUS_TIERS)
    top = reviews_attach(list(focus.order_by(*order)[:8]), icp.plan_id)
    return {"icp": icp, "counts": icp_summary(user, icp)["counts"], "top": top}


def _my_territory(user: User) -> dict[str, Any]:
    from salesplan.selectors import plan_current
    from segmentation.selectors import priorities_visible_to

    plan = plan_current(user)
    if plan is None:
        return {"rows": []}
    ranked = priorities_visible_to(user, plan).filter(list=PriorityList.RANKED)
    rows = ranked.order_by("rank_territory", "territory_id")[:10]
    return {"rows": list(rows), "plan": plan}


PANELS = [
    HomePanel(
        key="segmentation_my_territory",
        template="segmentation/panels/my_territory.html",
        context=_my_territory,
        roles=frozenset({"rep"}),
        order=15,
    ),
    HomePanel(
        key="segmentation_focus",
        template="segmentation/panels/focus.html",
        context=_icp_focus,
        roles=frozenset({"leader", "manager", "rep"}),
        order=20,
    ),
]


ACCOUNT_ICP_PANEL_TEMPLATE = "segmentation/partials/account_icp.html"


def account_icp_panel_context(*, account: Account, user: User, readonly: bool) -> dict[str, Any]:
    """What the ICP panel of an account shows (its template: ``ACCOUNT_ICP_PANEL_TEMPLATE``): score, tier,
    review and the explanation row of every criterion; ``readonly`` shows the answers without asking them
    (an account plan's profile and its printout)."""
    icp = icp_current(user)
    context: dict[str, Any] = {"account": account, "icp": icp, "readonly": readonly}
    if icp is not None:
        criteria = list(icp.criteria.all())
        answers = dict(AccountAnswer.objects.filter(account=account).values_list("key", "answer"))
        score = scores_visible_to(user, icp).filter(account=account).first()
        if score:
            reviews_attach([score], icp.plan_id)
        points = list(score.points) if score else []
        points += [None] * (len(criteria) - len(points))
        context.update(
            score=score,
            outlook=score_outlook(icp, criteria, points) if score else {},
            explanation=[
                {
                    "criterion": c,
                    "value": account_value(c, account, answers),
                    "points": p,
                    "neutral": c.weight / 2,
                    "answer": answers.get(c.key, ""),
                }
                for c, p in zip(criteria, points, strict=False)
            ],
            history=account.tier_reviews.filter(plan=icp.plan).select_related("reviewer")[:10],
            can_review=not user.is_rep,
            review_form=TierReviewForm(),
            range_fields=RANGE_FIELDS,
            field_labels={**CATEGORY_FIELDS, **FACTS},
        )
    return context
