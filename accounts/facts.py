"""Facts about an account that apps above accounts know (the ICP tier, whether its market is one we know).

``segmentation`` registers a provider from its ``AppConfig.ready()``; account strategy and plan
qualification read the facts here without importing the apps above them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accounts.models import Account
from salesplan.models import User

FactsProvider = Callable[[Account, User], dict[str, Any]]
_PROVIDERS: list[FactsProvider] = []


def account_facts_register(provider: FactsProvider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def account_facts(account: Account, user: User) -> dict[str, Any]:
    """Known facts: ``icp_tier`` (the tier in force: "A"–"D", "N" when the account needs data, or absent),
    ``icp_tier_computed`` and ``icp_tier_reviewed`` (whether a manager's review set it),
    ``market_experience`` and ``growth_market`` (True, False, or absent when unknown)."""
    facts: dict[str, Any] = {}
    for provider in _PROVIDERS:
        facts.update(provider(account, user))
    return facts
