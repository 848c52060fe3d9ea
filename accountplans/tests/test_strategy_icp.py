"""The plan question "Does it match our Ideal Customer Profile?" reads the tier in force: a manager's review,
else the computed tier; an account that needs data leaves the question to the rep."""

from __future__ import annotations

import pytest

from accountplans.services.strategy import qualification
from accounts.tests.factories import AccountFactory
from salesplan.tests.factories import PlanFactory
from segmentation.models import AccountScore
from segmentation.services.icp import icp_create, icp_publish, icp_score_all, tier_review
from segmentation.tests.test_tiers import CRITERIA

pytestmark = pytest.mark.django_db


def test_matches_the_icp_reads_the_managers_tier(org):
    plan = PlanFactory(status="published")
    icp = icp_publish(icp_create(plan=plan, user=org["leader"], name="ICP", criteria=CRITERIA))
    account = AccountFactory(owner=org["rep_a1"], annual_revenue=10**8, employees=1000)
    icp_score_all(icp)
    assert AccountScore.objects.get(account=account).tier == "A"
    answers = {q.key: q for q in qualification(account, user=org["rep_a1"], plan=plan)["questions"]}
    assert (answers["matches-icp"].answer, answers["matches-icp"].evidence) == (True, "ICP tier A")
    tier_review(account=account, plan=plan, reviewer=org["manager_a"], computed_tier="A", tier="D", reason="Churning")
    answers = {q.key: q for q in qualification(account, user=org["rep_a1"], plan=plan)["questions"]}
    assert answers["matches-icp"].answer is False
    assert answers["matches-icp"].evidence == "ICP tier D, set by the manager (computed A)"


def test_a_needs_data_account_leaves_matches_the_icp_to_the_rep(org):
    plan = PlanFactory(status="published")
    icp = icp_publish(icp_create(plan=plan, user=org["leader"], name="ICP", criteria=CRITERIA))
    account = AccountFactory(owner=org["rep_a1"], annual_revenue=10**8, employees=None)  # 60 % known… of 10
    icp.min_known_pct = 70
    icp.save()
    icp_score_all(icp)
    assert AccountScore.objects.get(account=account).tier == "N"
    answers = {q.key: q for q in qualification(account, user=org["rep_a1"], plan=plan)["questions"]}
    assert (answers["matches-icp"].answer, answers["matches-icp"].source) == (None, "")
