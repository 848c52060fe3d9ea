"""The rules of account strategy (Acquire, Grow, Reactivate, Retain, Retire) that lower floors read: the
strategy the data suggests, and the one in force as SQL for set-based ranking (segmentation). Choosing a
strategy and the plan questions are account planning's (accountplans.services.strategy)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accounts.models import Account, AccountStrategy, Lifecycle, Strategy

WALLET_SHARE_GROW = Decimal("0.70")  # under 70 % of its spend in our category, a customer can grow


def wallet_share(account: Account) -> Decimal | None:
    if not account.wallet:
        return None
    return Decimal(account.current_sales or 0) / Decimal(account.wallet)


def strategy_suggest(account: Account, facts: dict[str, Any]) -> tuple[str, str]:
    """(strategy, why) from what is known of the account."""
    if account.lifecycle == Lifecycle.FORMER:
        return Strategy.REACTIVATE, "A former customer: win it back."
    if account.lifecycle == Lifecycle.PROSPECT:
        return Strategy.ACQUIRE, "A prospect: win its first order."
    if facts.get("icp_tier") == "D":
        return Strategy.RETIRE, "A customer that fits our ICP poorly (tier D): serve it at low cost, or let it go."
    share = wallet_share(account)
    if share is None:
        return Strategy.RETAIN, "A customer whose category spend is unknown: keep it, and find out its wallet."
    if share < WALLET_SHARE_GROW:
        return Strategy.GROW, f"We have {share:.0%} of its spend in our category: grow our share."
    return Strategy.RETAIN, f"We already have {share:.0%} of its spend in our category: keep it."


GROWTH_STRATEGIES = (Strategy.ACQUIRE, Strategy.GROW, Strategy.REACTIVATE)  # ranked in My territory
KEEP_STRATEGIES = (Strategy.RETAIN, Strategy.RETIRE)  # listed apart


def strategy_suggest_sql(*, account: str, tier: str) -> str:
    """``strategy_suggest`` as one SQL expression over the account row ``account`` (an alias) and the SQL
    ``tier`` of its ICP tier in force (NULL or '' when unscored), for set-based ranking; the parity test
    (accounts/tests/test_strategy_sql.py) holds the two to each other."""
    a = account
    # "share < 70 %" in whole numbers, so PostgreSQL and SQLite compare exactly as Decimal does.
    share_pct = int(WALLET_SHARE_GROW * 100)
    return (
        f"CASE WHEN {a}.lifecycle = '{Lifecycle.FORMER}' THEN '{Strategy.REACTIVATE}' "
        f"WHEN {a}.lifecycle = '{Lifecycle.PROSPECT}' THEN '{Strategy.ACQUIRE}' "
        f"WHEN {tier} = 'D' THEN '{Strategy.RETIRE}' "
        f"WHEN {a}.wallet IS NULL OR {a}.wallet = 0 THEN '{Strategy.RETAIN}' "
        f"WHEN 100 * COALESCE({a}.current_sales, 0) < {share_pct} * {a}.wallet THEN '{Strategy.GROW}' "
        f"ELSE '{Strategy.RETAIN}' END"
    )


def strategy_in_force_sql(*, account: str, tier: str, alias: str = "st") -> tuple[str, str, str, list]:
    """(join, strategy, chosen, params): the latest chosen strategy of account id column ``account`` joined as
    ``alias``, the strategy in force (chosen, else suggested from ``tier``), and whether it was chosen."""
    from accounts.selectors import strategies_latest

    sql, params = strategies_latest().values("account_id", "strategy").query.sql_with_params()
    row = account.rsplit(".", 1)[0]
    join = f"LEFT JOIN ({sql}) {alias} ON {alias}.account_id = {account}"
    suggested = strategy_suggest_sql(account=row, tier=tier)
    return join, f"COALESCE({alias}.strategy, {suggested})", f"({alias}.strategy IS NOT NULL)", list(params)


def strategy_current(account: Account) -> AccountStrategy | None:
    return account.strategies.select_related("chosen_by").first()
