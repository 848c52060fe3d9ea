"""Where the published territory design's rules place a set of accounts, asked by accounts without
importing segmentation (which owns the rules and registers the provider from its ``AppConfig.ready()``).

The import report uses it to say which changed accounts will move; it never writes a placement: placing
accounts again is the job of territory placement itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Placement:
    design_id: int
    # SELECT account_id, territory_id (NULL: no rule places it) of every account the given ids select.
    sql: str
    params: list[object]


# (SQL selecting account ids, its parameters) -> the placement under the published design, or None
# when no design is published.
PlacementProvider = Callable[[str, list[object]], Placement | None]
_PROVIDERS: list[PlacementProvider] = []


def account_placement_register(provider: PlacementProvider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def account_placement(accounts_sql: str, params: list[object]) -> Placement | None:
    """The published design's placement of the accounts ``accounts_sql`` selects (``SELECT <id> …``)."""
    for provider in _PROVIDERS:
        placement = provider(accounts_sql, params)
        if placement is not None:
            return placement
    return None


def account_territories_by_rules(account_ids: list[int]) -> dict[int, int | None] | None:
    """account id -> the territory the published design's rules give it (None: unassigned); None when no
    design is published. For a page's few accounts."""
    from django.db import connection

    if not account_ids:
        return {}
    placeholders = ", ".join(["%s"] * len(account_ids))  # only placeholders; the ids are parameters
    ids_sql = f"SELECT id FROM accounts_account WHERE id IN ({placeholders})"  # noqa: S608
    placement = account_placement(ids_sql, list(account_ids))
    if placement is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(placement.sql, placement.params)
        return dict(cursor.fetchall())
