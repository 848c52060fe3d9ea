"""The tier in force (a manager's review, else the computed tier): one definition read as SQL, as an ORM
annotation, as an ORM filter and for one account, all held to an independent reading of every review; and
the summaries and focus that read it (the plan question "matches the ICP" reads it too:
accountplans/tests/test_strategy_icp.py)."""

from __future__ import annotations

import random

import pandas as pd
import pytest
from django.db import connection

from accounts.models import Account
from accounts.tests.factories import AccountFactory
from salesplan.tests.factories import PlanFactory
from segmentation.models import AccountScore, TierReview
from segmentation.selectors import scores_summary
from segmentation.services.icp import icp_create, icp_score_all, tier_review
from segmentation.tiers import (
    effective_tier_join,
    effective_tier_of,
    effective_tier_sql,
    scores_in_effective_tiers,
    scores_with_effective_tier,
)

pytestmark = pytest.mark.django_db

CRITERIA = [
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 10**7, "weight": 6},
    {"key": "emp", "name": "Employees", "kind": "range", "field": "employees", "min_value": 100, "weight": 4},
]


@pytest.fixture
def reviewed(org):
    """400 scored accounts, a third of them reviewed once or several times, in two plans."""
    rng = random.Random(7)
    plan, other_plan = PlanFactory(), PlanFactory()
    icp = icp_create(plan=plan, user=None, name="ICP", criteria=CRITERIA)
    Account.objects.bulk_create(
        Account(
            name=f"Reviewed {i}",
            name_key=f"reviewed {i}",
            annual_revenue=rng.choice([None, 10, 10**8]),
            employees=rng.choice([None, 10, 1000]),
            wallet=rng.choice([None, rng.randint(0, 10**6)]),
        )
        for i in range(400)
    )
    icp_score_all(icp)
    computed = dict(AccountScore.objects.filter(icp=icp).values_list("account_id", "tier"))
    for account in Account.objects.order_by("pk"):
        if rng.random() < 0.33:
            for _ in range(rng.randint(1, 3)):
                tier = rng.choice(["", "A", "B", "C", "D"])
                if computed[account.pk] == "N":
                    tier = tier or "C"  # "Needs data" is set to a tier, never confirmed
                tier_review(account=account, plan=rng.choice([plan, plan, other_plan]), reviewer=org["manager_a"],
                            computed_tier=computed[account.pk], tier=tier, reason="Because")  # fmt: skip
    return {"icp": icp, "plan": plan, "computed": computed}


def _independent(plan_id: int, computed: dict[int, str]) -> dict[int, str]:
    """Every review read back in order, the last one of each account in the plan kept: pandas, not our code."""
    frame = pd.DataFrame(list(TierReview.objects.values("pk", "plan_id", "account_id", "tier", "created_at")))
    latest = frame[frame["plan_id"] == plan_id].sort_values(["created_at", "pk"]).groupby("account_id").last()
    return {a: latest["tier"].get(a, t) for a, t in computed.items()}


@pytest.mark.parametrize("few_reviews", [5_000, 5], ids=["reviews named", "reviews as subqueries"])
def test_every_reading_of_the_tier_in_force_agrees_with_the_reviews(reviewed, few_reviews, monkeypatch):
    monkeypatch.setattr("segmentation.tiers.FEW_REVIEWS", few_reviews)
    icp, plan, computed = reviewed["icp"], reviewed["plan"], reviewed["computed"]
    expected = _independent(plan.pk, computed)
    assert sum(1 for a, t in expected.items() if t != computed[a]) > 20  # reviews do move tiers here

    orm = dict(scores_with_effective_tier(AccountScore.objects.filter(icp=icp), plan.pk).values_list(
        "account_id", "effective_tier"))  # fmt: skip
    assert orm == expected
    join, params = effective_tier_join(plan_id=plan.pk, account="s.account_id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.account_id, {effective_tier_sql('s.tier')} FROM segmentation_accountscore s {join} "  # noqa: S608
            "WHERE s.icp_id = %s",
            [*params, icp.pk],
        )
        assert dict(cursor.fetchall()) == expected
    for tier in ("A", "B", "C", "D", "N"):
        chosen = scores_in_effective_tiers(AccountScore.objects.filter(icp=icp), plan.pk, [tier])
        assert set(chosen.values_list("account_id", flat=True)) == {a for a, t in expected.items() if t == tier}
    for account_id in list(expected)[:60]:
        assert (
            effective_tier_of(plan_id=plan.pk, account_id=account_id, computed=computed[account_id])[0]
            == (expected[account_id])
        )


