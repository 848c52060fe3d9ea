"""Home-page panels contributed by accounts (see salesplan.dashboard)."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Lifecycle, PlanStatus
from accounts.selectors import (
    account_plans_visible_to,
    accounts_by_owner_for,
    accounts_summary_for,
    accounts_visible_to,
    follow_ups_overdue_for,
    plan_review_queue,
    wallet_share_pct,
)
from salesplan.dashboard import HomePanel
from salesplan.models import User
from salesplan.selectors import team_members_visible_to


def _kpis(user: User) -> dict[str, Any]:
    summary = accounts_summary_for(user)
    return {"summary": summary, "wallet_share": wallet_share_pct(summary)}


def _reps(user: User) -> dict[str, Any]:
    stats = accounts_by_owner_for(user)
    reps = list(team_members_visible_to(user).filter(is_active=True).order_by("team__name", "last_name"))
    rows = [{"rep": rep, **stats.get(rep.pk, {}), "share": wallet_share_pct(stats.get(rep.pk, {}))} for rep in reps]
    return {"rows": rows, "unowned": stats.get(None, {}).get("total", 0)}


def _top_prospects(user: User) -> dict[str, Any]:
    accounts = (
        accounts_visible_to(user)
        .filter(lifecycle=Lifecycle.PROSPECT, annual_revenue__isnull=False)
        .order_by("-annual_revenue")[:10]
    )
    # Room to grow is the spend we do not win yet: their category wallet less our sales to them.
    customers = (
        accounts_visible_to(user)
        .filter(lifecycle=Lifecycle.CUSTOMER, wallet__isnull=False)
        .annotate(room=F("wallet") - Coalesce(F("current_sales"), 0))
        .order_by("-room")[:10]
    )
    return {"prospects": accounts, "customers": customers}


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
        template="accounts/panels/plans.html",
        context=_plans,
        roles=frozenset({"leader", "manager", "rep"}),
        order=15,
    ),
    HomePanel(
        key="accounts_kpis",
        template="accounts/panels/kpis.html",
        context=_kpis,
        roles=frozenset({"leader", "manager", "rep"}),
        order=10,
    ),
    HomePanel(
        key="accounts_reps",
        template="accounts/panels/reps.html",
        context=_reps,
        roles=frozenset({"leader", "manager"}),
        order=30,
    ),
    HomePanel(
        key="accounts_top",
        template="accounts/panels/top.html",
        context=_top_prospects,
        roles=frozenset({"rep"}),
        order=30,
    ),
]
