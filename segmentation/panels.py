"""Home-page panels contributed by segmentation (see salesplan.dashboard)."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from salesplan.dashboard import HomePanel
from salesplan.models import User
from segmentation.models import FOCUS_TIERS, PriorityList
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
