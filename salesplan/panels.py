"""Home-page panels of the core: recent jobs."""

from __future__ import annotations

from typing import Any

from salesplan.dashboard import HomePanel
from salesplan.models import User
from salesplan.selectors import jobs_visible_to
from salesplan.services.demo import demo_is_loaded


def _recent_jobs(user: User) -> dict[str, Any]:
    jobs = list(jobs_visible_to(user)[:5])
    # Loading the demo is offered to a leader only while it is not there (seeded from the shell or a job).
    return {"jobs": jobs, "offer_demo": user.is_leader and not jobs and not demo_is_loaded()}


PANELS = [
    HomePanel(
        key="recent_jobs",
        template="salesplan/panels/recent_jobs.html",
        context=_recent_jobs,
        roles=frozenset({"leader", "manager", "rep"}),
        order=90,
    ),
]
