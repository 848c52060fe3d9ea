"""Account strategy as a rep decides it, and whether an account warrants a strategic account plan. Both
answer from the data where they can (the account's figures, its ICP facts from segmentation) and ask the
rep only for the rest."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from accountplans.models import PlanQualification
from accounts.models import Account, AccountStrategy, Lifecycle, Strategy
from accounts.selectors import STRATEGIES_INPUT
from accounts.services.strategy import WALLET_SHARE_GROW, strategy_suggest, wallet_share
from salesplan.models import StrategyPlan, User
from salesplan.services.freshness import inputs_changed
from segmentation.selectors import account_icp_facts

PLAN_WARRANTED_AT = 4  # "yes" answers out of six


def strategy_set(*, account: Account, strategy: str, user: User, reason: str = "") -> AccountStrategy:
    """The rep confirms the suggestion or chooses another strategy; every choice is kept."""
    if strategy not in Strategy.values:
        raise ValidationError(f"Choose one of {', '.join(Strategy.labels)}.")
    suggested, _why = strategy_suggest(account, account_icp_facts(account=account, user=user))
    if strategy != suggested and not reason.strip():
        raise ValidationError("Say why you chose another strategy than the suggested one.")
    choice = AccountStrategy.objects.create(
        account=account, strategy=strategy, suggested=suggested, reason=reason.strip()[:300], chosen_by=user
    )
    inputs_changed(STRATEGIES_INPUT)  # the strategy decides whether the account is ranked as a growth target
    return choice


@dataclass
class Question:
    key: str
    text: str
    answer: bool | None  # None: not answered yet
    source: str  # "data", "rep" or "" (to ask)
    evidence: str = ""


QUESTIONS = {
    "market-experience": "Is it in a market we have experience in?",
    "solves-problems": "Does it have problems our product or service solves?",
    "growth-above-threshold": "Does it offer $ growth above our threshold?",
    "share-under-70": "Are our sales under 70% of its purchases in our category?",
    "growth-market": "Is it in a market we target for strategic growth?",
    "matches-icp": "Does it match our Ideal Customer Profile?",
}


def _tier_evidence(facts: dict[str, Any]) -> str:
    tier, computed = facts["icp_tier"], facts.get("icp_tier_computed", facts["icp_tier"])
    if facts.get("icp_tier_reviewed"):
        return f"ICP tier {tier}, set by the manager" + (f" (computed {computed})" if computed != tier else "")
    return f"ICP tier {tier}"


def qualification(account: Account, *, user: User, plan: StrategyPlan | None) -> dict[str, Any]:
    """The six questions with the data's answers where it has them, the rep's for the rest, and whether
    the account warrants a strategic plan (at least four "yes")."""
    facts = account_icp_facts(account=account, user=user)
    given = dict(account.qualifications.values_list("key", "answer"))
    data: dict[str, tuple[bool, str]] = {}
    if facts.get("market_experience") is not None:
        data["market-experience"] = (facts["market_experience"], "its vertical, against the ICP's market criterion")
    if facts.get("growth_market") is not None:
        data["growth-market"] = (facts["growth_market"], "its vertical, against the ICP's growth markets")
    if facts.get("icp_tier") in {"A", "B", "C", "D"}:  # "Needs data" cannot say: the question stays open
        data["matches-icp"] = (facts["icp_tier"] in {"A", "B"}, _tier_evidence(facts))
    share = wallet_share(account)
    if account.lifecycle != Lifecycle.CUSTOMER:
        data["share-under-70"] = (True, "not a current customer: we sell it nothing yet")
    elif share is not None:
        data["share-under-70"] = (share < WALLET_SHARE_GROW, f"our share of its category spend is {share:.0%}")
    threshold = plan.strategic_growth_threshold if plan else None
    if threshold is not None and account.wallet is not None:
        room = Decimal(account.wallet) - Decimal(account.current_sales or 0)
        data["growth-above-threshold"] = (
            room >= threshold,
            f"${room:,.0f} of spend left to win, threshold ${threshold:,.0f}",
        )
    questions = []
    for key, text in QUESTIONS.items():
        if key in data:
            answer, evidence = data[key]
            questions.append(Question(key, text, answer, "data", evidence))
        elif key in given:
            questions.append(Question(key, text, given[key], "rep"))
        else:
            questions.append(Question(key, text, None, ""))
    yes = sum(1 for q in questions if q.answer)
    open_ = sum(1 for q in questions if q.answer is None)
    return {
        "questions": questions,
        "yes": yes,
        "open": open_,
        "warrants": yes >= PLAN_WARRANTED_AT,
        "undecided": yes < PLAN_WARRANTED_AT <= yes + open_,
    }


def qualification_answer(*, account: Account, key: str, answer: bool | None, user: User) -> None:
    """Record the rep's yes/no (None: unanswered again) to a question the data does not answer."""
    if key not in QUESTIONS:
        raise ValidationError("Unknown question.")
    if answer is None:
        PlanQualification.objects.filter(account=account, key=key).delete()
        return
    PlanQualification.objects.update_or_create(
        account=account, key=key, defaults={"answer": answer, "answered_by": user}
    )
