"""The demo account plans aim at the spend that is left to win."""

from __future__ import annotations

import pytest

from accountplans.models import PlanObjective
from salesplan.services.demo import demo_seed


@pytest.mark.django_db
def test_demo_account_plans_aim_at_the_spend_left_to_win():
    demo_seed(companies=1_500, seed=4)
    plans = {o.plan_id: o.plan for o in PlanObjective.objects.select_related("plan__account")}
    assert len(plans) == 8
    for plan in plans.values():
        account = plan.account
        room = account.wallet - account.current_sales
        targets = list(plan.objectives.values_list("target", flat=True))
        assert all(t > 0 for t in targets), account.name
        assert sum(targets) <= room, f"{account.name}: objectives {targets} exceed the room {room}"
    # Together the plans ask for a part of the year's growth target, not more than all of it.
    total = sum(PlanObjective.objects.values_list("target", flat=True))
    assert 0 < total < 30_000_000
