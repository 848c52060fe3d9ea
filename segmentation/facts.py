"""What segmentation knows of an account, read by account planning (accountplans: strategy and plan qualification)."""

from __future__ import annotations

from typing import Any

from accounts.models import Account
from salesplan.models import User
from segmentation.models import AccountScore
from segmentation.scoring import account_value, criterion_points
from segmentation.selectors import icp_current
from segmentation.tiers import effective_tier_of

_FACT_CRITERIA = {"market_experience": "market-experience", "growth_market": "growth-market"}


def icp_facts(account: Account, user: User) -> dict[str, Any]:
    """The account's ICP tier in force in the current profile (a manager's review, else the computed tier;
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
