"""The strategy suggestion as SQL (for set-based ranking) against the Python suggestion, on random accounts,
every lifecycle and ICP tier, and wallet shares at and around the 70 % line; the chosen strategy wins."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from accounts.models import Account, AccountStrategy
from accounts.selectors import strategies_latest
from accounts.services.strategy import strategy_current, strategy_in_force_sql, strategy_suggest, strategy_suggest_sql

pytestmark = pytest.mark.django_db

TIERS = ["A", "B", "C", "D", "N", ""]


def _accounts(n: int = 1_500) -> list[Account]:
    rng = random.Random(5)
    rows = []
    for i in range(n):
        wallet = rng.choice([None, 0, rng.randint(1, 10**7), 1000])
        sales = rng.choice([None, 0, rng.randint(0, 10**7), 700, 699, 701])  # 70 % of a 1,000 wallet and beside
        rows.append(
            Account(
                name=f"Strategy {i}",
                name_key=f"strategy {i}",
                lifecycle=rng.choice(["prospect", "customer", "customer", "former"]),
                wallet=wallet,
                current_sales=sales,
            )
        )
    return Account.objects.bulk_create(rows)


def _with_tiers(accounts: list[Account]) -> dict[int, str]:
    rng = random.Random(9)
    tiers = {a.pk: rng.choice(TIERS) for a in accounts}
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE test_tier (account_id bigint, tier varchar(1))")
        cursor.executemany("INSERT INTO test_tier VALUES (%s, %s)", list(tiers.items()))
    return tiers


def test_sql_suggestion_equals_the_python_suggestion():
    accounts = _accounts()
    tiers = _with_tiers(accounts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, {strategy_suggest_sql(account='a', tier='t.tier')} FROM accounts_account a "  # noqa: S608
            "JOIN test_tier t ON t.account_id = a.id"
        )
        got = dict(cursor.fetchall())
    seen = set()
    for account in Account.objects.all():
        facts = {"icp_tier": tiers[account.pk]} if tiers[account.pk] else {}
        expected, _why = strategy_suggest(account, facts)
        assert got[account.pk] == expected, (account.lifecycle, account.wallet, account.current_sales, facts)
        seen.add(expected)
    assert seen == {"acquire", "grow", "reactivate", "retain", "retire"}


def test_the_chosen_strategy_wins_over_the_suggestion_and_the_latest_choice_stands(org):
    accounts = _accounts(60)
    _with_tiers(accounts)
    rng = random.Random(3)
    for account in accounts[:30]:
        for strategy in rng.sample(["acquire", "grow", "retain", "retire", "reactivate"], rng.randint(1, 3)):
            AccountStrategy.objects.create(account=account, strategy=strategy, chosen_by=org["rep_a1"])
    join, strategy, chosen, params = strategy_in_force_sql(account="a.id", tier="t.tier")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, {strategy}, {chosen} FROM accounts_account a "  # noqa: S608
            f"JOIN test_tier t ON t.account_id = a.id {join}",
            params,
        )
        got = {pk: (s, bool(c)) for pk, s, c in cursor.fetchall()}
    latest = dict(strategies_latest().values_list("account_id", "strategy"))
    for account in Account.objects.all():
        current = strategy_current(account)
        if current is None:
            assert got[account.pk][1] is False
            assert account.pk not in latest
        else:
            assert got[account.pk] == (current.strategy, True)
            assert latest[account.pk] == current.strategy
