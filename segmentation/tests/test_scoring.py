"""ICP scoring: each criterion kind, weights, unknowns and tiers by hand; the set-based scorer against the
single-account scorer on thousands of random accounts; the JSON round trip."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.models import Account, Vertical
from accounts.tests.factories import AccountFactory
from salesplan.tests.factories import PlanFactory
from segmentation.models import AccountAnswer, AccountScore, IdealCustomerProfile
from segmentation.scoring import score_one
from segmentation.services.icp import (
    answer_set,
    icp_create,
    icp_from_json,
    icp_new_version,
    icp_publish,
    icp_score_all,
    icp_to_json,
    tier_review,
)

pytestmark = pytest.mark.django_db


def _icp(criteria, **fields):
    return icp_create(plan=PlanFactory(), user=None, name="Test ICP", criteria=criteria, **fields)


SMALL = [
    {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 10_000_000, "weight": 4},
    {"key": "where", "name": "Location", "kind": "category", "field": "state", "values": ["NY", "CA"], "weight": 3},
    {"key": "public", "name": "Public", "kind": "fact", "field": "public", "weight": 2},
    {"key": "budget", "name": "Budget", "kind": "question", "question": "Budget?", "weight": 1},
]


def _score(icp, account):
    return AccountScore.objects.get(icp=icp, account=account)


def test_each_kind_weights_and_unknowns_by_hand():
    icp = _icp(SMALL)
    account = AccountFactory(annual_revenue=20_000_000, state="TX", ownership="public")
    icp_score_all(icp)
    score = _score(icp, account)
    # revenue 4 (match) + location 0 (TX) + public 2 (match); budget unanswered: unknown, not a miss.
    assert score.points == [4.0, 0.0, 2.0, None]
    assert score.score == Decimal("66.7")  # 6 of the 9 known points
    assert (score.matched, score.unknown, score.total, score.coverage) == (2, 1, 4, 90)
    assert score.tier == "B"  # 66.7: under 75 (A), at least 50 (B)


def test_tiers_follow_the_thresholds():
    icp = _icp(SMALL, tier_a_min=80, tier_b_min=60, tier_c_min=30)
    a = AccountFactory(annual_revenue=20_000_000, state="NY", ownership="public")  # 9/9
    b = AccountFactory(annual_revenue=20_000_000, state="TX", ownership="public")  # 6/9 = 66.7
    c = AccountFactory(annual_revenue=20_000_000, state="TX", ownership="private")  # 4/9 = 44.4
    d = AccountFactory(annual_revenue=1_000, state="TX", ownership="private")  # 0/9
    icp_score_all(icp)
    assert [_score(icp, x).tier for x in (a, b, c, d)] == ["A", "B", "C", "D"]


def test_an_account_with_nothing_known_has_no_score_and_no_tier():
    icp = _icp([SMALL[0], SMALL[3]])
    account = AccountFactory(annual_revenue=None)
    icp_score_all(icp)
    score = _score(icp, account)
    assert (score.score, score.tier, score.coverage, score.unknown) == (None, "", 0, 2)


def test_answering_a_question_rescores_the_account_at_once(org):
    icp = _icp(SMALL)
    account = AccountFactory(annual_revenue=20_000_000, state="NY", ownership="private")
    icp_score_all(icp)
    assert _score(icp, account).score == Decimal("77.8")  # 7 of the 9 known points (private: no public point)
    answer_set(account=account, key="budget", answer="partly", user=org["rep_a1"])
    assert _score(icp, account).points[3] == 0.5
    assert _score(icp, account).score == Decimal("75.0")  # 7.5 of 10
    assert _score(icp, account).tier == "A"
    answer_set(account=account, key="budget", answer="", user=org["rep_a1"])
    assert _score(icp, account).unknown == 1
    with pytest.raises(ValidationError):
        answer_set(account=account, key="budget", answer="maybe", user=org["rep_a1"])


def test_rescoring_is_idempotent_and_names_the_version():
    icp = _icp(SMALL)
    AccountFactory.create_batch(5)
    assert icp_score_all(icp) == 5
    first = list(AccountScore.objects.filter(icp=icp).values_list("account_id", "score", "tier").order_by("account_id"))
    assert icp_score_all(icp) == 5
    again = list(AccountScore.objects.filter(icp=icp).values_list("account_id", "score", "tier").order_by("account_id"))
    assert first == again
    assert AccountScore.objects.count() == 5


def test_vertical_criteria_use_vertical_names():
    software = Vertical.objects.create(name="Software test vertical")
    other = Vertical.objects.create(name="Other test vertical")
    criterion = {"key": "v", "name": "Market", "kind": "category", "field": "vertical", "weight": 5}
    icp = _icp([{**criterion, "values": ["Software test vertical"]}])
    inside = AccountFactory(vertical=software)
    outside = AccountFactory(vertical=other)
    unknown = AccountFactory(vertical=None)
    icp_score_all(icp)
    assert [_score(icp, x).points for x in (inside, outside, unknown)] == [[5.0], [0.0], [None]]


def test_set_based_and_single_account_scorers_agree_on_random_accounts(org):
    rng = random.Random(11)
    verticals = [Vertical.objects.create(name=f"Random vertical {i}") for i in range(6)]
    icp = icp_create(plan=PlanFactory(), user=None, name="Template")  # the 14-criterion template
    for criterion in icp.criteria.filter(field="vertical"):
        criterion.values = [v.name for v in rng.sample(verticals, 3)]
        criterion.save()
    accounts = [
        Account(
            name=f"Random {i}",
            domain=f"random{i}.com" if rng.random() < 0.8 else "",
            annual_revenue=rng.choice([None, rng.randint(1, 10**10)]),
            employees=rng.choice([None, rng.randint(1, 50_000)]),
            wallet=rng.choice([None, rng.randint(0, 2_000_000)]),
            current_sales=rng.choice([None, rng.randint(0, 1_000_000)]),
            country=rng.choice(["", "US", "CA", "DE"]),
            state=rng.choice(["", "NY", "CA"]),
            ownership=rng.choice(["", "public", "private"]),
            lifecycle=rng.choice(["prospect", "customer", "former"]),
            vertical=rng.choice([None, *verticals]),
            name_key=f"random {i}",
        )
        for i in range(2_000)
    ]
    Account.objects.bulk_create(accounts)
    keys = list(icp.criteria.filter(kind="question").values_list("key", flat=True))
    AccountAnswer.objects.bulk_create(
        AccountAnswer(account=a, key=k, answer=rng.choice(["yes", "partly", "no"]))
        for a in accounts
        for k in keys
        if rng.random() < 0.3
    )
    icp_score_all(icp)
    criteria = list(icp.criteria.all())
    answers: dict[int, dict[str, str]] = {}
    for account_id, key, answer in AccountAnswer.objects.values_list("account_id", "key", "answer"):
        answers.setdefault(account_id, {})[key] = answer
    stored = {s.account_id: s for s in AccountScore.objects.filter(icp=icp)}
    for account in Account.objects.select_related("vertical"):
        expected = score_one(icp, criteria, account, answers.get(account.pk, {}))
        got = stored[account.pk]
        assert (got.score, got.matched, got.unknown, got.total, got.coverage, got.tier, got.points) == (
            expected.score,
            expected.matched,
            expected.unknown,
            expected.total,
            expected.coverage,
            expected.tier,
            expected.points,
        ), account.name


def test_json_round_trip_and_clear_errors():
    icp = _icp(SMALL, tier_a_min=70, tier_b_min=40, tier_c_min=20)
    data = json.loads(json.dumps(icp_to_json(icp)))
    copy = icp_from_json(data, plan=icp.plan, user=None)
    assert icp_to_json(copy) == data
    assert copy.status == "draft"
    bad = {**data, "criteria": [{**data["criteria"][0], "weight": 0}]}
    with pytest.raises(ValidationError, match=r"criterion 1 .*weight"):
        icp_from_json(bad, plan=icp.plan, user=None)
    with pytest.raises(ValidationError, match="Not a salesplan ICP file"):
        icp_from_json({"criteria": []}, plan=icp.plan, user=None)


def test_editing_a_published_profile_makes_a_new_version():
    icp = _icp(SMALL)
    icp_publish(icp)
    draft = icp_new_version(icp, user=None)
    assert (draft.version, draft.status, draft.lineage) == (2, "draft", icp.lineage)
    assert icp_new_version(icp, user=None) == draft  # one draft at a time
    icp_publish(draft)
    icp.refresh_from_db()
    assert icp.status == IdealCustomerProfile.Status.RETIRED
    assert list(draft.criteria.values_list("key", flat=True)) == ["rev", "where", "public", "budget"]


def test_override_needs_a_reason_and_history_is_kept(org):
    icp = _icp(SMALL)
    account = AccountFactory()
    with pytest.raises(ValidationError, match="Say why"):
        tier_review(account=account, plan=icp.plan, reviewer=org["manager_a"], computed_tier="C", tier="A")
    tier_review(account=account, plan=icp.plan, reviewer=org["manager_a"], computed_tier="C")
    tier_review(
        account=account, plan=icp.plan, reviewer=org["manager_a"], computed_tier="C", tier="A", reason="Budget signed"
    )
    assert list(account.tier_reviews.values_list("action", "tier")) == [("override", "A"), ("confirm", "C")]


def test_score_accounts_command(capsys):
    icp = _icp(SMALL)
    AccountFactory.create_batch(3)
    call_command("score_accounts", "--icp", str(icp.pk))
    assert "Scored 3 accounts" in capsys.readouterr().out
