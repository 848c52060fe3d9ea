"""Account strategy suggestions and the six questions that decide whether an account warrants a plan."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accountplans.services.strategy import qualification, qualification_answer, strategy_set
from accounts.models import Vertical
from accounts.services.strategy import strategy_suggest
from accounts.tests.factories import AccountFactory
from salesplan.tests.factories import PlanFactory
from segmentation.services.icp import icp_create, icp_publish, icp_score_all

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("lifecycle", "wallet", "sales", "tier", "expected"),
    [
        ("prospect", 1_000_000, None, None, "acquire"),
        ("former", 1_000_000, None, None, "reactivate"),
        ("customer", 1_000_000, 500_000, None, "grow"),  # 50 % of its spend
        ("customer", 1_000_000, 800_000, None, "retain"),  # 80 %
        ("customer", None, 800_000, None, "retain"),  # spend unknown
        ("customer", 1_000_000, 100_000, "D", "retire"),  # a poor fit
    ],
)
def test_strategy_is_suggested_from_the_data(lifecycle, wallet, sales, tier, expected):
    account = AccountFactory.build(lifecycle=lifecycle, wallet=wallet, current_sales=sales)
    strategy, why = strategy_suggest(account, {"icp_tier": tier} if tier else {})
    assert strategy == expected
    assert why


def test_a_choice_against_the_suggestion_needs_a_reason_and_history_is_kept(org):
    account = AccountFactory(lifecycle="customer", wallet=1_000_000, current_sales=500_000, owner=org["rep_a1"])
    with pytest.raises(ValidationError, match="Say why"):
        strategy_set(account=account, strategy="retain", user=org["rep_a1"])
    strategy_set(account=account, strategy="grow", user=org["rep_a1"])
    strategy_set(account=account, strategy="retain", user=org["rep_a1"], reason="Budget frozen this year")
    assert list(account.strategies.values_list("strategy", "suggested")) == [("retain", "grow"), ("grow", "grow")]


@pytest.fixture
def scored(org):
    plan = PlanFactory(status="published", strategic_growth_threshold=Decimal("200000"))
    known = Vertical.objects.create(name="Known market")
    growth = Vertical.objects.create(name="Growth market")
    criteria = [
        {"key": "market-experience", "name": "Experience", "kind": "category", "field": "vertical",
         "values": ["Known market"], "weight": 5},
        {"key": "growth-market", "name": "Growth", "kind": "category", "field": "vertical",
         "values": ["Growth market"], "weight": 5},
        {"key": "rev", "name": "Revenue", "kind": "range", "field": "annual_revenue", "min_value": 10**6, "weight": 5},
    ]  # fmt: skip
    icp = icp_publish(icp_create(plan=plan, user=None, name="ICP", criteria=criteria))
    return {"plan": plan, "icp": icp, "known": known, "growth": growth}


def test_six_questions_answered_from_the_data_where_it_can(org, scored):
    account = AccountFactory(
        vertical=scored["known"], lifecycle="customer", wallet=1_000_000, current_sales=300_000, owner=org["rep_a1"]
    )
    icp_score_all(scored["icp"])  # 10 of 15: tier B
    result = qualification(account, user=org["rep_a1"], plan=scored["plan"])
    answers = {q.key: (q.answer, q.source) for q in result["questions"]}
    assert answers == {
        "market-experience": (True, "data"),
        "solves-problems": (None, ""),  # only the rep knows
        "growth-above-threshold": (True, "data"),  # $700,000 left to win ≥ $200,000
        "share-under-70": (True, "data"),  # 30 %
        "growth-market": (False, "data"),
        "matches-icp": (True, "data"),  # tier B
    }
    assert result["warrants"]  # four "yes" already
    assert result["yes"] == 4


def test_the_rep_answers_the_rest_and_the_verdict_follows(org, scored):
    account = AccountFactory(vertical=scored["growth"], lifecycle="customer", wallet=1_000_000,
                             current_sales=900_000, annual_revenue=10, owner=org["rep_a1"])  # fmt: skip
    icp_score_all(scored["icp"])  # 5 of 15: tier D
    result = qualification(account, user=org["rep_a1"], plan=scored["plan"])
    assert result["yes"] == 1  # only the growth market
    assert not result["warrants"]
    assert result["open"] == 1  # only "solves problems" is the rep's to answer
    assert result["undecided"] is False  # even a "yes" there cannot reach four
    qualification_answer(account=account, key="solves-problems", answer=True, user=org["rep_a1"])
    result = qualification(account, user=org["rep_a1"], plan=scored["plan"])
    assert result["yes"] == 2
    assert not result["warrants"]


def test_strategy_pages_are_scoped_to_the_accounts_a_user_sees(client, org):
    mine = AccountFactory(owner=org["rep_a1"], lifecycle="prospect")
    theirs = AccountFactory(owner=org["rep_b1"])
    client.force_login(org["rep_a1"])
    assert client.get(reverse("account_strategy_panel", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("account_strategy_set", args=[theirs.pk]), {"strategy": "acquire"}).status_code == 404
    answer = {"key": "solves-problems", "answer": "yes"}
    assert client.post(reverse("account_qualification", args=[theirs.pk]), answer).status_code == 404
    page = client.get(reverse("account_strategy_panel", args=[mine.pk])).content.decode()
    assert "Suggested: <strong>Acquire</strong>" in page
    client.post(reverse("account_strategy_set", args=[mine.pk]), {"strategy": "acquire"})
    client.post(reverse("account_qualification", args=[mine.pk]), {"key": "solves-problems", "answer": "yes"})
    assert mine.strategies.get().strategy == "acquire"
    assert mine.qualifications.get().answer is True
