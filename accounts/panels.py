"""Home-page panels contributed by accounts (see salesplan.dashboard)."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce

from accounts.models import Lifecycle
from accounts.selectors import (
    accounts_by_owner_for,
    accounts_summary_for,
    accounts_visible_to,
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


PANELS = [
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