def test_a_new_review_is_the_only_current_one(reviewed, org):
    plan = reviewed["plan"]
    counts = TierReview.objects.filter(current=True).values_list("plan_id", "account_id")
    assert len(counts) == len(set(counts))  # one current review per plan and account
    account = Account.objects.order_by("pk").first()
    tier_review(account=account, plan=plan, reviewer=org["manager_a"], computed_tier="C", tier="A", reason="Signed")
    current = TierReview.objects.get(plan=plan, account=account, current=True)
    assert (current.tier, current.action) == ("A", "override")
    assert current == TierReview.objects.filter(plan=plan, account=account).order_by("-created_at", "-pk").first()


def test_summary_counts_tiers_in_force_and_focus_dollars_against_pandas(reviewed):
    icp, plan, computed = reviewed["icp"], reviewed["plan"], reviewed["computed"]
    summary = scores_summary(AccountScore.objects.filter(icp=icp), plan.pk)
    frame = pd.DataFrame(list(Account.objects.values("id", "wallet", "current_sales", "state")))
    frame["tier"] = frame["id"].map(_independent(plan.pk, computed))
    counts = frame["tier"].value_counts().to_dict()
    assert {t: n for t, n in summary["counts"].items() if n} == counts
    focus = frame[frame["tier"].isin(["A", "B"])]
    opportunity = (focus["wallet"].fillna(0) - focus["current_sales"].fillna(0)).sum()
    assert summary["focus"] == {
        "accounts": len(focus),
        "opportunity": int(opportunity),
        "unknown": int(focus["wallet"].isna().sum()),
    }
    assert summary["reviewed"] == int((frame["tier"] != frame["id"].map(computed)).sum())


QUESTIONED = [
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 10**7, "weight": 6},
    {"key": "budget", "name": "Budget", "kind": "question", "question": "Budget confirmed?", "weight": 4},
]


def test_a_confirmation_lapses_when_the_account_scores_another_tier_an_override_stays(org):
    from segmentation.services.icp import answer_set

    plan = PlanFactory()
    icp = icp_create(plan=plan, user=None, name="ICP", criteria=QUESTIONED)
    confirmed = AccountFactory(annual_revenue=10**8)  # revenue matches (6), the budget unknown counts half (2)
    overridden = AccountFactory(annual_revenue=10**8)
    icp_score_all(icp)
    tier = AccountScore.objects.get(icp=icp, account=confirmed).tier
    assert tier == "A"  # (6 + 2) / 10 = 80 with 60 % known: A (75+)
    tier_review(account=confirmed, plan=plan, reviewer=org["manager_a"], computed_tier="A")
    tier_review(account=overridden, plan=plan, reviewer=org["manager_a"], computed_tier="A", tier="C", reason="No")

    # A "no" to the budget: (6 + 0) / 10 = 60, tier B. The manager confirmed A, not B: the score now stands.
    answer_set(account=confirmed, key="budget", answer="no", user=org["rep_a1"])
    answer_set(account=overridden, key="budget", answer="no", user=org["rep_a1"])
    assert effective_tier_of(plan_id=plan.pk, account_id=confirmed.pk, computed="B")[0] == "B"
    assert effective_tier_of(plan_id=plan.pk, account_id=overridden.pk, computed="B")[0] == "C"
    assert TierReview.objects.get(account=confirmed).current is False  # kept in the history


def test_needs_data_cannot_be_confirmed_only_set_to_a_tier(org):
    from django.core.exceptions import ValidationError

    plan = PlanFactory()
    icp = icp_create(plan=plan, user=None, name="ICP", criteria=QUESTIONED)
    account = AccountFactory(annual_revenue=None)
    icp_score_all(icp)
    assert AccountScore.objects.get(icp=icp, account=account).tier == "N"
    with pytest.raises(ValidationError, match="not a tier to confirm"):
        tier_review(account=account, plan=plan, reviewer=org["manager_a"], computed_tier="N")
    review = tier_review(
        account=account, plan=plan, reviewer=org["manager_a"], computed_tier="N", tier="C", reason="Tiny"
    )
    assert (review.action, review.tier) == ("override", "C")


def test_an_answer_given_while_every_account_is_scored_is_not_overwritten(org, monkeypatch):
    from segmentation.models import AccountAnswer
    from segmentation.services import icp as icp_services

    plan = PlanFactory()
    icp = icp_create(plan=plan, user=None, name="ICP", criteria=QUESTIONED)
    account = AccountFactory(annual_revenue=10**8)
    icp_score_all(icp)
    real = icp_services.bulk_replace_scope

    def answered_meanwhile(**kwargs):
        # The scores were computed before the rep's answer landed; then the rep answered "yes" (and
        # answer_set scored the account), and the big write put the stale score back over it.
        count = real(**kwargs)
        AccountAnswer.objects.create(account=account, key="budget", answer="yes", answered_by=org["rep_a1"])
        return count

    monkeypatch.setattr(icp_services, "bulk_replace_scope", answered_meanwhile)
    icp_score_all(icp)
    score = AccountScore.objects.get(icp=icp, account=account)
    assert (score.score, score.tier) == (100, "A")  # (6 + 4) / 10: the answer counts
