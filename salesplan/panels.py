"""Home-page panels of the core: recent jobs."""

from __future__ import annotations

from typing import Any

from salesplan.dashboard import HomePanel
from salesplan.models import User
from salesplan.selectors import jobs_visible_to


def _recent_jobs(user: User) -> dict[str, Any]:
    return {"jobs": jobs_visible_to(user)[:5]}


PANELS = [
    HomePanel(
        key="recent_jobs",
        template="salesplan/panels/recent_jobs.html",
        context=_recent_jobs,
        roles=frozenset({"leader", "manager", "rep"}),
        order=90,
    ),
]
