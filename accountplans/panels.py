"""Home-page panels contributed by account planning (see salesplan.dashboard)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accountplans.models import PlanStatus
from accountplans.selectors import account_plans_visible_to, follow_ups_overdue_for, plan_review_queue
from salesplan.dashboard import HomePanel
from salesplan.models import User


def _plans(user: User) -> dict[str, Any]:
    """Overdue follow-ups (the user's, and for a reviewer those of the plans they see), the review queue
    and the user's own plans that need something."""
    today = timezone.localdate()
    overdue = list(follow_ups_overdue_for(user, today)[:8])
    for follow_up in overdue:
        follow_up.days_late = (today - follow_up.due).days
    queue = [] if user.is_rep else list(plan_review_queue(user))
    return {
        "overdue": overdue,
        "queue": queue[:5],
        "queue_count": len(queue),
        "changes": list(account_plans_visible_to(user).filter(owner=user, status=PlanStatus.CHANGES)[:5]),
    }


PANELS = [
    HomePanel(
        key="account_plans",
        template="accountplans/panels/plans.html",
        context=_plans,
        roles=frozenset({"leader", "manager", "rep"}),
        order=15,
    ),
]
